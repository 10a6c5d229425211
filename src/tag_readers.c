/*-------------------------------------------------------------------------
 *
 * tag_readers.c
 *	  Reads of tags themselves: search by prefix, related tags.
 *
 * Both work on a vocabulary, the shared tags or a tenant's (1.3), and rank
 * tags by their use on a target's list (posts', without a target), read
 * as counts.c reads them: by the counters when they answer for the
 * caller, else counted live.  They
 * lock nothing and read in the caller's snapshot.  See doc/functions.md
 * and doc/plans.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_search);
PG_FUNCTION_INFO_V1(tags_related);

/*
 * The first $2 tags whose name starts with $1, most used first, by the
 * counters.  Planned at each call: only with the prefix known does the
 * planner read the names that start with it off the unique index of name,
 * whose "C" collation orders them together.
 */
static const TagsStatement stmt_tags_search = {
	"tags_search",
	"SELECT t.* FROM @tags@ t"
	" LEFT JOIN @counts@ c"
	"   ON @tenant:c@ c.tag_id OPERATOR(pg_catalog.=) t.id"
	" LEFT JOIN (SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	"            FROM @deltas@ d WHERE @tenant:d@ true GROUP BY d.tag_id) pd"
	"   ON pd.tag_id OPERATOR(pg_catalog.=) t.id"
	" WHERE @tenant:t@ t.name::pg_catalog.text OPERATOR(pg_catalog.^@) $1"
	" ORDER BY (COALESCE(c.@count@, 0) OPERATOR(pg_catalog.+)"
	"           COALESCE(pd.delta, 0)) DESC, t.name"
	" LIMIT $2",
	2, {TEXTOID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * The same on a target distributed by its key, whose counters each shard
 * group keeps, a tag's in as many rows as groups hold some: summed over
 * every group (as tag_item_counts() sums them, counts.c)
 */
static const TagsStatement stmt_tags_search_by_key = {
	"tags_search_by_key",
	"SELECT t.* FROM @tags@ t"
	" LEFT JOIN (SELECT u.tag_id, pg_catalog.sum(u.n) AS n"
	"            FROM (SELECT c.tag_id, c.@count@ AS n FROM @counts@ c"
	"                  UNION ALL"
	"                  SELECT d.tag_id, d.delta FROM @deltas@ d) u"
	"            GROUP BY u.tag_id) s"
	"   ON s.tag_id OPERATOR(pg_catalog.=) t.id"
	" WHERE t.name::pg_catalog.text OPERATOR(pg_catalog.^@) $1"
	" ORDER BY COALESCE(s.n, 0) DESC, t.name"
	" LIMIT $2",
	2, {TEXTOID, INT4OID}, 0, SPI_OK_SELECT
};

/* The same, counted live */
static const TagsStatement stmt_tags_search_live = {
	"tags_search_live",
	"SELECT t.* FROM @tags@ t"
	" WHERE @tenant:t@ t.name::pg_catalog.text OPERATOR(pg_catalog.^@) $1"
	" ORDER BY (SELECT pg_catalog.count(*) FROM @assoc@ a"
	"           JOIN @target@ p"
	"             ON @target_tenant:p@ p.@key@ OPERATOR(pg_catalog.=) a.@item@"
	"           WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) t.id"
	"             AND a.@visible@) DESC,"
	"          t.name"
	" LIMIT $2",
	2, {TEXTOID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * tags_search(prefix text, lim integer, target regclass, tenant tag_tenant,
 *			   context text) RETURNS SETOF tags
 *
 * Autocomplete: at most lim tags of the target's vocabulary (of the
 * tenant), or of the shared tags, whose name starts with the normalized
 * prefix, most used first on the target's list (posts', without a
 * target), then by name.  The names are read off the
 * unique index of name.  A prefix that normalizes to nothing, or that no
 * name could start with (longer than a name), matches no tag.
 */
Datum
tags_search(PG_FUNCTION_ARGS)
{
	int32		lim = tags_int32_arg(fcinfo, 1, "lim");
	text	   *prefix;
	char	   *normalized;
	Datum		params[2];
	TagsTarget	target;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("prefix must not be null"));
	if (lim < 1 || lim > TAGS_MAX_PAGE_SIZE)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("lim must be between 1 and %d", TAGS_MAX_PAGE_SIZE));

	InitMaterializedSRF(fcinfo, 0);
	prefix = PG_GETARG_TEXT_PP(0);
	if (VARSIZE_ANY_EXHDR(prefix) > TAGS_NAME_MAX_RAW_BYTES)
		return (Datum) 0;
	normalized = tags_normalize_cstring(VARDATA_ANY(prefix),
										VARSIZE_ANY_EXHDR(prefix));
	if (normalized[0] == '\0' ||
		pg_mbstrlen(normalized) > TAGS_NAME_MAX_CHARS)
		return (Datum) 0;

	/* $1 prefix, $2 limit */
	params[0] = CStringGetTextDatum(normalized);
	params[1] = Int32GetDatum(lim);
	tags_spi_connect(fcinfo);
	tags_vocabulary_args(fcinfo, 2, 3, 4, &target);
	if (tags_item_counters_answer(&target))
	{
		TagsSavedUser saved;

		tags_become_target_owner(&target, &saved);
		tags_target_execute(&target,
							TAGS_DISTRIBUTED_BY_KEY(&target) ?
							&stmt_tags_search_by_key : &stmt_tags_search,
							params, NULL, false, true, 0);
		tags_restore_user(&saved);
	}
	else
		tags_target_execute(&target, &stmt_tags_search_live, params, NULL, false,
							true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * The first $2 tags sharing the most listed posts with tag $1: each of its
 * posts' other tags, read through the primary key (OFFSET 0 keeps the
 * planner from hashing every association).  Planned at each call, as the
 * live count is: a tag on ten posts and one on a hundred thousand need
 * different plans.
 */
static const TagsStatement stmt_tags_related = {
	"tags_related",
	"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
	"       r.shared_posts"
	" FROM (SELECT o.tag_id, pg_catalog.count(*) AS shared_posts"
	"       FROM @assoc@ a"
	"       CROSS JOIN LATERAL (SELECT o.tag_id FROM @assoc@ o"
	"                           WHERE @tenant:o@ o.@item@ OPERATOR(pg_catalog.=) a.@item@"
	"                             AND o.tag_id OPERATOR(pg_catalog.<>) $1"
	"                           OFFSET 0) o"
	"       WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
	"       GROUP BY o.tag_id) r"
	" JOIN @tags@ t ON @tenant:t@ t.id OPERATOR(pg_catalog.=) r.tag_id"
	" ORDER BY r.shared_posts DESC, t.name"
	" LIMIT $2",
	2, {INT4OID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/* The same, joining the target, where row-level security may hide some */
static const TagsStatement stmt_tags_related_live = {
	"tags_related_live",
	"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
	"       r.shared_posts"
	" FROM (SELECT o.tag_id, pg_catalog.count(*) AS shared_posts"
	"       FROM @assoc@ a"
	"       JOIN @target@ p"
	"         ON @target_tenant:p@ p.@key@ OPERATOR(pg_catalog.=) a.@item@"
	"       CROSS JOIN LATERAL (SELECT o.tag_id FROM @assoc@ o"
	"                           WHERE @tenant:o@ o.@item@ OPERATOR(pg_catalog.=) a.@item@"
	"                             AND o.tag_id OPERATOR(pg_catalog.<>) $1"
	"                           OFFSET 0) o"
	"       WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
	"       GROUP BY o.tag_id) r"
	" JOIN @tags@ t ON @tenant:t@ t.id OPERATOR(pg_catalog.=) r.tag_id"
	" ORDER BY r.shared_posts DESC, t.name"
	" LIMIT $2",
	2, {INT4OID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * tags_related(slug text, lim integer, target regclass, tenant tag_tenant,
 *				context text)
 *		RETURNS TABLE (id, name, slug, shared_posts)
 *
 * The lim tags that are on the most of the tag's visible items of the
 * target's list (posts, without a target), with that number, then by
 * name; the tag itself is not among them.  It reads every
 * listed post of the tag and each one's tags: the cost grows with the
 * tag's posts.  posts is joined only where row-level security, or missing
 * privileges, may make it matter (see tags_item_counters_answer()).
 */
Datum
tags_related(PG_FUNCTION_ARGS)
{
	int32		lim = tags_lim_arg(fcinfo, 1);
	Datum		params[2];
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_vocabulary_args(fcinfo, 2, 3, 4, &target);
	/* $1 tag, $2 limit */
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0, &target));
	params[1] = Int32GetDatum(lim);
	tags_target_execute(&target,
						tags_item_counters_answer(&target) ?
						&stmt_tags_related : &stmt_tags_related_live,
						params, NULL, false, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}
