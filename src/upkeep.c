/*-------------------------------------------------------------------------
 *
 * upkeep.c
 *	  What the triggers keep for the readers: each association's copy of its
 *	  post's visibility and date, and the tag counters.
 *
 * A tag's page is read off an index of post_tags, (tag_id, post_visible,
 * post_created_at, post_id), so it costs the same for a tag on a hundred
 * thousand posts as for one on ten.  Its second and third columns are
 * copies of the post's: a BEFORE trigger sets them from the post on every
 * INSERT into post_tags (and UPDATE that moves a row or touches them), and
 * an AFTER trigger on posts copies a post's new status, deleted_at or
 * created_at into its rows.  Whoever writes, a function of ours or plain
 * SQL, the copies are the post's.
 *
 * Two writers race here: one inserting an association while another
 * changes the post.  The inserter reads the post FOR KEY SHARE, the lock a
 * foreign-key check takes, so it waits for no writer of ours, then reads
 * it in a new snapshot, so it copies the post as last committed; the one who
 * changed the post then locks it FOR UPDATE, which waits for every
 * transaction that holds that lock, that is, that may be inserting an
 * association with the post's old values, and, in READ COMMITTED, copies
 * the post into the rows they committed.  An inserter that comes after
 * the FOR UPDATE waits for the change to commit and reads the new post.
 * Under REPEATABLE READ and SERIALIZABLE the copy cannot see rows committed
 * after the transaction's snapshot, so it looks for stale rows in a new
 * snapshot, and fails with 40001 if it finds any.
 *
 * Counters.  A tag's post count is its row of tag_post_counts (the folded
 * count) plus the sum of its rows of tag_post_count_deltas (the pending
 * deltas).  The statement triggers on post_tags read the statement's
 * transition tables, add up per tag the visible rows that came and went,
 * and insert one delta per tag that changed: only inserts, so two writers
 * of one popular tag never wait for each other, and cannot deadlock or fail
 * to serialize on a counter.  The deltas are written in the writing
 * transaction, so every snapshot sees counts that are exactly those of the
 * rows it sees.  From time to time a writer folds the deltas into the
 * folded counts, in one statement, under an advisory lock that only one
 * folder holds at a time (it tries, and skips folding if another holds
 * it); only in READ COMMITTED, where updating a row another folder updated
 * meanwhile is not a serialization failure.
 *
 * The counters and the copies are the extension's upkeep, not the
 * caller's: the triggers write them as the owner of the extension's tables,
 * as a foreign key's checks and cascades run as the table owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_copy_post);
PG_FUNCTION_INFO_V1(tags_post_changed);
PG_FUNCTION_INFO_V1(tags_count_changes);
PG_FUNCTION_INFO_V1(tags_fold_counts);
PG_FUNCTION_INFO_V1(tags_rebuild);
PG_FUNCTION_INFO_V1(tags_copy_item);
PG_FUNCTION_INFO_V1(tags_item_changed);
PG_FUNCTION_INFO_V1(tags_count_item_changes);

/* First key of the folding lock: "tagc" in ASCII (see tagging.c) */
#define TAGS_FOLD_LOCK_SPACE 0x74616763

/* Deltas a backend inserts between two attempts to fold */
#define TAGS_FOLD_EVERY 4000

/* One tag's change in a statement */
typedef struct TagDelta
{
	int32		tag_id;
	int32		delta;
} TagDelta;

/* The changes of one statement, per tag once sorted */
typedef struct DeltaList
{
	TagDelta   *items;
	int			count;
	int			size;
} DeltaList;

/*
 * The post a writer of ours is writing the tags of, in a statement of
 * tags_execute_for_post(); else NULL.  A writer called from user code that
 * the statement fires sets its own, and gives this one back when it ends.
 */
static const TagsPostCopy *writing_post = NULL;

/*
 * The deltas of the statements a writer of ours runs in
 * tags_execute_for_post(), gathered to be inserted in one statement once it
 * ends, and the transaction nesting level it runs at; else NULL.  Set and
 * given back as writing_post is.
 */
static DeltaList *writer_deltas = NULL;
static int	writer_level = 0;

/*
 * How many times tags_post_changed() copied a post into its post_tags rows
 * in this backend.  A writer's copy of its post (TagsPostCopy) is used only
 * while this has not moved since the writer read it: user code that a
 * writer's statements fire may change the post.
 */
static uint64 post_changes = 0;

/* Deltas this backend inserted since it last folded */
static int64 deltas_since_fold = 0;

/*
 * The item a writer on a target is writing the tags of, and how many times
 * tags_item_changed() copied an item in this backend: as writing_post and
 * post_changes, for the targets of 1.2.
 */
static const TagsItemCopy *writing_item = NULL;
static uint64 item_changes = 0;

/*
 * The deltas of the statements a writer on a target runs in
 * tags_execute_for_item(), with the association table and the transaction
 * nesting level they are gathered for (see writer_deltas)
 */
static DeltaList *item_writer_deltas = NULL;
static Oid	item_writer_assoc = InvalidOid;
static int	item_writer_level = 0;
static int64 item_deltas_since_fold = 0;

static int	column_of(Relation rel, const char *name, const char *function);
static void read_post_copy(FunctionCallInfo fcinfo, Datum post_id,
						   Datum *values);
static void add_rows(DeltaList *list, Tuplestorestate *rows, Relation rel,
					 const char *visible_column, int32 sign);
static void add_statement_rows(DeltaList *list, TriggerData *trigdata,
							   const char *visible_column,
							   const char *function);
static int	compare_tag_delta(const void *a, const void *b);
static void sum_by_tag(DeltaList *list);
static void init_deltas(DeltaList *list);
static void add_delta(DeltaList *list, int32 tag_id, int32 delta);
static void record_deltas(DeltaList *list);
static bool lock_folding(bool wait);
static int64 fold_counts(bool wait);
static void drop_zero_counts(const TagsTarget *target);
static void item_copy_from_row(const TagsTarget *target, Datum key,
							   TagsItemCopy *item);
static void item_copy_from_row_at(const TagsTarget *target, Datum key,
								  SPITupleTable *rows, uint64 row,
								  TagsItemCopy *item);
static int64 fold_item_counts(const TagsTarget *target, bool wait);
static void rebuild_target(const TagsTarget *target);
static void record_deltas_of(const TagsTarget *target, DeltaList *list);

/*
 * The attribute number of column name of the trigger's table, which the
 * trigger function needs.
 */
static int
column_of(Relation rel, const char *name, const char *function)
{
	int			att = tags_column_of(RelationGetDescr(rel), name);

	if (att <= 0)
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"%s\" must be fired on a table with a column \"%s\"",
					   function, name));
	return att;
}

/*
 * tags_copy_post() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OF post_id, post_visible, post_created_at ON
 * post_tags FOR EACH ROW.  Sets the row's post_visible and post_created_at
 * from its post, whatever the statement gave.
 */
Datum
tags_copy_post(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	HeapTuple	tuple;
	int			columns[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	Datum		post_id;
	bool		isnull;

	tags_check_before_row_trigger(fcinfo, "tags_copy_post");

	rel = trigdata->tg_relation;
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	columns[0] = column_of(rel, "post_visible", "tags_copy_post");
	columns[1] = column_of(rel, "post_created_at", "tags_copy_post");
	post_id = heap_getattr(tuple, column_of(rel, "post_id", "tags_copy_post"),
						   RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* for NOT NULL to reject */

	if (writing_post != NULL && writing_post->id == DatumGetInt32(post_id) &&
		writing_post->changes == post_changes)
	{
		/* a writer of ours has locked the post and read it, as it still is */
		values[0] = writing_post->visible;
		values[1] = writing_post->created_at;
	}
	else
		read_post_copy(fcinfo, post_id, values);

	return PointerGetDatum(heap_modify_tuple_by_cols(tuple,
													 RelationGetDescr(rel),
													 2, columns, values,
													 nulls));
}

/*
 * Set values to the visibility and the date of the post post_id, which it
 * locks FOR KEY SHARE; false and -infinity if there is no such post, which
 * the foreign key then reports.
 *
 * The lock waits for a change of the post that has locked it FOR UPDATE
 * (see tags_post_changed()), but it is taken on the version the snapshot
 * sees, which that change does not conflict with; and under REPEATABLE
 * READ that version may be older than a change committed since.  So the
 * post is read again after the lock, in a new snapshot, to copy it as last
 * committed.
 */
static void
read_post_copy(FunctionCallInfo fcinfo, Datum post_id, Datum *values)
{
	TagsSavedUser saved;
	bool		isnull;

	tags_spi_connect(fcinfo);
	tags_become_owner(&saved);
	tags_execute(STMT_POST_KEY_SHARE, &post_id, NULL, false, 0);
	if (tags_execute_latest(STMT_POST_COPY, &post_id, NULL) == 1)
	{
		HeapTuple	post = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		values[0] = SPI_getbinval(post, desc, 1, &isnull);
		/* out of SPI's memory, where timestamptz is passed by reference */
		values[1] = SPI_datumTransfer(SPI_getbinval(post, desc, 2, &isnull),
									  FLOAT8PASSBYVAL, sizeof(TimestampTz));
	}
	else
	{
		values[0] = BoolGetDatum(false);
		values[1] = TimestampTzGetDatum(DT_NOBEGIN);
	}
	tags_restore_user(&saved);
	SPI_finish();
}

/*
 * Run a statement of a writer of ours that inserts associations of post,
 * which the writer has locked (see lock_post() in tagging.c): the trigger
 * copies post into them without reading it again, and the changes of the
 * counts that its triggers gather are inserted in one statement after it.
 * Only those of the statement's own level: a trigger's statement run in a
 * subtransaction that may be rolled back inserts its own.  The caller must
 * be connected to SPI.
 */
void
tags_execute_for_post(TagsStmt stmt, Datum *values, const TagsPostCopy *post)
{
	const TagsPostCopy *outer_post = writing_post;
	DeltaList  *outer_deltas = writer_deltas;
	int			outer_level = writer_level;
	DeltaList	deltas;

	init_deltas(&deltas);
	writing_post = post;
	writer_deltas = &deltas;
	writer_level = GetCurrentTransactionNestLevel();
	PG_TRY();
	{
		tags_execute(stmt, values, NULL, false, 0);
	}
	PG_FINALLY();
	{
		writing_post = outer_post;
		writer_deltas = outer_deltas;
		writer_level = outer_level;
	}
	PG_END_TRY();

	/* what its DELETE, UPDATE and INSERT changed, in one insert */
	sum_by_tag(&deltas);
	if (deltas.count > 0)
		record_deltas(&deltas);
}

/*
 * tags_post_changed() RETURNS trigger
 *
 * AFTER UPDATE OF status, deleted_at, created_at ON posts FOR EACH ROW,
 * when one of them changed.  Copies the post into its post_tags rows, after
 * waiting for the transactions that may be inserting one (see the header).
 */
Datum
tags_post_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	Datum		post_id;
	bool		isnull;
	TagsSavedUser saved;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_post_changed\" must be fired AFTER UPDATE FOR EACH ROW"));

	rel = trigdata->tg_relation;
	post_id = heap_getattr(trigdata->tg_newtuple,
						   column_of(rel, "id", "tags_post_changed"),
						   RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(NULL);

	post_changes++;
	tags_spi_connect(fcinfo);
	tags_become_owner(&saved);
	tags_execute(STMT_POST_LOCK_ALL, &post_id, NULL, false, 0);
	tags_execute(STMT_POST_COPY_TO_TAGS, &post_id, NULL, false, 0);
	if (IsolationUsesXactSnapshot() &&
		tags_execute_latest(STMT_POST_COPY_STALE, &post_id, NULL) > 0)
		ereport(ERROR,
				errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				errmsg("could not serialize access due to concurrent update of the tags of post %d",
					   DatumGetInt32(post_id)),
				errhint("Retry the transaction."));
	tags_restore_user(&saved);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* An empty list of deltas, in the current memory context */
static void
init_deltas(DeltaList *list)
{
	list->size = 16;
	list->count = 0;
	list->items = palloc(list->size * sizeof(TagDelta));
}

/* Append a delta to list */
static void
add_delta(DeltaList *list, int32 tag_id, int32 delta)
{
	if (list->count == list->size)
	{
		list->size *= 2;
		list->items = repalloc_huge(list->items,
									list->size * sizeof(TagDelta));
	}
	list->items[list->count].tag_id = tag_id;
	list->items[list->count++].delta = delta;
}

/*
 * Add to list one delta of sign for each row of rows (a transition table of
 * an association table) whose item is visible (its visible_column).
 */
static void
add_rows(DeltaList *list, Tuplestorestate *rows, Relation rel,
		 const char *visible_column, int32 sign)
{
	int			tag_att = column_of(rel, "tag_id", "tags_count_changes");
	int			visible_att = column_of(rel, visible_column,
										"tags_count_changes");
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel),
													&TTSOpsMinimalTuple);
	int			reader;

	/* a read pointer of our own: other triggers may read the table too */
	reader = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(rows, reader);
	tuplestore_rescan(rows);
	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		bool		isnull;
		Datum		visible = slot_getattr(slot, visible_att, &isnull);

		if (isnull || !DatumGetBool(visible))
			continue;
		add_delta(list, DatumGetInt32(slot_getattr(slot, tag_att, &isnull)),
				  sign);
	}
	ExecDropSingleTupleTableSlot(slot);
}

/*
 * Add to list the deltas of a statement trigger's transition tables: -1
 * for each visible row that went, +1 for each that came.  Raises 39P01 if
 * the trigger has none (function is the trigger function's name).
 */
static void
add_statement_rows(DeltaList *list, TriggerData *trigdata,
				   const char *visible_column, const char *function)
{
	if (trigdata->tg_oldtable == NULL && trigdata->tg_newtable == NULL)
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"%s\" must be fired with transition tables",
					   function));
	if (trigdata->tg_oldtable != NULL)
		add_rows(list, trigdata->tg_oldtable, trigdata->tg_relation,
				 visible_column, -1);
	if (trigdata->tg_newtable != NULL)
		add_rows(list, trigdata->tg_newtable, trigdata->tg_relation,
				 visible_column, 1);
}

static int
compare_tag_delta(const void *a, const void *b)
{
	int32		x = ((const TagDelta *) a)->tag_id;
	int32		y = ((const TagDelta *) b)->tag_id;

	return (x > y) - (x < y);
}

/* Leave one item per tag in list, with the sum of its deltas, if not zero */
static void
sum_by_tag(DeltaList *list)
{
	int			n = 0;
	int			i;

	qsort(list->items, list->count, sizeof(TagDelta), compare_tag_delta);
	for (i = 0; i < list->count; i++)
	{
		if (n > 0 && list->items[n - 1].tag_id == list->items[i].tag_id)
			list->items[n - 1].delta += list->items[i].delta;
		else
		{
			if (n > 0 && list->items[n - 1].delta == 0)
				n--;
			list->items[n++] = list->items[i];
		}
	}
	if (n > 0 && list->items[n - 1].delta == 0)
		n--;
	list->count = n;
}

/*
 * tags_count_changes() RETURNS trigger
 *
 * AFTER INSERT, UPDATE, DELETE (with transition tables) and TRUNCATE ON
 * post_tags FOR EACH STATEMENT.  Inserts the statement's change of each
 * tag's count as a delta, then folds if this backend inserted enough since
 * its last fold.  TRUNCATE empties the counters.
 */
Datum
tags_count_changes(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	DeltaList	list;
	TagsSavedUser saved;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_count_changes\" must be fired AFTER ... FOR EACH STATEMENT"));

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		tags_spi_connect(fcinfo);
		tags_become_owner(&saved);
		tags_execute(STMT_COUNTS_CLEAR, NULL, NULL, false, 0);
		tags_restore_user(&saved);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	init_deltas(&list);
	add_statement_rows(&list, trigdata, "post_visible", "tags_count_changes");
	sum_by_tag(&list);
	if (list.count == 0)
		return PointerGetDatum(NULL);

	if (writer_deltas != NULL &&
		GetCurrentTransactionNestLevel() == writer_level)
	{
		/* a statement of a writer of ours: inserted once it ends */
		for (i = 0; i < list.count; i++)
			add_delta(writer_deltas, list.items[i].tag_id,
					  list.items[i].delta);
		return PointerGetDatum(NULL);
	}

	tags_spi_connect(fcinfo);
	record_deltas(&list);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * Insert the deltas of list, one per tag, then fold if this backend
 * inserted enough since its last fold.  The caller must be connected to
 * SPI.
 */
static void
record_deltas(DeltaList *list)
{
	record_deltas_of(NULL, list);
}

/*
 * Insert the deltas of list, one per tag, into the pending deltas of posts
 * (target NULL) or of a target, as their owner, then fold them if this
 * backend inserted enough since its last fold.  The caller must be
 * connected to SPI.
 */
static void
record_deltas_of(const TagsTarget *target, DeltaList *list)
{
	Datum	   *tag_ids = palloc(list->count * sizeof(Datum));
	Datum	   *deltas = palloc(list->count * sizeof(Datum));
	Datum		params[2];
	TagsSavedUser saved;
	int			i;

	for (i = 0; i < list->count; i++)
	{
		tag_ids[i] = Int32GetDatum(list->items[i].tag_id);
		deltas[i] = Int32GetDatum(list->items[i].delta);
	}
	/* $1 tag ids, $2 their deltas */
	params[0] = PointerGetDatum(construct_array(tag_ids, list->count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	params[1] = PointerGetDatum(construct_array(deltas, list->count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	if (target == NULL)
	{
		tags_become_owner(&saved);
		tags_execute(STMT_DELTAS_ADD, params, NULL, false, 0);
		deltas_since_fold += list->count;
		if (deltas_since_fold >= TAGS_FOLD_EVERY && !IsolationUsesXactSnapshot())
			fold_counts(false);
	}
	else
	{
		tags_become_target_owner(target, &saved);
		tags_target_execute(target, ITEM_DELTAS_ADD, params, NULL, false,
							false, 0);
		item_deltas_since_fold += list->count;
		if (item_deltas_since_fold >= TAGS_FOLD_EVERY &&
			!IsolationUsesXactSnapshot())
			fold_item_counts(target, false);
	}
	tags_restore_user(&saved);
}

/*
 * Take the folding lock, to the end of the transaction; if not wait, only
 * if no other transaction holds it.  Returns whether it was taken.
 */
static bool
lock_folding(bool wait)
{
	Datum		key1 = Int32GetDatum(TAGS_FOLD_LOCK_SPACE);
	Datum		key2 = Int32GetDatum(0);

	if (!wait)
		return DatumGetBool(DirectFunctionCall2(pg_try_advisory_xact_lock_int4,
												key1, key2));
	DirectFunctionCall2(pg_advisory_xact_lock_int4, key1, key2);
	return true;
}

/*
 * Fold every pending delta into the folded counts, and drop the counts that
 * fell to zero (a deleted tag's, among others).  Takes the folding lock,
 * waiting for it if wait, else returning -1 if another holds it.  Returns
 * the number of tags whose folded count changed.  The caller must be
 * connected to SPI, as the owner.
 */
static int64
fold_counts(bool wait)
{
	int64		nrows;

	if (!lock_folding(wait))
		return -1;
	nrows = tags_execute(STMT_DELTAS_FOLD, NULL, NULL, false, 0);
	drop_zero_counts(NULL);
	deltas_since_fold = 0;
	return nrows;
}

/*
 * Drop the counts that the fold whose rows (tag_id, count) SPI_tuptable
 * holds brought to zero: posts' if target is NULL, else the target's
 */
static void
drop_zero_counts(const TagsTarget *target)
{
	uint64		nrows = SPI_processed;
	Datum	   *zeros = palloc((nrows + 1) * sizeof(Datum));
	int			nzeros = 0;
	uint64		row;
	Datum		param;

	for (row = 0; row < nrows; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		bool		isnull;

		if (DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2,
										&isnull)) == 0)
			zeros[nzeros++] = SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1,
											&isnull);
	}
	if (nzeros == 0)
		return;
	param = PointerGetDatum(construct_array(zeros, nzeros, INT4OID,
											sizeof(int32), true,
											TYPALIGN_INT));
	if (target == NULL)
		tags_execute(STMT_COUNTS_DROP_ZEROS, &param, NULL, false, 0);
	else
		tags_target_execute(target, ITEM_COUNTS_DROP_ZEROS, &param, NULL,
							false, false, 0);
}

/*
 * tags_fold_counts() RETURNS bigint
 *
 * Folds the pending deltas now, waiting for a fold in progress to end, and
 * returns the number of tags whose folded count changed.  The writers fold
 * as they go in READ COMMITTED; this is for the end of a bulk load made
 * under REPEATABLE READ, or to measure.
 */
Datum
tags_fold_counts(PG_FUNCTION_ARGS)
{
	TagsSavedUser saved;
	int64		ntags;

	tags_spi_connect(fcinfo);
	tags_become_owner(&saved);
	ntags = fold_counts(true);
	tags_restore_user(&saved);
	ntags += tags_fold_target_counts();
	SPI_finish();
	PG_RETURN_INT64(ntags);
}

/* Rows of a target read at a time by rebuild_target() */
#define TAGS_REBUILD_BATCH 10000

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
	tags_target_execute(target, ITEM_REBUILD_LOCK, NULL, NULL, false, false,
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
		nrows = tags_target_execute(target, ITEM_ROWS_AFTER, after,
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
			params[0] = GetAttributeByNum(header, target->key_att, &isnull);
			item_copy_from_row_at(target, params[0], rows, row, &item);
			/* $1 item, $2 visible, $3 sort value */
			params[1] = BoolGetDatum(item.visible);
			params[2] = item.sort;
			tags_target_execute(target, ITEM_COPY_TO_TAGS, params, NULL,
								false, false, 0);
			if (row == nrows - 1)
				after[0] = datumCopy(params[0], typbyval, typlen);
		}
		after_nulls[0] = ' ';
		SPI_freetuptable(rows);
		if (nrows < TAGS_REBUILD_BATCH)
			break;
	}
	fold_item_counts(target, true);
	tags_target_execute(target, ITEM_COUNTS_CLEAR, NULL, NULL, false, false,
						0);
	tags_target_execute(target, ITEM_REBUILD_COUNTS, NULL, NULL, false,
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
	tags_execute(STMT_REBUILD_LOCK, NULL, NULL, false, 0);
	tags_execute(STMT_REBUILD_COPIES, NULL, NULL, false, 0);
	lock_folding(true);
	tags_execute(STMT_COUNTS_CLEAR, NULL, NULL, false, 0);
	tags_execute(STMT_REBUILD_COUNTS, NULL, NULL, false, 0);
	tags_restore_user(&saved);
	targets = tags_user_targets(&ntargets);
	for (i = 0; i < ntargets; i++)
		rebuild_target(&targets[i]);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * The number of post changes copied so far (see post_changes), which a
 * writer notes in its TagsPostCopy when it reads its post.
 */
uint64
tags_post_changes(void)
{
	return post_changes;
}

/*
 * Raise 39P01 unless fcinfo is a call of a trigger fired BEFORE INSERT OR
 * UPDATE FOR EACH ROW, as the trigger function named function must be.
 */
void
tags_check_before_row_trigger(FunctionCallInfo fcinfo, const char *function)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"%s\" must be fired BEFORE INSERT OR UPDATE FOR EACH ROW",
					   function));
}

/*
 * Run the statements that follow as the owner of a target, until
 * tags_restore_user(): the upkeep of a target's copies and counters is the
 * target owner's, as the upkeep of posts' is the extension owner's.
 */
void
tags_become_target_owner(const TagsTarget *target, TagsSavedUser *saved)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(target->relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", target->relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_NOFORCE_RLS);
}

/*
 * Set *item from the row of the target that the last statement returned
 * as its first column (ITEM_LOCK, ITEM_ROW): its visibility and sort
 * value, in the current memory context.
 */
static void
item_copy_from_row(const TagsTarget *target, Datum key, TagsItemCopy *item)
{
	item_copy_from_row_at(target, key, SPI_tuptable, 0, item);
}

/* item_copy_from_row() from row row of rows */
static void
item_copy_from_row_at(const TagsTarget *target, Datum key,
					  SPITupleTable *rows, uint64 row, TagsItemCopy *item)
{
	HeapTupleHeader header;
	HeapTupleData tuple;
	TupleDesc	desc;
	bool		isnull;
	Datum		sort;
	int16		typlen;
	bool		typbyval;

	header = DatumGetHeapTupleHeader(SPI_getbinval(rows->vals[row],
												   rows->tupdesc, 1,
												   &isnull));
	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(header),
								  HeapTupleHeaderGetTypMod(header));
	tuple.t_len = HeapTupleHeaderGetDatumLength(header);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = header;
	item->target = target->relid;
	item->assoc = target->assoc;
	item->key = key;
	item->key_eq = &lookup_type_cache(target->key_type,
									  TYPECACHE_EQ_OPR_FINFO)->eq_opr_finfo;
	item->visible = tags_item_visible(target, &tuple, desc);
	sort = heap_getattr(&tuple, target->sort_att, desc, &isnull);
	get_typlenbyval(target->sort_type, &typlen, &typbyval);
	item->sort = isnull ? (Datum) 0 : datumCopy(sort, typbyval, typlen);
	ReleaseTupleDesc(desc);
	item->changes = item_changes;
}

/* What a writer of ours read of the item it just locked (ITEM_LOCK) */
void
tags_read_item_copy(const TagsTarget *target, Datum key, TagsItemCopy *item)
{
	item_copy_from_row(target, key, item);
}

/*
 * Run a statement of a writer on a target that inserts associations of the
 * item it has locked: the trigger copies item into them without reading
 * it again (see tags_execute_for_post()).
 */
void
tags_execute_for_item(const TagsTarget *target, ItemStmt stmt,
					  Datum *values, const TagsItemCopy *item)
{
	const TagsItemCopy *outer = writing_item;
	DeltaList  *outer_deltas = item_writer_deltas;
	Oid			outer_assoc = item_writer_assoc;
	int			outer_level = item_writer_level;
	DeltaList	deltas;

	init_deltas(&deltas);
	writing_item = item;
	item_writer_deltas = &deltas;
	item_writer_assoc = target->assoc;
	item_writer_level = GetCurrentTransactionNestLevel();
	PG_TRY();
	{
		tags_target_execute(target, stmt, values, NULL, false, false, 0);
	}
	PG_FINALLY();
	{
		writing_item = outer;
		item_writer_deltas = outer_deltas;
		item_writer_assoc = outer_assoc;
		item_writer_level = outer_level;
	}
	PG_END_TRY();

	/* what its statements changed, in one insert */
	sum_by_tag(&deltas);
	if (deltas.count > 0)
		record_deltas_of(target, &deltas);
}

/* The output function of a target's key type */
static Oid
target_key_output(const TagsTarget *target)
{
	Oid			out_func;
	bool		varlena;

	getTypeOutputInfo(target->key_type, &out_func, &varlena);
	return out_func;
}

/* Whether two keys of a target are equal, by the key type's equality */
static bool
keys_equal(const TagsTarget *target, Datum a, Datum b)
{
	TypeCacheEntry *type = lookup_type_cache(target->key_type,
											 TYPECACHE_EQ_OPR_FINFO);

	return DatumGetBool(FunctionCall2Coll(&type->eq_opr_finfo,
										  C_COLLATION_OID, a, b));
}

/*
 * A value of the sort column's type for an association whose item does
 * not exist, which its foreign key then reports: its NOT NULL would
 * report it first otherwise.
 */
static Datum
placeholder_sort(const TagsTarget *target)
{
	Oid			in_func;
	Oid			ioparam;
	bool		time = target->sort_type == DATEOID ||
		target->sort_type == TIMESTAMPOID ||
		target->sort_type == TIMESTAMPTZOID;

	getTypeInputInfo(target->sort_type, &in_func, &ioparam);
	return OidInputFunctionCall(in_func, time ? "-infinity" : "0", ioparam, -1);
}

/*
 * tags_copy_item() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OF item_id, item_visible, item_sort ON a
 * target's association table FOR EACH ROW: tags_copy_post() for a target.
 * Sets the row's item_visible and item_sort from its item, locked FOR KEY
 * SHARE and read in a new snapshot (see read_post_copy()).
 */
Datum
tags_copy_item(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	HeapTuple	tuple;
	int			columns[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	Datum		key;
	bool		isnull;
	TagsTarget	target;

	tags_check_before_row_trigger(fcinfo, "tags_copy_item");
	rel = trigdata->tg_relation;
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	columns[0] = column_of(rel, "item_visible", "tags_copy_item");
	columns[1] = column_of(rel, "item_sort", "tags_copy_item");
	key = heap_getattr(tuple, column_of(rel, "item_id", "tags_copy_item"),
					   RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* for NOT NULL to reject */

	if (writing_item != NULL &&
		writing_item->assoc == RelationGetRelid(rel) &&
		writing_item->changes == item_changes &&
		DatumGetBool(FunctionCall2Coll(writing_item->key_eq, C_COLLATION_OID,
									   writing_item->key, key)))
	{
		/* a writer of ours has locked the item and read it, as it still is */
		values[0] = BoolGetDatum(writing_item->visible);
		values[1] = writing_item->sort;
	}
	else
	{
		TagsSavedUser saved;
		TagsItemCopy item;
		int16		typlen;
		bool		typbyval;

		tags_spi_connect(fcinfo);
		if (!tags_find_target_by_association(RelationGetRelid(rel), &target))
			ereport(ERROR,
					errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					errmsg("function \"tags_copy_item\" must be fired on the association table of a tag target"));
		get_typlenbyval(target.sort_type, &typlen, &typbyval);
		tags_become_target_owner(&target, &saved);
		tags_target_execute(&target, ITEM_KEY_SHARE, &key, NULL, false, false,
							0);
		if (tags_target_execute(&target, ITEM_ROW, &key, NULL, true, false,
								0) == 1)
		{
			item_copy_from_row(&target, key, &item);
			values[0] = BoolGetDatum(item.visible);
			values[1] = SPI_datumTransfer(item.sort, typbyval, typlen);
		}
		else
		{
			values[0] = BoolGetDatum(false);
			values[1] = SPI_datumTransfer(placeholder_sort(&target), typbyval,
										  typlen);
		}
		tags_restore_user(&saved);
		SPI_finish();
	}
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple,
													 RelationGetDescr(rel),
													 2, columns, values,
													 nulls));
}

/*
 * tags_item_changed() RETURNS trigger
 *
 * AFTER UPDATE ON a target FOR EACH ROW: tags_post_changed() for a target.
 * Evaluates the visibility and reads the sort value of the row before and
 * after, and only if one changed, or the key, copies them into the item's
 * associations.
 */
Datum
tags_item_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	TagsTarget	target;
	TagsSavedUser saved;
	Datum		params[3];
	bool		old_null;
	bool		new_null;
	Datum		old_sort;
	Datum		old_key;
	bool		visible;
	int16		typlen;
	bool		typbyval;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_item_changed\" must be fired AFTER UPDATE FOR EACH ROW"));

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	tags_spi_connect(fcinfo);
	if (!tags_find_target(RelationGetRelid(rel), &target))
	{
		SPI_finish();			/* no longer a target */
		return PointerGetDatum(NULL);
	}
	get_typlenbyval(target.sort_type, &typlen, &typbyval);
	/* $1 item, $2 visible, $3 sort value */
	params[0] = heap_getattr(trigdata->tg_newtuple, target.key_att, desc,
							 &new_null);
	old_key = heap_getattr(trigdata->tg_trigtuple, target.key_att, desc,
						   &old_null);
	visible = tags_item_visible(&target, trigdata->tg_newtuple, desc);
	params[1] = BoolGetDatum(visible);
	params[2] = heap_getattr(trigdata->tg_newtuple, target.sort_att, desc,
							 &new_null);
	old_sort = heap_getattr(trigdata->tg_trigtuple, target.sort_att, desc,
							&old_null);
	if (new_null != old_null ||
		(!new_null && !datumIsEqual(params[2], old_sort, typbyval, typlen)) ||
		visible != tags_item_visible(&target, trigdata->tg_trigtuple, desc) ||
		!keys_equal(&target, params[0], old_key))
	{
		item_changes++;
		tags_become_target_owner(&target, &saved);
		tags_target_execute(&target, ITEM_LOCK_ALL, params, NULL, false,
							false, 0);
		tags_target_execute(&target, ITEM_COPY_TO_TAGS, params, NULL, false,
							false, 0);
		if (IsolationUsesXactSnapshot() &&
			tags_target_execute(&target, ITEM_COPY_STALE, params, NULL, true,
								false, 0) > 0)
			ereport(ERROR,
					errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					errmsg("could not serialize access due to concurrent update of the tags of item %s of table \"%s\"",
						   OidOutputFunctionCall(target_key_output(&target),
												 params[0]),
						   RelationGetRelationName(rel)),
					errhint("Retry the transaction."));
		tags_restore_user(&saved);
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * Fold a target's pending deltas into its folded counts (see
 * fold_counts()), under a folding lock of the target's own.  The caller
 * must be connected to SPI, as the target's owner.
 */
static int64
fold_item_counts(const TagsTarget *target, bool wait)
{
	Datum		key1 = Int32GetDatum(TAGS_FOLD_LOCK_SPACE);
	Datum		key2 = Int32GetDatum((int32) target->relid);
	uint64		nrows;

	if (!wait)
	{
		if (!DatumGetBool(DirectFunctionCall2(pg_try_advisory_xact_lock_int4,
											  key1, key2)))
			return -1;
	}
	else
		DirectFunctionCall2(pg_advisory_xact_lock_int4, key1, key2);

	nrows = tags_target_execute(target, ITEM_DELTAS_FOLD, NULL, NULL, false,
								false, 0);
	drop_zero_counts(target);
	item_deltas_since_fold = 0;
	return (int64) nrows;
}

/*
 * Fold the deltas of every target but posts, waiting for folds in
 * progress; returns the number of counts that changed.  The caller must be
 * connected to SPI.
 */
int64
tags_fold_target_counts(void)
{
	int			ntargets;
	TagsTarget *targets = tags_user_targets(&ntargets);
	int64		total = 0;
	int			i;

	for (i = 0; i < ntargets; i++)
	{
		TagsSavedUser saved;

		tags_become_target_owner(&targets[i], &saved);
		total += fold_item_counts(&targets[i], true);
		tags_restore_user(&saved);
	}
	return total;
}

/*
 * tags_count_item_changes() RETURNS trigger
 *
 * AFTER INSERT, UPDATE, DELETE (with transition tables) and TRUNCATE ON a
 * target's association table FOR EACH STATEMENT: tags_count_changes() for
 * a target, into its own counters.
 */
Datum
tags_count_item_changes(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	DeltaList	list;
	TagsSavedUser saved;
	TagsTarget	target;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_count_item_changes\" must be fired AFTER ... FOR EACH STATEMENT"));

	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) &&
		item_writer_deltas != NULL &&
		item_writer_assoc == RelationGetRelid(trigdata->tg_relation) &&
		GetCurrentTransactionNestLevel() == item_writer_level)
	{
		/* a statement of a writer of ours: inserted once it ends */
		add_statement_rows(item_writer_deltas, trigdata, "item_visible",
						   "tags_count_item_changes");
		return PointerGetDatum(NULL);
	}
	tags_spi_connect(fcinfo);
	if (!tags_find_target_by_association(RelationGetRelid(trigdata->tg_relation),
										 &target))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_count_item_changes\" must be fired on the association table of a tag target"));
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		tags_become_target_owner(&target, &saved);
		tags_target_execute(&target, ITEM_COUNTS_CLEAR, NULL, NULL, false,
							false, 0);
		tags_restore_user(&saved);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	init_deltas(&list);
	add_statement_rows(&list, trigdata, "item_visible",
					   "tags_count_item_changes");
	sum_by_tag(&list);
	if (list.count == 0)
	{
		SPI_finish();
		return PointerGetDatum(NULL);
	}

	record_deltas_of(&target, &list);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* The attribute number of a column by name in desc, or 0 */
int
tags_column_of(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		if (!attr->attisdropped && strcmp(NameStr(attr->attname), name) == 0)
			return i + 1;
	}
	return 0;
}
