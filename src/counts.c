/*-------------------------------------------------------------------------
 *
 * counts.c
 *	  The item counts of tags: every tag's, the first ones, a tag's; on any
 *	  target (tag_item_counts(), tag_item_count()) and, as 1.0 named them,
 *	  on posts (tag_counts(), tag_post_count()).
 *
 * A tag's count is its folded count plus its pending deltas (counters.c).
 * The target's counters answer, read as the target's owner, only when the
 * caller may read the tables they stand for and row-level security hides
 * no row of the target from it (tags_item_counters_answer()); else the
 * items are counted live, as the caller, so that it counts what it may
 * see, or gets the error it would get from reading the tables.  The
 * readers lock nothing and read in the caller's snapshot.  On a target
 * distributed by Citus, tag_item_count() counts on the worker that holds
 * the tenant, in one statement (count_on_shard()).  See doc/tables.md,
 * doc/targets.md, doc/plans.md and doc/citus.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/rls.h"
#include "utils/tuplestore.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tag_item_counts);
PG_FUNCTION_INFO_V1(tag_counts);
PG_FUNCTION_INFO_V1(tag_item_counts_top);
PG_FUNCTION_INFO_V1(tag_counts_top);
PG_FUNCTION_INFO_V1(tag_item_count);
PG_FUNCTION_INFO_V1(tag_post_count);
PG_FUNCTION_INFO_V1(tag_count_on_shard);

static void put_tag_counts(FunctionCallInfo fcinfo, const TagsTarget *target,
						   Datum *top);
static int32 top_arg(FunctionCallInfo fcinfo, int argno);
static int64 item_count(const TagsTarget *target, Datum tag);

/*
 * Whether the counters may answer for the caller: it may read the target,
 * its association table and the tags, and row-level security hides no row
 * of any of them from it.  Else the items are counted live, as the caller,
 * by the join the counters stand for.
 */
bool
tags_item_counters_answer(const TagsTarget *target)
{
	const Oid	tables[3] = {target->relid, target->assoc, target->vocab.tags};
	int			i;

	for (i = 0; i < lengthof(tables); i++)
		if (pg_class_aclcheck(tables[i], GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
			check_enable_rls(tables[i], InvalidOid, true) == RLS_ENABLED)
			return false;
	return true;
}

/* Every tag with its item count, by the counters, most used first */
static const TagsStatement stmt_item_tag_counts = {
	"item_tag_counts",
	"SELECT tg.id, tg.name::pg_catalog.text, tg.slug::pg_catalog.text,"
	"       (COALESCE(c.@count@, 0) OPERATOR(pg_catalog.+)"
	"        COALESCE(pd.delta, 0)) AS item_count"
	" FROM @tags@ tg"
	" LEFT JOIN @counts@ c"
	"   ON @tenant:c@ c.tag_id OPERATOR(pg_catalog.=) tg.id"
	" LEFT JOIN (SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	"            FROM @deltas@ d WHERE @tenant:d@ true GROUP BY d.tag_id) pd"
	"   ON pd.tag_id OPERATOR(pg_catalog.=) tg.id"
	" WHERE @tenant:tg@ true"
	" ORDER BY item_count DESC, tg.name",
	0, {InvalidOid}, 0, SPI_OK_SELECT
};

/*
 * The first $1 of those.  A tag without pending deltas has its folded
 * count.  With k tags that have some, the first $1 tags are among the
 * $1 + k of largest folded count (ties included) and the k: each of the
 * others has at least $1 tags without deltas above it.  If fewer than
 * $1 + k tags have a folded count, tags without items may be among the
 * first $1, and every tag is a candidate.  The candidates' limit makes
 * their read one of the index, not a scan of every count, and each
 * candidate's tag is looked up, never scanned.
 */
static const TagsStatement stmt_item_tag_counts_top = {
	"item_tag_counts_top",
	"WITH pd AS MATERIALIZED ("
	"    SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	"    FROM @deltas@ d WHERE @tenant:d@ true GROUP BY d.tag_id"
	"), cut AS ("
	"    SELECT c.@count@ AS n FROM @counts@ c WHERE @tenant:c@ true"
	"    ORDER BY c.@count@ DESC"
	"    OFFSET $1::pg_catalog.int8 OPERATOR(pg_catalog.+)"
	"           (SELECT pg_catalog.count(*) FROM pd) OPERATOR(pg_catalog.-) 1"
	"    LIMIT 1"
	"), candidates AS ("
	"    (SELECT c.tag_id, c.@count@ AS folded, 0::pg_catalog.int8 AS delta"
	"     FROM @counts@ c"
	"     WHERE @tenant:c@ c.@count@ OPERATOR(pg_catalog.>=) (SELECT cut.n FROM cut)"
	"     ORDER BY c.@count@ DESC"
	"     LIMIT $1::pg_catalog.int8"
	"           OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pd)"
	"           OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*)"
	"                                   FROM @counts@ c"
	"                                   WHERE @tenant:c@ c.@count@ OPERATOR(pg_catalog.=)"
	"                                         (SELECT cut.n FROM cut)))"
	"    UNION ALL"
	"    SELECT pd.tag_id,"
	"           COALESCE((SELECT c.@count@ FROM @counts@ c"
	"                     WHERE @tenant:c@ c.tag_id OPERATOR(pg_catalog.=) pd.tag_id), 0),"
	"           pd.delta"
	"    FROM pd"
	"    UNION ALL"
	"    SELECT tg.id,"
	"           COALESCE((SELECT c.@count@ FROM @counts@ c"
	"                     WHERE @tenant:c@ c.tag_id OPERATOR(pg_catalog.=) tg.id), 0),"
	"           0"
	"    FROM @tags@ tg"
	"    WHERE @tenant:tg@ NOT EXISTS (SELECT FROM cut)"
	"), counted AS ("
	"    SELECT k.tag_id, (pg_catalog.max(k.folded) OPERATOR(pg_catalog.+)"
	"                      pg_catalog.sum(k.delta))::pg_catalog.int8 AS item_count"
	"    FROM candidates k GROUP BY k.tag_id"
	")"
	" SELECT tg.id, tg.name::pg_catalog.text, tg.slug::pg_catalog.text,"
	"        k.item_count"
	" FROM counted k"
	" CROSS JOIN LATERAL (SELECT tg.* FROM @tags@ tg"
	"                     WHERE @tenant:tg@ tg.id OPERATOR(pg_catalog.=) k.tag_id"
	"                     OFFSET 0) tg"
	" ORDER BY k.item_count DESC, tg.name"
	" LIMIT $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The first $1 (NULL: all) counted live */
static const TagsStatement stmt_item_tag_counts_live = {
	"item_tag_counts_live",
	"SELECT tg.id, tg.name::pg_catalog.text, tg.slug::pg_catalog.text,"
	"       pg_catalog.count(t.@key@) AS item_count"
	" FROM @tags@ tg"
	" LEFT JOIN @assoc@ a"
	"   ON @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) tg.id AND a.@visible@"
	" LEFT JOIN @target@ t"
	"   ON @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE @tenant:tg@ true"
	" GROUP BY tg.id, tg.name, tg.slug"
	" ORDER BY item_count DESC, tg.name"
	" LIMIT $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * On a target distributed by its key, whose counters each shard group
 * keeps, a tag's folded count in as many rows as groups hold some (see
 * tags_count_item_changes()): every tag, its counts and deltas summed over
 * every shard group, one query of every shard, most used first; the first
 * $1 (NULL: all)
 */
static const TagsStatement stmt_item_tag_counts_by_key = {
	"item_tag_counts_by_key",
	"SELECT tg.id, tg.name::pg_catalog.text, tg.slug::pg_catalog.text,"
	"       COALESCE(n.item_count, 0)::pg_catalog.int8 AS item_count"
	" FROM @tags@ tg"
	" LEFT JOIN (SELECT u.tag_id, pg_catalog.sum(u.n) AS item_count"
	"            FROM (SELECT c.tag_id, c.@count@ AS n FROM @counts@ c"
	"                  UNION ALL"
	"                  SELECT d.tag_id, d.delta FROM @deltas@ d) u"
	"            GROUP BY u.tag_id) n"
	"   ON n.tag_id OPERATOR(pg_catalog.=) tg.id"
	" ORDER BY item_count DESC, tg.name"
	" LIMIT $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * Put every tag with its count of the target's visible items into the
 * result set of fcinfo, most used first, then by name; only the first top
 * if top is not NULL.  The rows are put as the statements make them: the
 * result's count column is named after the target (item_count,
 * post_count), and the statements' are not.
 */
static void
put_tag_counts(FunctionCallInfo fcinfo, const TagsTarget *target, Datum *top)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		row;

	if (tags_item_counters_answer(target))
	{
		TagsSavedUser saved;

		tags_become_target_owner(target, &saved);
		if (TAGS_DISTRIBUTED_BY_KEY(target))
		{
			Datum		all = (Datum) 0;

			tags_target_execute(target, &stmt_item_tag_counts_by_key,
								top ? top : &all, top ? NULL : "n", false,
								true, 0);
		}
		else if (top == NULL)
			tags_target_execute(target, &stmt_item_tag_counts, NULL, NULL, false,
								true, 0);
		else
			tags_target_execute(target, &stmt_item_tag_counts_top, top, NULL,
								false, true, 0);
		tags_restore_user(&saved);
	}
	else
	{
		Datum		all = (Datum) 0;

		tags_target_execute(target, &stmt_item_tag_counts_live, top ? top : &all,
							top ? NULL : "n", false, true, 0);
	}
	for (row = 0; row < SPI_processed; row++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[row]);
}

/*
 * tag_item_counts(target regclass, tenant tag_tenant, context text)
 *		RETURNS TABLE (id, name, slug, item_count)
 *
 * Every tag, a tag without visible items with 0, most used first, then by
 * name.  Reads the counters: one row per tag, whatever the number of items.
 */
Datum
tag_item_counts(PG_FUNCTION_ARGS)
{
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, &target);
	tags_scope_args(fcinfo, 1, 2, &target);
	put_tag_counts(fcinfo, &target, NULL);
	SPI_finish();
	return (Datum) 0;
}

/*
 * tag_counts() RETURNS TABLE (id, name, slug, post_count)
 *
 * tag_item_counts() on posts.
 */
Datum
tag_counts(PG_FUNCTION_ARGS)
{
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_builtin_target(&target);
	put_tag_counts(fcinfo, &target, NULL);
	SPI_finish();
	return (Datum) 0;
}

/* The top argument argno, not negative (22004, 22023) */
static int32
top_arg(FunctionCallInfo fcinfo, int argno)
{
	int32		top = tags_int32_arg(fcinfo, argno, "top");

	if (top < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("top must not be negative"));
	return top;
}

/*
 * tag_item_counts(target regclass, top integer, tenant tag_tenant,
 *				   context text)
 *		RETURNS TABLE (id, name, slug, item_count)
 *
 * The first top rows of tag_item_counts(), read off the index of the
 * folded counts: the cost grows with top, not with the number of tags.
 */
Datum
tag_item_counts_top(PG_FUNCTION_ARGS)
{
	Datum		top = Int32GetDatum(top_arg(fcinfo, 1));
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, &target);
	tags_scope_args(fcinfo, 2, 3, &target);
	if (DatumGetInt32(top) > 0)
		put_tag_counts(fcinfo, &target, &top);
	SPI_finish();
	return (Datum) 0;
}

/*
 * tag_counts(top integer) RETURNS TABLE (id, name, slug, post_count)
 *
 * tag_item_counts(target, top) on posts.
 */
Datum
tag_counts_top(PG_FUNCTION_ARGS)
{
	Datum		top = Int32GetDatum(top_arg(fcinfo, 0));
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	if (DatumGetInt32(top) == 0)
		return (Datum) 0;
	tags_spi_connect(fcinfo);
	tags_builtin_target(&target);
	put_tag_counts(fcinfo, &target, &top);
	SPI_finish();
	return (Datum) 0;
}

/* The number of tag $1's visible items, by the counters */
static const TagsStatement stmt_item_tag_count = {
	"item_tag_count",
	"SELECT COALESCE((SELECT c.@count@ FROM @counts@ c"
	"                 WHERE @tenant:c@ c.tag_id OPERATOR(pg_catalog.=) $1), 0)"
	"       OPERATOR(pg_catalog.+)"
	"       COALESCE((SELECT pg_catalog.sum(d.delta) FROM @deltas@ d"
	"                 WHERE @tenant:d@ d.tag_id OPERATOR(pg_catalog.=) $1), 0)",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * The same on a target distributed by its key: its counts and deltas
 * summed over every shard group (stmt_item_tag_counts_by_key)
 */
static const TagsStatement stmt_item_tag_count_by_key = {
	"item_tag_count_by_key",
	"SELECT (COALESCE((SELECT pg_catalog.sum(c.@count@) FROM @counts@ c"
	"                  WHERE c.tag_id OPERATOR(pg_catalog.=) $1), 0)"
	"        OPERATOR(pg_catalog.+)"
	"        COALESCE((SELECT pg_catalog.sum(d.delta) FROM @deltas@ d"
	"                  WHERE d.tag_id OPERATOR(pg_catalog.=) $1), 0))"
	"       ::pg_catalog.int8",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The same counted live: planned at each run, for the tag it counts */
static const TagsStatement stmt_item_tag_count_live = {
	"item_tag_count_live",
	"SELECT pg_catalog.count(*) FROM @assoc@ a"
	" JOIN @target@ t"
	"   ON @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@",
	1, {INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * The number of the tag's visible items of the target: the total that
 * items_by_tag() pages through, read from the counters when they answer.
 * The caller must be connected to SPI.
 */
static int64
item_count(const TagsTarget *target, Datum tag)
{
	bool		isnull;

	if (tags_item_counters_answer(target))
	{
		TagsSavedUser saved;

		tags_become_target_owner(target, &saved);
		tags_target_execute(target,
							TAGS_DISTRIBUTED_BY_KEY(target) ?
							&stmt_item_tag_count_by_key : &stmt_item_tag_count,
							&tag, NULL, false, true, 0);
		tags_restore_user(&saved);
	}
	else
		tags_target_execute(target, &stmt_item_tag_count_live, &tag, NULL, false,
							true, 0);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * A tag's count on a distributed target, as one statement: the tag's row
 * is selected by its slug with the call that counts on the worker that
 * holds the tenant, tag_count_on_shard(); one table filtered on its
 * distribution column, a query Citus plans on its fast path.  $1 slug,
 * $2 context.
 */
static const TagsStatement stmt_item_tag_count_on_shard = {
	"item_tag_count_on_shard",
	"SELECT @extschema@.tag_count_on_shard(v.tableoid, v, NULL::@target@, $2)"
	" FROM @tags@ v"
	" WHERE @tenant:v@ v.slug OPERATOR(pg_catalog.=) $1",
	2, {TEXTOID, TEXTOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT, NULL, true
};

/*
 * Set *count to the count of the tag of slug, read on the Citus worker
 * that holds the tenant (doc/citus.md, "Where a call runs"): one hop,
 * where Citus would plan and send the slug's lookup and the count apart.
 * False if slug is no current slug of a tag (an old slug, or no tag's),
 * which the caller then reads as on a single server.
 */
static bool
count_on_shard(const TagsTarget *target, Datum slug, int64 *count)
{
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		isnull;

	/* $1 slug, $2 context */
	values[0] = slug;
	tags_context_param(target, &values[1], &nulls[1]);
	if (tags_target_execute(target, &stmt_item_tag_count_on_shard, values,
							nulls, false, true, 0) == 0)
		return false;
	*count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		elog(ERROR, "the count the Citus worker gave back is null");
	return true;
}

/*
 * tag_item_count(target regclass, slug text, tenant tag_tenant,
 *				  context text) RETURNS bigint
 *
 * On a distributed target, one statement (count_on_shard()).
 */
Datum
tag_item_count(PG_FUNCTION_ARGS)
{
	TagsTarget	target;
	int64		count;

	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, &target);
	tags_scope_args(fcinfo, 2, 3, &target);
	if (!TAGS_DISTRIBUTED_BY_TENANT(&target) || PG_ARGISNULL(1) ||
		!count_on_shard(&target, PG_GETARG_DATUM(1), &count))
		count = item_count(&target,
						   Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1,
															 &target)));
	SPI_finish();
	PG_RETURN_INT64(count);
}

/*
 * tag_post_count(slug text) RETURNS bigint
 *
 * tag_item_count() on posts.
 */
Datum
tag_post_count(PG_FUNCTION_ARGS)
{
	TagsTarget	target;
	int64		count;

	tags_spi_connect(fcinfo);
	tags_builtin_target(&target);
	count = item_count(&target,
					   Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0, &target)));
	SPI_finish();
	PG_RETURN_INT64(count);
}

/*
 * tag_count_on_shard(shard oid, tag record, target anyelement,
 *					  context text) RETURNS bigint
 *
 * The count of count_on_shard(), on the Citus worker that holds the
 * tenant: shard is the table of the row tag there, a shard of a tenant
 * vocabulary, and the count is of the target whose row type is target's,
 * on its shard group on this node, of the tag's tenant (targets.c).
 */
Datum
tag_count_on_shard(PG_FUNCTION_ARGS)
{
	Oid			table = tags_row_table_arg(fcinfo, 2, "target");
	TagsTarget	target;
	Datum		tag;
	int64		count;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("shard and tag must not be null"));
	tags_spi_connect(fcinfo);
	tag = tags_tag_on_shard(fcinfo, table, 3, &target);
	count = item_count(&target, tag);
	SPI_finish();
	PG_RETURN_INT64(count);
}
