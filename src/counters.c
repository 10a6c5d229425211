/*-------------------------------------------------------------------------
 *
 * counters.c
 *	  The tag counters: the statement triggers that record each statement's
 *	  change of the counts, folding, and the statements of our writers,
 *	  whose changes are gathered and recorded once.
 *
 * A tag's count on a target is its folded count (the target's counts:
 * tag_post_counts for posts) plus the sum of its pending deltas (the
 * target's deltas: tag_post_count_deltas): writers only insert deltas, so
 * two writers of one tag never wait for each other.  A writer folds the
 * deltas into the counts now and then, under the folding lock
 * (slug_locks.c), which it only tries to take, and only in READ
 * COMMITTED.  The counters are written as the owner of the target (of the
 * extension's tables, for posts).
 *
 * A writer of ours runs its statement through tags_execute_for_item(): the
 * counting trigger then adds the statement's changes to the writer's
 * list, recorded in one statement after it, and the copy trigger
 * (copies.c) takes the item the writer locked from tags_writer_item()
 * without reading it again.  Only changes at the writer's own transaction
 * nesting level are gathered: a trigger's statement in a subtransaction
 * that may be rolled back records its own.  See doc/tables.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/pg_prng.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_count_changes);
PG_FUNCTION_INFO_V1(tags_count_item_changes);
PG_FUNCTION_INFO_V1(tags_fold_counts);

/* One tag's change in a statement: of a tenant's tag, on a tenant target */
typedef struct TagDelta
{
	char	   *tenant;			/* the tenant as text, or NULL */
	int32		tag_id;
	int32		delta;
} TagDelta;

/*
 * The changes of one statement, per tag once sorted; on a target
 * distributed by its key, with an item of the rows, which names the shard
 * group the deltas are kept in (their distribution column)
 */
typedef struct DeltaList
{
	TagDelta   *items;
	int			count;
	int			size;
	bool		has_item;
	Datum		item;			/* in the list's memory */
} DeltaList;

static void add_rows(DeltaList *list, Tuplestorestate *rows, Relation rel,
					 const TagsTarget *target, int32 sign,
					 const char *function);
static void add_statement_rows(DeltaList *list, TriggerData *trigdata,
							   const TagsTarget *target,
							   const char *function);
static int	compare_tag_delta(const void *a, const void *b);
static void sum_by_tag(DeltaList *list);
static void init_deltas(DeltaList *list);
static void add_delta(DeltaList *list, char *tenant, int32 tag_id,
					  int32 delta);
static Datum count_changes(FunctionCallInfo fcinfo, const char *function);
static void record_deltas(const TagsTarget *target, DeltaList *list);
static void record_tenant_deltas(const TagsTarget *target, TagDelta *items,
								 int count, const DeltaList *list);
static int64 fold_counts(const TagsTarget *target, bool wait);
static bool fold_drawn(int count);
static void drop_zero_counts(const TagsTarget *target);

/*
 * The item a writer of ours is writing the tags of, in a statement of
 * tags_execute_for_item(); else NULL.  A writer called from user code that
 * the statement fires sets its own, and gives this one back when it ends.
 */
static const TagsItemCopy *writing_item = NULL;

/*
 * The deltas of the statements a writer of ours runs in
 * tags_execute_for_item(), gathered to be inserted in one statement once
 * it ends, the target whose association table it writes, and the
 * transaction nesting level it runs at; else NULL.  Set and given back as
 * writing_item is.
 */
static DeltaList *writer_deltas = NULL;
static const TagsTarget *writer_target = NULL;
static int	writer_level = 0;

/*
 * Deltas this backend inserted since it last folded (lists without
 * tenants): it folds once they reach tags.fold_every
 */
static int64 deltas_since_fold = 0;

/*
 * Run a statement of a writer of ours that inserts associations of the
 * item it has locked (see lock_item() in writers.c): the trigger copies
 * item into them without reading it again, and the changes of the counts
 * that its triggers gather are inserted in one statement after it.  Only
 * those of the statement's own level: a trigger's statement run in a
 * subtransaction that may be rolled back inserts its own.  The caller must
 * be connected to SPI.
 */
void
tags_execute_for_item(const TagsTarget *target, const TagsStatement *stmt,
					  Datum *values, const TagsItemCopy *item)
{
	const TagsItemCopy *outer = writing_item;
	DeltaList  *outer_deltas = writer_deltas;
	const TagsTarget *outer_target = writer_target;
	int			outer_level = writer_level;
	DeltaList	deltas;

	init_deltas(&deltas);
	writing_item = item;
	writer_deltas = &deltas;
	writer_target = target;
	writer_level = GetCurrentTransactionNestLevel();
	PG_TRY();
	{
		tags_target_execute(target, stmt, values, NULL, false, false, 0);
	}
	PG_FINALLY();
	{
		writing_item = outer;
		writer_deltas = outer_deltas;
		writer_target = outer_target;
		writer_level = outer_level;
	}
	PG_END_TRY();

	/* what its DELETE, UPDATE and INSERT changed, in one insert */
	sum_by_tag(&deltas);
	if (deltas.count > 0)
		record_deltas(target, &deltas);
}

/* The item a writer of ours has locked and is writing the tags of, or NULL */
const TagsItemCopy *
tags_writer_item(void)
{
	return writing_item;
}

/* An empty list of deltas, in the current memory context */
static void
init_deltas(DeltaList *list)
{
	list->size = 16;
	list->count = 0;
	list->items = palloc(list->size * sizeof(TagDelta));
	list->has_item = false;
}

/* Append a delta to list, of a tag of tenant (NULL: no tenants) */
static void
add_delta(DeltaList *list, char *tenant, int32 tag_id, int32 delta)
{
	if (list->count == list->size)
	{
		list->size *= 2;
		list->items = repalloc_huge(list->items,
									list->size * sizeof(TagDelta));
	}
	list->items[list->count].tenant = tenant;
	list->items[list->count].tag_id = tag_id;
	list->items[list->count++].delta = delta;
}

/*
 * Add to list one delta of sign for each row of rows (a transition table of
 * the association table of target's list) whose item is visible, with the
 * row's tenant on a tenant target.  The tenants are kept in the list's
 * memory, which outlives the trigger's.
 */
static void
add_rows(DeltaList *list, Tuplestorestate *rows, Relation rel,
		 const TagsTarget *target, int32 sign, const char *function)
{
	int			tag_att = tags_trigger_column(rel, "tag_id", function);
	int			visible_att = tags_trigger_column(rel,
												  TAGS_VISIBLE_COLUMN(target->builtin),
												  function);
	int			tenant_att = 0;
	int			item_att = 0;
	Oid			tenant_out = InvalidOid;
	MemoryContext list_cxt = GetMemoryChunkContext(list->items);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel),
													&TTSOpsMinimalTuple);
	int			reader;

	if (TAGS_HAS_TENANTS(target))
	{
		bool		is_varlena;

		tenant_att = tags_trigger_column(rel, "tenant", function);
		getTypeOutputInfo(target->vocab.tenant_type, &tenant_out, &is_varlena);
	}
	if (TAGS_DISTRIBUTED_BY_KEY(target) && !list->has_item)
		item_att = tags_trigger_column(rel, "item_id", function);

	/* a read pointer of our own: other triggers may read the table too */
	reader = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(rows, reader);
	tuplestore_rescan(rows);
	while (tuplestore_gettupleslot(rows, true, false, slot))
	{
		bool		isnull;
		Datum		visible = slot_getattr(slot, visible_att, &isnull);

		char	   *tenant = NULL;

		if (item_att > 0 && !list->has_item)
		{
			bool		item_null;
			Datum		item = slot_getattr(slot, item_att, &item_null);
			Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(rel),
												   item_att - 1);

			if (!item_null)
			{
				MemoryContext old = MemoryContextSwitchTo(list_cxt);

				list->item = datumCopy(item, attr->attbyval, attr->attlen);
				list->has_item = true;
				MemoryContextSwitchTo(old);
			}
		}
		if (isnull || !DatumGetBool(visible))
			continue;
		if (tenant_att > 0)
		{
			Datum		value = slot_getattr(slot, tenant_att, &isnull);

			if (isnull)
				continue;		/* a row NOT NULL rejects */
			tenant = MemoryContextStrdup(list_cxt,
										 OidOutputFunctionCall(tenant_out,
															   value));
		}
		add_delta(list, tenant,
				  DatumGetInt32(slot_getattr(slot, tag_att, &isnull)), sign);
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
				   const TagsTarget *target, const char *function)
{
	if (trigdata->tg_oldtable == NULL && trigdata->tg_newtable == NULL)
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"%s\" must be fired with transition tables",
					   function));
	if (trigdata->tg_oldtable != NULL)
		add_rows(list, trigdata->tg_oldtable, trigdata->tg_relation,
				 target, -1, function);
	if (trigdata->tg_newtable != NULL)
		add_rows(list, trigdata->tg_newtable, trigdata->tg_relation,
				 target, 1, function);
}

/* Order deltas by tenant, then by tag */
static int
compare_tag_delta(const void *a, const void *b)
{
	const TagDelta *da = a;
	const TagDelta *db = b;

	if (da->tenant != NULL && db->tenant != NULL)
	{
		int			cmp = strcmp(da->tenant, db->tenant);

		if (cmp != 0)
			return cmp;
	}
	return (da->tag_id > db->tag_id) - (da->tag_id < db->tag_id);
}

/* Whether two deltas are of one tag (of one tenant) */
static inline bool
same_tag(const TagDelta *a, const TagDelta *b)
{
	return a->tag_id == b->tag_id &&
		(a->tenant == NULL || strcmp(a->tenant, b->tenant) == 0);
}

/*
 * Leave one item per tag (of a tenant) in list, with the sum of its
 * deltas, if not zero; in tenant, then tag order
 */
static void
sum_by_tag(DeltaList *list)
{
	int			n = 0;
	int			i;

	qsort(list->items, list->count, sizeof(TagDelta), compare_tag_delta);
	for (i = 0; i < list->count; i++)
	{
		if (n > 0 && same_tag(&list->items[n - 1], &list->items[i]))
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

/* Empty both counter tables of a target */
static const TagsStatement stmt_item_counts_clear = {
	"item_counts_clear",
	"TRUNCATE @counts@, @deltas@",
	0, {InvalidOid}, 0, SPI_OK_UTILITY
};

/*
 * Empty the counters of a target.  The caller must be connected to SPI, as
 * their owner.
 */
void
tags_clear_counts(const TagsTarget *target)
{
	tags_target_execute(target, &stmt_item_counts_clear, NULL, NULL, false,
						false, 0);
}

/*
 * What tags_count_changes() and tags_count_item_changes() do, function
 * being the one called: insert the statement's change of each tag's count
 * into the counters of the target whose association table the trigger
 * fired on, as a delta, then fold if this backend inserted enough since
 * its last fold; or, for a statement of a writer of ours, add it to the
 * writer's list.  TRUNCATE empties the counters.
 */
static Datum
count_changes(FunctionCallInfo fcinfo, const char *function)
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
				errmsg("function \"%s\" must be fired AFTER ... FOR EACH STATEMENT",
					   function));

	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) &&
		writer_deltas != NULL &&
		writer_target->assoc == RelationGetRelid(trigdata->tg_relation) &&
		GetCurrentTransactionNestLevel() == writer_level)
	{
		/* a statement of a writer of ours: inserted once it ends */
		add_statement_rows(writer_deltas, trigdata, writer_target, function);
		return PointerGetDatum(NULL);
	}
	tags_spi_connect(fcinfo);
	if (!tags_find_target_by_association(RelationGetRelid(trigdata->tg_relation),
										 &target))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"%s\" must be fired on the association table of a tag target",
					   function));
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		tags_become_target_owner(&target, &saved);
		tags_clear_counts(&target);
		tags_restore_user(&saved);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	init_deltas(&list);
	add_statement_rows(&list, trigdata, &target, function);
	sum_by_tag(&list);
	if (list.count > 0)
		record_deltas(&target, &list);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * tags_count_changes() RETURNS trigger
 *
 * AFTER INSERT, UPDATE, DELETE (with transition tables) and TRUNCATE ON
 * post_tags FOR EACH STATEMENT: count_changes() for posts, as 1.0 made it.
 */
Datum
tags_count_changes(PG_FUNCTION_ARGS)
{
	return count_changes(fcinfo, "tags_count_changes");
}

/*
 * tags_count_item_changes() RETURNS trigger
 *
 * AFTER INSERT, UPDATE, DELETE (with transition tables) and TRUNCATE ON a
 * target's association table FOR EACH STATEMENT: count_changes().
 */
Datum
tags_count_item_changes(PG_FUNCTION_ARGS)
{
	return count_changes(fcinfo, "tags_count_item_changes");
}

/*
 * Add the deltas $2 to the counts of the tags $1 (int4[] side by side), of
 * the call's tenant on a tenant target
 */
static const TagsStatement stmt_item_deltas_add = {
	"item_deltas_add",
	"INSERT INTO @deltas@ (@tenant_column@tag_id, delta)"
	" SELECT @tenant_value@d.tag_id, d.delta"
	" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
	"      AS d(tag_id, delta)",
	2, {INT4ARRAYOID, INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_INSERT
};

/*
 * The same on a target distributed by its key, on a worker's shards: each
 * with $3, an item of the shard group, as its distribution column
 */
static const TagsStatement stmt_item_deltas_add_by_key = {
	"item_deltas_add_by_key",
	"INSERT INTO @deltas@ (item_id, tag_id, delta)"
	" SELECT $3, d.tag_id, d.delta"
	" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2))"
	"      AS d(tag_id, delta)",
	3, {INT4ARRAYOID, INT4ARRAYOID, ITEM_KEY_TYPE}, CURSOR_OPT_GENERIC_PLAN,
	SPI_OK_INSERT
};

/*
 * Insert the deltas of list, one per tag (of a tenant), into the pending
 * deltas of a target's list, as its owner: on a tenant target one
 * statement per tenant, each naming its tenant.  The caller must be
 * connected to SPI.
 */
static void
record_deltas(const TagsTarget *target, DeltaList *list)
{
	TagsSavedUser saved;
	int			first = 0;
	int			i;

	tags_become_target_owner(target, &saved);
	for (i = 1; i <= list->count; i++)
		if (i == list->count ||
			(list->items[i].tenant != NULL &&
			 strcmp(list->items[i].tenant, list->items[first].tenant) != 0))
		{
			record_tenant_deltas(target, list->items + first, i - first,
								 list);
			first = i;
		}
	tags_restore_user(&saved);
}

/*
 * Insert count deltas of one tenant (or of a target without tenants),
 * then fold that tenant's if this backend inserted enough since its last
 * fold.  The caller runs as the target's owner.
 */
static void
record_tenant_deltas(const TagsTarget *target, TagDelta *items, int count,
					 const DeltaList *list)
{
	Datum	   *tag_ids = palloc(count * sizeof(Datum));
	Datum	   *deltas = palloc(count * sizeof(Datum));
	Datum		params[3];
	TagsTarget	tenant_target = *target;
	int			i;

	if (items[0].tenant != NULL)
		tags_set_tenant(&tenant_target, CStringGetTextDatum(items[0].tenant),
						TEXTOID);
	for (i = 0; i < count; i++)
	{
		tag_ids[i] = Int32GetDatum(items[i].tag_id);
		deltas[i] = Int32GetDatum(items[i].delta);
	}
	/* $1 tag ids, $2 their deltas */
	params[0] = PointerGetDatum(construct_array(tag_ids, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	params[1] = PointerGetDatum(construct_array(deltas, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	if (TAGS_DISTRIBUTED_BY_KEY(target))
	{
		if (!list->has_item)
			elog(ERROR, "count deltas of table \"%s\" without an item",
				 get_rel_name(target->table));
		/* $3 an item of the shard group */
		params[2] = list->item;
		tags_target_execute(&tenant_target, &stmt_item_deltas_add_by_key,
							params, NULL, false, false, 0);
	}
	else
		tags_target_execute(&tenant_target, &stmt_item_deltas_add, params,
							NULL, false, false, 0);
	if (items[0].tenant == NULL)
	{
		deltas_since_fold += count;
		if (deltas_since_fold >= tags_fold_every && !IsolationUsesXactSnapshot())
			fold_counts(&tenant_target, false);
		return;
	}
	/*
	 * A tenant's fold folds only its deltas (a tenant's call touches no
	 * other tenant's rows), so a count of what this backend inserted would
	 * not do: one count for all tenants left all but the one whose call
	 * reached it pending, and a count per tenant leaves up to that many for
	 * each backend that ends before reaching it.  So the fold is drawn: with
	 * probability count / tags.fold_every, which folds a tenant once per
	 * tags.fold_every of its deltas on average, whoever inserted them.
	 */
	if (!IsolationUsesXactSnapshot() && fold_drawn(count))
		fold_counts(&tenant_target, false);
}

/*
 * Whether to fold after inserting count deltas of a tenant: true with
 * probability count / tags.fold_every.  The generator is seeded alike in
 * every backend, so that a session's folds, and what a test shows of the
 * counters, are the same from run to run.
 */
static bool
fold_drawn(int count)
{
	static pg_prng_state state;
	static bool seeded = false;

	if (!seeded)
	{
		pg_prng_seed(&state, UINT64CONST(0x74616763));
		seeded = true;
	}
	return pg_prng_double(&state) * tags_fold_every < count;
}

/*
 * Fold every delta (of the call's tenant) into the counts, in one
 * statement, in tag order; returns the (tag_id, count) rows it changed
 */
static const TagsStatement stmt_item_deltas_fold = {
	"item_deltas_fold",
	"WITH folded AS ("
	"    DELETE FROM @deltas@ d WHERE @tenant:d@ true"
	"    RETURNING d.tag_id, d.delta"
	")"
	" INSERT INTO @counts@ AS c (@tenant_column@tag_id, @count@)"
	" SELECT @tenant_value@f.tag_id, pg_catalog.sum(f.delta) FROM folded f"
	" GROUP BY f.tag_id"
	" ORDER BY f.tag_id"
	" ON CONFLICT (@tenant_column@tag_id) DO UPDATE"
	" SET @count@ = c.@count@ OPERATOR(pg_catalog.+) excluded.@count@"
	" RETURNING c.tag_id, c.@count@",
	0, {InvalidOid}, 0, SPI_OK_INSERT_RETURNING
};

/*
 * The same on a target distributed by its key, whose counts have no key
 * but their distribution column: the counts of the tags folded are summed
 * with the deltas into one row per tag and group, which names an item of
 * one of them.  On a worker's shards (group: none) one shard group;
 * on the coordinator (tags_fold_counts()) every one at once, grouped also
 * by the shard of $1, the deltas table: so that each row stays in its group
 * and each worker's rows change in its own transaction, which a count
 * read while the fold commits on one worker before another reads whole
 * (Citus has no snapshot across nodes).
 */
#define FOLD_BY_KEY(group) \
	"WITH folded AS (" \
	"    DELETE FROM @deltas@ d RETURNING d.item_id, d.tag_id, d.delta" \
	"), before AS (" \
	"    DELETE FROM @counts@ c" \
	"    WHERE c.tag_id OPERATOR(pg_catalog.=) ANY (ARRAY(" \
	"        SELECT f.tag_id FROM folded f))" \
	"    RETURNING c.item_id, c.tag_id, c.item_count" \
	")" \
	" INSERT INTO @counts@ (item_id, tag_id, item_count)" \
	" SELECT (pg_catalog.array_agg(a.item_id))[1], a.tag_id," \
	"        pg_catalog.sum(a.n)" \
	" FROM (SELECT f.item_id, f.tag_id, f.delta::pg_catalog.int8 AS n" \
	"       FROM folded f" \
	"       UNION ALL" \
	"       SELECT b.item_id, b.tag_id, b.item_count FROM before b) a" \
	" GROUP BY a.tag_id" group \
	" ORDER BY a.tag_id" \
	" RETURNING tag_id, item_count"

static const TagsStatement stmt_item_deltas_fold_by_key = {
	"item_deltas_fold_by_key",
	FOLD_BY_KEY(""),
	0, {InvalidOid}, 0, SPI_OK_INSERT_RETURNING
};

static const TagsStatement stmt_item_deltas_fold_groups = {
	"item_deltas_fold_groups",
	FOLD_BY_KEY(", pg_catalog.get_shard_id_for_distribution_column("
				"    $1::pg_catalog.regclass, a.item_id)"),
	1, {OIDOID}, 0, SPI_OK_INSERT_RETURNING
};

/*
 * Fold the deltas of every tenant of a tenant target's list into the
 * counts, in one statement, in tenant and tag order; returns the rows it
 * changed
 */
static const TagsStatement stmt_item_deltas_fold_all = {
	"item_deltas_fold_all",
	"WITH folded AS ("
	"    DELETE FROM @deltas@ d RETURNING d.tenant, d.tag_id, d.delta"
	")"
	" INSERT INTO @counts@ AS c (tenant, tag_id, @count@)"
	" SELECT f.tenant, f.tag_id, pg_catalog.sum(f.delta) FROM folded f"
	" GROUP BY f.tenant, f.tag_id"
	" ORDER BY f.tenant, f.tag_id"
	" ON CONFLICT (tenant, tag_id) DO UPDATE"
	" SET @count@ = c.@count@ OPERATOR(pg_catalog.+) excluded.@count@"
	" RETURNING c.tag_id",
	0, {InvalidOid}, 0, SPI_OK_INSERT_RETURNING
};

/* Drop every count of a tenant target's list that is zero */
static const TagsStatement stmt_item_counts_drop_all_zeros = {
	"item_counts_drop_all_zeros",
	"DELETE FROM @counts@ c WHERE c.@count@ OPERATOR(pg_catalog.=) 0",
	0, {InvalidOid}, 0, SPI_OK_DELETE
};

/*
 * Fold a target's pending deltas (of the call's tenant, or of every tenant
 * if it was told none) into its folded counts: see fold_counts().  The
 * upkeep that folds every tenant of a tenant target does it in one
 * statement under the list's folding lock, not under each tenant's lock,
 * which would hold as many locks as there are tenants.  Returns the number
 * of tags whose folded count changed (none if wait is false and another
 * holds the lock).  The caller must be connected to SPI, as the target's
 * owner.
 */
int64
tags_fold_item_counts(const TagsTarget *target, bool wait)
{
	int64		nrows;

	if (!TAGS_HAS_TENANTS(target) || target->has_tenant)
	{
		nrows = fold_counts(target, wait);
		return nrows > 0 ? nrows : 0;
	}
	if (!tags_lock_folding(target, wait))
		return 0;
	nrows = (int64) tags_target_execute(target, &stmt_item_deltas_fold_all,
										NULL, NULL, false, false, 0);
	tags_target_execute(target, &stmt_item_counts_drop_all_zeros, NULL, NULL,
						false, false, 0);
	return nrows;
}

/*
 * Fold the pending deltas of a target's list (of the call's tenant) into
 * its folded counts, and drop the counts that fell to zero (a deleted
 * tag's, among others).  Takes the folding lock of the list (and tenant),
 * waiting for it if wait, else returning -1 if another holds it; posts'
 * is the lock of 1.0, so that a backend still running an older library
 * folds under the same lock.  Returns the number of tags whose folded
 * count changed.  The caller runs as the target's owner.
 */
static int64
fold_counts(const TagsTarget *target, bool wait)
{
	uint64		nrows;

	if (!tags_lock_folding(target, wait))
		return -1;
	if (TAGS_DISTRIBUTED_BY_KEY(target) && target->distributed)
	{
		/* $1 the deltas table */
		Datum		deltas = ObjectIdGetDatum(target->deltas);

		nrows = tags_target_execute(target, &stmt_item_deltas_fold_groups,
									&deltas, NULL, false, false, 0);
	}
	else
		nrows = tags_target_execute(target,
									TAGS_DISTRIBUTED_BY_KEY(target) ?
									&stmt_item_deltas_fold_by_key :
									&stmt_item_deltas_fold,
									NULL, NULL, false, false, 0);
	drop_zero_counts(target);
	if (!TAGS_HAS_TENANTS(target))
		deltas_since_fold = 0;
	return (int64) nrows;
}

/* Drop the counts of the tags $1 (of the call's tenant) that are zero */
static const TagsStatement stmt_item_counts_drop_zeros = {
	"item_counts_drop_zeros",
	"DELETE FROM @counts@ c"
	" WHERE @tenant:c@ c.tag_id OPERATOR(pg_catalog.=) ANY ($1)"
	"   AND c.@count@ OPERATOR(pg_catalog.=) 0",
	1, {INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE
};

/*
 * Drop the counts of a target's list that the fold whose rows (tag_id,
 * count) SPI_tuptable holds brought to zero
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
	tags_target_execute(target, &stmt_item_counts_drop_zeros, &param, NULL,
						false, false, 0);
}

/*
 * tags_fold_counts() RETURNS bigint
 *
 * Folds the pending deltas of every target now, waiting for a fold in
 * progress to end, and returns the number of tags whose folded count
 * changed.  The writers fold as they go in READ COMMITTED; this is for the
 * end of a bulk load made under REPEATABLE READ, or to measure.
 */
Datum
tags_fold_counts(PG_FUNCTION_ARGS)
{
	int			ntargets;
	TagsTarget *targets;
	int64		total = 0;
	int			i;

	tags_spi_connect(fcinfo);
	targets = tags_all_targets(InvalidOid, &ntargets);
	for (i = 0; i < ntargets; i++)
	{
		TagsSavedUser saved;
		int64		folded;

		tags_become_target_owner(&targets[i], &saved);
		folded = tags_fold_item_counts(&targets[i], true);
		tags_restore_user(&saved);
		if (folded > 0)
			total += folded;
	}
	SPI_finish();
	PG_RETURN_INT64(total);
}
