/*-------------------------------------------------------------------------
 *
 * rebuild.c
 *	  tags_rebuild(): what the triggers keep, computed afresh.
 *
 * Only needed after the triggers were bypassed (disabled, or
 * session_replication_role = replica, as in a data-only restore with
 * --disable-triggers).  For each target, posts first, it locks the target
 * and its associations against writes (SHARE ROW EXCLUSIVE), copies every
 * item into its associations, a batch at a time, and counts every tag
 * afresh, as the owner of the target.  See doc/tables.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_rebuild);

/* Rows of a target read at a time by rebuild_target() */
#define TAGS_REBUILD_BATCH 10000

static void rebuild_target(const TagsTarget *target);
static void copy_items(const TagsTarget *target);

/* Lock a target and its associations against writes */
static const TagsStatement stmt_item_rebuild_lock = {
	"item_rebuild_lock",
	"LOCK TABLE @target@, @assoc@ IN SHARE ROW EXCLUSIVE MODE",
	0, {InvalidOid}, 0, SPI_OK_UTILITY
};

/*
 * The next $2 rows of a target (of the call's tenant) after the key $1
 * (NULL: the first), in key order.  Planned at each run: the first batch
 * and the others differ.
 */
static const TagsStatement stmt_item_rows_after = {
	"item_rows_after",
	"SELECT t FROM @target@ t"
	" WHERE @target_tenant:t@ ($1 IS NULL OR t.@key@ OPERATOR(pg_catalog.>) $1)"
	" ORDER BY t.@key@"
	" LIMIT $2",
	2, {ITEM_KEY_TYPE, INT8OID}, CURSOR_OPT_CUSTOM_PLAN, SPI_OK_SELECT
};

/*
 * Count every tag's visible items (of the call's tenant) afresh, into the
 * emptied counters
 */
static const TagsStatement stmt_item_rebuild_counts = {
	"item_rebuild_counts",
	"INSERT INTO @counts@ (@tenant_column@tag_id, @count@)"
	" SELECT @tenant_value@a.tag_id, pg_catalog.count(*) FROM @assoc@ a"
	" WHERE @tenant:a@ a.@visible@"
	" GROUP BY a.tag_id",
	0, {InvalidOid}, 0, SPI_OK_INSERT
};

/*
 * The same on a target distributed by its key, whose counts each shard
 * group keeps, naming an item of the group (tags_count_item_changes()):
 * each tag's count of a group ($1 the association table, whose shards are
 * the groups') inserted with one of its items there
 */
static const TagsStatement stmt_item_rebuild_counts_by_key = {
	"item_rebuild_counts_by_key",
	"INSERT INTO @counts@ (item_id, tag_id, @count@)"
	" SELECT (pg_catalog.array_agg(a.@item@))[1], a.tag_id,"
	"        pg_catalog.count(*)"
	" FROM @assoc@ a"
	" WHERE a.@visible@"
	" GROUP BY a.tag_id,"
	"          pg_catalog.get_shard_id_for_distribution_column("
	"              $1::pg_catalog.regclass, a.@item@)",
	1, {OIDOID}, 0, SPI_OK_INSERT
};

/* The tenants of a tenant target's associations, as text */
static const TagsStatement stmt_item_tenants = {
	"item_tenants",
	"SELECT DISTINCT a.tenant::pg_catalog.text FROM @assoc@ a",
	0, {InvalidOid}, 0, SPI_OK_SELECT
};

/*
 * tags_rebuild() for one list of a target, as its owner: for each tenant
 * of a tenant target (once for another), every item copied into its
 * associations; then the counters emptied and, tenant by tenant, counted
 * afresh.  The caller must be connected to SPI.
 */
static void
rebuild_target(const TagsTarget *target)
{
	TagsSavedUser saved;
	TagsTarget *tenants;
	int			ntenants;
	int			i;

	tags_become_target_owner(target, &saved);
	tags_target_execute(target, &stmt_item_rebuild_lock, NULL, NULL, false, false,
						0);
	tenants = tags_each_tenant(target, &stmt_item_tenants, &ntenants);
	for (i = 0; i < ntenants; i++)
		copy_items(&tenants[i]);
	/* what the copies changed is in the deltas: all of it is counted anew */
	tags_fold_item_counts(target, true);
	tags_clear_counts(target);
	for (i = 0; i < ntenants; i++)
	{
		/* $1 the association table */
		Datum		assoc = ObjectIdGetDatum(target->assoc);

		if (TAGS_DISTRIBUTED_BY_KEY(target))
			tags_target_execute(&tenants[i], &stmt_item_rebuild_counts_by_key,
								&assoc, NULL, false, false, 0);
		else
			tags_target_execute(&tenants[i], &stmt_item_rebuild_counts, NULL,
								NULL, false, false, 0);
	}
	tags_restore_user(&saved);
}

/*
 * Copy every item of a target (of the call's tenant) into its list's
 * associations: its visibility is evaluated in C, so the items are read in
 * batches, and each batch copied in one statement.
 */
static void
copy_items(const TagsTarget *target)
{
	Datum		after[2];
	char		after_nulls[3] = "n ";
	Datum	   *keys = palloc(TAGS_REBUILD_BATCH * sizeof(Datum));
	Datum	   *visibles = palloc(TAGS_REBUILD_BATCH * sizeof(Datum));
	Datum	   *sorts = palloc(TAGS_REBUILD_BATCH * sizeof(Datum));
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext batch = AllocSetContextCreate(CurrentMemoryContext,
												"tags rebuild batch",
												ALLOCSET_DEFAULT_SIZES);
	int16		key_len;
	bool		key_byval;
	char		key_align;
	int16		sort_len;
	bool		sort_byval;
	char		sort_align;

	get_typlenbyvalalign(target->key_type, &key_len, &key_byval, &key_align);
	get_typlenbyvalalign(target->sort_type, &sort_len, &sort_byval,
						 &sort_align);
	/* $1 the last key of the batch before, $2 the batch's size */
	after[0] = (Datum) 0;
	after[1] = Int64GetDatum(TAGS_REBUILD_BATCH);
	for (;;)
	{
		SPITupleTable *rows;
		uint64		nrows;
		uint64		row;
		Datum		params[5];

		CHECK_FOR_INTERRUPTS();
		nrows = tags_target_execute(target, &stmt_item_rows_after, after,
									after_nulls, false, false, 0);
		if (nrows == 0)
			break;
		rows = SPI_tuptable;
		/* what a batch reads and makes, freed once it is copied */
		MemoryContextSwitchTo(batch);
		for (row = 0; row < nrows; row++)
		{
			TagsItemCopy item;
			HeapTupleHeader header;
			bool		isnull;

			header = DatumGetHeapTupleHeader(SPI_getbinval(rows->vals[row],
														   rows->tupdesc, 1,
														   &isnull));
			keys[row] = GetAttributeByNum(header, target->key_att, &isnull);
			tags_item_copy_from_row(target, keys[row], rows, row, &item);
			visibles[row] = BoolGetDatum(item.visible);
			sorts[row] = item.sort;
		}
		/*
		 * $1 the items, $2 their visibility, $3 their sort values, $4 and $5
		 * the first and the last item
		 */
		params[0] = PointerGetDatum(construct_array(keys, (int) nrows,
													target->key_type, key_len,
													key_byval, key_align));
		params[1] = PointerGetDatum(construct_array(visibles, (int) nrows,
													BOOLOID, 1, true,
													TYPALIGN_CHAR));
		params[2] = PointerGetDatum(construct_array(sorts, (int) nrows,
													target->sort_type,
													sort_len, sort_byval,
													sort_align));
		params[3] = keys[0];
		params[4] = keys[nrows - 1];
		MemoryContextSwitchTo(outer);
		after[0] = datumCopy(keys[nrows - 1], key_byval, key_len);
		after_nulls[0] = ' ';
		tags_copy_items_into_associations(target, params);
		SPI_freetuptable(rows);
		MemoryContextReset(batch);
		if (nrows < TAGS_REBUILD_BATCH)
			break;
	}
	MemoryContextDelete(batch);
}

/*
 * tags_rebuild() RETURNS void
 *
 * Recomputes what the triggers keep, for posts and every other target:
 * the copies of the items in their associations, then the counters.  Only
 * needed after the triggers were bypassed (disabled, or
 * session_replication_role = replica, as in a data-only restore with
 * --disable-triggers).  Locks each target and its associations against
 * writes while it runs.
 */
Datum
tags_rebuild(PG_FUNCTION_ARGS)
{
	int			ntargets;
	TagsTarget *targets;
	int			nestlevel;
	int			i;

	tags_spi_connect(fcinfo);
	/* each batch's statement is planned anew: not worth compiling */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	targets = tags_all_targets(InvalidOid, &ntargets);
	for (i = 0; i < ntargets; i++)
		rebuild_target(&targets[i]);
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
	PG_RETURN_VOID();
}
