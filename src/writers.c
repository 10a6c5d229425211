/*-------------------------------------------------------------------------
 *
 * writers.c
 *	  Writes of an item's tag list: item_set_tags(), item_add_tags(),
 *	  item_remove_tags() on any target, and the 1.0 post_set_tags(),
 *	  post_add_tags(), post_remove_tags(), which are the same on posts.
 *
 * Every writer first locks the item FOR NO KEY UPDATE (lock_item()), so
 * that calls on one item serialize, then resolves the names
 * (get_or_create.c), locking the tags it keeps FOR KEY SHARE, then writes
 * the new list in one statement, through counters.c, which gathers the
 * count changes it makes and hands the trigger of copies.c the item it
 * locked.  Every error a caller can cause comes before the associations
 * are written.  Under REPEATABLE READ and SERIALIZABLE a writer fails with
 * 40001 rather than write over a list it cannot see.  See
 * doc/concurrency.md and doc/targets.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(item_set_tags);
PG_FUNCTION_INFO_V1(item_add_tags);
PG_FUNCTION_INFO_V1(item_remove_tags);
PG_FUNCTION_INFO_V1(post_set_tags);
PG_FUNCTION_INFO_V1(post_add_tags);
PG_FUNCTION_INFO_V1(post_remove_tags);

static void lock_item(const TagsTarget *target, Datum key,
					  TagsItemCopy *item);
static void apply_tag_ids(const TagsTarget *target, const TagsItemCopy *item,
						  Datum *ids, int count, bool remove_others);
static void check_tag_limit(const TagsTarget *target, Datum key, int count);
static Datum begin_item_write(FunctionCallInfo fcinfo, TagsTarget *target);
static void begin_post_write(FunctionCallInfo fcinfo, TagsTarget *target);
static void set_tags(FunctionCallInfo fcinfo, const TagsTarget *target,
					 Datum key, TagList *list, bool keep);
static void add_tags(FunctionCallInfo fcinfo, const TagsTarget *target,
					 Datum key, TagList *list);
static void remove_tags(FunctionCallInfo fcinfo, const TagsTarget *target,
						Datum key, TagList *list);

/* The item $1 as a row, locked against our writers */
static const TagsStatement stmt_item_lock = {
	"item_lock",
	"SELECT t FROM @target@ t"
	" WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) $1"
	" FOR NO KEY UPDATE OF t",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/* The item $1's associations, by tag id */
static const TagsStatement stmt_item_tag_ids = {
	"item_tag_ids",
	"SELECT a.tag_id, a.position FROM @assoc@ a"
	" WHERE @tenant:a@ a.@item@ OPERATOR(pg_catalog.=) $1"
	" ORDER BY a.tag_id",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * Lock an item against the other writers of its tags, or raise P0002 if it
 * does not exist (or row-level security hides it).  Sets *item to what its
 * associations copy of it; the lock keeps that from changing until the
 * transaction ends.  Under REPEATABLE READ and SERIALIZABLE, 40001 if the
 * item's associations differ between the transaction's snapshot and a new
 * one: a transaction that committed since the snapshot changed them
 * (doc/concurrency.md).
 */
static void
lock_item(const TagsTarget *target, Datum key, TagsItemCopy *item)
{
	uint64		nrows;
	int64	   *seen;
	uint64		row;

	if (tags_target_execute(target, &stmt_item_lock, &key, NULL, false, false, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("%s does not exist", tags_item_name(target, key)));
	tags_read_item_copy(target, key, item);
	if (!IsolationUsesXactSnapshot())
		return;

	nrows = tags_target_execute(target, &stmt_item_tag_ids, &key, NULL, false,
								false, 0);
	seen = palloc((nrows * 2 + 1) * sizeof(int64));
	for (row = 0; row < nrows; row++)
	{
		bool		isnull;
		Datum		v;

		v = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1,
						  &isnull);
		seen[2 * row] = DatumGetInt32(v);
		v = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 2,
						  &isnull);
		seen[2 * row + 1] = isnull ? PG_INT64_MIN : DatumGetInt32(v);
	}
	if (tags_target_execute(target, &stmt_item_tag_ids, &key, NULL, true, false,
							0) == nrows)
	{
		for (row = 0; row < nrows; row++)
		{
			bool		isnull;
			Datum		id = SPI_getbinval(SPI_tuptable->vals[row],
										   SPI_tuptable->tupdesc, 1, &isnull);
			Datum		pos = SPI_getbinval(SPI_tuptable->vals[row],
											SPI_tuptable->tupdesc, 2, &isnull);

			if (seen[2 * row] != DatumGetInt32(id) ||
				seen[2 * row + 1] != (isnull ? PG_INT64_MIN : DatumGetInt32(pos)))
				break;
		}
		if (row == nrows)
			return;
	}
	ereport(ERROR,
			errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			errmsg("could not serialize access due to concurrent update of the tags of %s",
				   tags_item_name(target, key)),
			errhint("Retry the transaction."));
}

/*
 * Item $1's tag ids become $2 (an int4[], in order), then, unless $3, its
 * other associations go.  Rows that stay are kept, and updated only if
 * their position moved; a row a concurrent plain INSERT added meanwhile
 * takes its position.
 */
static const TagsStatement stmt_item_tags_apply = {
	"item_tags_apply",
	"WITH removed AS ("
	"    DELETE FROM @assoc@ a"
	"    WHERE $3 AND @tenant:a@ a.@item@ OPERATOR(pg_catalog.=) $1"
	"      AND a.tag_id OPERATOR(pg_catalog.<>) ALL ($2)"
	"), moved AS ("
	"    UPDATE @assoc@ a"
	"    SET position = pg_catalog.array_position($2, a.tag_id)"
	"    WHERE @tenant:a@ a.@item@ OPERATOR(pg_catalog.=) $1"
	"      AND a.tag_id OPERATOR(pg_catalog.=) ANY ($2)"
	"      AND (a.position IS NULL"
	"           OR a.position OPERATOR(pg_catalog.<>)"
	"              pg_catalog.array_position($2, a.tag_id))"
	")"
	" INSERT INTO @assoc@ AS a (@tenant_column@@item@, tag_id, position)"
	" SELECT @tenant_value@$1, w.tag_id, w.position::pg_catalog.int4"
	" FROM pg_catalog.unnest($2) WITH ORDINALITY AS w(tag_id, position)"
	" WHERE w.tag_id OPERATOR(pg_catalog.<>) ALL (ARRAY("
	"    SELECT old.tag_id FROM @assoc@ old"
	"    WHERE @tenant:old@ old.@item@ OPERATOR(pg_catalog.=) $1))"
	" ON CONFLICT (@tenant_column@@item@, tag_id)"
	" DO UPDATE SET position = excluded.position",
	3, {ITEM_KEY_TYPE, INT4ARRAYOID, BOOLOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_INSERT
};

/*
 * Write a locked item's tags: these tag ids, in this order, then, unless
 * remove_others, the associations the item has with other tags, which keep
 * their positions.  item_add_tags() keeps the others: a plain INSERT into
 * the association table may have committed one since it read the list.
 */
static void
apply_tag_ids(const TagsTarget *target, const TagsItemCopy *item,
			  Datum *ids, int count, bool remove_others)
{
	Datum		params[3];

	/* $1 item, $2 tag ids in order, $3 remove the others */
	params[0] = item->key;
	params[1] = PointerGetDatum(construct_array(ids, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	params[2] = BoolGetDatum(remove_others);
	tags_execute_for_item(target, &stmt_item_tags_apply, params, item);
}

/* Raise 54000 if an item would have more tags than tags.max_tags_per_post */
static void
check_tag_limit(const TagsTarget *target, Datum key, int count)
{
	if (tags_max_tags_per_post > 0 && count > tags_max_tags_per_post)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("%s would have too many tags",
					   tags_item_name(target, key)),
				errdetail("It would have %d tags, and tags.max_tags_per_post is %d.",
						  count, tags_max_tags_per_post));
}

/*
 * What item_set_tags() and its kin do first: set up the result, connect to
 * SPI, and read the target, item, tenant and context arguments (22004,
 * 22023, 22P02, 22003).  Returns the item's key.
 */
static Datum
begin_item_write(FunctionCallInfo fcinfo, TagsTarget *target)
{
	Datum		key;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, target);
	key = tags_item_arg(fcinfo, 1, target);
	tags_scope_args(fcinfo, 3, 4, target);
	return key;
}

/*
 * What post_set_tags() and its kin do once their arguments are checked, as
 * 1.0 checked them: set up the result, connect to SPI, and find posts.
 */
static void
begin_post_write(FunctionCallInfo fcinfo, TagsTarget *target)
{
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_builtin_target(target);
}

/*
 * Make an item's tags exactly the names of list, in their order, and put
 * them into the result set; keep (a NULL names array) leaves them as they
 * are, and returns them.  The names were checked before the item is
 * locked, the limit is once they are resolved, and both before the item's
 * associations are written.
 */
static void
set_tags(FunctionCallInfo fcinfo, const TagsTarget *target, Datum key,
		 TagList *list, bool keep)
{
	TagsItemCopy item;

	lock_item(target, key, &item);
	if (!keep)
	{
		Datum	   *ids = palloc(Max(list->count, 1) * sizeof(Datum));
		int			i;

		tags_resolve_tags(target, list, true);
		tags_sort_by_first(list);
		check_tag_limit(target, key, tags_keep_first_of_each_tag(list));
		for (i = 0; i < list->count; i++)
			ids[i] = Int32GetDatum(list->entries[i].id);
		apply_tag_ids(target, &item, ids, list->count, true);

		/*
		 * The item's tags are now exactly these, in this order, and the lock
		 * on the item keeps them so: they are returned as they were read,
		 * with no statement to read them again.
		 */
		tags_put_tag_list(fcinfo, list);
	}
	else
		tags_put_item_tags(fcinfo, target, key, true);
}

/*
 * item_set_tags(target regclass, item, names text[], tenant tag_tenant,
 *				 context text) RETURNS SETOF tags
 *
 * Makes the item's tags exactly these, in this order, and returns them.
 * NULL names leave the tags as they are (an update that does not mention
 * them); an empty list removes them all.
 */
Datum
item_set_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	Datum		key = begin_item_write(fcinfo, &target);

	set_tags(fcinfo, &target, key, &list, PG_ARGISNULL(2));
	SPI_finish();
	return (Datum) 0;
}

/*
 * post_set_tags(post_id integer, names text[]) RETURNS SETOF tags
 *
 * item_set_tags() on posts.
 */
Datum
post_set_tags(PG_FUNCTION_ARGS)
{
	Datum		key = Int32GetDatum(tags_post_id_arg(fcinfo, 0));
	TagList		list = tags_collect_names(fcinfo, 1);
	TagsTarget	target;

	begin_post_write(fcinfo, &target);
	set_tags(fcinfo, &target, key, &list, PG_ARGISNULL(1));
	SPI_finish();
	return (Datum) 0;
}

/* The item $1's tags in order, locked against deletion (FOR KEY SHARE) */
static const TagsStatement stmt_item_tags_locked = {
	"item_tags_locked",
	"SELECT tg.* FROM @target@ t"
	" JOIN @assoc@ a ON a.@item@ OPERATOR(pg_catalog.=) t.@key@"
	" CROSS JOIN LATERAL (SELECT tg.* FROM @tags@ tg"
	"                     WHERE @tenant:tg@ tg.id OPERATOR(pg_catalog.=) a.tag_id"
	"                     FOR KEY SHARE OF tg) tg"
	" WHERE @target_tenant:t@ @tenant:a@ t.@key@ OPERATOR(pg_catalog.=) $1"
	" ORDER BY a.position NULLS LAST, tg.id",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * The item's list becomes its current list followed by the names of list
 * it does not have yet, and is put into the result set; positions are
 * renumbered, so rows added by a plain INSERT without a position keep their
 * place before the new ones.
 */
static void
add_tags(FunctionCallInfo fcinfo, const TagsTarget *target, Datum key,
		 TagList *list)
{
	TagsItemCopy item;

	lock_item(target, key, &item);
	if (list->count > 0)
	{
		bool	   *on_item = palloc0(list->count * sizeof(bool));
		uint64		ncurrent;
		Datum	   *ids;
		int			kept = 0;
		uint64		row;
		int			i;

		/* which of the names the item has already */
		ncurrent = tags_read_item_tags(target, key, false);
		for (row = 0; row < ncurrent; row++)
		{
			TagEntry   *entry;

			entry = tags_find_entry(list,
									SPI_getvalue(SPI_tuptable->vals[row],
												 SPI_tuptable->tupdesc,
												 tags_result_column("name")));
			if (entry != NULL)
				on_item[entry - list->entries] = true;
		}
		for (i = 0; i < list->count; i++)
			if (!on_item[i])
				list->entries[kept++] = list->entries[i];
		list->count = kept;

		if (list->count > 0)
		{
			int			nids;
			int			id_att;

			tags_resolve_tags(target, list, true);
			tags_sort_by_first(list);

			/*
			 * The current list again, now with its tags locked against
			 * deletion until the new list is written.  It is read after the
			 * new names, which may have waited for a transaction deleting one
			 * of them: holding no lock on the item's tags meanwhile, this
			 * call cannot deadlock with that transaction deleting one of
			 * those too.
			 */
			ncurrent = tags_target_execute(target, &stmt_item_tags_locked,
										   &key, NULL, false, false, 0);
			id_att = tags_result_column("id");
			ids = palloc((ncurrent + list->count) * sizeof(Datum));
			for (row = 0; row < ncurrent; row++)
			{
				bool		isnull;

				ids[row] = SPI_getbinval(SPI_tuptable->vals[row],
										 SPI_tuptable->tupdesc, id_att,
										 &isnull);
			}
			for (i = 0; i < list->count; i++)
				ids[ncurrent + i] = Int32GetDatum(list->entries[i].id);
			/* a new name may be a synonym of a tag the item has */
			nids = tags_distinct_ids(ids, (int) ncurrent + list->count);
			check_tag_limit(target, key, nids);
			apply_tag_ids(target, &item, ids, nids, false);
		}
	}
	tags_put_item_tags(fcinfo, target, key, true);
}

/*
 * item_add_tags(target regclass, item, names text[], tenant tag_tenant,
 *				 context text) RETURNS SETOF tags
 *
 * Adds the names the item lacks at the end of its list; returns them all.
 */
Datum
item_add_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	Datum		key = begin_item_write(fcinfo, &target);

	add_tags(fcinfo, &target, key, &list);
	SPI_finish();
	return (Datum) 0;
}

/*
 * post_add_tags(post_id integer, names text[]) RETURNS SETOF tags
 *
 * item_add_tags() on posts.
 */
Datum
post_add_tags(PG_FUNCTION_ARGS)
{
	Datum		key = Int32GetDatum(tags_post_id_arg(fcinfo, 0));
	TagList		list = tags_collect_names(fcinfo, 1);
	TagsTarget	target;

	begin_post_write(fcinfo, &target);
	add_tags(fcinfo, &target, key, &list);
	SPI_finish();
	return (Datum) 0;
}

/* Remove the names $2 (a text[]) from the item $1 */
static const TagsStatement stmt_item_tags_remove = {
	"item_tags_remove",
	"DELETE FROM @assoc@ a"
	" WHERE @tenant:a@ a.@item@ OPERATOR(pg_catalog.=) $1"
	"   AND a.tag_id OPERATOR(pg_catalog.=) ANY (" TAG_IDS_OF_NAMES("$2") ")",
	2, {ITEM_KEY_TYPE, TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE,
	/* at version 1.0, posts only */
	"DELETE FROM @assoc@ a"
	" USING @extschema@.tags tg"
	" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
	"   AND a.tag_id OPERATOR(pg_catalog.=) tg.id"
	"   AND tg.name OPERATOR(pg_catalog.=) ANY ($2)"
};

/*
 * Remove the names of list from the item, and put the rest into the
 * result set.  Only associations go; the tags stay.  Names that are not on
 * the item, or are no tag at all, are ignored, and no tag is created for
 * them.
 */
static void
remove_tags(FunctionCallInfo fcinfo, const TagsTarget *target, Datum key,
			TagList *list)
{
	TagsItemCopy item;

	lock_item(target, key, &item);
	if (list->count > 0)
	{
		const char **names = palloc(list->count * sizeof(char *));
		Datum		params[2];
		int			i;

		for (i = 0; i < list->count; i++)
			names[i] = list->entries[i].name;
		/* $1 item, $2 names */
		params[0] = key;
		params[1] = tags_text_array(names, list->count);
		tags_execute_for_item(target, &stmt_item_tags_remove, params, &item);
	}
	tags_put_item_tags(fcinfo, target, key, true);
}

/*
 * item_remove_tags(target regclass, item, names text[], tenant tag_tenant,
 *					context text) RETURNS SETOF tags
 *
 * Removes these from the item (the tags stay); returns the rest.
 */
Datum
item_remove_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	Datum		key = begin_item_write(fcinfo, &target);

	remove_tags(fcinfo, &target, key, &list);
	SPI_finish();
	return (Datum) 0;
}

/*
 * post_remove_tags(post_id integer, names text[]) RETURNS SETOF tags
 *
 * item_remove_tags() on posts.
 */
Datum
post_remove_tags(PG_FUNCTION_ARGS)
{
	Datum		key = Int32GetDatum(tags_post_id_arg(fcinfo, 0));
	TagList		list = tags_collect_names(fcinfo, 1);
	TagsTarget	target;

	begin_post_write(fcinfo, &target);
	remove_tags(fcinfo, &target, key, &list);
	SPI_finish();
	return (Datum) 0;
}
