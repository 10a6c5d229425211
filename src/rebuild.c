/*-------------------------------------------------------------------------
 *
 * rebuild.c
 *	  tags_rebuild(): what the triggers keep, computed afresh.
 *
 * Only needed after the triggers were bypassed (disabled, or
 * session_replication_role = replica, as in a data-only restore with
 * --disable-triggers).  It locks posts and post_tags, then each target and
 * its associations, against writes (SHARE ROW EXCLUSIVE), copies every post
 * or item into its associations, and counts every tag afresh, as the owner
 * of the extension's tables or of the target.  See doc/tables.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_rebuild);

/* Rows of a target read at a time by rebuild_target() */
#define TAGS_REBUILD_BATCH 10000

static void rebuild_target(const TagsTarget *target);

/* Lock posts and post_tags against writes */
static const TagsStatement stmt_rebuild_lock = {
	"rebuild_lock",
	"LOCK TABLE @extschema@.posts, @extschema@.post_tags"
	" IN SHARE ROW EXCLUSIVE MODE",
	0, {InvalidOid}, 0, SPI_OK_UTILITY
};

/* Copy every post into those of its post_tags rows whose copy differs */
static const TagsStatement stmt_rebuild_copies = {
	"rebuild_copies",
	"UPDATE @extschema@.post_tags pt"
	" SET post_visible = (p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL), post_created_at = p.created_at"
	" FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) pt.post_id"
	"   AND pt.post_id OPERATOR(pg_catalog.=) p.id"
	" AND (pt.post_visible OPERATOR(pg_catalog.<>) (p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL)"
	"      OR pt.post_created_at OPERATOR(pg_catalog.<>) p.created_at)",
	0, {InvalidOid}, 0, SPI_OK_UPDATE
};

/* Count every tag's listed posts afresh, into the emptied counters */
static const TagsStatement stmt_rebuild_counts = {
	"rebuild_counts",
	"INSERT INTO @extschema@.tag_post_counts (tag_id, post_count)"
	" SELECT pt.tag_id, pg_catalog.count(*)"
	" FROM @extschema@.post_tags pt"
	" WHERE pt.post_visible"
	" GROUP BY pt.tag_id",
	0, {InvalidOid}, 0, SPI_OK_INSERT
};

/* Lock a target and its associations against writes */
static const TagsStatement stmt_item_rebuild_lock = {
	"item_rebuild_lock",
	"LOCK TABLE @target@, @assoc@ IN SHARE ROW EXCLUSIVE MODE",
	0, {InvalidOid}, 0, SPI_OK_UTILITY
};

/*
 * The next $2 rows of a target after the key $1 (NULL: the first), in key
 * order.  Planned at each run: the first batch and the others differ.
 */
static const TagsStatement stmt_item_rows_after = {
	"item_rows_after",
	"SELECT t FROM @target@ t"
	" WHERE $1 IS NULL OR t.@key@ OPERATOR(pg_catalog.>) $1"
	" ORDER BY t.@key@"
	" LIMIT $2",
	2, {ITEM_KEY_TYPE, INT8OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/* Count every tag's visible items afresh, into the emptied counters */
static const TagsStatement stmt_item_rebuild_counts = {
	"item_rebuild_counts",
	"INSERT INTO @counts@ (tag_id, @count@)"
	" SELECT a.tag_id, pg_catalog.count(*) FROM @assoc@ a"
	" WHERE a.@visible@"
	" GROUP BY a.tag_id",
	0, {InvalidOid}, 0, SPI_OK_INSERT
};

/*
 * tags_rebuild() for one target, as its owner: every item copied into its
 * associations (its visibility is evaluated in C, so each item is one
 * statement), then the counters counted afresh.  The caller must be
 * connected to SPI.
 */
static void
rebuild_target(const TagsTarget *target)
{
	TagsSavedUser saved;
	Datum		after[2];
	char		after_nulls[3] = "n ";
	int16		typlen;
	bool		typbyval;

	get_typlenbyval(target->key_type, &typlen, &typbyval);
	tags_become_target_owner(target, &saved);
	tags_target_execute(target, &stmt_item_rebuild_lock, NULL, NULL, false, false,
						0);
	/* $1 the last key of the batch before, $2 the batch's size */
	after[0] = (Datum) 0;
	after[1] = Int64GetDatum(TAGS_REBUILD_BATCH);
	for (;;)
	{
		SPITupleTable *rows;
		uint64		nrows;
		uint64		row;

		CHECK_FOR_INTERRUPTS();
		nrows = tags_target_execute(target, &stmt_item_rows_after, after,
									after_nulls, false, false, 0);
		if (nrows == 0)
			break;
		rows = SPI_tuptable;
		for (row = 0; row < nrows; row++)
		{
			TagsItemCopy item;
			Datum		params[3];
			HeapTupleHeader header;
			bool		isnull;

			header = DatumGetHeapTupleHeader(SPI_getbinval(rows->vals[row],
														   rows->tupdesc, 1,
														   &isnull));
			/* $1 item, $2 visible, $3 sort value */
			params[0] = GetAttributeByNum(header, target->key_att, &isnull);
			tags_item_copy_from_row(target, params[0], rows, row, &item);
			params[1] = BoolGetDatum(item.visible);
			params[2] = item.sort;
			tags_copy_item_into_associations(target, params);
			if (row == nrows - 1)
				after[0] = datumCopy(params[0], typbyval, typlen);
		}
		after_nulls[0] = ' ';
		SPI_freetuptable(rows);
		if (nrows < TAGS_REBUILD_BATCH)
			break;
	}
	tags_fold_item_counts(target, true);
	tags_clear_counts(target);
	tags_target_execute(target, &stmt_item_rebuild_counts, NULL, NULL, false,
						false, 0);
	tags_restore_user(&saved);
}

/*
 * tags_rebuild() RETURNS void
 *
 * Recomputes what the triggers keep from posts and post_tags: the copies of
 * the posts in post_tags, then the counters; then the same for every
 * target (1.2).  Only needed after the
 * triggers were bypassed (disabled, or session_replication_role = replica,
 * as in a data-only restore with --disable-triggers).  Locks posts and
 * post_tags against writes while it runs.
 */
Datum
tags_rebuild(PG_FUNCTION_ARGS)
{
	TagsSavedUser saved;

	int			ntargets;
	TagsTarget *targets;
	int			i;

	tags_spi_connect(fcinfo);
	tags_become_owner(&saved);
	tags_execute(&stmt_rebuild_lock, NULL, NULL, false, 0);
	tags_execute(&stmt_rebuild_copies, NULL, NULL, false, 0);
	tags_lock_folding(InvalidOid, true);
	tags_clear_counts(NULL);
	tags_execute(&stmt_rebuild_counts, NULL, NULL, false, 0);
	tags_restore_user(&saved);
	targets = tags_user_targets(&ntargets);
	for (i = 0; i < ntargets; i++)
		rebuild_target(&targets[i]);
	SPI_finish();
	PG_RETURN_VOID();
}
