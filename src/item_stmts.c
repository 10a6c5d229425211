/*-------------------------------------------------------------------------
 *
 * item_stmts.c
 *	  The statements run on a target (1.2), one text for every target.
 *
 * Each is the statement of 1.1 on posts and post_tags that it stands for
 * (spi_cache.c tells why each is written the way it is), with the names of
 * the target's tables and columns left as placeholders, which targets.c
 * fills in with quoted names when it prepares the statement for a target:
 *	  @extschema@	the extension's schema
 *	  @target@		the target table, t in every statement
 *	  @key@			its primary key column
 *	  @assoc@		its association table, a
 *	  @item@		the association's item column (item_id; post_id)
 *	  @visible@		its copy of the item's visibility (item_visible)
 *	  @sort@		its copy of the item's sort value (item_sort)
 *	  @counts@, @count@  the folded counts and their column (item_count)
 *	  @deltas@		the pending count deltas
 * The rules of spi_cache.c hold: operators pg_catalog-qualified, values
 * only as parameters.  A parameter of type ITEM_KEY_TYPE or ITEM_SORT_TYPE
 * takes the type of the target's key or sort column.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"

#include "tags.h"

#define K ITEM_KEY_TYPE
#define S ITEM_SORT_TYPE

/*
 * The ids of the tags a text[] of normalized names names, as an int4[]
 * built once per statement; an unknown name gives NULL, which matches
 * nothing (TAG_IDS_OF_NAMES in spi_cache.c)
 */
#define TAG_IDS_OF_NAMES_1 \
	"ARRAY(SELECT (SELECT tg.id FROM @extschema@.tags tg" \
	"              WHERE tg.name OPERATOR(pg_catalog.=) n.name" \
	"              UNION ALL" \
	"              SELECT s.tag_id FROM @extschema@.tag_synonyms s" \
	"              WHERE s.name OPERATOR(pg_catalog.=) n.name" \
	"              LIMIT 1)" \
	"      FROM pg_catalog.unnest($1) AS n(name))"
#define TAG_IDS_OF_NAMES_2 \
	"ARRAY(SELECT (SELECT tg.id FROM @extschema@.tags tg" \
	"              WHERE tg.name OPERATOR(pg_catalog.=) n.name" \
	"              UNION ALL" \
	"              SELECT s.tag_id FROM @extschema@.tag_synonyms s" \
	"              WHERE s.name OPERATOR(pg_catalog.=) n.name" \
	"              LIMIT 1)" \
	"      FROM pg_catalog.unnest($2) AS n(name))"

static const TagsItemStmtDef item_stmt_defs[NUM_ITEM_STMTS] = {
	[ITEM_EXISTS] = {
		"ITEM_EXISTS",
		"SELECT FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1",
		1, {K}, 0, SPI_OK_SELECT
	},
	[ITEM_LOCK] = {
		/* the whole row, for its visibility and sort value */
		"ITEM_LOCK",
		"SELECT t FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
		" FOR NO KEY UPDATE OF t",
		1, {K}, 0, SPI_OK_SELECT
	},
	[ITEM_KEY_SHARE] = {
		"ITEM_KEY_SHARE",
		"SELECT FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
		" FOR KEY SHARE OF t",
		1, {K}, 0, SPI_OK_SELECT
	},
	[ITEM_ROW] = {
		"ITEM_ROW",
		"SELECT t FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1",
		1, {K}, 0, SPI_OK_SELECT
	},
	[ITEM_LOCK_ALL] = {
		"ITEM_LOCK_ALL",
		"SELECT FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
		" FOR UPDATE OF t",
		1, {K}, 0, SPI_OK_SELECT
	},
	[ITEM_TAG_IDS] = {
		"ITEM_TAG_IDS",
		"SELECT a.tag_id, a.position FROM @assoc@ a"
		" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
		" ORDER BY a.tag_id",
		1, {K}, 0, SPI_OK_SELECT
	},
	[ITEM_TAGS] = {
		"ITEM_TAGS",
		"SELECT tg.* FROM @target@ t"
		" JOIN @assoc@ a ON a.@item@ OPERATOR(pg_catalog.=) t.@key@"
		" CROSS JOIN LATERAL (SELECT tg.* FROM @extschema@.tags tg"
		"                     WHERE tg.id OPERATOR(pg_catalog.=) a.tag_id"
		"                     OFFSET 0) tg"
		" WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
		" ORDER BY a.position NULLS LAST, tg.id",
		1, {K}, 0, SPI_OK_SELECT
	},
	[ITEM_TAGS_LOCKED] = {
		"ITEM_TAGS_LOCKED",
		"SELECT tg.* FROM @target@ t"
		" JOIN @assoc@ a ON a.@item@ OPERATOR(pg_catalog.=) t.@key@"
		" CROSS JOIN LATERAL (SELECT tg.* FROM @extschema@.tags tg"
		"                     WHERE tg.id OPERATOR(pg_catalog.=) a.tag_id"
		"                     FOR KEY SHARE OF tg) tg"
		" WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
		" ORDER BY a.position NULLS LAST, tg.id",
		1, {K}, 0, SPI_OK_SELECT
	},
	[ITEM_TAGS_APPLY] = {
		"ITEM_TAGS_APPLY",
		"WITH wanted AS ("
		"    SELECT w.tag_id, w.position::pg_catalog.int4 AS position"
		"    FROM pg_catalog.unnest($2) WITH ORDINALITY AS w(tag_id, position)"
		"), removed AS ("
		"    DELETE FROM @assoc@ a"
		"    WHERE $3 AND a.@item@ OPERATOR(pg_catalog.=) $1"
		"      AND NOT EXISTS (SELECT FROM wanted w"
		"                      WHERE w.tag_id OPERATOR(pg_catalog.=) a.tag_id)"
		"), moved AS ("
		"    UPDATE @assoc@ a SET position = w.position"
		"    FROM wanted w"
		"    WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
		"      AND a.tag_id OPERATOR(pg_catalog.=) w.tag_id"
		"      AND (a.position IS NULL"
		"           OR a.position OPERATOR(pg_catalog.<>) w.position)"
		")"
		" INSERT INTO @assoc@ AS a (@item@, tag_id, position)"
		" SELECT $1, w.tag_id, w.position FROM wanted w"
		" WHERE NOT EXISTS (SELECT FROM @assoc@ old"
		"                   WHERE old.@item@ OPERATOR(pg_catalog.=) $1"
		"                     AND old.tag_id OPERATOR(pg_catalog.=) w.tag_id)"
		" ON CONFLICT (@item@, tag_id)"
		" DO UPDATE SET position = excluded.position",
		3, {K, INT4ARRAYOID, BOOLOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_INSERT
	},
	[ITEM_TAGS_REMOVE] = {
		"ITEM_TAGS_REMOVE",
		"DELETE FROM @assoc@ a"
		" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
		"   AND a.tag_id OPERATOR(pg_catalog.=) ANY (" TAG_IDS_OF_NAMES_2 ")",
		2, {K, TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE
	},
	[ITEM_COPY_TO_TAGS] = {
		"ITEM_COPY_TO_TAGS",
		"UPDATE @assoc@ a SET @visible@ = $2, @sort@ = $3"
		" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
		"   AND (a.@visible@ OPERATOR(pg_catalog.<>) $2"
		"        OR a.@sort@ OPERATOR(pg_catalog.<>) $3)",
		3, {K, BOOLOID, S}, 0, SPI_OK_UPDATE
	},
	[ITEM_COPY_STALE] = {
		"ITEM_COPY_STALE",
		"SELECT FROM @assoc@ a"
		" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
		"   AND (a.@visible@ OPERATOR(pg_catalog.<>) $2"
		"        OR a.@sort@ OPERATOR(pg_catalog.<>) $3)"
		" LIMIT 1",
		3, {K, BOOLOID, S}, 0, SPI_OK_SELECT
	},
	[ITEM_TAG_PAGE] = {
		"ITEM_TAG_PAGE",
		"SELECT t.* FROM @assoc@ a"
		" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
		" WHERE a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
		" ORDER BY a.@sort@ DESC, a.@item@ DESC"
		" OFFSET $2 LIMIT $3",
		3, {INT4OID, INT8OID, INT8OID}, 0, SPI_OK_SELECT
	},
	[ITEM_TAG_AFTER] = {
		"ITEM_TAG_AFTER",
		"SELECT t.* FROM @assoc@ a"
		" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
		" WHERE a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@"
		"   AND (a.@sort@, a.@item@) OPERATOR(pg_catalog.<) ($2, $3)"
		" ORDER BY a.@sort@ DESC, a.@item@ DESC"
		" LIMIT $4",
		4, {INT4OID, S, K, INT8OID}, 0, SPI_OK_SELECT
	},
	[ITEM_TAG_COUNT] = {
		"ITEM_TAG_COUNT",
		"SELECT COALESCE((SELECT c.@count@ FROM @counts@ c"
		"                 WHERE c.tag_id OPERATOR(pg_catalog.=) $1), 0)"
		"       OPERATOR(pg_catalog.+)"
		"       COALESCE((SELECT pg_catalog.sum(d.delta) FROM @deltas@ d"
		"                 WHERE d.tag_id OPERATOR(pg_catalog.=) $1), 0)",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[ITEM_TAG_COUNT_LIVE] = {
		"ITEM_TAG_COUNT_LIVE",
		"SELECT pg_catalog.count(*) FROM @assoc@ a"
		" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
		" WHERE a.tag_id OPERATOR(pg_catalog.=) $1 AND a.@visible@",
		1, {INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[ITEM_TAG_COUNTS] = {
		"ITEM_TAG_COUNTS",
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
	},
	[ITEM_TAG_COUNTS_TOP] = {
		/* see STMT_TAG_COUNTS_TOP */
		"ITEM_TAG_COUNTS_TOP",
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
	},
	[ITEM_TAG_COUNTS_LIVE] = {
		"ITEM_TAG_COUNTS_LIVE",
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
	},
	[ITEM_DELTAS_ADD] = {
		"ITEM_DELTAS_ADD",
		"INSERT INTO @deltas@ (tag_id, delta)"
		" SELECT d.tag_id, d.delta"
		" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
		"      AS d(tag_id, delta)",
		2, {INT4ARRAYOID, INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN,
		SPI_OK_INSERT
	},
	[ITEM_DELTAS_FOLD] = {
		"ITEM_DELTAS_FOLD",
		"WITH folded AS ("
		"    DELETE FROM @deltas@ RETURNING tag_id, delta"
		")"
		" INSERT INTO @counts@ AS c (tag_id, @count@)"
		" SELECT f.tag_id, pg_catalog.sum(f.delta) FROM folded f"
		" GROUP BY f.tag_id"
		" ORDER BY f.tag_id"
		" ON CONFLICT (tag_id) DO UPDATE"
		" SET @count@ = c.@count@ OPERATOR(pg_catalog.+) excluded.@count@"
		" RETURNING c.tag_id, c.@count@",
		0, {InvalidOid}, 0, SPI_OK_INSERT_RETURNING
	},
	[ITEM_COUNTS_DROP_ZEROS] = {
		"ITEM_COUNTS_DROP_ZEROS",
		"DELETE FROM @counts@ c"
		" WHERE c.tag_id OPERATOR(pg_catalog.=) ANY ($1)"
		"   AND c.@count@ OPERATOR(pg_catalog.=) 0",
		1, {INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE
	},
	[ITEM_COUNTS_CLEAR] = {
		"ITEM_COUNTS_CLEAR",
		"TRUNCATE @counts@, @deltas@",
		0, {InvalidOid}, 0, SPI_OK_UTILITY
	},
	[ITEM_TAGGED_IDS_BY_USE] = {
		"ITEM_TAGGED_IDS_BY_USE",
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
	},
	[ITEM_TAGGED_IDS_BY_USE_LIVE] = {
		"ITEM_TAGGED_IDS_BY_USE_LIVE",
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
	},
	[ITEM_TAGGED_ALL] = {
		"ITEM_TAGGED_ALL",
		"SELECT t.* FROM @assoc@ a"
		" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
		" WHERE a.tag_id OPERATOR(pg_catalog.=) ($1)[1] AND a.@visible@"
		"   AND (SELECT pg_catalog.count(*) FILTER"
		"               (WHERE x.tag_id OPERATOR(pg_catalog.=) ANY ($1))"
		"               OPERATOR(pg_catalog.=) pg_catalog.cardinality($1)"
		"           AND pg_catalog.count(*) FILTER"
		"               (WHERE x.tag_id OPERATOR(pg_catalog.=)"
		"                      ANY (" TAG_IDS_OF_NAMES_2 "))"
		"               OPERATOR(pg_catalog.=) 0"
		"        FROM @assoc@ x"
		"        WHERE x.@item@ OPERATOR(pg_catalog.=) a.@item@)"
		" ORDER BY a.@sort@ DESC, a.@item@ DESC"
		" OFFSET $3 LIMIT $4",
		4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID},
		CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[ITEM_TAGGED_EXACT] = {
		"ITEM_TAGGED_EXACT",
		"SELECT t.* FROM @assoc@ a"
		" JOIN @target@ t ON t.@key@ OPERATOR(pg_catalog.=) a.@item@"
		" WHERE a.tag_id OPERATOR(pg_catalog.=) ($1)[1] AND a.@visible@"
		"   AND (SELECT pg_catalog.count(*) FILTER"
		"               (WHERE x.tag_id OPERATOR(pg_catalog.=) ANY ($1))"
		"               OPERATOR(pg_catalog.=) pg_catalog.cardinality($1)"
		"           AND pg_catalog.count(*) FILTER"
		"               (WHERE x.tag_id OPERATOR(pg_catalog.=)"
		"                      ANY (" TAG_IDS_OF_NAMES_2 "))"
		"               OPERATOR(pg_catalog.=) 0"
		"           AND pg_catalog.count(*) OPERATOR(pg_catalog.=)"
		"               pg_catalog.cardinality($1)"
		"        FROM @assoc@ x"
		"        WHERE x.@item@ OPERATOR(pg_catalog.=) a.@item@)"
		" ORDER BY a.@sort@ DESC, a.@item@ DESC"
		" OFFSET $3 LIMIT $4",
		4, {INT4ARRAYOID, TEXTARRAYOID, INT8OID, INT8OID},
		CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[ITEM_TAGGED_ANY] = {
		"ITEM_TAGGED_ANY",
		"SELECT t.* FROM"
		" (SELECT a.@item@ AS item, pg_catalog.count(*) AS matched,"
		"         pg_catalog.max(a.@sort@) AS sort"
		"  FROM @assoc@ a"
		"  WHERE a.tag_id OPERATOR(pg_catalog.=) ANY (" TAG_IDS_OF_NAMES_1 ")"
		"    AND a.@visible@"
		"    AND NOT EXISTS (SELECT FROM @assoc@ x"
		"                    WHERE x.@item@ OPERATOR(pg_catalog.=) a.@item@"
		"                      AND x.tag_id OPERATOR(pg_catalog.=)"
		"                          ANY (" TAG_IDS_OF_NAMES_2 "))"
		"  GROUP BY a.@item@"
		"  ORDER BY matched DESC, sort DESC, item DESC) m"
		" CROSS JOIN LATERAL (SELECT t.* FROM @target@ t"
		"                     WHERE t.@key@ OPERATOR(pg_catalog.=) m.item"
		"                     OFFSET 0) t"
		" ORDER BY m.matched DESC, m.sort DESC, m.item DESC"
		" OFFSET $3 LIMIT $4",
		4, {TEXTARRAYOID, TEXTARRAYOID, INT8OID, INT8OID},
		CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[ITEM_RELATED] = {
		"ITEM_RELATED",
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
		2, {K, INT4OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[ITEM_TAG_ITEMS_LOCK] = {
		"ITEM_TAG_ITEMS_LOCK",
		"SELECT FROM @target@ t"
		" WHERE t.@key@ OPERATOR(pg_catalog.=) ANY (ARRAY("
		"     SELECT a.@item@ FROM @assoc@ a"
		"     WHERE a.tag_id OPERATOR(pg_catalog.=) $1))"
		" ORDER BY t.@key@"
		" FOR UPDATE OF t",
		1, {INT4OID}, 0, SPI_OK_SELECT
	},
	[ITEM_MERGE_MOVE] = {
		/* see STMT_MERGE_MOVE */
		"ITEM_MERGE_MOVE",
		"WITH both_tags AS ("
		"    DELETE FROM @assoc@ f"
		"    USING @assoc@ i"
		"    WHERE f.tag_id OPERATOR(pg_catalog.=) $1"
		"      AND i.tag_id OPERATOR(pg_catalog.=) $2"
		"      AND i.@item@ OPERATOR(pg_catalog.=) f.@item@"
		"    RETURNING f.@item@ AS item, f.position"
		"), first_position AS ("
		"    UPDATE @assoc@ i SET position = b.position"
		"    FROM both_tags b"
		"    WHERE i.@item@ OPERATOR(pg_catalog.=) b.item"
		"      AND i.tag_id OPERATOR(pg_catalog.=) $2"
		"      AND (b.position OPERATOR(pg_catalog.<) i.position"
		"           OR (i.position IS NULL AND b.position IS NOT NULL))"
		")"
		" UPDATE @assoc@ f SET tag_id = $2"
		" WHERE f.tag_id OPERATOR(pg_catalog.=) $1"
		"   AND NOT EXISTS (SELECT FROM @assoc@ i"
		"                   WHERE i.@item@ OPERATOR(pg_catalog.=) f.@item@"
		"                     AND i.tag_id OPERATOR(pg_catalog.=) $2)",
		2, {INT4OID, INT4OID}, 0, SPI_OK_UPDATE
	},
	[ITEM_TAGS_IN_USE] = {
		"ITEM_TAGS_IN_USE",
		"SELECT u.id FROM pg_catalog.unnest($1) AS u(id)"
		" WHERE EXISTS (SELECT FROM @assoc@ a"
		"               WHERE a.tag_id OPERATOR(pg_catalog.=) u.id)",
		1, {INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
	},
	[ITEM_REBUILD_LOCK] = {
		"ITEM_REBUILD_LOCK",
		"LOCK TABLE @target@, @assoc@ IN SHARE ROW EXCLUSIVE MODE",
		0, {InvalidOid}, 0, SPI_OK_UTILITY
	},
	[ITEM_ROWS_AFTER] = {
		/* planned at each run: the first batch and the others differ */
		"ITEM_ROWS_AFTER",
		"SELECT t FROM @target@ t"
		" WHERE $1 IS NULL OR t.@key@ OPERATOR(pg_catalog.>) $1"
		" ORDER BY t.@key@"
		" LIMIT $2",
		2, {K, INT8OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
	},
	[ITEM_REBUILD_COUNTS] = {
		"ITEM_REBUILD_COUNTS",
		"INSERT INTO @counts@ (tag_id, @count@)"
		" SELECT a.tag_id, pg_catalog.count(*) FROM @assoc@ a"
		" WHERE a.@visible@"
		" GROUP BY a.tag_id",
		0, {InvalidOid}, 0, SPI_OK_INSERT
	},
};

/* The definition of a target statement */
const TagsItemStmtDef *
tags_item_stmt_def(ItemStmt stmt)
{
	Assert(stmt >= 0 && stmt < NUM_ITEM_STMTS);
	return &item_stmt_defs[stmt];
}
