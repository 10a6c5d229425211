/*-------------------------------------------------------------------------
 *
 * item_counts.c
 *	  The item counts of tags on a target (1.2): every tag's, the first
 *	  ones, a tag's.
 *
 * tag_readers.c for a target: the target's counters answer, read as the
 * target's owner, when the caller may read the target and its associations
 * and row-level security hides no row of the target from it; else the
 * items are counted live, as the caller.  See doc/targets.md.
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

#include "tags.h"

PG_FUNCTION_INFO_V1(tag_item_counts);
PG_FUNCTION_INFO_V1(tag_item_counts_top);
PG_FUNCTION_INFO_V1(tag_item_count);

static void put_tag_counts(FunctionCallInfo fcinfo, Datum *top);

/*
 * Whether the counters may answer for the caller (see tag_readers.c): it may
 * read the target and its association table, and row-level security hides
 * no row of the target from it.
 */
bool
tags_item_counters_answer(const TagsTarget *target)
{
	return pg_class_aclcheck(target->relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK &&
		pg_class_aclcheck(target->assoc, GetUserId(), ACL_SELECT) == ACLCHECK_OK &&
		check_enable_rls(target->relid, InvalidOid, true) != RLS_ENABLED;
}

/* Every tag with its item count, by the counters (stmt_tag_counts) */
static const TagsStatement stmt_item_tag_counts = {
	"item_tag_counts",
	"SELECT tg.id, tg.name::pg_catalog.text, tg.slug::pg_catalog.text,"
	"       (COALESCE(c.@count@, 0) OPERATOR(pg_catalog.+)"
	"        COALESCE(pd.delta, 0)) AS item_count"
	" FROM @extschema@.tags tg"
	" LEFT JOIN @counts@ c ON c.tag_id OPERATOR(pg_catalog.=) tg.id"
	" LEFT JOIN (SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	"            FROM @deltas@ d GROUP BY d.tag_id) pd"
	"   ON pd.tag_id OPERATOR(pg_catalog.=) tg.id"
	" ORDER BY item_count DESC, tg.name",
	0, {InvalidOid}, 0, SPI_OK_SELECT
};

/* The first $1 of those (see stmt_tag_counts_top in tag_readers.c) */
static const TagsStatement stmt_item_tag_counts_top = {
	"item_tag_counts_top",
	"WITH pd AS MATERIALIZED ("
	"    SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	"    FROM @deltas@ d GROUP BY d.tag_id"
	"), cut AS ("
	"    SELECT c.@count@ AS n FROM @counts@ c"
	"    ORDER BY c.@count@ DESC"
	"    OFFSET $1::pg_catalog.int8 OPERATOR(pg_catalog.+)"
	"           (SELECT pg_catalog.count(*) FROM pd) OPERATOR(pg_catalog.-) 1"
	"    LIMIT 1"
	"), candidates AS ("
	"    (SELECT c.tag_id, c.@count@ AS folded, 0::pg_catalog.int8 AS delta"
	"     FROM @counts@ c"
	"     WHERE c.@count@ OPERATOR(pg_catalog.>=) (SELECT cut.n FROM cut)"
	"     ORDER BY c.@count@ DESC"
	"     LIMIT $1::pg_catalog.int8"
	"           OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pd)"
	"           OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*)"
	"                                   FROM @counts@ c"
	"                                   WHERE c.@count@ OPERATOR(pg_catalog.=)"
	"                                         (SELECT cut.n FROM cut)))"
	"    UNION ALL"
	"    SELECT pd.tag_id,"
	"           COALESCE((SELECT c.@count@ FROM @counts@ c"
	"                     WHERE c.tag_id OPERATOR(pg_catalog.=) pd.tag_id), 0),"
	"           pd.delta"
	"    FROM pd"
	"    UNION ALL"
	"    SELECT tg.id,"
	"           COALESCE((SELECT c.@count@ FROM @counts@ c"
	"                     WHERE c.tag_id OPERATOR(pg_catalog.=) tg.id), 0),"
	"           0"
	"    FROM @extschema@.tags tg"
	"    WHERE NOT EXISTS (SELECT FROM cut)"
	"), counted AS ("
	"    SELECT k.tag_id, (pg_catalog.max(k.folded) OPERATOR(pg_catalog.+)"
	"                      pg_catalog.sum(k.delta))::pg_catalog.int8 AS item_count"
	"    FROM candidates k GROUP BY k.tag_id"
	")"
	" SELECT tg.id, tg.name::pg_catalog.text, tg.slug::pg_catalog.text,"
	"        k.item_count"
	" FROM counted k"
	" CROSS JOIN LATERAL (SELECT tg.* FROM @extschema@.tags tg"
	"                     WHERE tg.id OPERATOR(pg_catalog.=) k.tag_id"
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
	" FROM @extschema@.tags tg"
	" LEFT JOIN @assoc@ a"
	"   ON a.tag_id OPERATOR(pg_catalog.=) tg.id AND a.@visible@"
	" LEFT JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" GROUP BY tg.id"
	" ORDER BY item_count DESC, tg.name"
	" LIMIT $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * Put every tag with its count of the target's visible items into the
 * result set of fcinfo; only the first top if top is not NULL.
 */
static void
put_tag_counts(FunctionCallInfo fcinfo, Datum *top)
{
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, &target);
	if (tags_item_counters_answer(&target))
	{
		TagsSavedUser saved;

		tags_become_target_owner(&target, &saved);
		if (top == NULL)
			tags_target_execute(&target, &stmt_item_tag_counts, NULL, NULL, false,
								true, 0);
		else
			tags_target_execute(&target, &stmt_item_tag_counts_top, top, NULL,
								false, true, 0);
		tags_restore_user(&saved);
	}
	else
	{
		Datum		all = (Datum) 0;

		tags_target_execute(&target, &stmt_item_tag_counts_live, top ? top : &all,
							top ? NULL : "n", false, true, 0);
	}
	tags_put_spi_result(fcinfo);
	SPI_finish();
}

/*
 * tag_item_counts(target regclass)
 *		RETURNS TABLE (id, name, slug, item_count)
 */
Datum
tag_item_counts(PG_FUNCTION_ARGS)
{
	put_tag_counts(fcinfo, NULL);
	return (Datum) 0;
}

/*
 * tag_item_counts(target regclass, top integer)
 *		RETURNS TABLE (id, name, slug, item_count)
 */
Datum
tag_item_counts_top(PG_FUNCTION_ARGS)
{
	int32		top = tags_int32_arg(fcinfo, 1, "top");
	Datum		param = Int32GetDatum(top);

	if (top < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("top must not be negative"));
	if (top == 0)
	{
		TagsTarget	target;

		InitMaterializedSRF(fcinfo, 0);
		tags_spi_connect(fcinfo);
		tags_target_arg(fcinfo, &target);
		SPI_finish();
		return (Datum) 0;
	}
	put_tag_counts(fcinfo, &param);
	return (Datum) 0;
}

/* The number of tag $1's visible items, by the counters */
static const TagsStatement stmt_item_tag_count = {
	"item_tag_count",
	"SELECT COALESCE((SELECT c.@count@ FROM @counts@ c"
	"                 WHERE c.tag_id OPERATOR(pg_catalog.=) $1), 0)"
	"       OPERATOR(pg_catalog.+)"
	"       COALESCE((SELECT pg_catalog.sum(d.delta) FROM @deltas@ d"
	"                 WHERE d.tag_id OPERATOR(pg_catalog.=) $1), 0)",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The same counted live: planned at each run */
static const TagsStatement stmt_item_tag_count_live = {
	"item_tag_count_live",
	"SELECT pg_catalog.count(*) FROM @assoc@ a"
	" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
	" WHERE a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@",
	1, {INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * tag_item_count(target regclass, slug text) RETURNS bigint
 */
Datum
tag_item_count(PG_FUNCTION_ARGS)
{
	TagsTarget	target;
	Datum		param;
	bool		isnull;
	int64		count;

	tags_spi_connect(fcinfo);
	tags_target_arg(fcinfo, &target);
	param = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1));
	if (tags_item_counters_answer(&target))
	{
		TagsSavedUser saved;

		tags_become_target_owner(&target, &saved);
		tags_target_execute(&target, &stmt_item_tag_count, &param, NULL, false,
							true, 0);
		tags_restore_user(&saved);
	}
	else
		tags_target_execute(&target, &stmt_item_tag_count_live, &param, NULL, false,
							true, 0);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(count);
}
