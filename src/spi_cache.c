/*-------------------------------------------------------------------------
 *
 * spi_cache.c
 *	  The extension's SQL statements, prepared once per backend and kept.
 *
 * Every statement the extension runs is in the table below, and nowhere
 * else.  Their text follows the rules that make them independent of the
 * caller's search_path, as ri_triggers.c does:
 *	- the extension's tables are written @extschema@.name, and @extschema@
 *	  is replaced by the quoted name of the extension's schema;
 *	- operators are OPERATOR(pg_catalog.x), functions and types are
 *	  pg_catalog-qualified;
 *	- values are only ever $n parameters.
 *
 * The schema is the one holding the SQL function being called, taken from
 * its pg_proc row at each tags_spi_connect(); if it differs from the one the
 * kept plans were made for (the extension was dropped and created again in
 * another schema), the plans are dropped.  A plan that SPI reports invalid
 * is prepared again from its text, so a renamed schema is picked up too.
 *
 * PostgreSQL makes a kept plan anew only when it is invalidated (ANALYZE,
 * DDL): a plan made while a table was small, a scan of all of it, would
 * stay as the table grows, as fast as autovacuum lets it or forever when
 * it is off.  So each kept plan notes the relations it uses and their
 * sizes in blocks, the size the planner starts from, and is made anew once
 * one of them has more than TAGS_REPLAN_GROWTH times the blocks it had
 * (plan_outgrown()); a table that grows a millionfold costs some twenty
 * plans of each statement.  The live count of a tag is planned at each
 * run (CURSOR_OPT_CUSTOM_PLAN): one generic plan cannot serve both a tag on
 * a few posts and one on a hundred thousand; so is the search by prefix,
 * which can use the index of names only for a prefix it knows.
 *
 * User code can call the functions again while a plan runs: a trigger, a
 * row-level security policy or a column default that a statement fires.
 * A plan is therefore never freed while an execution of it is under way:
 * it counts its executions (run_plan()), and one that must be replaced
 * meanwhile is retired, and freed when the last execution ends.
 *
 * The other statements whose parameters are arrays are prepared with
 * CURSOR_OPT_GENERIC_PLAN: an array behind unnest() makes the generic plan
 * look costlier than a custom one to the plan cache, which would otherwise
 * plan them anew at every call.  Tags are looked up by an array of names
 * one index descent per name, through a LATERAL subquery per element that
 * the planner cannot turn into a hash join over a scan of every tag, nor
 * into a scan that compares every row with every name (see
 * STMT_TAGS_BY_NAMES): a generic plan expects ten elements, and before the
 * first ANALYZE the planner guesses a tenth of the rows tags has, so both
 * look cheap to it.  Other arrays are joined through unnest(), where their
 * order or several arrays side by side matter.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/tupconvert.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "tags.h"

/*
 * A kept plan is made anew once a relation it uses has more than this many
 * times the blocks it had when the plan was made
 */
#define TAGS_REPLAN_GROWTH 2

/* One statement: its text, parameters and the SPI result it must give */
typedef struct TagsStmtDef
{
	const char *sql;
	int			nargs;
	Oid			argtypes[TAGS_MAX_ARGS];
	int			cursor_options;
	int			expected_rc;
	const char *sql_1_0;		/* the text for a schema still at version 1.0,
								 * where it differs */
} TagsStmtDef;

/*
 * Pieces that several statements share, so that each rule is written once.
 * POST_IS_VISIBLE is what "counts and is listed" means: a published post,
 * not soft-deleted.
 */
#define POST_IS_VISIBLE \
	"p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL"

#define POST_BY_ID \
	"SELECT p.id FROM @extschema@.posts p" \
	" WHERE p.id OPERATOR(pg_catalog.=) $1"

/* the same as a value, in a statement that has the post as p */
#define POST_VISIBILITY "(" POST_IS_VISIBLE ")"

/* what post_tags copies of the post $1 */
#define POST_COPY_BY_ID \
	"SELECT " POST_VISIBILITY ", p.created_at FROM @extschema@.posts p" \
	" WHERE p.id OPERATOR(pg_catalog.=) $1"

/* an association pt whose copy of its post p is out of date */
#define COPY_IS_STALE \
	"pt.post_id OPERATOR(pg_catalog.=) p.id" \
	" AND (pt.post_visible OPERATOR(pg_catalog.<>) " POST_VISIBILITY \
	"      OR pt.post_created_at OPERATOR(pg_catalog.<>) p.created_at)"

/*
 * A tag's count is its folded count c plus its pending deltas pd, summed
 * per tag here
 */
#define PENDING_BY_TAG \
	"(SELECT d.tag_id, pg_catalog.sum(d.delta) AS delta" \
	" FROM @extschema@.tag_post_count_deltas d GROUP BY d.tag_id)"
#define FOLDED_COUNT_OF(tag_id) \
	"COALESCE((SELECT c.post_count FROM @extschema@.tag_post_counts c" \
	"          WHERE c.tag_id OPERATOR(pg_catalog.=) " tag_id "), 0)"
#define COUNTED_POSTS \
	"(COALESCE(c.post_count, 0) OPERATOR(pg_catalog.+) COALESCE(pd.delta, 0))"

/*
 * The slug s of a tag or an alias may be made from the base b: b itself or
 * "b-...".  In the C collation those sort in [b, b.), one range of the
 * index of slugs: a slug holds only [a-z0-9-] (the CHECK constraints of
 * tags and tag_slug_aliases), and '-' is the only one of those that sorts
 * before '.'.  slug_number() in tagging.c picks the numbered ones.
 */
#define SLUG_FROM_BASE(s) \
	s " OPERATOR(pg_catalog.>=) b.base" \
	" AND " s " OPERATOR(pg_catalog.<) (b.base OPERATOR(pg_catalog.||) '.')"

/* the tag t's name starts with $1 */
#define NAME_STARTS_WITH \
	"t.name::pg_catalog.text OPERATOR(pg_catalog.^@) $1"

/*
 * Tag $1's listed posts, off the index (tag_id, post_visible,
 * post_created_at, post_id), which keeps them in their page order.  posts is joined, so row-level security on it
 * applies.
 */
#define TAG_POSTS \
	"SELECT p.* FROM @extschema@.post_tags pt" \
	" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) pt.post_id" \
	" WHERE pt.tag_id OPERATOR(pg_catalog.=) $1 AND pt.post_visible"

/*
 * A post's tags in order, through posts, so that a hidden post has none.
 * Each tag is read through the primary key (the LATERAL subquery, with
 * the locking clause it takes or OFFSET 0): joined plainly, while post_tags
 * had no statistics the planner expected some 1500 rows a post and hashed
 * every tag (10 ms at 30 000 tags).
 */
#define POST_TAGS_IN_ORDER(lock) \
	"SELECT t.* FROM @extschema@.posts p" \
	" JOIN @extschema@.post_tags pt" \
	"   ON pt.post_id OPERATOR(pg_catalog.=) p.id" \
	" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t" \
	"                     WHERE t.id OPERATOR(pg_catalog.=) pt.tag_id " lock ") t" \
	" WHERE p.id OPERATOR(pg_catalog.=) $1" \
	" ORDER BY pt.position NULLS LAST, t.id"

/*
 * Tags by the names a caller gives, normalized in C.  Every statement
 * that resolves such names goes through TAG_ID_OF_NAME, except those that
 * find and create tags, which look among tags' names, then among synonyms
 * (find_tags() in tagging.c): a name is a tag's own name or a synonym of it
 * (1.1), never both.
 *
 * TAG_ID_OF_NAME: the id of the tag with this name or synonym, or NULL.
 * TAG_IDS_OF_NAMES: the ids of the tags a text[] names, as an int4[] built
 * once per statement (an InitPlan); an unknown name gives a NULL element,
 * which = ANY matches with nothing.
 */
#define TAG_ID_OF_NAME(name) \
	"(SELECT t.id FROM @extschema@.tags t" \
	" WHERE t.name OPERATOR(pg_catalog.=) " name \
	" UNION ALL" \
	" SELECT s.tag_id FROM @extschema@.tag_synonyms s" \
	" WHERE s.name OPERATOR(pg_catalog.=) " name \
	" LIMIT 1)"
#define TAG_IDS_OF_NAMES(names) \
	"ARRAY(SELECT " TAG_ID_OF_NAME("n.name") \
	"      FROM pg_catalog.unnest(" names ") AS n(name))"

/*
 * The distinct tag ids the names $1 resolve to, NULL for an unknown name,
 * ordered least used first by the count use_count, an expression of k.id
 * that may use pd.delta, the sum of k.id's pending deltas (or NULL).  The
 * deltas are read once for all the names.
 */
#define TAG_IDS_BY_USE(use_count) \
	"WITH k AS MATERIALIZED (" \
	"    SELECT DISTINCT " TAG_ID_OF_NAME("n.name") " AS id" \
	"    FROM pg_catalog.unnest($1) AS n(name))" \
	" SELECT k.id FROM k LEFT JOIN " PENDING_BY_TAG " pd" \
	"   ON pd.tag_id OPERATOR(pg_catalog.=) k.id" \
	" ORDER BY " use_count ", k.id NULLS FIRST"

/*
 * posts_tagged()'s 'all' and 'exact' pages: the posts of the tag ($1)[1],
 * read off the index (tag_id, post_visible, post_created_at, post_id) in
 * page order, each kept if probe, an aggregate over its post_tags rows x
 * (read through the primary key), holds.  $1 holds the distinct ids of the
 * names, $2 the names to exclude.  The read stops when the page is full.
 */
#define POSTS_TAGGED_DRIVEN(probe) \
	"SELECT p.* FROM @extschema@.post_tags pt" \
	" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) pt.post_id" \
	" WHERE pt.tag_id OPERATOR(pg_catalog.=) ($1)[1] AND pt.post_visible" \
	"   AND (SELECT " probe \
	"        FROM @extschema@.post_tags x" \
	"        WHERE x.post_id OPERATOR(pg_catalog.=) pt.post_id)" \
	" ORDER BY pt.post_created_at DESC, pt.post_id DESC" \
	" OFFSET $3 LIMIT $4"
/* the post x has every tag of $1, and none named in $2 */
#define HAS_ALL_TAGS \
	"pg_catalog.count(*) FILTER (WHERE x.tag_id OPERATOR(pg_catalog.=) ANY ($1))" \
	"   OPERATOR(pg_catalog.=) pg_catalog.cardinality($1)" \
	" AND pg_catalog.count(*) FILTER (WHERE x.tag_id OPERATOR(pg_catalog.=)" \
	"                                 ANY (" TAG_IDS_OF_NAMES("$2") "))" \
	"   OPERATOR(pg_catalog.=) 0"

/*
 * Posts ranked by a number of matches.  The candidates, a subquery with
 * columns post_id, created_at (the post's) and the number, are sorted by
 * the number, then newest first, then by id (MATCHES_IN_ORDER, with "of"
 * the prefix of the columns, such as "m."); then each is looked up in
 * posts in that order until the page is full (POST_OF: OFFSET 0 keeps it a
 * lookup).  posts is joined, so row-level security on it applies, but only
 * the page's posts are read from it, not every candidate's.
 */
#define MATCHES_IN_ORDER(of, matches) \
	"ORDER BY " of matches " DESC, " of "created_at DESC, " of "post_id DESC"
#define POST_OF(candidate) \
	"(SELECT p.* FROM @extschema@.posts p" \
	" WHERE p.id OPERATOR(pg_catalog.=) " candidate ".post_id OFFSET 0)"

/*
 * The tags that share the most posts with tag $1: each of its listed posts'
 * other tags, read through the primary key (OFFSET 0 keeps the planner
 * from hashing every association instead, which took twice as long for a
 * tag on 130 000 of 1 000 000 posts); posts_join joins posts p where
 * row-level security may hide some.
 */
#define RELATED_TAGS(posts_join) \
	"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text," \
	"       r.shared_posts" \
	" FROM (SELECT o.tag_id, pg_catalog.count(*) AS shared_posts" \
	"       FROM @extschema@.post_tags pt" \
	posts_join \
	"       CROSS JOIN LATERAL (SELECT o.tag_id FROM @extschema@.post_tags o" \
	"                           WHERE o.post_id OPERATOR(pg_catalog.=) pt.post_id" \
	"                             AND o.tag_id OPERATOR(pg_catalog.<>) $1" \
	"                           OFFSET 0) o" \
	"       WHERE pt.tag_id OPERATOR(pg_catalog.=) $1 AND pt.post_visible" \
	"       GROUP BY o.tag_id) r" \
	" JOIN @extschema@.tags t ON t.id OPERATOR(pg_catalog.=) r.tag_id" \
	" ORDER BY r.shared_posts DESC, t.name" \
	" LIMIT $2"

static const TagsStmtDef stmt_defs[NUM_TAGS_STMTS] = {
	/*
	 * The four lookups of tags by names (or synonyms) descend the index
	 * once per name, in a nested loop over the names that the LATERAL
	 * subqueries force, whatever the tables' sizes.  A generic plan of
	 * "name = ANY ($1)" reads every row and compares it with every name
	 * while the planner thinks the table small, which until its first
	 * ANALYZE it does at many times its size (it guesses the rows from the
	 * columns' declared widths): 10 ms for 100 names among 5000 tags,
	 * against 0.3 ms for the descents.
	 */
	[STMT_TAGS_BY_NAMES] = {
		/*
		 * Locked, so that a tag deleted or renamed meanwhile counts as
		 * missing; in id order, so that callers lock the same tags in the
		 * same order.  The lock is taken in the second subquery, one row at
		 * a time in the order the first one sorts them in.
		 */
		"SELECT k.asked, t.*"
		" FROM (SELECT n.name AS asked, f.id"
		"       FROM pg_catalog.unnest($1) AS n(name)"
		"       CROSS JOIN LATERAL (SELECT t.id FROM @extschema@.tags t"
		"                           WHERE t.name OPERATOR(pg_catalog.=) n.name"
		"                           OFFSET 0) f"
		"       ORDER BY f.id) k"
		" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t"
		"                     WHERE t.id OPERATOR(pg_catalog.=) k.id"
		"                       AND t.name OPERATOR(pg_catalog.=) k.asked"
		"                     FOR KEY SHARE OF t) t",
		1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[STMT_TAGS_BY_SYNONYMS_LOCKED] = {
		"SELECT k.asked, t.*"
		" FROM (SELECT n.name AS asked, f.tag_id"
		"       FROM pg_catalog.unnest($1) AS n(name)"
		"       CROSS JOIN LATERAL (SELECT s.tag_id"
		"                           FROM @extschema@.tag_synonyms s"
		"                           WHERE s.name OPERATOR(pg_catalog.=) n.name"
		"                           OFFSET 0) f"
		"       ORDER BY f.tag_id) k"
		" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t"
		"                     WHERE t.id OPERATOR(pg_catalog.=) k.tag_id"
		"                     FOR KEY SHARE OF t) t",
		1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
		"SELECT t.name AS asked, t.* FROM @extschema@.tags t WHERE false"
	},
	[STMT_TAGS_BY_NAMES_UNLOCKED] = {
		/* for tags_get_or_create(), which does not hold what it finds */
		"SELECT n.name AS asked, t.*"
		" FROM pg_catalog.unnest($1) AS n(name)"
		" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t"
		"                     WHERE t.name OPERATOR(pg_catalog.=) n.name"
		"                     OFFSET 0) t",
		1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[STMT_TAGS_BY_SYNONYMS] = {
		"SELECT n.name AS asked, t.*"
		" FROM pg_catalog.unnest($1) AS n(name)"
		" CROSS JOIN LATERAL (SELECT s.tag_id FROM @extschema@.tag_synonyms s"
		"                     WHERE s.name OPERATOR(pg_catalog.=) n.name"
		"                     OFFSET 0) s"
		" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t"
		"                     WHERE t.id OPERATOR(pg_catalog.=) s.tag_id"
		"                     OFFSET 0) t",
		1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
		"SELECT t.name AS asked, t.* FROM @extschema@.tags t WHERE false"
	},
	[STMT_TAGS_INSERT] = {
		"INSERT INTO @extschema@.tags (name, slug)"
		" SELECT u.name, u.slug"
		" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
		"      AS u(name, slug)"
		" WHERE NOT EXISTS (SELECT FROM @extschema@.tag_synonyms s"
		"                   WHERE s.name OPERATOR(pg_catalog.=) u.name)"
		" ON CONFLICT (name) DO NOTHING"
		" RETURNING name AS asked, *",
		2, {TEXTARRAYOID, TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN,
		SPI_OK_INSERT_RETURNING,
		"INSERT INTO @extschema@.tags (name, slug)"
		" SELECT u.name, u.slug"
		" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
		"      AS u(name, slug)"
		" ON CONFLICT (name) DO NOTHING"
		" RETURNING name AS asked, *"
	},
	[STMT_SLUGS_TAKEN] = {
		/*
		 * An alias is taken too, except by its own tag.  Each base's slugs
		 * are read off the index of slugs, in a LATERAL subquery per base,
		 * at every size (see STMT_TAGS_BY_NAMES): joined plainly, a plan
		 * made while tags looked small compared every base with every tag
		 * (58 ms for 100 names among 2400 tags).
		 */
		"SELECT b.base, t.slug"
		" FROM pg_catalog.unnest($1) AS b(base)"
		" CROSS JOIN LATERAL (SELECT t.slug FROM @extschema@.tags t"
		"                     WHERE (" SLUG_FROM_BASE("t.slug") ")"
		"                       AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.<>) $2)"
		"                     OFFSET 0) t"
		" UNION ALL"
		" SELECT b.base, a.slug"
		" FROM pg_catalog.unnest($1) AS b(base)"
		" CROSS JOIN LATERAL (SELECT a.slug FROM @extschema@.tag_slug_aliases a"
		"                     WHERE (" SLUG_FROM_BASE("a.slug") ")"
		"                       AND ($2 IS NULL OR a.tag_id OPERATOR(pg_catalog.<>) $2)"
		"                     OFFSET 0) a",
		2, {TEXTARRAYOID, INT4OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
		"SELECT b.base, t.slug"
		" FROM pg_catalog.unnest($1) AS b(base)"
		" CROSS JOIN LATERAL (SELECT t.slug FROM @extschema@.tags t"
		"                     WHERE (" SLUG_FROM_BASE("t.slug") ")"
		"                       AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.<>) $2)"
		"                     OFFSET 0) t"
	},
	[STMT_SLUGS_OF_BASE] = {
		/*
		 * STMT_SLUGS_TAKEN for one base, two index range scans: what the
		 * trigger on tags runs for each row a direct INSERT writes, where
		 * the executor's start-up of the plan for an array of bases cost
		 * more than the scans
		 */
		"SELECT $1 AS base, t.slug FROM @extschema@.tags t"
		" WHERE t.slug OPERATOR(pg_catalog.>=) $1"
		"   AND t.slug OPERATOR(pg_catalog.<) ($1 OPERATOR(pg_catalog.||) '.')"
		"   AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.<>) $2)"
		" UNION ALL"
		" SELECT $1, a.slug FROM @extschema@.tag_slug_aliases a"
		" WHERE a.slug OPERATOR(pg_catalog.>=) $1"
		"   AND a.slug OPERATOR(pg_catalog.<) ($1 OPERATOR(pg_catalog.||) '.')"
		"   AND ($2 IS NULL OR a.tag_id OPERATOR(pg_catalog.<>) $2)",
		2, {TEXTOID, INT4OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
		"SELECT $1 AS base, t.slug FROM @extschema@.tags t"
		" WHERE t.slug OPERATOR(pg_catalog.>=) $1"
		"   AND t.slug OPERATOR(pg_catalog.<) ($1 OPERATOR(pg_catalog.||) '.')"
		"   AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.<>) $2)"
	},
	[STMT_POST_EXISTS] = {
		POST_BY_ID,
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_POST_LOCK] = {
		/* with what post_tags copies of it (see upkeep.c) */
		POST_COPY_BY_ID " FOR NO KEY UPDATE OF p",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_POST_TAG_IDS] = {
		"SELECT pt.tag_id, pt.position FROM @extschema@.post_tags pt"
		" WHERE pt.post_id OPERATOR(pg_catalog.=) $1"
		" ORDER BY pt.tag_id",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_POST_TAGS] = {
		POST_TAGS_IN_ORDER("OFFSET 0"),
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_POST_TAGS_LOCKED] = {
		/* its tags locked against deletion */
		POST_TAGS_IN_ORDER("FOR KEY SHARE OF t"),
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_POST_TAGS_APPLY] = {
		/*
		 * Rows that stay are kept, and updated only if their position moved;
		 * a row a concurrent plain INSERT added meanwhile takes its position.
		 */
		"WITH wanted AS ("
		"    SELECT w.tag_id, w.position::pg_catalog.int4 AS position"
		"    FROM pg_catalog.unnest($2) WITH ORDINALITY AS w(tag_id, position)"
		"), removed AS ("
		"    DELETE FROM @extschema@.post_tags pt"
		"    WHERE $3 AND pt.post_id OPERATOR(pg_catalog.=) $1"
		"      AND NOT EXISTS (SELECT FROM wanted w"
		"                      WHERE w.tag_id OPERATOR(pg_catalog.=) pt.tag_id)"
		"), moved AS ("
		"    UPDATE @extschema@.post_tags pt SET position = w.position"
		"    FROM wanted w"
		"    WHERE pt.post_id OPERATOR(pg_catalog.=) $1"
		"      AND pt.tag_id OPERATOR(pg_catalog.=) w.tag_id"
		"      AND (pt.position IS NULL"
		"           OR pt.position OPERATOR(pg_catalog.<>) w.position)"
		")"
		" INSERT INTO @extschema@.post_tags AS pt (post_id, tag_id, position)"
		" SELECT $1, w.tag_id, w.position FROM wanted w"
		" WHERE NOT EXISTS (SELECT FROM @extschema@.post_tags old"
		"                   WHERE old.post_id OPERATOR(pg_catalog.=) $1"
		"                     AND old.tag_id OPERATOR(pg_catalog.=) w.tag_id)"
		" ON CONFLICT (post_id, tag_id)"
		" DO UPDATE SET position = excluded.position",
		3, {INT4OID, INT4ARRAYOID, BOOLOID}, CURSOR_OPT_GENERIC_PLAN,
		SPI_OK_INSERT
	},
	[STMT_POST_TAGS_REMOVE] = {
		"DELETE FROM @extschema@.post_tags pt"
		" WHERE pt.post_id OPERATOR(pg_catalog.=) $1"
		"   AND pt.tag_id OPERATOR(pg_catalog.=) ANY (" TAG_IDS_OF_NAMES("$2") ")",
		2, {INT4OID, TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE,
		"DELETE FROM @extschema@.post_tags pt"
		" USING @extschema@.tags t"
		" WHERE pt.post_id OPERATOR(pg_catalog.=) $1"
		"   AND pt.tag_id OPERATOR(pg_catalog.=) t.id"
		"   AND t.name OPERATOR(pg_catalog.=) ANY ($2)"
	},
	[STMT_TAG_BY_SLUG] = {
		/* a tag's own slug, or an old one */
		"SELECT t.id FROM @extschema@.tags t"
		" WHERE t.slug OPERATOR(pg_catalog.=) $1"
		" UNION ALL"
		" SELECT a.tag_id FROM @extschema@.tag_slug_aliases a"
		" WHERE a.slug OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}, 0, SPI_OK_SELECT,
		"SELECT t.id FROM @extschema@.tags t"
		" WHERE t.slug OPERATOR(pg_catalog.=) $1"
	},
	[STMT_TAG_COUNTS] = {
		"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
		"       " COUNTED_POSTS " AS post_count"
		" FROM @extschema@.tags t"
		" LEFT JOIN @extschema@.tag_post_counts c"
		"   ON c.tag_id OPERATOR(pg_catalog.=) t.id"
		" LEFT JOIN " PENDING_BY_TAG " pd"
		"   ON pd.tag_id OPERATOR(pg_catalog.=) t.id"
		" ORDER BY post_count DESC, t.name",
		0, {InvalidOid}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_COUNTS_TOP] = {
		/*
		 * A tag without pending deltas has its folded count.  With k tags
		 * that have some, the first $1 tags are among the $1 + k of largest
		 * folded count (ties included) and the k: each of the others has at
		 * least $1 tags without deltas above it.  If fewer than $1 + k tags
		 * have a folded count, tags without posts may be among the first $1,
		 * and every tag is a candidate.
		 */
		"WITH pd AS MATERIALIZED " PENDING_BY_TAG ","
		" cut AS ("
		"    SELECT c.post_count FROM @extschema@.tag_post_counts c"
		"    ORDER BY c.post_count DESC"
		"    OFFSET $1::pg_catalog.int8 OPERATOR(pg_catalog.+)"
		"           (SELECT pg_catalog.count(*) FROM pd) OPERATOR(pg_catalog.-) 1"
		"    LIMIT 1"
		"), candidates AS ("
		/* the limit, which is the number of rows the WHERE leaves, makes
		 * it a read of the index, not a scan of every count */
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
		"    SELECT pd.tag_id, " FOLDED_COUNT_OF("pd.tag_id") ", pd.delta FROM pd"
		"    UNION ALL"
		"    SELECT t.id, " FOLDED_COUNT_OF("t.id") ", 0 FROM @extschema@.tags t"
		"    WHERE NOT EXISTS (SELECT FROM cut)"
		"), counted AS ("
		"    SELECT k.tag_id, (pg_catalog.max(k.folded) OPERATOR(pg_catalog.+)"
		"                      pg_catalog.sum(k.delta))::pg_catalog.int8 AS post_count"
		"    FROM candidates k GROUP BY k.tag_id"
		")"
		/* a lookup of each candidate's tag, never a scan of all */
		" SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
		"        k.post_count"
		" FROM counted k"
		" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t"
		"                     WHERE t.id OPERATOR(pg_catalog.=) k.tag_id"
		"                     OFFSET 0) t"
		" ORDER BY k.post_count DESC, t.name"
		" LIMIT $1",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_COUNTS_LIVE] = {
		"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
		"       pg_catalog.count(p.id) AS post_count"
		" FROM @extschema@.tags t"
		" LEFT JOIN @extschema@.post_tags pt"
		"   ON pt.tag_id OPERATOR(pg_catalog.=) t.id"
		" LEFT JOIN @extschema@.posts p"
		"   ON p.id OPERATOR(pg_catalog.=) pt.post_id"
		"  AND " POST_IS_VISIBLE
		" GROUP BY t.id"
		" ORDER BY post_count DESC, t.name"
		" LIMIT $1",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_POSTS_PAGE] = {
		TAG_POSTS
		" ORDER BY pt.post_created_at DESC, pt.post_id DESC"
		" OFFSET $2 LIMIT $3",
		3, {INT4OID, INT8OID, INT8OID}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_POSTS_AFTER] = {
		TAG_POSTS
		"   AND (pt.post_created_at, pt.post_id) OPERATOR(pg_catalog.<) ($2, $3)"
		" ORDER BY pt.post_created_at DESC, pt.post_id DESC"
		" LIMIT $4",
		4, {INT4OID, TIMESTAMPTZOID, INT4OID, INT8OID}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_POST_COUNT] = {
		"SELECT COALESCE((SELECT c.post_count"
		"                 FROM @extschema@.tag_post_counts c"
		"                 WHERE c.tag_id OPERATOR(pg_catalog.=) $1), 0)"
		"       OPERATOR(pg_catalog.+)"
		"       COALESCE((SELECT pg_catalog.sum(d.delta)"
		"                 FROM @extschema@.tag_post_count_deltas d"
		"                 WHERE d.tag_id OPERATOR(pg_catalog.=) $1), 0)",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_POST_COUNT_LIVE] = {
		"SELECT pg_catalog.count(*)"
		" FROM @extschema@.post_tags pt"
		" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) pt.post_id"
		" WHERE pt.tag_id OPERATOR(pg_catalog.=) $1"
		"   AND " POST_IS_VISIBLE,
		1, {INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[STMT_TAGS_SEARCH] = {
		/*
		 * Planned at each call: only with the prefix known does the planner
		 * read the names that start with it off the unique index of name,
		 * whose "C" collation orders them together.
		 */
		"SELECT t.* FROM @extschema@.tags t"
		" LEFT JOIN @extschema@.tag_post_counts c"
		"   ON c.tag_id OPERATOR(pg_catalog.=) t.id"
		" LEFT JOIN " PENDING_BY_TAG " pd"
		"   ON pd.tag_id OPERATOR(pg_catalog.=) t.id"
		" WHERE " NAME_STARTS_WITH
		" ORDER BY " COUNTED_POSTS " DESC, t.name"
		" LIMIT $2",
		2, {TEXTOID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[STMT_TAGS_SEARCH_LIVE] = {
		"SELECT t.* FROM @extschema@.tags t"
		" WHERE " NAME_STARTS_WITH
		" ORDER BY (SELECT pg_catalog.count(*)"
		"           FROM @extschema@.post_tags pt"
		"           JOIN @extschema@.posts p"
		"             ON p.id OPERATOR(pg_catalog.=) pt.post_id"
		"           WHERE pt.tag_id OPERATOR(pg_catalog.=) t.id"
		"             AND " POST_IS_VISIBLE ") DESC, t.name"
		" LIMIT $2",
		2, {TEXTOID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[STMT_POST_KEY_SHARE] = {
		/* the lock of a foreign-key check: see upkeep.c */
		POST_BY_ID " FOR KEY SHARE OF p",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_POST_COPY] = {
		POST_COPY_BY_ID,
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_POST_LOCK_ALL] = {
		POST_BY_ID " FOR UPDATE OF p",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_POST_COPY_TO_TAGS] = {
		"UPDATE @extschema@.post_tags pt"
		" SET post_visible = " POST_VISIBILITY ", post_created_at = p.created_at"
		" FROM @extschema@.posts p"
		" WHERE p.id OPERATOR(pg_catalog.=) $1"
		"   AND " COPY_IS_STALE,
		1, {INT4OID}, 0, SPI_OK_UPDATE
	},
	[STMT_POST_COPY_STALE] = {
		"SELECT FROM @extschema@.post_tags pt"
		" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) $1"
		" WHERE " COPY_IS_STALE
		" LIMIT 1",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_DELTAS_ADD] = {
		"INSERT INTO @extschema@.tag_post_count_deltas (tag_id, delta)"
		" SELECT d.tag_id, d.delta"
		" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
		"      AS d(tag_id, delta)",
		2, {INT4ARRAYOID, INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN,
		SPI_OK_INSERT
	},
	[STMT_DELTAS_FOLD] = {
		"WITH folded AS ("
		"    DELETE FROM @extschema@.tag_post_count_deltas"
		"    RETURNING tag_id, delta"
		")"
		" INSERT INTO @extschema@.tag_post_counts AS c (tag_id, post_count)"
		" SELECT f.tag_id, pg_catalog.sum(f.delta) FROM folded f"
		" GROUP BY f.tag_id"
		" ORDER BY f.tag_id"
		" ON CONFLICT (tag_id) DO UPDATE"
		" SET post_count = c.post_count OPERATOR(pg_catalog.+) excluded.post_count"
		" RETURNING c.tag_id, c.post_count",
		0, {InvalidOid}, 0, SPI_OK_INSERT_RETURNING
	},
	[STMT_COUNTS_DROP_ZEROS] = {
		"DELETE FROM @extschema@.tag_post_counts c"
		" WHERE c.tag_id OPERATOR(pg_catalog.=) ANY ($1)"
		"   AND c.post_count OPERATOR(pg_catalog.=) 0",
		1, {INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE
	},
	[STMT_COUNTS_CLEAR] = {
		"TRUNCATE @extschema@.tag_post_counts, @extschema@.tag_post_count_deltas",
		0, {InvalidOid}, 0, SPI_OK_UTILITY
	},
	[STMT_REBUILD_LOCK] = {
		"LOCK TABLE @extschema@.posts, @extschema@.post_tags"
		" IN SHARE ROW EXCLUSIVE MODE",
		0, {InvalidOid}, 0, SPI_OK_UTILITY
	},
	[STMT_REBUILD_COPIES] = {
		"UPDATE @extschema@.post_tags pt"
		" SET post_visible = " POST_VISIBILITY ", post_created_at = p.created_at"
		" FROM @extschema@.posts p"
		" WHERE p.id OPERATOR(pg_catalog.=) pt.post_id"
		"   AND " COPY_IS_STALE,
		0, {InvalidOid}, 0, SPI_OK_UPDATE
	},
	[STMT_REBUILD_COUNTS] = {
		"INSERT INTO @extschema@.tag_post_counts (tag_id, post_count)"
		" SELECT pt.tag_id, pg_catalog.count(*)"
		" FROM @extschema@.post_tags pt"
		" WHERE pt.post_visible"
		" GROUP BY pt.tag_id",
		0, {InvalidOid}, 0, SPI_OK_INSERT
	},
	[STMT_SYNONYMS_NAMED] = {
		/*
		 * Generic, one index descent per name (see STMT_TAGS_BY_NAMES): the
		 * trigger on tags runs it for each row a direct INSERT writes, and
		 * the plan cache, left to choose, would plan it anew each time
		 */
		"SELECT s.name, t.name, t.slug"
		" FROM pg_catalog.unnest($1) AS n(name)"
		" CROSS JOIN LATERAL (SELECT s.name, s.tag_id"
		"                     FROM @extschema@.tag_synonyms s"
		"                     WHERE s.name OPERATOR(pg_catalog.=) n.name"
		"                     OFFSET 0) s"
		" JOIN @extschema@.tags t ON t.id OPERATOR(pg_catalog.=) s.tag_id",
		1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
		"SELECT WHERE false"
	},
	[STMT_SYNONYM_OF_NAME] = {
		/* STMT_SYNONYMS_NAMED for one name, for each row of a direct write */
		"SELECT s.name, t.name, t.slug FROM @extschema@.tag_synonyms s"
		" JOIN @extschema@.tags t ON t.id OPERATOR(pg_catalog.=) s.tag_id"
		" WHERE s.name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
		"SELECT WHERE false"
	},
	[STMT_ALIAS_TAKEN] = {
		"SELECT a.tag_id FROM @extschema@.tag_slug_aliases a"
		" WHERE a.slug OPERATOR(pg_catalog.=) $1"
		"   AND ($2 IS NULL OR a.tag_id OPERATOR(pg_catalog.<>) $2)",
		2, {TEXTOID, INT4OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
		"SELECT WHERE false"
	},
	[STMT_NAME_HOLDER] = {
		"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
		"       t.name OPERATOR(pg_catalog.<>) $1 AS synonym"
		" FROM @extschema@.tags t"
		" WHERE t.id OPERATOR(pg_catalog.=) " TAG_ID_OF_NAME("$1"),
		1, {TEXTOID}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_ROW] = {
		"SELECT t.* FROM @extschema@.tags t"
		" WHERE t.id OPERATOR(pg_catalog.=) $1",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_LOCK_KEY_SHARE] = {
		"SELECT t.* FROM @extschema@.tags t"
		" WHERE t.id OPERATOR(pg_catalog.=) $1"
		" FOR KEY SHARE OF t",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_TAG_LOCK_UPDATE] = {
		/*
		 * a rename changes name and slug, which unique indexes make keys:
		 * the lock its UPDATE needs, taken before the lock of direct writes
		 */
		"SELECT t.* FROM @extschema@.tags t"
		" WHERE t.id OPERATOR(pg_catalog.=) $1"
		" FOR UPDATE OF t",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_ALIAS_DROP_OWN] = {
		"DELETE FROM @extschema@.tag_slug_aliases a"
		" WHERE a.slug OPERATOR(pg_catalog.=) $1"
		"   AND a.tag_id OPERATOR(pg_catalog.=) $2",
		2, {TEXTOID, INT4OID}, 0, SPI_OK_DELETE,
		"DELETE FROM @extschema@.tags WHERE false"
	},
	[STMT_SYNONYM_ADD] = {
		"INSERT INTO @extschema@.tag_synonyms (name, tag_id) VALUES ($1, $2)",
		2, {TEXTOID, INT4OID}, 0, SPI_OK_INSERT
	},
	[STMT_SYNONYM_REMOVE] = {
		"DELETE FROM @extschema@.tag_synonyms s"
		" WHERE s.name OPERATOR(pg_catalog.=) $1",
		1, {TEXTOID}, 0, SPI_OK_DELETE
	},
	[STMT_TAG_RENAME] = {
		/* the trigger on tags gives it the first free slug */
		"UPDATE @extschema@.tags t SET name = $2, slug = NULL"
		" WHERE t.id OPERATOR(pg_catalog.=) $1"
		" RETURNING t.*",
		2, {INT4OID, TEXTOID}, 0, SPI_OK_UPDATE_RETURNING
	},
	[STMT_ALIAS_ADD] = {
		"INSERT INTO @extschema@.tag_slug_aliases (slug, tag_id)"
		" VALUES ($2, $1)",
		2, {INT4OID, TEXTOID}, 0, SPI_OK_INSERT
	},
	[STMT_TAG_POSTS_LOCK] = {
		/*
		 * FOR UPDATE, not the writers' FOR NO KEY UPDATE: it also waits
		 * for, and keeps out, a plain INSERT into post_tags, whose
		 * foreign-key check locks the post FOR KEY SHARE
		 */
		"SELECT p.id FROM @extschema@.posts p"
		" WHERE p.id OPERATOR(pg_catalog.=) ANY ("
		"     SELECT pt.post_id FROM @extschema@.post_tags pt"
		"     WHERE pt.tag_id OPERATOR(pg_catalog.=) $1)"
		" ORDER BY p.id"
		" FOR UPDATE OF p",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_TAGS_LOCK_PAIR] = {
		"SELECT t.id FROM @extschema@.tags t"
		" WHERE t.id OPERATOR(pg_catalog.=) $1"
		"    OR t.id OPERATOR(pg_catalog.=) $2"
		" ORDER BY t.id"
		" FOR UPDATE OF t",
		2, {INT4OID, INT4OID}, 0, SPI_OK_SELECT
	},
	[STMT_MERGE_MOVE] = {
		/*
		 * A post that has both tags keeps $2's association, at the first
		 * of the two positions; the others' associations with $1 are
		 * moved to $2, with their positions.  Returns those moved.
		 */
		"WITH both_tags AS ("
		"    DELETE FROM @extschema@.post_tags f"
		"    USING @extschema@.post_tags i"
		"    WHERE f.tag_id OPERATOR(pg_catalog.=) $1"
		"      AND i.tag_id OPERATOR(pg_catalog.=) $2"
		"      AND i.post_id OPERATOR(pg_catalog.=) f.post_id"
		"    RETURNING f.post_id, f.position"
		"), first_position AS ("
		"    UPDATE @extschema@.post_tags i SET position = b.position"
		"    FROM both_tags b"
		"    WHERE i.post_id OPERATOR(pg_catalog.=) b.post_id"
		"      AND i.tag_id OPERATOR(pg_catalog.=) $2"
		"      AND (b.position OPERATOR(pg_catalog.<) i.position"
		"           OR (i.position IS NULL AND b.position IS NOT NULL))"
		")"
		" UPDATE @extschema@.post_tags f SET tag_id = $2"
		" WHERE f.tag_id OPERATOR(pg_catalog.=) $1"
		"   AND NOT EXISTS (SELECT FROM @extschema@.post_tags i"
		"                   WHERE i.post_id OPERATOR(pg_catalog.=) f.post_id"
		"                     AND i.tag_id OPERATOR(pg_catalog.=) $2)",
		2, {INT4OID, INT4OID}, 0, SPI_OK_UPDATE
	},
	[STMT_MERGE_REPOINT] = {
		"WITH synonyms AS ("
		"    UPDATE @extschema@.tag_synonyms s SET tag_id = $2"
		"    WHERE s.tag_id OPERATOR(pg_catalog.=) $1"
		")"
		" UPDATE @extschema@.tag_slug_aliases a SET tag_id = $2"
		" WHERE a.tag_id OPERATOR(pg_catalog.=) $1",
		2, {INT4OID, INT4OID}, 0, SPI_OK_UPDATE
	},
	[STMT_MERGE_FINISH] = {
		/*
		 * $1's synonyms and aliases are $2's already (see tag_merge()):
		 * deleting $1 cascades to nothing else
		 */
		"WITH gone AS ("
		"    DELETE FROM @extschema@.tags t"
		"    WHERE t.id OPERATOR(pg_catalog.=) $1"
		"    RETURNING t.name, t.slug"
		"), synonym AS ("
		"    INSERT INTO @extschema@.tag_synonyms (name, tag_id)"
		"    SELECT g.name, $2 FROM gone g"
		")"
		" INSERT INTO @extschema@.tag_slug_aliases (slug, tag_id)"
		" SELECT g.slug, $2 FROM gone g",
		2, {INT4OID, INT4OID}, 0, SPI_OK_INSERT
	},
	[STMT_PRUNE_CANDIDATES] = {
		/*
		 * A tag a writer is attaching is locked FOR KEY SHARE by it, and
		 * skipped.  Whether a tag is on no post is judged again, after
		 * the lock, by STMT_PRUNE_DELETE.
		 */
		"SELECT t.id FROM @extschema@.tags t"
		" WHERE t.created_at OPERATOR(pg_catalog.<=)"
		"       (pg_catalog.now() OPERATOR(pg_catalog.-) $1)"
		"   AND NOT EXISTS (SELECT FROM @extschema@.post_tags pt"
		"                   WHERE pt.tag_id OPERATOR(pg_catalog.=) t.id)"
		" ORDER BY t.id"
		" FOR UPDATE OF t SKIP LOCKED",
		1, {INTERVALOID}, 0, SPI_OK_SELECT
	},
	[STMT_PRUNE_DELETE] = {
		"DELETE FROM @extschema@.tags t"
		" WHERE t.id OPERATOR(pg_catalog.=) ANY ($1)"
		"   AND NOT EXISTS (SELECT FROM @extschema@.post_tags pt"
		"                   WHERE pt.tag_id OPERATOR(pg_catalog.=) t.id)",
		1, {INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE
	},
	[STMT_TAGGED_IDS_BY_USE] = {
		TAG_IDS_BY_USE(FOLDED_COUNT_OF("k.id")
					   " OPERATOR(pg_catalog.+) COALESCE(pd.delta, 0)"),
		1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[STMT_TAGGED_IDS_BY_USE_LIVE] = {
		/* counted live up to a cap: past it, any tag is as good */
		"SELECT k.id FROM (SELECT DISTINCT " TAG_ID_OF_NAME("n.name") " AS id"
		"                  FROM pg_catalog.unnest($1) AS n(name)) k"
		" ORDER BY (SELECT pg_catalog.count(*)"
		"           FROM (SELECT FROM @extschema@.post_tags pt"
		"                 WHERE pt.tag_id OPERATOR(pg_catalog.=) k.id"
		"                   AND pt.post_visible LIMIT 1000) u), k.id NULLS FIRST",
		1, {TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[STMT_POSTS_TAGGED_ALL] = {
		/*
		 * Generic: the plan, the driving tag's index in page order under
		 * a limit, is the right one for a tag on ten posts or on a
		 * hundred thousand, which only the counts tell apart
		 */
		POSTS_TAGGED_DRIVEN(HAS_ALL_TAGS),
		4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID},
		CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[STMT_POSTS_TAGGED_EXACT] = {
		POSTS_TAGGED_DRIVEN(HAS_ALL_TAGS
							" AND pg_catalog.count(*) OPERATOR(pg_catalog.=)"
							"     pg_catalog.cardinality($1)"),
		4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID},
		CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[STMT_POSTS_TAGGED_ANY] = {
		/*
		 * Ordered by the number of names a post matches, which only
		 * counting every listed post of every named tag tells: every one
		 * is counted and sorted, then posts is read for the page only
		 */
		"SELECT p.* FROM"
		" (SELECT pt.post_id, pg_catalog.count(*) AS matched,"
		"         pg_catalog.max(pt.post_created_at) AS created_at"
		"  FROM @extschema@.post_tags pt"
		"  WHERE pt.tag_id OPERATOR(pg_catalog.=) ANY (" TAG_IDS_OF_NAMES("$1") ")"
		"    AND pt.post_visible"
		"    AND NOT EXISTS (SELECT FROM @extschema@.post_tags x"
		"                    WHERE x.post_id OPERATOR(pg_catalog.=) pt.post_id"
		"                      AND x.tag_id OPERATOR(pg_catalog.=)"
		"                          ANY (" TAG_IDS_OF_NAMES("$2") "))"
		"  GROUP BY pt.post_id"
		"  " MATCHES_IN_ORDER("", "matched") ") m"
		" CROSS JOIN LATERAL " POST_OF("m") " p"
		" " MATCHES_IN_ORDER("m.", "matched")
		" OFFSET $3 LIMIT $4",
		4, {TEXTARRAYOID, TEXTARRAYOID, INT8OID, INT8OID},
		CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[STMT_TAGS_RELATED] = {
		/*
		 * Planned at each call, as the live count is: a tag on ten posts
		 * and one on a hundred thousand need different plans
		 */
		RELATED_TAGS(""),
		2, {INT4OID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[STMT_TAGS_RELATED_LIVE] = {
		RELATED_TAGS("       JOIN @extschema@.posts p"
					 "         ON p.id OPERATOR(pg_catalog.=) pt.post_id"),
		2, {INT4OID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[STMT_POSTS_RELATED] = {
		/* the post is read through posts, so that a hidden post has no tags */
		"SELECT p.*, r.shared_tags FROM"
		" (SELECT o.post_id, pg_catalog.count(*) AS shared_tags,"
		"         pg_catalog.max(o.post_created_at) AS created_at"
		"  FROM @extschema@.posts me"
		"  JOIN @extschema@.post_tags mine"
		"    ON mine.post_id OPERATOR(pg_catalog.=) me.id"
		"  JOIN @extschema@.post_tags o"
		"    ON o.tag_id OPERATOR(pg_catalog.=) mine.tag_id"
		"  WHERE me.id OPERATOR(pg_catalog.=) $1 AND o.post_visible"
		"    AND o.post_id OPERATOR(pg_catalog.<>) $1"
		"  GROUP BY o.post_id"
		"  " MATCHES_IN_ORDER("", "shared_tags") ") r"
		" CROSS JOIN LATERAL " POST_OF("r") " p"
		" " MATCHES_IN_ORDER("r.", "shared_tags")
		" LIMIT $2",
		2, {INT4OID, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[STMT_TARGET_ADD] = {
		"INSERT INTO @extschema@.tag_targets"
		" (target, association, counts, count_deltas, visible, sort_column)"
		" VALUES ($1::pg_catalog.regclass, $2::pg_catalog.regclass,"
		"         $3::pg_catalog.regclass, $4::pg_catalog.regclass, $5,"
		"         $6::pg_catalog.name)",
		6, {OIDOID, OIDOID, OIDOID, OIDOID, TEXTOID, TEXTOID}, 0,
		SPI_OK_INSERT
	},
	[STMT_TARGETS_DROPPED] = {
		/* in the sql_drop event trigger: any of a target's four tables */
		"WITH dropped AS MATERIALIZED ("
		"    SELECT pg_catalog.array_agg(d.objid) AS oids"
		"    FROM pg_catalog.pg_event_trigger_dropped_objects() d"
		"    WHERE d.classid OPERATOR(pg_catalog.=)"
		"          'pg_catalog.pg_class'::pg_catalog.regclass"
		"      AND d.objsubid OPERATOR(pg_catalog.=) 0"
		")"
		" DELETE FROM @extschema@.tag_targets r USING dropped d"
		" WHERE NOT r.builtin"
		"   AND (r.target::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
		"        OR r.association::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
		"        OR r.counts::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
		"        OR r.count_deltas::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids))"
		" RETURNING r.target::pg_catalog.oid, r.association::pg_catalog.oid,"
		"           r.counts::pg_catalog.oid, r.count_deltas::pg_catalog.oid",
		0, {InvalidOid}, 0, SPI_OK_DELETE_RETURNING
	},
};

/*
 * A kept plan, with what it needs to be replaced safely: how many
 * executions of it are under way (a trigger, a policy or a default can call
 * our functions again while one runs), and the relations it reads or writes
 * with their sizes when it was prepared.
 */
typedef struct TagsKeptPlan
{
	SPIPlanPtr	plan;
	int			running;		/* executions under way, nested ones too */
	bool		retired;		/* replaced: freed once none is running */
	int			nrels;			/* relations watched for growth */
	Oid		   *relids;
	BlockNumber *blocks;		/* their sizes, in blocks, when prepared */
} KeptPlan;

/*
 * The schema the kept plans were made for, whether the extension's objects
 * there are at version 1.0 (no tag_synonyms), the plans, and the plans
 * replaced while an execution of theirs was under way.
 */
static Oid	plans_schema = InvalidOid;
static bool plans_for_1_0 = false;
static KeptPlan *plans[NUM_TAGS_STMTS];
static List *retired_plans = NIL;	/* in TopMemoryContext */

static void retire_plan(TagsStmt stmt);
static void retire_kept(KeptPlan **slot);
static void free_plan(KeptPlan *kept);
static void free_idle_retired_plans(void);
static BlockNumber relation_blocks(Oid relid);
static void watch_relations(KeptPlan *kept);
static bool plan_outgrown(const KeptPlan *kept);
static char *stmt_sql(TagsStmt stmt);
static KeptPlan *prepare_sql(const char *sql, int nargs, const Oid *argtypes,
							 int cursor_options);
static KeptPlan *get_kept(KeptPlan **slot, TagsSqlBuilder build, void *arg,
						  TagsSql *def);
static uint64 run_kept(KeptPlan **slot, TagsSqlBuilder build, void *arg,
					   Datum *values, const char *nulls, bool latest,
					   bool read_only, long count);
static char *build_stmt_sql(void *arg, TagsSql *def, bool need_text);

/*
 * Connect to SPI for a call of the SQL function fcinfo, whose schema is the
 * extension's.  The caller must SPI_finish().
 */
void
tags_spi_connect(FunctionCallInfo fcinfo)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	bool		at_1_0 = !OidIsValid(get_relname_relid("tag_synonyms", schema));

	if (schema != plans_schema || at_1_0 != plans_for_1_0)
	{
		int			i;

		for (i = 0; i < NUM_TAGS_STMTS; i++)
			retire_plan((TagsStmt) i);
		plans_schema = schema;
		plans_for_1_0 = at_1_0;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/*
 * Stop using the kept plan of a statement, if there is one: free it now,
 * or, if an execution of it is under way further up the stack, once the
 * last one ends (see run_plan()).
 */
static void
retire_plan(TagsStmt stmt)
{
	retire_kept(&plans[stmt]);
}

/* retire_plan() for the kept plan in *slot, which is left empty */
static void
retire_kept(KeptPlan **slot)
{
	KeptPlan   *kept = *slot;
	MemoryContext old;

	if (kept == NULL)
		return;
	*slot = NULL;
	if (kept->running == 0)
	{
		free_plan(kept);
		return;
	}
	kept->retired = true;
	old = MemoryContextSwitchTo(TopMemoryContext);
	retired_plans = lappend(retired_plans, kept);
	MemoryContextSwitchTo(old);
}

/* Free a kept plan that no execution uses */
static void
free_plan(KeptPlan *kept)
{
	Assert(kept->running == 0);
	SPI_freeplan(kept->plan);
	if (kept->relids != NULL)
		pfree(kept->relids);
	if (kept->blocks != NULL)
		pfree(kept->blocks);
	pfree(kept);
}

/*
 * Free the retired plans whose executions have all ended.  An execution
 * that ended in an error leaves its plan here, not freed while the error
 * unwinds the stack.
 */
static void
free_idle_retired_plans(void)
{
	ListCell   *lc;

	foreach(lc, retired_plans)
	{
		KeptPlan   *kept = lfirst(lc);

		if (kept->running == 0)
		{
			retired_plans = foreach_delete_current(retired_plans, lc);
			free_plan(kept);
		}
	}
}

/*
 * The size of a relation in blocks, the size the planner starts from; 0 if
 * it has no storage or is gone (then its plans are invalid anyway).  The
 * relation is locked as a statement reading it would lock it.
 */
static BlockNumber
relation_blocks(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	BlockNumber blocks = 0;

	if (rel == NULL)
		return 0;
	if (RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
		blocks = RelationGetNumberOfBlocks(rel);
	relation_close(rel, NoLock);
	return blocks;
}

/*
 * Note the relations a kept plan reads or writes, and their sizes now.  A
 * statement planned at each execution needs no watching.
 */
static void
watch_relations(KeptPlan *kept)
{
	List	   *relids = NIL;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, SPI_plan_get_plan_sources(kept->plan))
	{
		CachedPlanSource *source = lfirst(lc);

		if (source->cursor_options & CURSOR_OPT_CUSTOM_PLAN)
			continue;
		relids = list_concat_unique_oid(relids, source->relationOids);
	}
	kept->nrels = list_length(relids);
	if (kept->nrels == 0)
		return;
	kept->relids = MemoryContextAlloc(TopMemoryContext,
									  kept->nrels * sizeof(Oid));
	kept->blocks = MemoryContextAlloc(TopMemoryContext,
									  kept->nrels * sizeof(BlockNumber));
	foreach(lc, relids)
	{
		kept->relids[i] = lfirst_oid(lc);
		kept->blocks[i] = relation_blocks(kept->relids[i]);
		i++;
	}
	list_free(relids);
}

/*
 * Whether a relation of a kept plan has grown more than TAGS_REPLAN_GROWTH
 * times since the plan was made.  PostgreSQL replans a kept plan only when
 * it is invalidated (by ANALYZE or DDL), so without this a plan made while
 * a table was small, a scan of all of it, would stay as the table grows
 * (see "Plans" in the README).
 */
static bool
plan_outgrown(const KeptPlan *kept)
{
	int			i;

	for (i = 0; i < kept->nrels; i++)
		if (relation_blocks(kept->relids[i]) >
			TAGS_REPLAN_GROWTH * Max(kept->blocks[i], 1))
			return true;
	return false;
}

/*
 * The text of a statement for the current schema: @extschema@ replaced by
 * the schema's quoted name.
 */
static char *
stmt_sql(TagsStmt stmt)
{
	const TagsStmtDef *def = &stmt_defs[stmt];
	char	   *schema_name = get_namespace_name(plans_schema);

	if (schema_name == NULL)
		elog(ERROR, "cache lookup failed for namespace %u", plans_schema);
	return tags_substitute(plans_for_1_0 && def->sql_1_0 ? def->sql_1_0 : def->sql,
						   "@extschema@", quote_identifier(schema_name));
}

/*
 * A copy of template with every occurrence of name replaced by value.
 */
char *
tags_substitute(const char *template, const char *name, const char *value)
{
	size_t		len = strlen(name);
	StringInfoData sql;
	const char *p;

	initStringInfo(&sql);
	for (p = template; *p; p++)
	{
		if (*p == *name && strncmp(p, name, len) == 0)
		{
			appendStringInfoString(&sql, value);
			p += len - 1;
		}
		else
			appendStringInfoChar(&sql, *p);
	}
	return sql.data;
}

/* Prepare a statement and keep the plan */
static KeptPlan *
prepare_sql(const char *sql, int nargs, const Oid *argtypes,
			int cursor_options)
{
	SPIPlanPtr	plan;
	KeptPlan   *kept;

	plan = SPI_prepare_cursor(sql, nargs, (Oid *) argtypes, cursor_options);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	kept = MemoryContextAllocZero(TopMemoryContext, sizeof(KeptPlan));
	kept->plan = plan;
	watch_relations(kept);
	return kept;
}

/*
 * The kept plan in *slot, prepared now from the statement that build
 * gives if there is none, if SPI says the one kept is no longer valid, or
 * if a relation it uses has grown too much since it was made.  The one
 * replaced is retired, not freed under an execution of it further up the
 * stack.  def is set to the statement's definition.
 */
static KeptPlan *
get_kept(KeptPlan **slot, TagsSqlBuilder build, void *arg, TagsSql *def)
{
	char	   *sql;

	if (retired_plans != NIL)
		free_idle_retired_plans();
	if (*slot != NULL &&
		(!SPI_plan_is_valid((*slot)->plan) || plan_outgrown(*slot)))
		retire_kept(slot);
	memset(def, 0, sizeof(TagsSql));
	sql = build(arg, def, *slot == NULL);
	if (*slot == NULL)
		*slot = prepare_sql(sql, def->nargs, def->argtypes,
							def->cursor_options);
	return *slot;
}

/*
 * The statement of the static table for get_kept(): arg points to its
 * TagsStmt.  Its text is made only when need_text, to be prepared.
 */
static char *
build_stmt_sql(void *arg, TagsSql *def, bool need_text)
{
	TagsStmt	stmt = *(TagsStmt *) arg;
	const TagsStmtDef *sdef = &stmt_defs[stmt];

	def->name = NULL;
	def->stmt = (int) stmt;
	def->nargs = sdef->nargs;
	memcpy(def->argtypes, sdef->argtypes, sizeof(def->argtypes));
	def->cursor_options = sdef->cursor_options;
	def->expected_rc = sdef->expected_rc;
	Assert(OidIsValid(plans_schema));
	return need_text ? stmt_sql(stmt) : NULL;
}

/*
 * Run the kept plan in *slot, made from build's statement, in the
 * transaction's snapshot or, if latest, in one taken now, and check its
 * result code.  The plan counts as running until the execution ends, even
 * in an error, so that a call of ours from user code it fires never frees
 * it (see retire_plan()); *slot itself may be gone by then.
 */
static uint64
run_kept(KeptPlan **slot, TagsSqlBuilder build, void *arg, Datum *values,
		 const char *nulls, bool latest, bool read_only, long count)
{
	TagsSql		def;
	KeptPlan   *volatile kept = get_kept(slot, build, arg, &def);
	int			rc;

	kept->running++;
	PG_TRY();
	{
		if (latest)
			rc = SPI_execute_snapshot(kept->plan, values, nulls,
									  GetLatestSnapshot(), InvalidSnapshot,
									  false, true, 0);
		else
			rc = SPI_execute_plan(kept->plan, values, nulls, read_only,
								  count);
	}
	PG_FINALLY();
	{
		kept->running--;
	}
	PG_END_TRY();

	if (kept->retired && kept->running == 0)
	{
		retired_plans = list_delete_ptr(retired_plans, kept);
		free_plan(kept);
	}
	if (rc != def.expected_rc)
	{
		if (def.name != NULL)
			elog(ERROR, "SPI_execute_plan returned %s for statement %s",
				 SPI_result_code_string(rc), def.name);
		elog(ERROR, "SPI_execute_plan returned %s for statement %d",
			 SPI_result_code_string(rc), def.stmt);
	}
	return SPI_processed;
}

static uint64
run_plan(TagsStmt stmt, Datum *values, const char *nulls, bool latest,
		 bool read_only, long count)
{
	return run_kept(&plans[stmt], build_stmt_sql, &stmt, values, nulls,
					latest, read_only, count);
}

/*
 * Run the statement that build gives (with arg), through the kept plan in
 * *slot, as tags_execute() runs one of the static table.  A module that
 * keeps statements of its own (the targets') keeps their plans in slots of
 * its own, and retires them with tags_forget_plan().
 */
uint64
tags_execute_kept(TagsKeptPlan **slot, TagsSqlBuilder build, void *arg,
				  Datum *values, const char *nulls, bool latest,
				  bool read_only, long count)
{
	return run_kept((KeptPlan **) slot, build, arg, values, nulls, latest,
					read_only, count);
}

/* Retire the kept plan in *slot (see retire_plan()) */
void
tags_forget_plan(TagsKeptPlan **slot)
{
	retire_kept((KeptPlan **) slot);
}

/*
 * Run a statement with these parameters and check its result code.  Returns
 * the number of rows it processed; they are in SPI_tuptable.
 */
uint64
tags_execute(TagsStmt stmt, Datum *values, const char *nulls,
			 bool read_only, long count)
{
	return run_plan(stmt, values, nulls, false, read_only, count);
}

/*
 * Run a statement as tags_execute() does, but in a snapshot taken now, not
 * the transaction's: under REPEATABLE READ and SERIALIZABLE it sees what
 * transactions that committed since the transaction's snapshot wrote.  A
 * statement that writes fires its AFTER triggers (the counters') at its
 * end, as any statement does.
 */
uint64
tags_execute_latest(TagsStmt stmt, Datum *values, const char *nulls)
{
	return run_plan(stmt, values, nulls, true, false, 0);
}

/*
 * The number of the column name in the rows of the last statement, which
 * must have it: 42703 if a column of the extension's tables that a
 * statement reads with t.* was renamed or dropped.
 */
int
tags_result_column(const char *name)
{
	int			att = SPI_fnumber(SPI_tuptable->tupdesc, name);

	if (att <= 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("column \"%s\" does not exist", name),
				errdetail("The functions of extension \"tags\" need the columns of its tables as it made them."));
	return att;
}

/*
 * Append the rows of the last statement to the materialized result set of
 * fcinfo.  Columns are matched by name, so that a column a user added to
 * the extension's tables, or dropped from them, goes through.
 */
void
tags_put_spi_result(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleConversionMap *map = convert_tuples_by_name(SPI_tuptable->tupdesc,
													  rsinfo->setDesc);
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];

		tuplestore_puttuple(rsinfo->setResult,
							map ? execute_attr_map_tuple(tuple, map) : tuple);
	}
}

/*
 * The oid of the extension's table name, in the schema of the function
 * being called (see tags_spi_connect()), or InvalidOid.
 */
Oid
tags_table_id(const char *name)
{
	Assert(OidIsValid(plans_schema));
	return get_relname_relid(name, plans_schema);
}

/*
 * Run the statements that follow as the owner of the extension's tables,
 * until tags_restore_user(): the upkeep the triggers do is the
 * extension's, as a foreign key's checks and actions are the table
 * owner's (ri_triggers.c), so a role needs no privileges on the counters,
 * and row-level security does not hide rows from it.  An error restores
 * the user as it aborts the (sub)transaction.
 */
void
tags_become_owner(TagsSavedUser *saved)
{
	Oid			owner = tags_owner();

	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_NOFORCE_RLS);
}

/* Run as the user tags_become_owner() saved again */
void
tags_restore_user(const TagsSavedUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/*
 * The owner of the extension's tables: the owner of its table tags.
 */
Oid
tags_owner(void)
{
	Oid			relid = tags_table_id("tags");
	HeapTuple	tuple;
	Oid			owner;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for the table tags of the extension tags");
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * The extension's schema, as the last tags_spi_connect() found it.
 */
Oid
tags_schema(void)
{
	Assert(OidIsValid(plans_schema));
	return plans_schema;
}
