/*-------------------------------------------------------------------------
 *
 * item_readers.c
 *	  Reads of a target's items (1.2): an item's tags, a tag's items, the
 *	  items that have some tags, related items.
 *
 * post_readers.c for any target, with the same rules.  An item is named by
 * its key, passed as bigint, uuid or text (the SQL overloads) and converted
 * to the type of the target's key; a target anyelement argument is a row of
 * the target's type.  The statements are templates of targets.c, written
 * here in full.  See doc/targets.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(item_get_tags);
PG_FUNCTION_INFO_V1(items_by_tag);
PG_FUNCTION_INFO_V1(items_by_tag_after);
PG_FUNCTION_INFO_V1(items_tagged);
PG_FUNCTION_INFO_V1(items_related);

static void target_of_row_arg(FunctionCallInfo fcinfo, int argno,
							  TagsTarget *target);
static Oid	row_table_arg(FunctionCallInfo fcinfo, int argno);

/*
 * The target whose row type is the type of the anyelement argument argno
 * (22023 if it is no table's row type, or no target's).  The caller must
 * be connected to SPI.
 */
static void
target_of_row_arg(FunctionCallInfo fcinfo, int argno, TagsTarget *target)
{
	tags_get_target(row_table_arg(fcinfo, argno), target);
}

/*
 * The table whose row type is the type of the anyelement argument argno,
 * or 22023: checked before the result set is set up, which needs a row
 * type
 */
static Oid
row_table_arg(FunctionCallInfo fcinfo, int argno)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			relid = OidIsValid(type) ? get_typ_typrelid(type) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("target must be a row of a table, such as NULL::articles"),
				errdetail("It was of type %s.",
						  OidIsValid(type) ? format_type_be(type) : "unknown"));
	return relid;
}

/*
 * The item argument argno, converted to the type of the target's key: a
 * value of another type goes through its text form, so a text that is no
 * value of the key's type is 22P02 (22003 for a number out of range).
 */
Datum
tags_item_arg(FunctionCallInfo fcinfo, int argno, const TagsTarget *target)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			out_func;
	Oid			in_func;
	Oid			ioparam;
	bool		is_varlena;
	char	   *value;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("item must not be null"));
	if (type == target->key_type)
		return PG_GETARG_DATUM(argno);
	getTypeOutputInfo(type, &out_func, &is_varlena);
	value = OidOutputFunctionCall(out_func, PG_GETARG_DATUM(argno));
	getTypeInputInfo(target->key_type, &in_func, &ioparam);
	return OidInputFunctionCall(in_func, value, ioparam, -1);
}

/* An item's key as text, for messages */
char *
tags_item_text(const TagsTarget *target, Datum key)
{
	Oid			out_func;
	bool		is_varlena;

	getTypeOutputInfo(target->key_type, &out_func, &is_varlena);
	return OidOutputFunctionCall(out_func, key);
}

/* The item $1's tags in order, through the target (stmt_post_tags) */
static const TagsStatement stmt_item_tags = {
	"item_tags",
	"SELECT tg.* FROM @target@ t"
	" JOIN @assoc@ a ON a.@item@ OPERATOR(pg_catalog.=) t.@key@"
	" CROSS JOIN LATERAL (SELECT tg.* FROM @extschema@.tags tg"
	"                     WHERE tg.id OPERATOR(pg_catalog.=) a.tag_id"
	"                     OFFSET 0) tg"
	" WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
	" ORDER BY a.position NULLS LAST, tg.id",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/* The item $1, if it exists */
static const TagsStatement stmt_item_exists = {
	"item_exists",
	"SELECT FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * Read an item's tags in order (rows in SPI_tuptable); returns how many.
 * The caller must be connected to SPI.
 */
uint64
tags_read_item_tags(const TagsTarget *target, Datum key, bool read_only)
{
	return tags_target_execute(target, &stmt_item_tags, &key, NULL, false,
							   read_only, 0);
}

/*
 * Put an item's tags, in order, into the result set of fcinfo (see
 * tags_put_post_tags()).
 */
void
tags_put_item_tags(FunctionCallInfo fcinfo, const TagsTarget *target, Datum key,
				   bool locked)
{
	if (tags_target_execute(target, &stmt_item_tags, &key, NULL, false, !locked, 0) > 0)
		tags_put_spi_result(fcinfo);
	else if (!locked &&
			 tags_target_execute(target, &stmt_item_exists, &key, NULL, false, true,
								 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("item %s of table \"%s\" does not exist",
					   tags_item_text(target, key), get_rel_name(target->relid)));
}

/*
 * item_get_tags(target regclass, item) RETURNS SETOF tags
 */
Datum
item_get_tags(PG_FUNCTION_ARGS)
{
	TagsTarget	target;
	Datum		key;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, &target);
	key = tags_item_arg(fcinfo, 1, &target);
	tags_put_item_tags(fcinfo, &target, key, false);
	SPI_finish();
	return (Datum) 0;
}

/* Tag $1's visible items in page order: offset $2, limit $3 */
static const TagsStatement stmt_item_tag_page = {
	"item_tag_page",
	"SELECT t.* FROM @assoc@ a"
	" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
	" ORDER BY a.@sort@ DESC, a.@item@ DESC"
	" OFFSET $2 LIMIT $3",
	3, {INT4OID, INT8OID, INT8OID}, 0, SPI_OK_SELECT
};

/*
 * items_by_tag(target anyelement, slug text, page integer,
 *				page_size integer) RETURNS SETOF anyelement
 *
 * posts_by_tag() for any target: its visible rows, newest first by its
 * sort column, then by key.
 */
Datum
items_by_tag(PG_FUNCTION_ARGS)
{
	int32		page = tags_int32_arg(fcinfo, 2, "page");
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	TagsTarget	target;
	Datum		params[3];

	if (page < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page must be at least 1"));
	(void) row_table_arg(fcinfo, 0);
	tags_check_page_size(page_size);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	/* $1 tag, $2 offset, $3 limit */
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1));
	params[1] = Int64GetDatum((int64) (page - 1) * page_size);
	params[2] = Int64GetDatum((int64) page_size);
	tags_target_execute(&target, &stmt_item_tag_page, params, NULL, false, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/* The same, after the item ($2 sort value, $3 key), limit $4 */
static const TagsStatement stmt_item_tag_after = {
	"item_tag_after",
	"SELECT t.* FROM @assoc@ a"
	" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
	"   AND (a.@sort@, a.@item@) OPERATOR(pg_catalog.<) ($2, $3)"
	" ORDER BY a.@sort@ DESC, a.@item@ DESC"
	" LIMIT $4",
	4, {INT4OID, ITEM_SORT_TYPE, ITEM_KEY_TYPE, INT8OID}, 0, SPI_OK_SELECT
};

/*
 * items_by_tag_after(target anyelement, slug text, after anyelement,
 *					  page_size integer) RETURNS SETOF anyelement
 *
 * The page that follows the row after (the last of the page before; NULL
 * for the first page), in items_by_tag() order.  The row need not exist
 * any more: its sort value and key are what count.
 */
Datum
items_by_tag_after(PG_FUNCTION_ARGS)
{
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	TagsTarget	target;
	Datum		params[4];

	(void) row_table_arg(fcinfo, 0);
	tags_check_page_size(page_size);
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	/* $1 tag, $2 offset, $3 limit */
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1));
	if (PG_ARGISNULL(2))
	{
		params[1] = Int64GetDatum(0);
		params[2] = Int64GetDatum((int64) page_size);
		tags_target_execute(&target, &stmt_item_tag_page, params, NULL, false, true,
							0);
	}
	else
	{
		HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(2);
		bool		sort_null;
		bool		key_null;

		/* $1 tag, $2 sort value, $3 key, $4 limit */
		params[1] = GetAttributeByNum(row, target.sort_att, &sort_null);
		params[2] = GetAttributeByNum(row, target.key_att, &key_null);
		if (sort_null || key_null)
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("the sort value and the key of after must not be null"));
		params[3] = Int64GetDatum((int64) page_size);
		tags_target_execute(&target, &stmt_item_tag_after, params, NULL, false, true,
							0);
	}
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * The distinct tag ids the names $1 resolve to, least used first, by the
 * counters (stmt_tagged_ids_by_use)
 */
static const TagsStatement stmt_item_tagged_ids_by_use = {
	"item_tagged_ids_by_use",
	"WITH k AS MATERIALIZED ("
	"    SELECT DISTINCT (SELECT tg.id FROM @extschema@.tags tg"
	"                     WHERE tg.name OPERATOR(pg_catalog.=) n.name"
	"                     UNION ALL"
	"                     SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	"                     WHERE s.name OPERATOR(pg_catalog.=) n.name"
	"                     LIMIT 1) AS id"
	"    FROM pg_catalog.unnest($1) AS n(name))"
	" SELECT k.id FROM k"
	" ORDER BY COALESCE((SELECT c.@count@ FROM @counts@ c"
	"                    WHERE c.tag_id OPERATOR(pg_catalog.=) k.id), 0)"
	"          OPERATOR(pg_catalog.+)"
	"          COALESCE((SELECT pg_catalog.sum(d.delta) FROM @deltas@ d"
	"                    WHERE d.tag_id OPERATOR(pg_catalog.=) k.id), 0),"
	"          k.id NULLS FIRST",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* The same counted live up to a cap */
static const TagsStatement stmt_item_tagged_ids_by_use_live = {
	"item_tagged_ids_by_use_live",
	"SELECT k.id FROM ("
	"    SELECT DISTINCT (SELECT tg.id FROM @extschema@.tags tg"
	"                     WHERE tg.name OPERATOR(pg_catalog.=) n.name"
	"                     UNION ALL"
	"                     SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	"                     WHERE s.name OPERATOR(pg_catalog.=) n.name"
	"                     LIMIT 1) AS id"
	"    FROM pg_catalog.unnest($1) AS n(name)) k"
	" ORDER BY (SELECT pg_catalog.count(*)"
	"           FROM (SELECT FROM @assoc@ a"
	"                 WHERE a.tag_id OPERATOR(pg_catalog.=) k.id"
	"                   AND a.@visible@ LIMIT 1000) u), k.id NULLS FIRST",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * items_tagged()'s 'all' page: the items of the tag ($1)[1] with every tag
 * of $1 and none of the names $2; offset $3, limit $4
 * (stmt_posts_tagged_all)
 */
static const TagsStatement stmt_item_tagged_all = {
	"item_tagged_all",
	"SELECT t.* FROM @assoc@ a"
	" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE a.tag_id OPERATOR(pg_catalog.=) ($1)[1] AND a.@visible@"
	"   AND (SELECT pg_catalog.count(*) FILTER"
	"               (WHERE x.tag_id OPERATOR(pg_catalog.=) ANY ($1))"
	"               OPERATOR(pg_catalog.=) pg_catalog.cardinality($1)"
	"           AND pg_catalog.count(*) FILTER"
	"               (WHERE x.tag_id OPERATOR(pg_catalog.=)"
	"                      ANY (ARRAY(SELECT (SELECT tg.id FROM @extschema@.tags tg"
	"              WHERE tg.name OPERATOR(pg_catalog.=) n.name"
	"              UNION ALL"
	"              SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	"              WHERE s.name OPERATOR(pg_catalog.=) n.name"
	"              LIMIT 1)"
	"      FROM pg_catalog.unnest($2) AS n(name))))"
	"               OPERATOR(pg_catalog.=) 0"
	"        FROM @assoc@ x"
	"        WHERE x.@item@ OPERATOR(pg_catalog.=) a.@item@)"
	" ORDER BY a.@sort@ DESC, a.@item@ DESC"
	" OFFSET $3 LIMIT $4",
	4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* 'exact': the same, with no other tag */
static const TagsStatement stmt_item_tagged_exact = {
	"item_tagged_exact",
	"SELECT t.* FROM @assoc@ a"
	" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE a.tag_id OPERATOR(pg_catalog.=) ($1)[1] AND a.@visible@"
	"   AND (SELECT pg_catalog.count(*) FILTER"
	"               (WHERE x.tag_id OPERATOR(pg_catalog.=) ANY ($1))"
	"               OPERATOR(pg_catalog.=) pg_catalog.cardinality($1)"
	"           AND pg_catalog.count(*) FILTER"
	"               (WHERE x.tag_id OPERATOR(pg_catalog.=)"
	"                      ANY (ARRAY(SELECT (SELECT tg.id FROM @extschema@.tags tg"
	"              WHERE tg.name OPERATOR(pg_catalog.=) n.name"
	"              UNION ALL"
	"              SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	"              WHERE s.name OPERATOR(pg_catalog.=) n.name"
	"              LIMIT 1)"
	"      FROM pg_catalog.unnest($2) AS n(name))))"
	"               OPERATOR(pg_catalog.=) 0"
	"           AND pg_catalog.count(*) OPERATOR(pg_catalog.=)"
	"               pg_catalog.cardinality($1)"
	"        FROM @assoc@ x"
	"        WHERE x.@item@ OPERATOR(pg_catalog.=) a.@item@)"
	" ORDER BY a.@sort@ DESC, a.@item@ DESC"
	" OFFSET $3 LIMIT $4",
	4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* 'any': items with any of the names $1 and none of $2 */
static const TagsStatement stmt_item_tagged_any = {
	"item_tagged_any",
	"SELECT t.* FROM"
	" (SELECT a.@item@ AS item, pg_catalog.count(*) AS matched,"
	"         pg_catalog.max(a.@sort@) AS sort"
	"  FROM @assoc@ a"
	"  WHERE a.tag_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT (SELECT tg.id FROM @extschema@.tags tg"
	"              WHERE tg.name OPERATOR(pg_catalog.=) n.name"
	"              UNION ALL"
	"              SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	"              WHERE s.name OPERATOR(pg_catalog.=) n.name"
	"              LIMIT 1)"
	"      FROM pg_catalog.unnest($1) AS n(name)))"
	"    AND a.@visible@"
	"    AND NOT EXISTS (SELECT FROM @assoc@ x"
	"                    WHERE x.@item@ OPERATOR(pg_catalog.=) a.@item@"
	"                      AND x.tag_id OPERATOR(pg_catalog.=)"
	"                          ANY (ARRAY(SELECT (SELECT tg.id FROM @extschema@.tags tg"
	"              WHERE tg.name OPERATOR(pg_catalog.=) n.name"
	"              UNION ALL"
	"              SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	"              WHERE s.name OPERATOR(pg_catalog.=) n.name"
	"              LIMIT 1)"
	"      FROM pg_catalog.unnest($2) AS n(name))))"
	"  GROUP BY a.@item@"
	"  ORDER BY matched DESC, sort DESC, item DESC) m"
	" CROSS JOIN LATERAL (SELECT t.* FROM @target@ t"
	"                     WHERE t.@key@ OPERATOR(pg_catalog.=) m.item"
	"                     OFFSET 0) t"
	" ORDER BY m.matched DESC, m.sort DESC, m.item DESC"
	" OFFSET $3 LIMIT $4",
	4, {TEXTARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * items_tagged(target anyelement, names text[], match text, exclude text[],
 *				page integer, page_size integer) RETURNS SETOF anyelement
 *
 * posts_tagged() for any target.
 */
Datum
items_tagged(PG_FUNCTION_ARGS)
{
	TagsTaggedArgs args;
	TagsTarget	target;
	Datum		params[4];

	tags_tagged_args(fcinfo, 1, &args);
	/* $1 names or tag ids, $2 names to exclude, $3 offset, $4 limit */
	params[1] = args.exclude;
	params[2] = Int64GetDatum(args.offset);
	params[3] = Int64GetDatum(args.limit);

	(void) row_table_arg(fcinfo, 0);
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	if (args.nnames == 0)
	{
		SPI_finish();
		return (Datum) 0;
	}
	if (strcmp(args.match, "any") == 0)
	{
		params[0] = args.names;
		tags_target_execute(&target, &stmt_item_tagged_any, params, NULL, false,
							true, 0);
		tags_put_spi_result(fcinfo);
	}
	else
	{
		bool		answer = tags_item_counters_answer(&target);
		TagsSavedUser saved;
		Datum	   *ids;
		uint64		n;
		uint64		i;

		/* the tag ids, least used first: the page is read off the first */
		if (answer)
			tags_become_target_owner(&target, &saved);
		n = tags_target_execute(&target,
								answer ? &stmt_item_tagged_ids_by_use :
								&stmt_item_tagged_ids_by_use_live,
								&args.names, NULL, false, true, 0);
		if (answer)
			tags_restore_user(&saved);
		ids = palloc(Max(n, 1) * sizeof(Datum));
		for (i = 0; i < n; i++)
		{
			bool		isnull;

			ids[i] = SPI_getbinval(SPI_tuptable->vals[i],
								   SPI_tuptable->tupdesc, 1, &isnull);
			if (isnull)
				break;			/* a name that is no tag: no item has it */
		}
		if (i == n)
		{
			params[0] = PointerGetDatum(construct_array(ids, (int) n, INT4OID,
														sizeof(int32), true,
														TYPALIGN_INT));
			tags_target_execute(&target,
								strcmp(args.match, "all") == 0 ?
								&stmt_item_tagged_all : &stmt_item_tagged_exact,
								params, NULL, false, true, 0);
			tags_put_spi_result(fcinfo);
		}
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * The first $2 visible items sharing the most tags with the item $1,
 * newest first among equals (stmt_posts_related)
 */
static const TagsStatement stmt_item_related = {
	"item_related",
	"SELECT t AS item, r.shared_tags FROM"
	" (SELECT o.@item@ AS item, pg_catalog.count(*) AS shared_tags,"
	"         pg_catalog.max(o.@sort@) AS sort"
	"  FROM @target@ me"
	"  JOIN @assoc@ mine ON mine.@item@ OPERATOR(pg_catalog.=) me.@key@"
	"  JOIN @assoc@ o ON o.tag_id OPERATOR(pg_catalog.=) mine.tag_id"
	"  WHERE me.@key@ OPERATOR(pg_catalog.=) $1 AND o.@visible@"
	"    AND o.@item@ OPERATOR(pg_catalog.<>) $1"
	"  GROUP BY o.@item@"
	"  ORDER BY shared_tags DESC, sort DESC, item DESC) r"
	" CROSS JOIN LATERAL (SELECT t FROM @target@ t"
	"                     WHERE t.@key@ OPERATOR(pg_catalog.=) r.item"
	"                     OFFSET 0) t"
	" ORDER BY r.shared_tags DESC, r.sort DESC, r.item DESC"
	" LIMIT $2",
	2, {ITEM_KEY_TYPE, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * items_related(of_item anyelement, lim integer)
 *		RETURNS TABLE (item anyelement, shared_tags bigint)
 *
 * posts_related() for any target: the visible items of the row's table
 * that share the most tags with it, newest first among equals.
 */
Datum
items_related(PG_FUNCTION_ARGS)
{
	int32		lim = tags_lim_arg(fcinfo, 1);
	TagsTarget	target;
	HeapTupleHeader row;
	bool		isnull;
	Datum		params[2];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("item must not be null"));
	(void) row_table_arg(fcinfo, 0);
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	row = PG_GETARG_HEAPTUPLEHEADER(0);
	/* $1 item, $2 limit */
	params[0] = GetAttributeByNum(row, target.key_att, &isnull);
	if (isnull)
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("the key of item must not be null"));
	params[1] = Int32GetDatum(lim);
	tags_target_execute(&target, &stmt_item_related, params, NULL, false, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}
