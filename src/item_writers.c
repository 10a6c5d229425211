/*-------------------------------------------------------------------------
 *
 * item_writers.c
 *	  Writes of an item's tag list (1.2): item_set_tags(), item_add_tags(),
 *	  item_remove_tags().
 *
 * post_writers.c for any target, with the same rules: the item is locked
 * FOR NO KEY UPDATE first, the names are resolved by get_or_create.c, the
 * new list is written in one statement through counters.c, and every error
 * a caller can cause comes before it.  See doc/targets.md and
 * doc/concurrency.md.
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

static void lock_item(const TagsTarget *target, Datum key,
					  TagsItemCopy *item);
static Datum begin_item_write(FunctionCallInfo fcinfo, TagsTarget *target,
							  TagsItemCopy *item);
static void apply_tag_ids(const TagsTarget *target, const TagsItemCopy *item,
						  Datum *ids, int count, bool remove_others);
static void check_tag_limit(const TagsTarget *target, Datum key, int count);

/* The item $1 as a row, locked against our writers */
static const TagsStatement stmt_item_lock = {
	"item_lock",
	"SELECT t FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
	" FOR NO KEY UPDATE OF t",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/* The item $1's associations, by tag id */
static const TagsStatement stmt_item_tag_ids = {
	"item_tag_ids",
	"SELECT a.tag_id, a.position FROM @assoc@ a"
	" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
	" ORDER BY a.tag_id",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * Lock an item against the other writers of its tags, or raise P0002 if it
 * does not exist (or row-level security hides it).  Sets *item to what its
 * associations copy of it.  Under REPEATABLE READ and SERIALIZABLE, fails
 * with 40001 if a transaction that committed since the snapshot changed
 * its associations (see lock_post() in post_writers.c).
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
				errmsg("item %s of table \"%s\" does not exist",
					   tags_item_text(target, key), get_rel_name(target->relid)));
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
			errmsg("could not serialize access due to concurrent update of the tags of item %s of table \"%s\"",
				   tags_item_text(target, key), get_rel_name(target->relid)),
			errhint("Retry the transaction."));
}

/*
 * Item $1's tag ids become $2, then, unless $3, its other associations go
 * (stmt_post_tags_apply)
 */
static const TagsStatement stmt_item_tags_apply = {
	"item_tags_apply",
	"WITH removed AS ("
	"    DELETE FROM @assoc@ a"
	"    WHERE $3 AND a.@item@ OPERATOR(pg_catalog.=) $1"
	"      AND a.tag_id OPERATOR(pg_catalog.<>) ALL ($2)"
	"), moved AS ("
	"    UPDATE @assoc@ a"
	"    SET position = pg_catalog.array_position($2, a.tag_id)"
	"    WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
	"      AND a.tag_id OPERATOR(pg_catalog.=) ANY ($2)"
	"      AND (a.position IS NULL"
	"           OR a.position OPERATOR(pg_catalog.<>)"
	"              pg_catalog.array_position($2, a.tag_id))"
	")"
	" INSERT INTO @assoc@ AS a (@item@, tag_id, position)"
	" SELECT $1, w.tag_id, w.position::pg_catalog.int4"
	" FROM pg_catalog.unnest($2) WITH ORDINALITY AS w(tag_id, position)"
	" WHERE w.tag_id OPERATOR(pg_catalog.<>) ALL (ARRAY("
	"    SELECT old.tag_id FROM @assoc@ old"
	"    WHERE old.@item@ OPERATOR(pg_catalog.=) $1))"
	" ON CONFLICT (@item@, tag_id)"
	" DO UPDATE SET position = excluded.position",
	3, {ITEM_KEY_TYPE, INT4ARRAYOID, BOOLOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_INSERT
};

/*
 * Write a locked item's tags: these tag ids, in this order, then, unless
 * remove_others, its associations with other tags.
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
				errmsg("item %s of table \"%s\" would have too many tags",
					   tags_item_text(target, key), get_rel_name(target->relid)),
				errdetail("It would have %d tags, and tags.max_tags_per_post is %d.",
						  count, tags_max_tags_per_post));
}

/*
 * What every writer does first: set up its result, connect to SPI, read
 * the target and the item arguments and lock the item (*item).  Returns
 * the item's key.
 */
static Datum
begin_item_write(FunctionCallInfo fcinfo, TagsTarget *target,
				 TagsItemCopy *item)
{
	Datum		key;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, target);
	key = tags_item_arg(fcinfo, 1, target);
	lock_item(target, key, item);
	return key;
}

/*
 * item_set_tags(target regclass, item, names text[]) RETURNS SETOF tags
 *
 * post_set_tags() for an item of any target.
 */
Datum
item_set_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	TagsItemCopy item;
	Datum		key = begin_item_write(fcinfo, &target, &item);

	if (!PG_ARGISNULL(2))
	{
		Datum	   *ids = palloc(Max(list.count, 1) * sizeof(Datum));
		int			i;

		tags_resolve_tags(&list, true);
		tags_sort_by_first(&list);
		check_tag_limit(&target, key, tags_keep_first_of_each_tag(&list));
		for (i = 0; i < list.count; i++)
			ids[i] = Int32GetDatum(list.entries[i].id);
		apply_tag_ids(&target, &item, ids, list.count, true);
		/* exactly these now, as post_set_tags() returns them */
		tags_put_tag_list(fcinfo, &list);
	}
	else
		tags_put_item_tags(fcinfo, &target, key, true);
	SPI_finish();
	return (Datum) 0;
}

/* The item $1's tags in order, locked FOR KEY SHARE */
static const TagsStatement stmt_item_tags_locked = {
	"item_tags_locked",
	"SELECT tg.* FROM @target@ t"
	" JOIN @assoc@ a ON a.@item@ OPERATOR(pg_catalog.=) t.@key@"
	" CROSS JOIN LATERAL (SELECT tg.* FROM @extschema@.tags tg"
	"                     WHERE tg.id OPERATOR(pg_catalog.=) a.tag_id"
	"                     FOR KEY SHARE OF tg) tg"
	" WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
	" ORDER BY a.position NULLS LAST, tg.id",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * item_add_tags(target regclass, item, names text[]) RETURNS SETOF tags
 *
 * post_add_tags() for an item of any target.
 */
Datum
item_add_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	TagsItemCopy item;
	Datum		key = begin_item_write(fcinfo, &target, &item);

	if (list.count > 0)
	{
		bool	   *on_item = palloc0(list.count * sizeof(bool));
		uint64		ncurrent;
		Datum	   *ids;
		int			kept = 0;
		uint64		row;
		int			i;

		/* which of the names the item has already */
		ncurrent = tags_read_item_tags(&target, key, false);
		for (row = 0; row < ncurrent; row++)
		{
			TagEntry   *entry;

			entry = tags_find_entry(&list,
									SPI_getvalue(SPI_tuptable->vals[row],
												 SPI_tuptable->tupdesc,
												 tags_result_column("name")));
			if (entry != NULL)
				on_item[entry - list.entries] = true;
		}
		for (i = 0; i < list.count; i++)
			if (!on_item[i])
				list.entries[kept++] = list.entries[i];
		list.count = kept;

		if (list.count > 0)
		{
			int			nids;
			int			id_att;

			tags_resolve_tags(&list, true);
			tags_sort_by_first(&list);
			/* the current list again, locked (see post_add_tags()) */
			ncurrent = tags_target_execute(&target, &stmt_item_tags_locked, &key,
										   NULL, false, false, 0);
			id_att = tags_result_column("id");
			ids = palloc((ncurrent + list.count) * sizeof(Datum));
			for (row = 0; row < ncurrent; row++)
			{
				bool		isnull;

				ids[row] = SPI_getbinval(SPI_tuptable->vals[row],
										 SPI_tuptable->tupdesc, id_att,
										 &isnull);
			}
			for (i = 0; i < list.count; i++)
				ids[ncurrent + i] = Int32GetDatum(list.entries[i].id);
			nids = tags_distinct_ids(ids, (int) ncurrent + list.count);
			check_tag_limit(&target, key, nids);
			apply_tag_ids(&target, &item, ids, nids, false);
		}
	}
	tags_put_item_tags(fcinfo, &target, key, true);
	SPI_finish();
	return (Datum) 0;
}

/* Remove the names $2 from the item $1 */
static const TagsStatement stmt_item_tags_remove = {
	"item_tags_remove",
	"DELETE FROM @assoc@ a"
	" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
	"   AND a.tag_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT (SELECT tg.id FROM @extschema@.tags tg"
	"              WHERE tg.name OPERATOR(pg_catalog.=) n.name"
	"              UNION ALL"
	"              SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	"              WHERE s.name OPERATOR(pg_catalog.=) n.name"
	"              LIMIT 1)"
	"      FROM pg_catalog.unnest($2) AS n(name)))",
	2, {ITEM_KEY_TYPE, TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE
};

/*
 * item_remove_tags(target regclass, item, names text[]) RETURNS SETOF tags
 *
 * post_remove_tags() for an item of any target.
 */
Datum
item_remove_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	TagsItemCopy item;
	Datum		key = begin_item_write(fcinfo, &target, &item);

	if (list.count > 0)
	{
		const char **names = palloc(list.count * sizeof(char *));
		Datum		params[2];
		int			i;

		for (i = 0; i < list.count; i++)
			names[i] = list.entries[i].name;
		/* $1 item, $2 names */
		params[0] = key;
		params[1] = tags_text_array(names, list.count);
		tags_execute_for_item(&target, &stmt_item_tags_remove, params, &item);
	}
	tags_put_item_tags(fcinfo, &target, key, true);
	SPI_finish();
	return (Datum) 0;
}
