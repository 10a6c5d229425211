/*-------------------------------------------------------------------------
 *
 * tag_readers.c
 *	  Reads of tags: every tag's post count, a tag's post count, search by
 *	  prefix, related tags.
 *
 * A tag's count is its folded count plus its pending deltas (counters.c).
 * The counters answer, read as the extension's owner, only when the caller
 * may read the tables they stand for and row-level security hides nothing
 * from it (tags_counters_answer()); else the posts are counted live, as the
 * caller.  The readers lock nothing and read in the caller's snapshot.
 * See doc/tables.md and doc/plans.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rls.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tag_counts);
PG_FUNCTION_INFO_V1(tag_counts_top);
PG_FUNCTION_INFO_V1(tag_post_count);
PG_FUNCTION_INFO_V1(tags_search);
PG_FUNCTION_INFO_V1(tags_related);

static void put_tag_counts(FunctionCallInfo fcinfo, Datum *top);

/*
 * Whether the counters may answer for the caller: it may read the three
 * tables, and row-level security hides none of their rows from it.  Else
 * the posts are counted live, as the caller, by the join the counters
 * stand for, so that it counts what it may see, or gets the error it would
 * get from reading the tables.
 */
bool
tags_counters_answer(void)
{
	static const char *const tables[] = {"posts", "tags", "post_tags"};
	int			i;

	for (i = 0; i < lengthof(tables); i++)
	{
		Oid			relid = tags_table_id(tables[i]);

		if (!OidIsValid(relid) ||
			pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
			check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
			return false;
	}
	return true;
}

/* Every tag with its post count, by the counters, most used first */
static const TagsStatement stmt_tag_counts = {
	"tag_counts",
	"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
	"       (COALESCE(c.post_count, 0) OPERATOR(pg_catalog.+) COALESCE(pd.delta, 0)) AS post_count"
	" FROM @extschema@.tags t"
	" LEFT JOIN @extschema@.tag_post_counts c"
	"   ON c.tag_id OPERATOR(pg_catalog.=) t.id"
	" LEFT JOIN (SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	" FROM @extschema@.tag_post_count_deltas d GROUP BY d.tag_id) pd"
	"   ON pd.tag_id OPERATOR(pg_catalog.=) t.id"
	" ORDER BY post_count DESC, t.name",
	0, {InvalidOid}, 0, SPI_OK_SELECT
};

/*
 * The first $1 of those.  A tag without pending deltas has its folded
 * count.  With k tags that have some, the first $1 tags are among the
 * $1 + k of largest folded count (ties included) and the k: each of the
 * others has at least $1 tags without deltas above it.  If fewer than
 * $1 + k tags have a folded count, tags without posts may be among the
 * first $1, and every tag is a candidate.  The candidates' limit makes
 * their read one of the index, not a scan of every count, and each
 * candidate's tag is looked up, never scanned.
 */
static const TagsStatement stmt_tag_counts_top = {
	"tag_counts_top",
	"WITH pd AS MATERIALIZED (SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	" FROM @extschema@.tag_post_count_deltas d GROUP BY d.tag_id), cut AS ("
	"    SELECT c.post_count FROM @extschema@.tag_post_counts c"
	"    ORDER BY c.post_count DESC"
	"    OFFSET $1::pg_catalog.int8 OPERATOR(pg_catalog.+)"
	"           (SELECT pg_catalog.count(*) FROM pd) OPERATOR(pg_catalog.-) 1"
	"    LIMIT 1), candidates AS ("
	"    (SELECT c.tag_id, c.post_count AS folded, 0::pg_catalog.int8 AS delta"
	"     FROM @extschema@.tag_post_counts c"
	"     WHERE c.post_count OPERATOR(pg_catalog.>=) (SELECT cut.post_count FROM cut)"
	"     ORDER BY c.post_count DESC"
	"     LIMIT $1::pg_catalog.int8"
	"           OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pd)"
	"           OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*)"
	"                                   FROM @extschema@.tag_post_counts c"
	"                                   WHERE c.post_count OPERATOR(pg_catalog.=)"
	"                                         (SELECT cut.post_count FROM cut)))"
	"    UNION ALL"
	"    SELECT pd.tag_id, COALESCE((SELECT c.post_count FROM @extschema@.tag_post_counts c"
	"          WHERE c.tag_id OPERATOR(pg_catalog.=) pd.tag_id), 0), pd.delta FROM pd"
	"    UNION ALL"
	"    SELECT t.id, COALESCE((SELECT c.post_count FROM @extschema@.tag_post_counts c"
	"          WHERE c.tag_id OPERATOR(pg_catalog.=) t.id), 0), 0 FROM @extschema@.tags t"
	"    WHERE NOT EXISTS (SELECT FROM cut)), counted AS ("
	"    SELECT k.tag_id, (pg_catalog.max(k.folded) OPERATOR(pg_catalog.+)"
	"                      pg_catalog.sum(k.delta))::pg_catalog.int8 AS post_count"
	"    FROM candidates k GROUP BY k.tag_id)"
	" SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
	"        k.post_count"
	" FROM counted k"
	" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t"
	"                     WHERE t.id OPERATOR(pg_catalog.=) k.tag_id"
	"                     OFFSET 0) t"
	" ORDER BY k.post_count DESC, t.name"
	" LIMIT $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The first $1 (NULL: all) counted live, as the caller */
static const TagsStatement stmt_tag_counts_live = {
	"tag_counts_live",
	"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
	"       pg_catalog.count(p.id) AS post_count"
	" FROM @extschema@.tags t"
	" LEFT JOIN @extschema@.post_tags pt"
	"   ON pt.tag_id OPERATOR(pg_catalog.=) t.id"
	" LEFT JOIN @extschema@.posts p"
	"   ON p.id OPERATOR(pg_catalog.=) pt.post_id"
	"  AND p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL"
	" GROUP BY t.id"
	" ORDER BY post_count DESC, t.name"
	" LIMIT $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * Put every tag with its count into the result set of fcinfo, most used
 * first, then by name; only the first top if top is not NULL.
 */
static void
put_tag_counts(FunctionCallInfo fcinfo, Datum *top)
{
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	if (tags_counters_answer())
	{
		TagsSavedUser saved;

		tags_become_owner(&saved);
		if (top == NULL)
			tags_execute(&stmt_tag_counts, NULL, NULL, true, 0);
		else
			tags_execute(&stmt_tag_counts_top, top, NULL, true, 0);
		tags_restore_user(&saved);
	}
	else
	{
		Datum		all = (Datum) 0;

		tags_execute(&stmt_tag_counts_live, top ? top : &all, top ? NULL : "n",
					 true, 0);
	}
	tags_put_spi_result(fcinfo);
	SPI_finish();
}

/*
 * tag_counts() RETURNS TABLE (id, name, slug, post_count)
 *
 * Every tag, a tag without visible posts with 0, most used first, then by
 * name.  Reads the counters: one row per tag, whatever the number of posts.
 */
Datum
tag_counts(PG_FUNCTION_ARGS)
{
	put_tag_counts(fcinfo, NULL);
	return (Datum) 0;
}

/*
 * tag_counts(top integer) RETURNS TABLE (id, name, slug, post_count)
 *
 * The first top rows of tag_counts(), read off the index of the folded
 * counts: the cost grows with top, not with the number of tags.
 */
Datum
tag_counts_top(PG_FUNCTION_ARGS)
{
	int32		top = tags_int32_arg(fcinfo, 0, "top");
	Datum		param = Int32GetDatum(top);

	if (top < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("top must not be negative"));
	if (top == 0)
	{
		InitMaterializedSRF(fcinfo, 0);
		return (Datum) 0;
	}
	put_tag_counts(fcinfo, &param);
	return (Datum) 0;
}

/* The number of tag $1's listed posts, by the counters */
static const TagsStatement stmt_tag_post_count = {
	"tag_post_count",
	"SELECT COALESCE((SELECT c.post_count"
	"                 FROM @extschema@.tag_post_counts c"
	"                 WHERE c.tag_id OPERATOR(pg_catalog.=) $1), 0)"
	"       OPERATOR(pg_catalog.+)"
	"       COALESCE((SELECT pg_catalog.sum(d.delta)"
	"                 FROM @extschema@.tag_post_count_deltas d"
	"                 WHERE d.tag_id OPERATOR(pg_catalog.=) $1), 0)",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The same counted live: planned at each run, for the tag it counts */
static const TagsStatement stmt_tag_post_count_live = {
	"tag_post_count_live",
	"SELECT pg_catalog.count(*)"
	" FROM @extschema@.post_tags pt"
	" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) pt.post_id"
	" WHERE pt.tag_id OPERATOR(pg_catalog.=) $1"
	"   AND p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL",
	1, {INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * tag_post_count(slug text) RETURNS bigint
 *
 * The number of the tag's visible posts: the total that posts_by_tag()
 * pages through, read from the counters.
 */
Datum
tag_post_count(PG_FUNCTION_ARGS)
{
	Datum		param;
	bool		isnull;
	int64		count;

	tags_spi_connect(fcinfo);
	param = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0));
	if (tags_counters_answer())
	{
		TagsSavedUser saved;

		tags_become_owner(&saved);
		tags_execute(&stmt_tag_post_count, &param, NULL, true, 0);
		tags_restore_user(&saved);
	}
	else
		tags_execute(&stmt_tag_post_count_live, &param, NULL, true, 0);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(count);
}

/*
 * The first $2 tags whose name starts with $1, most used first, by the
 * counters.  Planned at each call: only with the prefix known does the
 * planner read the names that start with it off the unique index of name,
 * whose "C" collation orders them together.
 */
static const TagsStatement stmt_tags_search = {
	"tags_search",
	"SELECT t.* FROM @extschema@.tags t"
	" LEFT JOIN @extschema@.tag_post_counts c"
	"   ON c.tag_id OPERATOR(pg_catalog.=) t.id"
	" LEFT JOIN (SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta"
	" FROM @extschema@.tag_post_count_deltas d GROUP BY d.tag_id) pd"
	"   ON pd.tag_id OPERATOR(pg_catalog.=) t.id"
	" WHERE t.name::pg_catalog.text OPERATOR(pg_catalog.^@) $1"
	" ORDER BY (COALESCE(c.post_count, 0) OPERATOR(pg_catalog.+) COALESCE(pd.delta, 0)) DESC, t.name"
	" LIMIT $2",
	2, {TEXTOID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/* The same, counted live */
static const TagsStatement stmt_tags_search_live = {
	"tags_search_live",
	"SELECT t.* FROM @extschema@.tags t"
	" WHERE t.name::pg_catalog.text OPERATOR(pg_catalog.^@) $1"
	" ORDER BY (SELECT pg_catalog.count(*)"
	"           FROM @extschema@.post_tags pt"
	"           JOIN @extschema@.posts p"
	"             ON p.id OPERATOR(pg_catalog.=) pt.post_id"
	"           WHERE pt.tag_id OPERATOR(pg_catalog.=) t.id"
	"             AND p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL) DESC, t.name"
	" LIMIT $2",
	2, {TEXTOID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * tags_search(prefix text, lim integer) RETURNS SETOF tags
 *
 * Autocomplete: at most lim tags whose name starts with the normalized
 * prefix, most used first, then by name.  The names are read off the
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
	if (tags_counters_answer())
	{
		TagsSavedUser saved;

		tags_become_owner(&saved);
		tags_execute(&stmt_tags_search, params, NULL, true, 0);
		tags_restore_user(&saved);
	}
	else
		tags_execute(&stmt_tags_search_live, params, NULL, true, 0);
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
	"       FROM @extschema@.post_tags pt"
	"       CROSS JOIN LATERAL (SELECT o.tag_id FROM @extschema@.post_tags o"
	"                           WHERE o.post_id OPERATOR(pg_catalog.=) pt.post_id"
	"                             AND o.tag_id OPERATOR(pg_catalog.<>) $1"
	"                           OFFSET 0) o"
	"       WHERE pt.tag_id OPERATOR(pg_catalog.=) $1 AND pt.post_visible"
	"       GROUP BY o.tag_id) r"
	" JOIN @extschema@.tags t ON t.id OPERATOR(pg_catalog.=) r.tag_id"
	" ORDER BY r.shared_posts DESC, t.name"
	" LIMIT $2",
	2, {INT4OID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/* The same, joining posts, where row-level security may hide some */
static const TagsStatement stmt_tags_related_live = {
	"tags_related_live",
	"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
	"       r.shared_posts"
	" FROM (SELECT o.tag_id, pg_catalog.count(*) AS shared_posts"
	"       FROM @extschema@.post_tags pt"
	"       JOIN @extschema@.posts p"
	"         ON p.id OPERATOR(pg_catalog.=) pt.post_id"
	"       CROSS JOIN LATERAL (SELECT o.tag_id FROM @extschema@.post_tags o"
	"                           WHERE o.post_id OPERATOR(pg_catalog.=) pt.post_id"
	"                             AND o.tag_id OPERATOR(pg_catalog.<>) $1"
	"                           OFFSET 0) o"
	"       WHERE pt.tag_id OPERATOR(pg_catalog.=) $1 AND pt.post_visible"
	"       GROUP BY o.tag_id) r"
	" JOIN @extschema@.tags t ON t.id OPERATOR(pg_catalog.=) r.tag_id"
	" ORDER BY r.shared_posts DESC, t.name"
	" LIMIT $2",
	2, {INT4OID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * tags_related(slug text, lim integer)
 *		RETURNS TABLE (id, name, slug, shared_posts)
 *
 * The lim tags that are on the most of the tag's listed posts, with that
 * number, then by name; the tag itself is not among them.  It reads every
 * listed post of the tag and each one's tags: the cost grows with the
 * tag's posts.  posts is joined only where row-level security, or missing
 * privileges, may make it matter (see tags_counters_answer()).
 */
Datum
tags_related(PG_FUNCTION_ARGS)
{
	int32		lim = tags_lim_arg(fcinfo, 1);
	Datum		params[2];

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	/* $1 tag, $2 limit */
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0));
	params[1] = Int32GetDatum(lim);
	tags_execute(tags_counters_answer() ? &stmt_tags_related : &stmt_tags_related_live,
				 params, NULL, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}
