/*-------------------------------------------------------------------------
 *
 * readers.c
 *	  Reads of a target's items: an item's tags, a tag's items, the items
 *	  that have some tags, related items; on any target (item_get_tags(),
 *	  items_by_tag() ...) and, as 1.0 and 1.1 named them, on posts
 *	  (post_get_tags(), posts_by_tag() ...).
 *
 * Only visible items are listed.  A tag's items are read off the index of
 * the association table that the triggers of copies.c keep in page order.
 * The readers lock nothing and read in the caller's snapshot, read-only;
 * each runs a fixed number of statements.  An item is named by its key,
 * passed as bigint, uuid or text (the SQL overloads) and converted to the
 * type of the target's key; a target anyelement argument is a row of the
 * target's type.  On a target distributed by Citus, items_by_tag() and
 * items_by_tag_after() send their page as one statement to the worker
 * that holds the tenant (tag_page_on_shard()).  See doc/functions.md,
 * doc/targets.md, doc/plans.md and doc/citus.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/tuplestore.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(item_get_tags);
PG_FUNCTION_INFO_V1(post_get_tags);
PG_FUNCTION_INFO_V1(items_by_tag);
PG_FUNCTION_INFO_V1(posts_by_tag);
PG_FUNCTION_INFO_V1(items_by_tag_after);
PG_FUNCTION_INFO_V1(posts_by_tag_after);
PG_FUNCTION_INFO_V1(items_tagged);
PG_FUNCTION_INFO_V1(posts_tagged);
PG_FUNCTION_INFO_V1(items_related);
PG_FUNCTION_INFO_V1(posts_related);
PG_FUNCTION_INFO_V1(items_page_on_shard);
PG_FUNCTION_INFO_V1(item_tags_on_shard);

static void target_of_row_arg(FunctionCallInfo fcinfo, int argno,
							  TagsTarget *target);
static int32 page_arg(FunctionCallInfo fcinfo, int argno);
static void run_tag_page(const TagsTarget *target, Datum *params);
static void put_tag_page(FunctionCallInfo fcinfo, const TagsTarget *target,
						 Datum *params);
static bool tag_page_on_shard(FunctionCallInfo fcinfo,
							  const TagsTarget *target, Datum slug,
							  NullableDatum after, int64 offset,
							  int64 limit);
static void run_tag_page_after(const TagsTarget *target, Datum *params);
static void put_tag_page_after(FunctionCallInfo fcinfo,
							   const TagsTarget *target, Datum *params);
static AttrNumber att_of_row(const TagsTarget *target, AttrNumber att,
							 HeapTupleHeader row);
static Datum after_key(HeapTupleHeader after, const TagsTarget *target);
static void run_tag_page_after_row(const TagsTarget *target, Datum tag,
								   HeapTupleHeader after, int64 limit);
static Datum tag_ids_by_use(const TagsTarget *target, Datum names);
static void put_tagged(FunctionCallInfo fcinfo, const TagsTarget *target,
					   const TagsTaggedArgs *args);
static uint64 read_related(const TagsTarget *target, Datum key, int32 lim);
static void check_item_exists(const TagsTarget *target, Datum key);

/*
 * The target whose row type is the type of the anyelement argument argno
 * (22023 if it is no table's row type, or no target's).  The caller must
 * be connected to SPI.
 */
static void
target_of_row_arg(FunctionCallInfo fcinfo, int argno, TagsTarget *target)
{
	tags_get_target(tags_row_table_arg(fcinfo, argno, "target"), target);
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

/*
 * The item $1's tags in order, through the target, so that a hidden item
 * has none.  Each tag is read through the primary key (the LATERAL
 * subquery with OFFSET 0; see doc/plans.md).
 */
static const TagsStatement stmt_item_tags = {
	"item_tags",
	"SELECT tg.* FROM @target@ t"
	" JOIN @assoc@ a ON a.@item@ OPERATOR(pg_catalog.=) t.@key@"
	" CROSS JOIN LATERAL (SELECT tg.* FROM @tags@ tg"
	"                     WHERE @tenant:tg@ tg.id OPERATOR(pg_catalog.=) a.tag_id"
	"                     OFFSET 0) tg"
	" WHERE @target_tenant:t@ @tenant:a@ t.@key@ OPERATOR(pg_catalog.=) $1"
	" ORDER BY a.position NULLS LAST, tg.id",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/* The item $1, if it exists */
static const TagsStatement stmt_item_exists = {
	"item_exists",
	"SELECT FROM @target@ t"
	" WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) $1",
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
 * Raise P0002 unless the item exists (and row-level security shows it), in
 * the caller's snapshot
 */
static void
check_item_exists(const TagsTarget *target, Datum key)
{
	if (tags_target_execute(target, &stmt_item_exists, &key, NULL, false, true,
							0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("%s does not exist", tags_item_name(target, key)));
}

/*
 * Put an item's tags, in order, into the result set of fcinfo.  The caller
 * must be connected to SPI.  A writer has locked the item (locked): it
 * exists, and the statement must see the writer's changes.  A reader reads
 * in its snapshot, and learns here whether the item exists (P0002).
 */
void
tags_put_item_tags(FunctionCallInfo fcinfo, const TagsTarget *target, Datum key,
				   bool locked)
{
	if (tags_read_item_tags(target, key, !locked) > 0)
		tags_put_spi_result(fcinfo);
	else if (!locked)
		check_item_exists(target, key);
}

/*
 * An item's tags on a distributed target, as one statement: the item's row
 * is selected with the call that reads its tags on the worker that holds
 * it, item_tags_on_shard(); one table filtered on its distribution column,
 * a query Citus plans on its fast path.  $1 item, $2 context.
 */
static const TagsStatement stmt_item_tags_on_shard = {
	"item_tags_on_shard",
	"SELECT @extschema@.item_tags_on_shard(t.tableoid, t, $2)"
	" FROM @target@ t"
	" WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) $1",
	2, {ITEM_KEY_TYPE, TEXTOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
	NULL, true
};

/*
 * Put the tags of the item of key into the result set from the Citus
 * worker that holds it (doc/citus.md, "Where a call runs"): one hop,
 * where the single server's statements would be planned and sent apart,
 * two when the item has no tags; P0002 if there is no such item.
 */
static void
put_item_tags_on_shard(FunctionCallInfo fcinfo, const TagsTarget *target,
					   Datum key)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	HeapTupleHeader *rows;
	int			count;

	/* $1 item, $2 context */
	values[0] = key;
	tags_context_param(target, &values[1], &nulls[1]);
	if (tags_target_execute(target, &stmt_item_tags_on_shard, values, nulls,
							false, true, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("%s does not exist", tags_item_name(target, key)));
	rows = tags_spi_row_array(&count);
	tags_put_rows(fcinfo, rows, count);
}

/*
 * item_get_tags(target regclass, item) RETURNS SETOF tags
 *
 * The item's tags in the order they were given, those without a position
 * last.  Reads in the caller's snapshot and locks nothing.  On a
 * distributed target, one statement (put_item_tags_on_shard()).
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
	tags_scope_args(fcinfo, 2, 3, &target);
	if (target.distributed)
		put_item_tags_on_shard(fcinfo, &target, key);
	else
		tags_put_item_tags(fcinfo, &target, key, false);
	SPI_finish();
	return (Datum) 0;
}

/*
 * post_get_tags(post_id integer) RETURNS SETOF tags
 *
 * item_get_tags() on posts.
 */
Datum
post_get_tags(PG_FUNCTION_ARGS)
{
	Datum		key = Int32GetDatum(tags_post_id_arg(fcinfo, 0));
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_builtin_target(&target);
	tags_put_item_tags(fcinfo, &target, key, false);
	SPI_finish();
	return (Datum) 0;
}

/*
 * A page of items, in page order, read from the target one key at a time
 * (OFFSET 0 keeps each a lookup), for the keys the subquery keys gives
 * (columns item and sort, in page order).  Nothing is left for a plan to
 * choose, so one generic plan serves every tag, tenant and page.
 */
#define PAGE_OF_KEYS(keys) \
	"SELECT t.* FROM (" keys ") k" \
	" CROSS JOIN LATERAL (SELECT t.* FROM @target@ t" \
	"                     WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) k.item" \
	"                     OFFSET 0) t" \
	" ORDER BY k.sort DESC, k.item DESC"

/*
 * Tag $1's visible items, off the index (tag_id, visible, sort, item) of
 * the association table, which keeps them in their page order, then their
 * rows.  A page: offset $2, limit $3.
 */
static const TagsStatement stmt_item_tag_page = {
	"item_tag_page",
	PAGE_OF_KEYS("SELECT a.@item@ AS item, a.@sort@ AS sort FROM @assoc@ a"
				 " WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
				 " ORDER BY a.@sort@ DESC, a.@item@ DESC"
				 " OFFSET $2 LIMIT $3"),
	3, {INT4OID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * The same, for a caller whom row-level security on the target hides rows
 * from: the target is joined before the page is cut, so that a hidden item
 * takes no place in it.  Planned as the plan cache sees fit: a generic plan
 * could not tell a page of ten rows of the join from one of ten thousand.
 */
static const TagsStatement stmt_item_tag_page_secured = {
	"item_tag_page_secured",
	"SELECT t.* FROM @assoc@ a"
	" JOIN @target@ t"
	"   ON @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
	" ORDER BY a.@sort@ DESC, a.@item@ DESC"
	" OFFSET $2 LIMIT $3",
	3, {INT4OID, INT8OID, INT8OID}, 0, SPI_OK_SELECT
};

/*
 * Whether a page is read with the target joined (the _secured statements):
 * where row-level security on the target applies to the caller, and on a
 * target distributed by its key, whose page Citus reads from every shard
 * group, cut on each, then merged on the coordinator (it pushes the join
 * down with its limit, where it refuses PAGE_OF_KEYS' lateral lookup)
 */
static bool
page_joined(const TagsTarget *target)
{
	return TAGS_DISTRIBUTED_BY_KEY(target) ||
		check_enable_rls(target->relid, InvalidOid, true) == RLS_ENABLED;
}

/* The page argument argno, at least 1 (22004, 22023) */
static int32
page_arg(FunctionCallInfo fcinfo, int argno)
{
	int32		page = tags_int32_arg(fcinfo, argno, "page");

	if (page < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page must be at least 1"));
	return page;
}

/*
 * Read a page of a tag's visible items into SPI_tuptable: params are $1
 * the tag, $2 the offset, $3 the limit.
 */
static void
run_tag_page(const TagsTarget *target, Datum *params)
{
	tags_target_execute(target,
						page_joined(target) ? &stmt_item_tag_page_secured :
						&stmt_item_tag_page,
						params, NULL, false, true, 0);
}

/* The same, put into the result set */
static void
put_tag_page(FunctionCallInfo fcinfo, const TagsTarget *target, Datum *params)
{
	run_tag_page(target, params);
	tags_put_spi_result(fcinfo);
}

/*
 * A page on a distributed target, as one statement: the tag's row is
 * selected by its slug with the page's own call, which Citus' router sends
 * whole to the worker that holds the tenant, where items_page_on_shard()
 * reads the page from the shards there; its rows come back as one array.
 * One table, filtered on its distribution column, no subquery: the query
 * Citus plans on its fast path.  $1 slug, $2 offset, $3 limit, $4 context,
 * $5 the row after which the page starts (NULL: at the offset).
 */
static const TagsStatement stmt_item_tag_page_on_shard = {
	"item_tag_page_on_shard",
	"SELECT @extschema@.items_page_on_shard(v.tableoid, v, $5, $2, $3, $4)"
	" FROM @tags@ v"
	" WHERE @tenant:v@ v.slug OPERATOR(pg_catalog.=) $1",
	5, {TEXTOID, INT8OID, INT8OID, TEXTOID, ITEM_ROW_TYPE},
	CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT, NULL, true
};

/*
 * Put the page of the tag of slug into the result set from the Citus worker
 * that holds the tenant (doc/citus.md, "Where a call runs"): the page after
 * the row after if it is not null, else at offset; limit rows.  One hop,
 * where Citus would plan and send the slug's lookup and the page apart.
 * False, with nothing put, if slug is no current slug of a tag (an old
 * slug, or no tag's), which the caller then reads as on a single server.
 */
static bool
tag_page_on_shard(FunctionCallInfo fcinfo, const TagsTarget *target,
				  Datum slug, NullableDatum after, int64 offset, int64 limit)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	HeapTupleHeader *rows;
	int			count;

	/* $1 slug, $2 offset, $3 limit, $4 context, $5 after */
	values[0] = slug;
	values[1] = Int64GetDatum(offset);
	values[2] = Int64GetDatum(limit);
	tags_context_param(target, &values[3], &nulls[3]);
	values[4] = after.value;
	nulls[4] = after.isnull ? 'n' : ' ';
	if (tags_target_execute(target, &stmt_item_tag_page_on_shard, values,
							nulls, false, true, 0) == 0)
		return false;
	rows = tags_spi_row_array(&count);
	tags_put_rows(fcinfo, rows, count);
	return true;
}

/*
 * items_by_tag(target anyelement, slug text, page integer,
 *				page_size integer) RETURNS SETOF anyelement
 *
 * Page 1 is the newest items, by the sort column, then by key.  The offset
 * is computed in 64 bits, so no page number overflows it; a page past the
 * end is empty.  Read off the index of the tag's visible items: page 1
 * costs the same for every tag, page n grows with n (see
 * items_by_tag_after()).
 */
Datum
items_by_tag(PG_FUNCTION_ARGS)
{
	int32		page = page_arg(fcinfo, 2);
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	TagsTarget	target;
	Datum		params[3];

	(void) tags_row_table_arg(fcinfo, 0, "target");
	tags_check_page_size(page_size);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	tags_scope_args(fcinfo, 4, 5, &target);
	/* $1 tag, $2 offset, $3 limit */
	params[1] = Int64GetDatum((int64) (page - 1) * page_size);
	params[2] = Int64GetDatum((int64) page_size);
	if (!TAGS_DISTRIBUTED_BY_TENANT(&target) || PG_ARGISNULL(1) ||
		!tag_page_on_shard(fcinfo, &target, PG_GETARG_DATUM(1),
						   (NullableDatum) {.isnull = true},
						   DatumGetInt64(params[1]), page_size))
	{
		params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1, &target));
		put_tag_page(fcinfo, &target, params);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * posts_by_tag(slug text, page integer, page_size integer)
 *		RETURNS SETOF posts
 *
 * items_by_tag() on posts.
 */
Datum
posts_by_tag(PG_FUNCTION_ARGS)
{
	int32		page = page_arg(fcinfo, 1);
	int32		page_size = tags_int32_arg(fcinfo, 2, "page size");
	TagsTarget	target;
	Datum		params[3];

	tags_check_page_size(page_size);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_builtin_target(&target);
	/* $1 tag, $2 offset, $3 limit */
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0, &target));
	params[1] = Int64GetDatum((int64) (page - 1) * page_size);
	params[2] = Int64GetDatum((int64) page_size);
	put_tag_page(fcinfo, &target, params);
	SPI_finish();
	return (Datum) 0;
}

/* stmt_item_tag_page after the item ($2 sort value, $3 key), limit $4 */
static const TagsStatement stmt_item_tag_after = {
	"item_tag_after",
	PAGE_OF_KEYS("SELECT a.@item@ AS item, a.@sort@ AS sort FROM @assoc@ a"
				 " WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
				 "   AND (a.@sort@, a.@item@) OPERATOR(pg_catalog.<) ($2, $3)"
				 " ORDER BY a.@sort@ DESC, a.@item@ DESC"
				 " LIMIT $4"),
	4, {INT4OID, ITEM_SORT_TYPE, ITEM_KEY_TYPE, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* stmt_item_tag_page_secured after the item: $2 sort value, $3 key, $4 limit */
static const TagsStatement stmt_item_tag_after_secured = {
	"item_tag_after_secured",
	"SELECT t.* FROM @assoc@ a"
	" JOIN @target@ t"
	"   ON @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
	"   AND (a.@sort@, a.@item@) OPERATOR(pg_catalog.<) ($2, $3)"
	" ORDER BY a.@sort@ DESC, a.@item@ DESC"
	" LIMIT $4",
	4, {INT4OID, ITEM_SORT_TYPE, ITEM_KEY_TYPE, INT8OID}, 0, SPI_OK_SELECT
};

/*
 * Read the page of a tag's visible items after an item into SPI_tuptable:
 * params are $1 the tag, $2 the item's sort value, $3 its key, $4 the
 * limit.  The item need not exist any more.
 */
static void
run_tag_page_after(const TagsTarget *target, Datum *params)
{
	tags_target_execute(target,
						page_joined(target) ? &stmt_item_tag_after_secured :
						&stmt_item_tag_after,
						params, NULL, false, true, 0);
}

/* The same, put into the result set */
static void
put_tag_page_after(FunctionCallInfo fcinfo, const TagsTarget *target,
				   Datum *params)
{
	run_tag_page_after(target, params);
	tags_put_spi_result(fcinfo);
}

/*
 * The number of the target's column att in row, a row of the target's
 * table: on a Citus worker the target is the table's shard, whose columns
 * may be numbered apart from the table's (a shard made after a column was
 * dropped has no dropped column)
 */
static AttrNumber
att_of_row(const TagsTarget *target, AttrNumber att, HeapTupleHeader row)
{
	Oid			table = get_typ_typrelid(HeapTupleHeaderGetTypeId(row));

	if (table == target->relid)
		return att;
	return get_attnum(table, get_attname(target->relid, att, false));
}

/* The key of the row after, a row of the target's; not null (22004) */
static Datum
after_key(HeapTupleHeader after, const TagsTarget *target)
{
	bool		isnull;
	Datum		key = GetAttributeByNum(after,
										att_of_row(target, target->key_att,
												   after),
										&isnull);

	if (isnull)
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("the key of after must not be null"));
	return key;
}

/*
 * run_tag_page_after() of the tag after the row after, limit rows: the
 * row's sort value and key are what count
 */
static void
run_tag_page_after_row(const TagsTarget *target, Datum tag,
					   HeapTupleHeader after, int64 limit)
{
	Datum		params[4];
	bool		isnull;

	/* $1 tag, $2 sort value, $3 key, $4 limit */
	params[0] = tag;
	params[1] = GetAttributeByNum(after,
								  att_of_row(target, target->sort_att, after),
								  &isnull);
	/* a row without a sort value comes after those with one */
	if (isnull)
		params[1] = tags_lowest_sort(target);
	params[2] = after_key(after, target);
	params[3] = Int64GetDatum(limit);
	run_tag_page_after(target, params);
}

/*
 * items_by_tag_after(target anyelement, slug text, after anyelement,
 *					  page_size integer) RETURNS SETOF anyelement
 *
 * The page that follows the row after (the last of the page before; NULL
 * for the first page), in items_by_tag() order.  The row need not exist
 * any more: its sort value and key are what count.  Each page costs the
 * same however deep it is.  On a distributed target, one statement
 * (tag_page_on_shard()).
 */
Datum
items_by_tag_after(PG_FUNCTION_ARGS)
{
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	TagsTarget	target;
	NullableDatum after;
	Datum		tag;

	(void) tags_row_table_arg(fcinfo, 0, "target");
	tags_check_page_size(page_size);
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	tags_scope_args(fcinfo, 4, 5, &target);
	after.isnull = PG_ARGISNULL(2);
	after.value = after.isnull ? (Datum) 0 : PG_GETARG_DATUM(2);
	if (TAGS_DISTRIBUTED_BY_TENANT(&target) && !PG_ARGISNULL(1) &&
		tag_page_on_shard(fcinfo, &target, PG_GETARG_DATUM(1), after, 0,
						  page_size))
	{
		SPI_finish();
		return (Datum) 0;
	}
	tag = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1, &target));
	if (after.isnull)
	{
		Datum		params[3];

		/* $1 tag, $2 offset, $3 limit */
		params[0] = tag;
		params[1] = Int64GetDatum(0);
		params[2] = Int64GetDatum((int64) page_size);
		put_tag_page(fcinfo, &target, params);
	}
	else
	{
		run_tag_page_after_row(&target, tag, PG_GETARG_HEAPTUPLEHEADER(2),
							   page_size);
		tags_put_spi_result(fcinfo);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * posts_by_tag_after(slug text, after_created_at timestamptz,
 *					  after_id integer, page_size integer) RETURNS SETOF posts
 *
 * items_by_tag_after() on posts, told the post by its created_at and id;
 * both NULL give the first page.
 */
Datum
posts_by_tag_after(PG_FUNCTION_ARGS)
{
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	TagsTarget	target;
	Datum		params[4];

	tags_check_page_size(page_size);
	if (PG_ARGISNULL(1) != PG_ARGISNULL(2))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("after_created_at and after_id must both be null or both be given"));

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_builtin_target(&target);
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0, &target));
	if (PG_ARGISNULL(1))
	{
		/* $1 tag, $2 offset, $3 limit */
		params[1] = Int64GetDatum(0);
		params[2] = Int64GetDatum((int64) page_size);
		put_tag_page(fcinfo, &target, params);
	}
	else
	{
		/* $1 tag, $2 created_at, $3 id, $4 limit */
		params[1] = PG_GETARG_DATUM(1);
		params[2] = PG_GETARG_DATUM(2);
		params[3] = Int64GetDatum((int64) page_size);
		put_tag_page_after(fcinfo, &target, params);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * The distinct tag ids the names $1 resolve to, NULL for an unknown name,
 * least used first, by the counters
 */
static const TagsStatement stmt_item_tagged_ids_by_use = {
	"item_tagged_ids_by_use",
	"WITH k AS MATERIALIZED ("
	"    SELECT DISTINCT " TAG_ID_OF_NAME " AS id"
	"    FROM pg_catalog.unnest($1) AS n(name))"
	" SELECT k.id FROM k"
	" ORDER BY COALESCE((SELECT c.@count@ FROM @counts@ c"
	"                    WHERE @tenant:c@ c.tag_id OPERATOR(pg_catalog.=) k.id), 0)"
	"          OPERATOR(pg_catalog.+)"
	"          COALESCE((SELECT pg_catalog.sum(d.delta) FROM @deltas@ d"
	"                    WHERE @tenant:d@ d.tag_id OPERATOR(pg_catalog.=) k.id), 0),"
	"          k.id NULLS FIRST",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * The same on a target distributed by its key, whose counters are summed
 * over every shard group, as stmt_item_tag_counts_by_key sums them
 */
static const TagsStatement stmt_item_tagged_ids_by_key = {
	"item_tagged_ids_by_key",
	"SELECT k.id FROM ("
	"    SELECT DISTINCT " TAG_ID_OF_NAME " AS id"
	"    FROM pg_catalog.unnest($1) AS n(name)) k"
	" LEFT JOIN (SELECT u.tag_id, pg_catalog.sum(u.n) AS n"
	"            FROM (SELECT c.tag_id, c.@count@ AS n FROM @counts@ c"
	"                  UNION ALL"
	"                  SELECT d.tag_id, d.delta FROM @deltas@ d) u"
	"            GROUP BY u.tag_id) s"
	"   ON s.tag_id OPERATOR(pg_catalog.=) k.id"
	" ORDER BY COALESCE(s.n, 0), k.id NULLS FIRST",
	1, {TEXTARRAYOID}, 0, SPI_OK_SELECT
};

/* The same counted live up to a cap: past it, any tag is as good */
static const TagsStatement stmt_item_tagged_ids_by_use_live = {
	"item_tagged_ids_by_use_live",
	"SELECT k.id FROM ("
	"    SELECT DISTINCT " TAG_ID_OF_NAME " AS id"
	"    FROM pg_catalog.unnest($1) AS n(name)) k"
	" ORDER BY (SELECT pg_catalog.count(*)"
	"           FROM (SELECT FROM @assoc@ a"
	"                 WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) k.id"
	"                   AND a.@visible@ LIMIT 1000) u), k.id NULLS FIRST",
	1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * The distinct ids of the tags the normalized names (a text[]) resolve to,
 * least used first, as an int4[]; or (Datum) 0 if a name is no tag.  The
 * caller must be connected to SPI.  The counters order them when they
 * answer for the caller (read as the target's owner: the order is all
 * that comes of them); else a count of each tag's visible associations,
 * capped, does.
 */
static Datum
tag_ids_by_use(const TagsTarget *target, Datum names)
{
	bool		answer = tags_item_counters_answer(target);
	TagsSavedUser saved;
	Datum	   *ids;
	uint64		n;
	uint64		i;

	if (answer)
		tags_become_target_owner(target, &saved);
	n = tags_target_execute(target,
							!answer ? &stmt_item_tagged_ids_by_use_live :
							TAGS_DISTRIBUTED_BY_KEY(target) ?
							&stmt_item_tagged_ids_by_key :
							&stmt_item_tagged_ids_by_use,
							&names, NULL, false, true, 0);
	if (answer)
		tags_restore_user(&saved);
	ids = palloc(Max(n, 1) * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
							   1, &isnull);
		if (isnull)
			return (Datum) 0;
	}
	return PointerGetDatum(construct_array(ids, (int) n, INT4OID,
										   sizeof(int32), true,
										   TYPALIGN_INT));
}

/*
 * items_tagged()'s 'all' page: the items of the tag ($1)[1], least used,
 * read off its index in page order, each kept if its associations x (read
 * through the primary key) have every tag of $1 and none of the names $2,
 * and meet the condition "also" on the count of them; offset $3, limit
 * $4.  The read stops when the page is full.  Generic: that plan is right
 * for a tag on ten items or on a hundred thousand, which only the counts
 * tell apart.
 */
#define TAGGED_EVERY(also) \
	"SELECT t.* FROM @assoc@ a" \
	" JOIN @target@ t" \
	"   ON @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) a.@item@" \
	" WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) ($1)[1] AND a.@visible@" \
	"   AND (SELECT pg_catalog.count(*) FILTER" \
	"               (WHERE x.tag_id OPERATOR(pg_catalog.=) ANY ($1))" \
	"               OPERATOR(pg_catalog.=) pg_catalog.cardinality($1)" \
	"           AND pg_catalog.count(*) FILTER" \
	"               (WHERE x.tag_id OPERATOR(pg_catalog.=)" \
	"                      ANY (" TAG_IDS_OF_NAMES("$2") "))" \
	"               OPERATOR(pg_catalog.=) 0" \
	also \
	"        FROM @assoc@ x" \
	"        WHERE @tenant:x@ x.@item@ OPERATOR(pg_catalog.=) a.@item@)" \
	" ORDER BY a.@sort@ DESC, a.@item@ DESC" \
	" OFFSET $3 LIMIT $4"

static const TagsStatement stmt_item_tagged_all = {
	"item_tagged_all",
	TAGGED_EVERY(""),
	4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/* 'exact': the same, with no other tag */
static const TagsStatement stmt_item_tagged_exact = {
	"item_tagged_exact",
	TAGGED_EVERY("           AND pg_catalog.count(*) OPERATOR(pg_catalog.=)"
				 "               pg_catalog.cardinality($1)"),
	4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * 'any': items with any of the names $1 and none of $2, ordered by the
 * number of names they match, which only counting every visible item of
 * every named tag tells: every one is counted and sorted, then the target
 * is read for the page only (OFFSET 0 keeps it a lookup); offset $3,
 * limit $4
 */
static const TagsStatement stmt_item_tagged_any = {
	"item_tagged_any",
	"SELECT t.* FROM"
	" (SELECT a.@item@ AS item, pg_catalog.count(*) AS matched,"
	"         pg_catalog.max(a.@sort@) AS sort"
	"  FROM @assoc@ a"
	"  WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) ANY (" TAG_IDS_OF_NAMES("$1") ")"
	"    AND a.@visible@"
	"    AND NOT EXISTS (SELECT FROM @assoc@ x"
	"                    WHERE @tenant:x@ x.@item@ OPERATOR(pg_catalog.=) a.@item@"
	"                      AND x.tag_id OPERATOR(pg_catalog.=)"
	"                          ANY (" TAG_IDS_OF_NAMES("$2") "))"
	"  GROUP BY a.@item@"
	"  ORDER BY matched DESC, sort DESC, item DESC) m"
	" CROSS JOIN LATERAL (SELECT t.* FROM @target@ t"
	"                     WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) m.item"
	"                     OFFSET 0) t"
	" ORDER BY m.matched DESC, m.sort DESC, m.item DESC"
	" OFFSET $3 LIMIT $4",
	4, {TEXTARRAYOID, TEXTARRAYOID, INT8OID, INT8OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * Put one page of the visible items that have every one of the names
 * ('all'), at least one ('any'), or exactly these tags ('exact'), and none
 * of the names to exclude, into the result set.  A name that is no tag is
 * on no item, so it leaves 'all' and 'exact' empty and counts for nothing
 * in 'any' and exclude.  No names at all give no rows.
 *
 * Two statements at most, whatever the number of names.  'all' and
 * 'exact' first resolve the names to tag ids ordered least used first
 * (tag_ids_by_use()), then read the least used tag's items off its index
 * in page order, as items_by_tag() does, and check each one's tags through
 * the primary key: a page stops when it is full, and each item costs one
 * descent of the primary key, however many names there are.  'any' orders
 * by the number of names an item has, which needs every visible item of
 * every named tag: one statement that counts them.
 */
static void
put_tagged(FunctionCallInfo fcinfo, const TagsTarget *target,
		   const TagsTaggedArgs *args)
{
	Datum		params[4];

	if (args->nnames == 0)
		return;
	/* $1 names or tag ids, $2 names to exclude, $3 offset, $4 limit */
	params[1] = args->exclude;
	params[2] = Int64GetDatum(args->offset);
	params[3] = Int64GetDatum(args->limit);
	if (strcmp(args->match, "any") == 0)
	{
		params[0] = args->names;
		tags_target_execute(target, &stmt_item_tagged_any, params, NULL, false,
							true, 0);
		tags_put_spi_result(fcinfo);
		return;
	}
	params[0] = tag_ids_by_use(target, args->names);
	if (params[0] == (Datum) 0)
		return;
	tags_target_execute(target,
						strcmp(args->match, "all") == 0 ?
						&stmt_item_tagged_all : &stmt_item_tagged_exact,
						params, NULL, false, true, 0);
	tags_put_spi_result(fcinfo);
}

/*
 * items_tagged(target anyelement, names text[], match text, exclude text[],
 *				page integer, page_size integer) RETURNS SETOF anyelement
 */
Datum
items_tagged(PG_FUNCTION_ARGS)
{
	TagsTaggedArgs args;
	TagsTarget	target;

	tags_tagged_args(fcinfo, 1, &args);
	(void) tags_row_table_arg(fcinfo, 0, "target");
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	tags_scope_args(fcinfo, 6, 7, &target);
	put_tagged(fcinfo, &target, &args);
	SPI_finish();
	return (Datum) 0;
}

/*
 * posts_tagged(names text[], match text, exclude text[], page integer,
 *				page_size integer) RETURNS SETOF posts
 *
 * items_tagged() on posts.
 */
Datum
posts_tagged(PG_FUNCTION_ARGS)
{
	TagsTaggedArgs args;
	TagsTarget	target;

	tags_tagged_args(fcinfo, 0, &args);
	InitMaterializedSRF(fcinfo, 0);
	if (args.nnames == 0)
		return (Datum) 0;
	tags_spi_connect(fcinfo);
	tags_builtin_target(&target);
	put_tagged(fcinfo, &target, &args);
	SPI_finish();
	return (Datum) 0;
}

/*
 * The first $2 visible items sharing the most tags with the item $1,
 * newest first among equals, read through the target so that a hidden
 * item has no tags; the target is read for the page only
 */
static const TagsStatement stmt_item_related = {
	"item_related",
	"SELECT t AS item, r.shared_tags FROM"
	" (SELECT o.@item@ AS item, pg_catalog.count(*) AS shared_tags,"
	"         pg_catalog.max(o.@sort@) AS sort"
	"  FROM @target@ me"
	"  JOIN @assoc@ mine ON mine.@item@ OPERATOR(pg_catalog.=) me.@key@"
	"  JOIN @assoc@ o ON o.tag_id OPERATOR(pg_catalog.=) mine.tag_id"
	"  WHERE @target_tenant:me@ @tenant:mine@ @tenant:o@"
	"        me.@key@ OPERATOR(pg_catalog.=) $1 AND o.@visible@"
	"    AND o.@item@ OPERATOR(pg_catalog.<>) $1"
	"  GROUP BY o.@item@"
	"  ORDER BY shared_tags DESC, sort DESC, item DESC) r"
	" CROSS JOIN LATERAL (SELECT t FROM @target@ t"
	"                     WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) r.item"
	"                     OFFSET 0) t"
	" ORDER BY r.shared_tags DESC, r.sort DESC, r.item DESC"
	" LIMIT $2",
	2, {ITEM_KEY_TYPE, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * On a target distributed by its key, whose items meet through tags on
 * every shard, in two statements: the tags of the item $1, read on its
 * shard group
 */
static const TagsStatement stmt_item_related_tags = {
	"item_related_tags",
	"SELECT mine.tag_id FROM @assoc@ mine"
	" WHERE mine.@item@ OPERATOR(pg_catalog.=) $1",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * then the first $2 visible items other than $1 with the most of those
 * tags ($3), joined to their rows before the cut (a row hidden from the
 * caller takes no place): each item's count is whole on its shard group,
 * so Citus runs all of it there, cut on each, then merges the cuts
 */
static const TagsStatement stmt_item_related_by_key = {
	"item_related_by_key",
	"SELECT t AS item, r.shared_tags FROM"
	" (SELECT o.@item@ AS item, pg_catalog.count(*) AS shared_tags,"
	"         pg_catalog.max(o.@sort@) AS sort"
	"  FROM @assoc@ o"
	"  WHERE o.tag_id OPERATOR(pg_catalog.=) ANY ($3) AND o.@visible@"
	"    AND o.@item@ OPERATOR(pg_catalog.<>) $1"
	"  GROUP BY o.@item@) r"
	" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) r.item"
	" ORDER BY r.shared_tags DESC, r.sort DESC, r.item DESC"
	" LIMIT $2",
	3, {ITEM_KEY_TYPE, INT4OID, INT4ARRAYOID}, 0, SPI_OK_SELECT
};

/*
 * Read the lim visible items that share the most tags with the item, with
 * that number, then newest first; the item itself is not among them.  It
 * reads every visible item of each of the item's tags: the cost grows with
 * them.  Returns how many (rows (item, shared_tags) in SPI_tuptable).
 */
static uint64
read_related(const TagsTarget *target, Datum key, int32 lim)
{
	Datum		params[3];

	/* $1 item, $2 limit */
	params[0] = key;
	params[1] = Int32GetDatum(lim);
	if (TAGS_DISTRIBUTED_BY_KEY(target))
	{
		uint64		ntags;
		Datum	   *ids;

		tags_target_execute(target, &stmt_item_related_tags, params, NULL,
							false, true, 0);
		ids = tags_spi_first_column(&ntags);
		/* $3 the item's tags */
		params[2] = PointerGetDatum(construct_array(ids, (int) ntags, INT4OID,
													sizeof(int32), true,
													TYPALIGN_INT));
		return tags_target_execute(target, &stmt_item_related_by_key, params,
								   NULL, false, true, 0);
	}
	return tags_target_execute(target, &stmt_item_related, params, NULL, false,
							   true, 0);
}

/*
 * items_related(of_item anyelement, lim integer, tenant tag_tenant,
 *				 context text)
 *		RETURNS TABLE (item anyelement, shared_tags bigint)
 *
 * The visible items of the row's table that share the most tags with it;
 * an item that does not exist has none.  On a tenant target, the row's
 * tenant is the call's: a tenant argument, or tags.tenant, must be the
 * same (22023).
 */
Datum
items_related(PG_FUNCTION_ARGS)
{
	int32		lim = tags_lim_arg(fcinfo, 1);
	TagsTarget	target;
	HeapTupleHeader row;
	Datum		key;
	bool		isnull;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("item must not be null"));
	(void) tags_row_table_arg(fcinfo, 0, "target");
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	row = PG_GETARG_HEAPTUPLEHEADER(0);
	key = GetAttributeByNum(row, target.key_att, &isnull);
	if (isnull)
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("the key of item must not be null"));
	if (TAGS_HAS_TENANTS(&target))
	{
		Datum		tenant;

		/* the item's own tenant, which a tenant argument must agree with */
		tenant = GetAttributeByNum(row, target.tenant_att, &isnull);
		if (isnull)
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("the tenant of item must not be null"));
		if ((PG_NARGS() > 2 && !PG_ARGISNULL(2)) ||
			(tags_tenant != NULL && tags_tenant[0] != '\0'))
		{
			TagsTarget	told = target;
			TagsTarget	own = target;

			tags_tenant_arg(fcinfo, 2, &told);
			tags_set_tenant(&own, tenant, target.vocab.tenant_type);
			if (strcmp(tags_tenant_text(&told), tags_tenant_text(&own)) != 0)
				ereport(ERROR,
						errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("item is of tenant %s, not of tenant %s",
							   tags_tenant_text(&own), tags_tenant_text(&told)));
		}
		tags_set_tenant(&target, tenant, target.vocab.tenant_type);
		if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
			tags_use_context(&target, TextDatumGetCString(PG_GETARG_DATUM(3)));
	}
	else
		tags_scope_args(fcinfo, 2, 3, &target);
	read_related(&target, key, lim);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * posts_related(post_id integer, lim integer)
 *		RETURNS TABLE (id, title, body, status, created_at, deleted_at,
 *					   shared_tags)
 *
 * items_related() on posts, each post spread into its columns, as 1.1
 * returned them; a post that does not exist, or that row-level security
 * hides, is P0002.
 */
Datum
posts_related(PG_FUNCTION_ARGS)
{
	Datum		key = Int32GetDatum(tags_post_id_arg(fcinfo, 0));
	int32		lim = tags_lim_arg(fcinfo, 1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TagsTarget	target;
	uint64		nrows;
	uint64		row;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_builtin_target(&target);
	nrows = read_related(&target, key, lim);
	if (nrows == 0)
		check_item_exists(&target, key);
	for (row = 0; row < nrows; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		int			natts = rsinfo->setDesc->natts;
		Datum	   *values = palloc(natts * sizeof(Datum));
		bool	   *nulls = palloc(natts * sizeof(bool));
		HeapTupleHeader post;
		bool		isnull;
		int			i;

		/* the post's columns, by name, then shared_tags */
		post = DatumGetHeapTupleHeader(SPI_getbinval(tuple,
													 SPI_tuptable->tupdesc,
													 1, &isnull));
		for (i = 0; i < natts - 1; i++)
			values[i] = GetAttributeByName(post,
										   NameStr(TupleDescAttr(rsinfo->setDesc, i)->attname),
										   &nulls[i]);
		values[i] = SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &nulls[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * items_page_on_shard(shard oid, tag record, after anyelement,
 *					   "offset" bigint, "limit" bigint, context text)
 *		RETURNS anyarray
 *
 * The page of tag_page_on_shard(), on the Citus worker that holds the
 * tenant, as an array of rows of after's type: shard is the table of the
 * row tag there, a shard of a tenant vocabulary, and the page is of the
 * target whose row type is after's, on its shard group on this node, of
 * the tag's tenant (targets.c): the page after the row after if it is not
 * null (offset then 0), else at offset.
 */
Datum
items_page_on_shard(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			rowtype = get_fn_expr_argtype(fcinfo->flinfo, 2);
	Oid			table = tags_row_table_arg(fcinfo, 2, "after");
	TagsTarget	target;
	Datum		params[3];
	Datum		page;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3) ||
		PG_ARGISNULL(4))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("shard, tag, offset and limit must not be null"));
	if (!PG_ARGISNULL(2) && PG_GETARG_INT64(3) != 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("offset must be 0 when after is given"));
	tags_spi_connect(fcinfo);
	/* $1 tag, $2 offset, $3 limit */
	params[0] = tags_tag_on_shard(fcinfo, table, 5, &target);
	params[1] = PG_GETARG_DATUM(3);
	params[2] = PG_GETARG_DATUM(4);
	if (PG_ARGISNULL(2))
		run_tag_page(&target, params);
	else
		run_tag_page_after_row(&target, params[0],
							   PG_GETARG_HEAPTUPLEHEADER(2),
							   PG_GETARG_INT64(4));
	page = tags_spi_result_array(rowtype, caller);
	SPI_finish();
	PG_RETURN_DATUM(page);
}

/*
 * item_tags_on_shard(shard oid, item record, context text) RETURNS tags[]
 *
 * The tags of put_item_tags_on_shard(), on the Citus worker that holds the
 * item: shard is the table of the row item there, a shard of a target,
 * whose shard group on this node has the item's list (targets.c).
 */
Datum
item_tags_on_shard(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			rowtype;
	TagsTarget	target;
	Datum		key;
	Datum		tags;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("shard and item must not be null"));
	tags_spi_connect(fcinfo);
	key = tags_item_on_shard(fcinfo, 2, &target);
	tags_read_item_tags(&target, key, true);
	/* the rows of tags, the element type of the result */
	rowtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	tags = tags_spi_result_array(rowtype, caller);
	SPI_finish();
	PG_RETURN_DATUM(tags);
}
