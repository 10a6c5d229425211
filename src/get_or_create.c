/*-------------------------------------------------------------------------
 *
 * get_or_create.c
 *	  Tags by name: found, or created with a free slug.
 *
 * The names of a call, normalized and deduplicated (args.c), are resolved
 * in a constant number of statements however many there are: the tags
 * whose own name they are; if some are missing, the synonyms; if some are
 * still missing, their slugs are chosen (slug_locks.c) and they are
 * inserted with INSERT ... ON CONFLICT DO NOTHING, which skips synonyms;
 * a name a concurrent transaction created meanwhile, or a synonym, is read
 * again.  The post and item writers lock what they find FOR KEY SHARE;
 * tags_get_or_create() only reads.  While its INSERT runs, the trigger on
 * tags learns here (tags_is_inserting()) which rows are ours, with slugs
 * picked under our locks.  See doc/concurrency.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupconvert.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_get_or_create);

/*
 * Rounds of inserting and reading a name again after which a name neither
 * inserted nor read is taken to be kept out, not deleted by a concurrent
 * transaction between two rounds
 */
#define TAGS_MAX_INSERT_ROUNDS 10

static int	compare_slug_name(const void *a, const void *b);
static int	take_rows(TagList *list);
static HeapTuple heap_copytuple_in(MemoryContext cxt, HeapTuple tuple);
static int	find_tags(const TagsTarget *target, TagList *list, Datum names,
					  int count, bool lock);
static void check_no_new_synonyms(const TagsTarget *target,
								  TagEntry **missing, int nmissing);
static void insert_tags(const TagsTarget *target, TagList *list,
						Datum *params);

/*
 * The names get-or-create is inserting, with the slugs it picked under the
 * advisory locks it holds, and the vocabulary (and tenant) it inserts them
 * into, while its INSERT runs; else NULL.  The trigger on tags takes no
 * lock and checks nothing for those rows, and only those: user code that
 * the INSERT fires may write other rows of tags.
 */
static TagList *inserting = NULL;
static const TagsTarget *inserting_into = NULL;

/* Order entry pointers by base slug, then by name */
static int
compare_slug_name(const void *a, const void *b)
{
	const TagEntry *ea = *(TagEntry *const *) a;
	const TagEntry *eb = *(TagEntry *const *) b;
	int			cmp = strcmp(ea->slug, eb->slug);

	return cmp != 0 ? cmp : strcmp(ea->name, eb->name);
}

/*
 * Store the tags rows of the last statement in the entries they belong to,
 * copied into the list's memory, out of SPI's.  Each row comes with the name
 * it was asked for ("asked"): the tag's own name, or a synonym of it.
 * Returns how many were new to the list.
 */
static int
take_rows(TagList *list)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;
	int			asked_att = SPI_fnumber(desc, "asked");
	int			id_att = SPI_fnumber(desc, "id");
	int			taken = 0;
	uint64		row;

	if (asked_att <= 0 || id_att <= 0)
		elog(ERROR, "tags rows have no asked name or no id");
	if (list->desc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(list->cxt);

		list->desc = CreateTupleDescCopy(desc);
		MemoryContextSwitchTo(old);
	}

	for (row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TagEntry   *entry = tags_find_entry(list, SPI_getvalue(tuple, desc,
															   asked_att));
		bool		isnull;

		if (entry == NULL)
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("tag \"%s\" was not asked for",
						   SPI_getvalue(tuple, desc, asked_att)),
					errdetail("A trigger on the tags table changed the name of a tag being created."));
		if (entry->tuple != NULL)
			continue;
		entry->id = DatumGetInt32(SPI_getbinval(tuple, desc, id_att, &isnull));
		entry->tuple = heap_copytuple_in(list->cxt, tuple);
		taken++;
	}
	return taken;
}

/* A copy of a tuple in a memory context */
static HeapTuple
heap_copytuple_in(MemoryContext cxt, HeapTuple tuple)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	HeapTuple	copy = heap_copytuple(tuple);

	MemoryContextSwitchTo(old);
	return copy;
}

/*
 * The four lookups of tags by names ($1, a text[]) descend the index once
 * per name, in a nested loop over the names that the LATERAL subqueries
 * force, whatever the tables' sizes (see doc/plans.md).  Each row comes
 * with the name it was asked for.
 *
 * The tags whose own name is in $1, locked FOR KEY SHARE, so that a tag
 * deleted or renamed meanwhile counts as missing; in id order, so that
 * callers lock the same tags in the same order.  The lock is taken in the
 * second subquery, one row at a time in the order the first one sorts
 * them in.
 */
static const TagsStatement stmt_tags_by_names = {
	"tags_by_names",
	"SELECT k.asked, t.*"
	" FROM (SELECT n.name AS asked, f.id"
	"       FROM pg_catalog.unnest($1) AS n(name)"
	"       CROSS JOIN LATERAL (SELECT t.id FROM @tags@ t"
	"                           WHERE @tenant:t@ t.name OPERATOR(pg_catalog.=) n.name"
	"                           OFFSET 0) f"
	"       ORDER BY f.id) k"
	" CROSS JOIN LATERAL (SELECT t.* FROM @tags@ t"
	"                     WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) k.id"
	"                       AND t.name OPERATOR(pg_catalog.=) k.asked"
	"                     FOR KEY SHARE OF t) t",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* The tags a synonym in $1 names, locked the same way */
static const TagsStatement stmt_tags_by_synonyms_locked = {
	"tags_by_synonyms_locked",
	"SELECT k.asked, t.*"
	" FROM (SELECT n.name AS asked, f.tag_id"
	"       FROM pg_catalog.unnest($1) AS n(name)"
	"       CROSS JOIN LATERAL (SELECT s.tag_id"
	"                           FROM @synonyms@ s"
	"                           WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) n.name"
	"                           OFFSET 0) f"
	"       ORDER BY f.tag_id) k"
	" CROSS JOIN LATERAL (SELECT t.* FROM @tags@ t"
	"                     WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) k.tag_id"
	"                     FOR KEY SHARE OF t) t",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
	/* at version 1.0 */
	"SELECT t.name AS asked, t.* FROM @extschema@.tags t WHERE false"
};

/* stmt_tags_by_names for tags_get_or_create(), which does not lock */
static const TagsStatement stmt_tags_by_names_unlocked = {
	"tags_by_names_unlocked",
	"SELECT n.name AS asked, t.*"
	" FROM pg_catalog.unnest($1) AS n(name)"
	" CROSS JOIN LATERAL (SELECT t.* FROM @tags@ t"
	"                     WHERE @tenant:t@ t.name OPERATOR(pg_catalog.=) n.name"
	"                     OFFSET 0) t",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* stmt_tags_by_synonyms_locked, not locked */
static const TagsStatement stmt_tags_by_synonyms = {
	"tags_by_synonyms",
	"SELECT n.name AS asked, t.*"
	" FROM pg_catalog.unnest($1) AS n(name)"
	" CROSS JOIN LATERAL (SELECT s.tag_id FROM @synonyms@ s"
	"                     WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) n.name"
	"                     OFFSET 0) s"
	" CROSS JOIN LATERAL (SELECT t.* FROM @tags@ t"
	"                     WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) s.tag_id"
	"                     OFFSET 0) t",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
	/* at version 1.0 */
	"SELECT t.name AS asked, t.* FROM @extschema@.tags t WHERE false"
};

/*
 * Look up count names, the text[] names, and store the tags they name in
 * the list's entries (see take_rows()); returns how many entries that
 * filled.  The names of tags are read first, with the statement of version
 * 1.0, and only if some names are not among them, the synonyms: most calls
 * name existing tags by their names, and pay nothing for synonyms.  The
 * post writers lock what they find, each statement in id order; a writer
 * that names a tag by a synonym therefore does not lock all its tags in id
 * order, and can deadlock with a merge of those tags (40P01).
 */
static int
find_tags(const TagsTarget *target, TagList *list, Datum names, int count,
		  bool lock)
{
	int			found;

	tags_vocabulary_execute(target,
							lock ? &stmt_tags_by_names : &stmt_tags_by_names_unlocked,
							&names, NULL, false, false, 0);
	found = take_rows(list);
	if (found < count)
	{
		tags_vocabulary_execute(target,
								lock ? &stmt_tags_by_synonyms_locked :
								&stmt_tags_by_synonyms,
								&names, NULL, false, false, 0);
		found += take_rows(list);
	}
	return found;
}

/*
 * Find the tag of every entry of a list sorted by name, in target's
 * vocabulary (of the call's tenant), and fill in its row; whether every
 * entry has one.  Creates none: what a writer does on a Citus worker's
 * shard, where a new tag's id cannot be drawn (doc/citus.md).  The caller
 * must be connected to SPI.
 */
bool
tags_find_all_tags(const TagsTarget *target, TagList *list, bool lock)
{
	const char **strings;
	int			i;

	if (list->count == 0)
		return true;
	strings = palloc(list->count * sizeof(char *));
	for (i = 0; i < list->count; i++)
		strings[i] = list->entries[i].name;
	return find_tags(target, list, tags_text_array(strings, list->count),
					 list->count, lock) == list->count;
}

/*
 * Find or create the tag of every entry of a list sorted by name, in
 * target's vocabulary (of the call's tenant), and fill in its row.  The
 * caller must be connected to SPI.
 */
void
tags_resolve_tags(const TagsTarget *target, TagList *list, bool lock)
{
	TagEntry  **missing;
	const char **strings;
	int			nmissing = 0;
	Datum		params[2];
	int			round;
	int			i;

	if (tags_find_all_tags(target, list, lock))
		return;

	missing = palloc(list->count * sizeof(TagEntry *));
	strings = palloc(list->count * sizeof(char *));

	/* group the missing names by base slug, each group in name order */
	for (i = 0; i < list->count; i++)
	{
		TagEntry   *entry = &list->entries[i];

		CHECK_FOR_INTERRUPTS();
		if (entry->tuple != NULL)
			continue;
		entry->slug = tags_slugify_cstring(entry->name);
		missing[nmissing++] = entry;
	}
	qsort(missing, nmissing, sizeof(TagEntry *), compare_slug_name);
	tags_assign_slugs(target, missing, nmissing, false, false, 0);
	check_no_new_synonyms(target, missing, nmissing);

	/*
	 * Insert the missing names.  A name that a concurrent transaction
	 * inserted meanwhile is skipped, and read once that transaction has
	 * committed.  If yet another transaction deleted it in between, it is
	 * missing again, and inserted again with the slug picked for it, which
	 * the locks keep free; a name that is neither inserted nor read a few
	 * rounds running is one a trigger or a row-level security policy on the
	 * tags table keeps out (a tenant vocabulary is the application's table,
	 * which may have them).
	 */
	for (round = 0;; round++)
	{
		int			still = 0;

		for (i = 0; i < nmissing; i++)
			if (missing[i]->tuple == NULL)
				missing[still++] = missing[i];
		nmissing = still;
		if (nmissing == 0)
			return;
		CHECK_FOR_INTERRUPTS();

		for (i = 0; i < nmissing; i++)
			strings[i] = missing[i]->name;
		/* $1 the missing names, $2 their slugs */
		params[0] = tags_text_array(strings, nmissing);
		for (i = 0; i < nmissing; i++)
			strings[i] = missing[i]->slug;
		params[1] = tags_text_array(strings, nmissing);
		insert_tags(target, list, params);
		if (take_rows(list) == nmissing)
			return;

		/*
		 * created meanwhile by a transaction that has now committed, or a
		 * synonym
		 */
		find_tags(target, list, params[0], nmissing, lock);

		/*
		 * Under REPEATABLE READ the INSERT fails with 40001 on a name that a
		 * transaction committed after the snapshot; no name can be missing
		 * here, so a loop would never end.
		 */
		for (i = 0; i < nmissing; i++)
			if (missing[i]->tuple == NULL &&
				(IsolationUsesXactSnapshot() ||
				 round >= TAGS_MAX_INSERT_ROUNDS))
				ereport(ERROR,
						errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("tag \"%s\" could not be created or read",
							   missing[i]->name),
						errdetail("Its row was neither inserted nor visible: a trigger or a row-level security policy on table \"%s\" skips or hides it.",
								  get_rel_name(target->vocab.tags)));
	}
}

/*
 * The synonyms among the names $1, with their tags' names and slugs.
 * Generic, one index descent per name (see doc/plans.md).
 */
static const TagsStatement stmt_synonyms_named = {
	"synonyms_named",
	"SELECT s.name, t.name, t.slug"
	" FROM pg_catalog.unnest($1) AS n(name)"
	" CROSS JOIN LATERAL (SELECT s.name, s.tag_id"
	"                     FROM @synonyms@ s"
	"                     WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) n.name"
	"                     OFFSET 0) s"
	" JOIN @tags@ t ON @tenant:t@ t.id OPERATOR(pg_catalog.=) s.tag_id",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
	/* at version 1.0 */
	"SELECT WHERE false"
};

/*
 * The INSERT of missing names skips the names that are synonyms, which are
 * resolved by reading them again.  Under REPEATABLE READ it cannot see a
 * synonym added after the transaction's snapshot, and would create a tag of
 * that name: so, once the locks that keep synonyms from being added are
 * held (see tags_assign_slugs()), the names are looked up among the synonyms in
 * a new snapshot, and a synonym the transaction cannot see fails it with
 * 40001, to be retried.
 */
static void
check_no_new_synonyms(const TagsTarget *target, TagEntry **missing,
					  int nmissing)
{
	const char **names;
	Datum		param;
	int			i;

	if (!IsolationUsesXactSnapshot())
		return;
	names = palloc(nmissing * sizeof(char *));
	for (i = 0; i < nmissing; i++)
		names[i] = missing[i]->name;
	param = tags_text_array(names, nmissing);
	if (tags_vocabulary_execute(target, &stmt_synonyms_named, &param, NULL,
								true, false, 0) > 0)
		ereport(ERROR,
				errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				errmsg("could not serialize access due to a concurrent change of tag synonyms"),
				errdetail("\"%s\" became a synonym after the transaction's snapshot was taken.",
						  SPI_getvalue(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1)),
				errhint("Retry the transaction."));
}

/*
 * Insert the names $1 with the slugs $2 (text[] side by side), skipping the
 * names that exist or are synonyms.  The synonyms are read apart from the
 * names: Citus refuses a subquery correlated with unnest().
 */
static const TagsStatement stmt_tags_insert = {
	"tags_insert",
	"INSERT INTO @tags@ (@tenant_column@name, slug)"
	" SELECT @tenant_value@u.name, u.slug"
	" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
	"      AS u(name, slug)"
	" WHERE u.name OPERATOR(pg_catalog.<>) ALL (ARRAY("
	"     SELECT s.name FROM @synonyms@ s"
	"     WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) ANY ($1)))"
	" ON CONFLICT (@tenant_column@name) DO NOTHING"
	" RETURNING name AS asked, *",
	2, {TEXTARRAYOID, TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_INSERT_RETURNING,
	/* at version 1.0 */
	"INSERT INTO @extschema@.tags (name, slug)"
	" SELECT u.name, u.slug"
	" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
	"      AS u(name, slug)"
	" ON CONFLICT (name) DO NOTHING"
	" RETURNING name AS asked, *"
};

/*
 * The same on a vocabulary distributed by Citus, with the ids $3 (int4[]
 * beside the names): Citus sends the whole statement to the tenant's shard,
 * where the sequence of an integer column cannot be read, so the
 * coordinator draws them (stmt_tags_ids); and its rows are a SELECT's, as
 * Citus counts the rows an INSERT ... ON CONFLICT DO NOTHING skips among
 * those it returns (doc/citus.md)
 */
static const TagsStatement stmt_tags_insert_with_ids = {
	"tags_insert_with_ids",
	"WITH inserted AS ("
	" INSERT INTO @tags@ (@tenant_column@id, name, slug)"
	" SELECT @tenant_value@u.id, u.name, u.slug"
	" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
	"                 pg_catalog.unnest($3))"
	"      AS u(name, slug, id)"
	" WHERE u.name OPERATOR(pg_catalog.<>) ALL (ARRAY("
	"     SELECT s.name FROM @synonyms@ s"
	"     WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) ANY ($1)))"
	" ON CONFLICT (@tenant_column@name) DO NOTHING"
	" RETURNING name AS asked, *)"
	" SELECT * FROM inserted",
	3, {TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID}, CURSOR_OPT_CUSTOM_PLAN,
	SPI_OK_SELECT
};

/* $2 new ids (int4[]) from the sequence $1 */
static const TagsStatement stmt_tags_ids = {
	"tags_ids",
	"SELECT pg_catalog.array_agg(pg_catalog.nextval($1)::pg_catalog.int4)"
	" FROM pg_catalog.generate_series(1, $2)",
	2, {OIDOID, INT4OID}, 0, SPI_OK_SELECT
};

/*
 * Run stmt_tags_insert of the missing entries of list, telling the trigger
 * on tags that their slugs were picked under the locks that tags_assign_slugs()
 * took.  A get-or-create called from user code that the INSERT fires sets
 * its own list, and gives this one back when it ends.
 */
static void
insert_tags(const TagsTarget *target, TagList *list, Datum *params)
{
	TagList    *outer = inserting;
	const TagsTarget *outer_into = inserting_into;

	inserting = list;
	inserting_into = target;
	PG_TRY();
	{
		if (target->distributed)
		{
			Datum		draw[2];
			Datum		with_ids[3];
			bool		isnull;

			/* $1 the sequence, $2 how many */
			draw[0] = ObjectIdGetDatum(tags_identity_sequence(target->vocab.tags));
			draw[1] = Int32GetDatum(ArrayGetNItems(1, ARR_DIMS(DatumGetArrayTypeP(params[0]))));
			tags_execute(&stmt_tags_ids, draw, NULL, false, 0);
			/* $1 names, $2 slugs, $3 ids */
			with_ids[0] = params[0];
			with_ids[1] = params[1];
			with_ids[2] = SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull);
			tags_vocabulary_execute(target, &stmt_tags_insert_with_ids,
									with_ids, NULL, false, false, 0);
		}
		else
			tags_vocabulary_execute(target, &stmt_tags_insert, params, NULL,
									false, false, 0);
	}
	PG_FINALLY();
	{
		inserting = outer;
		inserting_into = outer_into;
	}
	PG_END_TRY();
}

/*
 * Whether a row with this normalized name and slug, of the vocabulary (and
 * tenant) vocabulary names, is one that get-or-create is inserting, with
 * the slug it picked (see insert_tags()).  The caller asks only for an
 * INSERT: an UPDATE is never one of those.
 */
bool
tags_is_inserting(const TagsTarget *vocabulary, const char *name, Datum slug)
{
	TagEntry   *entry;

	if (inserting == NULL ||
		inserting_into->vocab.tags != vocabulary->vocab.tags ||
		(TAGS_HAS_TENANTS(vocabulary) &&
		 strcmp(tags_tenant_text(inserting_into),
				tags_tenant_text(vocabulary)) != 0))
		return false;
	entry = tags_find_entry(inserting, name);
	return entry != NULL && entry->tuple == NULL && entry->slug != NULL &&
		strcmp(entry->slug, TextDatumGetCString(slug)) == 0;
}

/*
 * tags_get_or_create(names text[], target regclass, tenant tag_tenant)
 *		RETURNS SETOF tags
 *
 * One tags row per distinct tag named, in order of first appearance:
 * existing tags as they are, missing ones created; a synonym names its
 * tag.  In the target's vocabulary (of the tenant), or the shared tags.  A
 * NULL list gives no rows (as 1.0's STRICT did); an empty one connects to
 * nothing.  The rows are kept outside SPI's memory by tags_resolve_tags()
 * and mapped onto the result's row type by column name.
 */
Datum
tags_get_or_create(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 0);
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	tags_spi_connect(fcinfo);
	tags_vocabulary_args(fcinfo, 1, 2, -1, &target);
	if (list.count > 0)
		tags_resolve_tags(&target, &list, false);
	SPI_finish();

	tags_sort_by_first(&list);
	tags_keep_first_of_each_tag(&list);
	tags_put_tag_list(fcinfo, &list);
	return (Datum) 0;
}

/*
 * Put the rows of a resolved list, in its order, into the materialized
 * result set of fcinfo, mapped onto its row type by column name.
 */
void
tags_put_tag_list(FunctionCallInfo fcinfo, TagList *list)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleConversionMap *map;
	int			i;

	if (list->count == 0)
		return;
	map = convert_tuples_by_name(list->desc, rsinfo->setDesc);
	for (i = 0; i < list->count; i++)
	{
		HeapTuple	tuple = list->entries[i].tuple;

		tuplestore_puttuple(rsinfo->setResult,
							map ? execute_attr_map_tuple(tuple, map) : tuple);
	}
}
