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
 * 40001 rather than write over a list it cannot see.  On a target
 * distributed by Citus, the coordinator sends the whole write, as one
 * statement, to the worker that holds the item, where
 * item_write_on_shard() runs it on the shards there (write_on_shard()).
 * See doc/concurrency.md, doc/targets.md and doc/citus.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(item_set_tags);
PG_FUNCTION_INFO_V1(item_add_tags);
PG_FUNCTION_INFO_V1(item_remove_tags);
PG_FUNCTION_INFO_V1(post_set_tags);
PG_FUNCTION_INFO_V1(post_add_tags);
PG_FUNCTION_INFO_V1(post_remove_tags);
PG_FUNCTION_INFO_V1(item_write_on_shard);

/*
 * One write of an item's tags: the list, the item, its names, and how it
 * runs.  On a Citus worker's shard (item_write_on_shard()) the names are
 * found but not created, and the limit is the caller's on the coordinator.
 */
typedef struct ItemWrite
{
	const TagsTarget *target;
	Datum		key;
	TagList    *list;
	int			max_tags;		/* tags.max_tags_per_post, the caller's */
	bool		create;			/* create the names that are no tags */
} ItemWrite;

static void lock_item(const TagsTarget *target, Datum key,
					  TagsItemCopy *item);
static bool resolve_names(const ItemWrite *w);
static void apply_tag_ids(const TagsTarget *target, const TagsItemCopy *item,
						  Datum *ids, int count, bool remove_others);
static void check_tag_limit(const ItemWrite *w, int count);
static void begin_item_write(FunctionCallInfo fcinfo, TagsTarget *target,
							 TagList *list, ItemWrite *w);
static void begin_post_write(FunctionCallInfo fcinfo, TagsTarget *target,
							 Datum key, TagList *list, ItemWrite *w);
static bool set_tags(FunctionCallInfo fcinfo, const ItemWrite *w, bool keep);
static bool add_tags(FunctionCallInfo fcinfo, const ItemWrite *w);
static void remove_tags(FunctionCallInfo fcinfo, const ItemWrite *w);
static void forget_tags(TagList *list);
static void write_on_shard(FunctionCallInfo fcinfo, const ItemWrite *w,
						   char how);

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
 * Resolve the write's names (get_or_create.c), locking their tags; false
 * if it may not create them and some are no tags (on a worker's shard)
 */
static bool
resolve_names(const ItemWrite *w)
{
	if (!w->create)
		return tags_find_all_tags(w->target, w->list, true);
	tags_resolve_tags(w->target, w->list, true);
	return true;
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
check_tag_limit(const ItemWrite *w, int count)
{
	if (w->max_tags > 0 && count > w->max_tags)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("%s would have too many tags",
					   tags_item_name(w->target, w->key)),
				errdetail("It would have %d tags, and tags.max_tags_per_post is %d.",
						  count, w->max_tags));
}

/*
 * What item_set_tags() and its kin do first: set up the result, connect to
 * SPI, and read the target, item, tenant and context arguments (22004,
 * 22023, 22P02, 22003) into the write of list.
 */
static void
begin_item_write(FunctionCallInfo fcinfo, TagsTarget *target, TagList *list,
				 ItemWrite *w)
{
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, target);
	w->key = tags_item_arg(fcinfo, 1, target);
	tags_scope_args(fcinfo, 3, 4, target);
	w->target = target;
	w->list = list;
	w->max_tags = tags_max_tags_per_post;
	w->create = true;
}

/*
 * What post_set_tags() and its kin do once their arguments are checked, as
 * 1.0 checked them: set up the result, connect to SPI, and find posts;
 * the write is of the post key and list.
 */
static void
begin_post_write(FunctionCallInfo fcinfo, TagsTarget *target, Datum key,
				 TagList *list, ItemWrite *w)
{
	w->key = key;
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_builtin_target(target);
	w->target = target;
	w->list = list;
	w->max_tags = tags_max_tags_per_post;
	w->create = true;
}

/*
 * Make an item's tags exactly the names of the write's list, in their
 * order, and put them into the result set; keep (a NULL names array)
 * leaves them as they are, and returns them.  The names were checked
 * before the item is locked, the limit is once they are resolved, and both
 * before the item's associations are written.  False, with nothing
 * written, if names are missing that the write may not create.
 */
static bool
set_tags(FunctionCallInfo fcinfo, const ItemWrite *w, bool keep)
{
	const TagsTarget *target = w->target;
	TagList    *list = w->list;
	TagsItemCopy item;

	lock_item(target, w->key, &item);
	if (!keep)
	{
		Datum	   *ids = palloc(Max(list->count, 1) * sizeof(Datum));
		int			i;

		if (!resolve_names(w))
			return false;
		tags_sort_by_first(list);
		check_tag_limit(w, tags_keep_first_of_each_tag(list));
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
		tags_put_item_tags(fcinfo, target, w->key, true);
	return true;
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
	ItemWrite	w;

	begin_item_write(fcinfo, &target, &list, &w);
	if (target.distributed)
		write_on_shard(fcinfo, &w, 's');
	else
		set_tags(fcinfo, &w, PG_ARGISNULL(2));
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
	ItemWrite	w;

	begin_post_write(fcinfo, &target, key, &list, &w);
	set_tags(fcinfo, &w, PG_ARGISNULL(1));
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
 * The item's list becomes its current list followed by the names of the
 * write's list it does not have yet, and is put into the result set;
 * positions are renumbered, so rows added by a plain INSERT without a
 * position keep their place before the new ones.  False, with nothing
 * written, if names are missing that the write may not create.
 */
static bool
add_tags(FunctionCallInfo fcinfo, const ItemWrite *w)
{
	const TagsTarget *target = w->target;
	Datum		key = w->key;
	TagList    *list = w->list;
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

			if (!resolve_names(w))
				return false;
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
			check_tag_limit(w, nids);
			apply_tag_ids(target, &item, ids, nids, false);
		}
	}
	tags_put_item_tags(fcinfo, target, key, true);
	return true;
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
	ItemWrite	w;

	begin_item_write(fcinfo, &target, &list, &w);
	if (target.distributed)
		write_on_shard(fcinfo, &w, 'a');
	else
		add_tags(fcinfo, &w);
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
	ItemWrite	w;

	begin_post_write(fcinfo, &target, key, &list, &w);
	add_tags(fcinfo, &w);
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
 * Remove the names of the write's list from the item, and put the rest
 * into the result set.  Only associations go; the tags stay.  Names that
 * are not on the item, or are no tag at all, are ignored, and no tag is
 * created for them.
 */
static void
remove_tags(FunctionCallInfo fcinfo, const ItemWrite *w)
{
	const TagsTarget *target = w->target;
	Datum		key = w->key;
	TagList    *list = w->list;
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
	ItemWrite	w;

	begin_item_write(fcinfo, &target, &list, &w);
	if (target.distributed)
		write_on_shard(fcinfo, &w, 'r');
	else
		remove_tags(fcinfo, &w);
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
	ItemWrite	w;

	begin_post_write(fcinfo, &target, key, &list, &w);
	remove_tags(fcinfo, &w);
	SPI_finish();
	return (Datum) 0;
}

/*
 * A write on a distributed target, as one statement: the item's row is
 * selected with the write's own call, which Citus' router sends whole to
 * the worker that holds the row (the tenant names its shard), where
 * item_write_on_shard() runs on the row's shard; its rows come back as
 * one array, so that an item is one row, even with no tags.  The DELETE
 * deletes nothing (no association has a NULL tag; every writer needs the
 * DELETE privilege on the association table already): it makes the
 * statement a write to Citus, which then sends it in a transaction block
 * of the caller's transaction (a SELECT alone it sends outside one when
 * the caller has none, and the worker would commit the write whatever the
 * caller's transaction then did), and sends the transaction's later
 * statements on the shard group through the same connection, which sees
 * the write.  $1 item, $2 names, $3 context, $4 how, $5 the limit of tags.
 */
static const TagsStatement stmt_item_write_on_shard = {
	"item_write_on_shard",
	"WITH as_a_write AS ("
	"    DELETE FROM @assoc@ a"
	"    WHERE @tenant:a@ a.@item@ OPERATOR(pg_catalog.=) $1"
	"      AND a.tag_id IS NULL)"
	" SELECT ARRAY(SELECT w FROM @extschema@.item_write_on_shard("
	"                  t.tableoid, t, $2, $3, $4, $5) w)"
	" FROM @target@ t"
	" WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) $1",
	5, {ITEM_KEY_TYPE, TEXTARRAYOID, TEXTOID, CHAROID, INT4OID}, 0,
	SPI_OK_SELECT
};

/*
 * Run the write w, how being 's' (item_set_tags()), 'a' (add) or 'r'
 * (remove), on the Citus worker that holds the item (doc/citus.md, "Where
 * a call runs"): one hop, the statements on local tables there as a single
 * server runs them, where Citus would plan and send each.  Names that are
 * no tags yet are created here, where their ids can be drawn, and the
 * write is sent again; the item stays locked on the worker between, by
 * this transaction.  The worker's rows are put into the result set.
 */
static void
write_on_shard(FunctionCallInfo fcinfo, const ItemWrite *w, char how)
{
	Datum		params[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	HeapTupleHeader *rows;
	int			count;
	bool		isnull;
	int			round;

	/*
	 * A target distributed by its key: tag care in its global vocabulary
	 * waits for this write, and this write for it (tags_lock_writes())
	 */
	if (TAGS_DISTRIBUTED_BY_KEY(w->target))
	{
		/*
		 * Its missing names are made first, under the lock of direct writes
		 * of the global vocabulary taken exclusively (tags_assign_slugs()),
		 * before this write takes it shared (a lock taken shared then
		 * exclusively by two writes would deadlock them), and before the
		 * item is locked: Citus locks the vocabulary's reference table for
		 * the rest of the transaction once a statement has written a shard
		 * of a table with a foreign key to it
		 */
		bool		names = how != 'r' && !PG_ARGISNULL(2);

		if (names && !tags_find_all_tags(w->target, w->list, false))
			tags_resolve_tags(w->target, w->list, false);
		tags_lock_writes(w->target);

		/*
		 * Tag care this waited for may have renamed, merged or deleted
		 * some of those found: read again under the lock, which keeps it
		 * out from now on (a name to make again then takes the lock
		 * exclusively, held shared; two such writes may deadlock, 40P01)
		 */
		if (names)
		{
			forget_tags(w->list);
			tags_resolve_tags(w->target, w->list, false);
		}
	}
	/* $1 item, $2 names, $3 context, $4 how, $5 limit */
	params[0] = w->key;
	params[1] = PG_GETARG_DATUM(2);
	nulls[1] = PG_ARGISNULL(2) ? 'n' : ' ';
	tags_context_param(w->target, &params[2], &nulls[2]);
	params[3] = CharGetDatum(how);
	params[4] = Int32GetDatum(w->max_tags);
	for (round = 0;; round++)
	{
		if (tags_target_execute(w->target, &stmt_item_write_on_shard, params,
								nulls, false, false, 0) == 0)
			ereport(ERROR,
					errcode(ERRCODE_NO_DATA_FOUND),
					errmsg("%s does not exist",
						   tags_item_name(w->target, w->key)));
		/* done, unless its rows are the one row of NULLs: names missing */
		rows = tags_spi_row_array(&count);
		if (count != 1)
			break;
		GetAttributeByName(rows[0], "id", &isnull);
		if (!isnull)
			break;

		/*
		 * This transaction created them and holds their locks: the worker
		 * finds them, unless a trigger or a row-level security policy on
		 * the worker's shard hides them
		 */
		if (round > 0)
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("the tags of %s could not be read on the Citus worker that holds it",
						   tags_item_name(w->target, w->key)),
					errdetail("They were created, and a trigger or a row-level security policy on table \"%s\" hides them there.",
							  get_rel_name(w->target->vocab.tags)));
		forget_tags(w->list);
		tags_resolve_tags(w->target, w->list, true);
	}
	tags_put_rows(fcinfo, rows, count);
}

/*
 * Forget the tags a list's names were found to be: they are read again,
 * and those no tag has any more made
 */
static void
forget_tags(TagList *list)
{
	int			i;

	for (i = 0; i < list->count; i++)
		list->entries[i].tuple = NULL;
}

/*
 * item_write_on_shard(shard oid, item record, names text[], context text,
 *					   how "char", max_tags integer) RETURNS SETOF tags
 *
 * The write of write_on_shard(), on the worker that holds the item: shard
 * is the table of the row item there, a shard of a target's table, whose
 * shard group on this node has the item's list and vocabulary (targets.c);
 * how and max_tags are the coordinator's.  Returns the writer's rows, or,
 * if names are missing, one row of NULLs, having written nothing.
 */
Datum
item_write_on_shard(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	ItemWrite	w;
	bool		done = true;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(4) ||
		PG_ARGISNULL(5))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("shard, item, how and max_tags must not be null"));
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	w.target = &target;
	w.key = tags_item_on_shard(fcinfo, 3, &target);
	w.list = &list;
	w.max_tags = PG_GETARG_INT32(5);
	w.create = false;
	switch (PG_GETARG_CHAR(4))
	{
		case 's':
			done = set_tags(fcinfo, &w, PG_ARGISNULL(2));
			break;
		case 'a':
			done = add_tags(fcinfo, &w);
			break;
		case 'r':
			remove_tags(fcinfo, &w);
			break;
		default:
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("argument \"how\" must be 's', 'a' or 'r'"));
	}
	if (!done)
	{
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
		int			natts = rsinfo->setDesc->natts;
		Datum	   *values = palloc0(Max(natts, 1) * sizeof(Datum));
		bool	   *nulls = palloc(Max(natts, 1) * sizeof(bool));

		memset(nulls, true, Max(natts, 1) * sizeof(bool));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
