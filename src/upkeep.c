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
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
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

static int	column_of(Relation rel, const char *name, const char *function);
static void read_post_copy(FunctionCallInfo fcinfo, Datum post_id,
						   Datum *values);
static void add_rows(DeltaList *list, Tuplestorestate *rows, Relation rel,
					 int32 sign);
static int	compare_tag_delta(const void *a, const void *b);
static void sum_by_tag(DeltaList *list);
static void init_deltas(DeltaList *list);
static void add_delta(DeltaList *list, int32 tag_id, int32 delta);
static void record_deltas(DeltaList *list);
static bool lock_folding(bool wait);
static int64 fold_counts(bool wait);

/*
 * The attribute number of column name of the trigger's table, which the
 * trigger function needs.
 */
static int
column_of(Relation rel, const char *name, const char *function)
{
	int			att = SPI_fnumber(RelationGetDescr(rel), name);

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
 * post_tags) whose post is visible.
 */
static void
add_rows(DeltaList *list, Tuplestorestate *rows, Relation rel, int32 sign)
{
	int			tag_att = column_of(rel, "tag_id", "tags_count_changes");
	int			visible_att = column_of(rel, "post_visible",
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
	if (trigdata->tg_oldtable == NULL && trigdata->tg_newtable == NULL)
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_count_changes\" must be fired with transition tables"));

	init_deltas(&list);
	if (trigdata->tg_oldtable != NULL)
		add_rows(&list, trigdata->tg_oldtable, trigdata->tg_relation, -1);
	if (trigdata->tg_newtable != NULL)
		add_rows(&list, trigdata->tg_newtable, trigdata->tg_relation, 1);
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
	params[0] = PointerGetDatum(construct_array(tag_ids, list->count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	params[1] = PointerGetDatum(construct_array(deltas, list->count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));

	tags_become_owner(&saved);
	tags_execute(STMT_DELTAS_ADD, params, NULL, false, 0);
	deltas_since_fold += list->count;
	if (deltas_since_fold >= TAGS_FOLD_EVERY && !IsolationUsesXactSnapshot())
		fold_counts(false);
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
	uint64		nrows;
	Datum	   *zeros;
	int			nzeros = 0;
	uint64		row;

	if (!lock_folding(wait))
		return -1;

	nrows = tags_execute(STMT_DELTAS_FOLD, NULL, NULL, false, 0);
	zeros = palloc((nrows + 1) * sizeof(Datum));
	for (row = 0; row < nrows; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		bool		isnull;

		if (DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2,
										&isnull)) == 0)
			zeros[nzeros++] = SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1,
											&isnull);
	}
	if (nzeros > 0)
	{
		Datum		param = PointerGetDatum(construct_array(zeros, nzeros,
															INT4OID,
															sizeof(int32),
															true,
															TYPALIGN_INT));

		tags_execute(STMT_COUNTS_DROP_ZEROS, &param, NULL, false, 0);
	}
	deltas_since_fold = 0;
	return (int64) nrows;
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
	SPI_finish();
	PG_RETURN_INT64(ntags);
}

/*
 * tags_rebuild() RETURNS void
 *
 * Recomputes what the triggers keep from posts and post_tags: the copies of
 * the posts in post_tags, then the counters.  Only needed after the
 * triggers were bypassed (disabled, or session_replication_role = replica,
 * as in a data-only restore with --disable-triggers).  Locks posts and
 * post_tags against writes while it runs.
 */
Datum
tags_rebuild(PG_FUNCTION_ARGS)
{
	TagsSavedUser saved;

	tags_spi_connect(fcinfo);
	tags_become_owner(&saved);
	tags_execute(STMT_REBUILD_LOCK, NULL, NULL, false, 0);
	tags_execute(STMT_REBUILD_COPIES, NULL, NULL, false, 0);
	lock_folding(true);
	tags_execute(STMT_COUNTS_CLEAR, NULL, NULL, false, 0);
	tags_execute(STMT_REBUILD_COUNTS, NULL, NULL, false, 0);
	tags_restore_user(&saved);
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
