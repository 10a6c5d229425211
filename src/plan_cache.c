/*-------------------------------------------------------------------------
 *
 * plan_cache.c
 *	  The plan cache: every statement the extension runs is prepared once
 *	  per backend, kept, made anew when it must be, and executed here.
 *
 * The statements themselves are not here: each stands in full, as a
 * TagsStatement, beside the function that runs it.  A kept plan is keyed by
 * what it does, the TagsStatement, and for a statement on a target (1.2) by
 * the target's table too; errors name the statement.
 *
 * Invariants:
 *	- a statement's text writes the extension's schema @extschema@, which is
 *	  replaced by the quoted name of the schema that spi_call.c reports for
 *	  the call (tags_plans_for_schema()), and a target's statement is made by
 *	  targets.c from its template; when that schema changes, or it is
 *	  found at version 1.0 (then sql_1_0 is used where a statement has one),
 *	  every plan is dropped;
 *	- a plan SPI reports invalid is prepared again from its text;
 *	- a kept plan is made anew once a relation it uses has grown more than
 *	  TAGS_REPLAN_GROWTH times in blocks since plans on it were last made
 *	  anew for its growth (or since it was first seen): the size noted is
 *	  the relation's, not the plan's, so that a plan prepared again for
 *	  another reason does not hide the growth from PostgreSQL's own plans
 *	  on the relation, which only the relcache invalidation reaches;
 *	- a plan is never freed while an execution of it is under way (user code
 *	  a statement fires can call the extension again): one replaced meanwhile
 *	  is retired, and freed when its last execution ends.
 *
 * See doc/plans.md for why (keep, re-plan on growth, retire while running,
 * calling back in, generic and custom plans).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "tags.h"

/*
 * A kept plan is made anew once a relation it uses has more than this many
 * times the blocks it had when plans on it were last made anew for its
 * growth
 */
#define TAGS_REPLAN_GROWTH 2

/*
 * A kept plan, with what it needs to be replaced safely: how many
 * executions of it are under way, and the relations it reads or writes.
 */
typedef struct KeptPlan
{
	SPIPlanPtr	plan;
	int			running;		/* executions under way, nested ones too */
	bool		retired;		/* replaced: freed once none is running */
	int			nrels;			/* relations watched for growth */
	Oid		   *relids;
} KeptPlan;

/*
 * A relation a kept plan uses, and its size in blocks when it was first
 * seen or when plans on it were last made anew for its growth
 */
typedef struct WatchedRelation
{
	Oid			relid;
	BlockNumber blocks;
} WatchedRelation;

/*
 * What a plan does: the statement, and the list or vocabulary it is made
 * for, if any (by its association table, or its tags table)
 */
typedef struct PlanKey
{
	const TagsStatement *stmt;
	Oid			relid;			/* InvalidOid: not a target's statement */
} PlanKey;

typedef struct PlanEntry
{
	PlanKey		key;
	KeptPlan   *kept;			/* NULL until prepared, or once retired */
} PlanEntry;

static void retire_kept(KeptPlan **slot);
static void free_plan(KeptPlan *kept);
static void free_idle_retired_plans(void);
static void retire_plans(bool targets_only);
static BlockNumber relation_blocks(Oid relid);
static bool relation_outgrown(Oid relid, BlockNumber blocks);
static void watch_relations(KeptPlan *kept);
static bool plan_outgrown(const KeptPlan *kept);
static KeptPlan *prepare_sql(const TagsStatement *stmt, const char *sql,
							 int nargs, const Oid *argtypes,
							 int cursor_options);
static KeptPlan *get_kept(const TagsStatement *stmt, Oid relid,
						  TagsSqlBuilder build, const void *arg);
static uint64 run_plan(const TagsStatement *stmt, Oid relid,
					   TagsSqlBuilder build, const void *arg, Datum *values,
					   const char *nulls, bool latest, bool read_only,
					   long count);

/*
 * The schema the kept plans were made for, whether the extension's objects
 * there are at version 1.0 (no tag_synonyms), the plans, and the plans
 * retired while an execution of theirs was under way.
 */
static Oid	plans_schema = InvalidOid;
static bool plans_for_1_0 = false;
static HTAB *plans = NULL;
static List *retired_plans = NIL;	/* in TopMemoryContext */
static HTAB *watched = NULL;	/* WatchedRelation by relid */

/*
 * Use the plans made for this schema, at version 1.0 or not; drop the
 * others.  Called by tags_spi_connect() at every call.
 */
void
tags_plans_for_schema(Oid schema, bool at_1_0)
{
	if (schema == plans_schema && at_1_0 == plans_for_1_0)
		return;
	retire_plans(false);
	plans_schema = schema;
	plans_for_1_0 = at_1_0;
}

/*
 * Stop using the kept plan in *slot, which is left empty: free it now, or,
 * if an execution of it is under way further up the stack, once the last
 * one ends (see run_plan()).
 */
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

/* Retire every kept plan, or only those of targets */
static void
retire_plans(bool targets_only)
{
	HASH_SEQ_STATUS status;
	PlanEntry  *entry;

	if (plans == NULL)
		return;
	hash_seq_init(&status, plans);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (targets_only && !OidIsValid(entry->key.relid))
			continue;
		retire_kept(&entry->kept);
		hash_search(plans, &entry->key, HASH_REMOVE, NULL);
	}
}

/*
 * Retire the plans of every target's statements: targets.c calls it when
 * it reads the registry again.
 */
void
tags_forget_target_plans(void)
{
	retire_plans(true);
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
 * Whether the relation relid, of size blocks now, has grown more than
 * TAGS_REPLAN_GROWTH times since plans on it were last made anew for its
 * growth, or since it was first seen here (see doc/plans.md).  If it has,
 * its relcache entry is invalidated, at the end of the command and in
 * every backend at commit, so that every plan that uses it is made anew
 * from its size: ours, and PostgreSQL's own kept plans (the foreign-key
 * checks above all, which ri_triggers.c keeps for the life of the
 * backend); and its size now is noted for the next time.  The note is the
 * relation's, not a plan's: a plan of ours prepared anew for another
 * reason (the targets read again, an ANALYZE) must not hide the growth
 * from PostgreSQL's plans, which only the invalidation reaches.  A
 * relation smaller than noted (truncated, rewritten) is noted at its size.
 */
static bool
relation_outgrown(Oid relid, BlockNumber blocks)
{
	WatchedRelation *w;
	bool		found;

	if (watched == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(WatchedRelation);
		ctl.hcxt = TopMemoryContext;
		watched = hash_create("tags watched relations", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	w = hash_search(watched, &relid, HASH_ENTER, &found);
	if (!found || blocks < w->blocks)
	{
		w->blocks = blocks;
		return false;
	}
	if (blocks <= TAGS_REPLAN_GROWTH * Max(w->blocks, 1))
		return false;
	CacheInvalidateRelcacheByRelid(relid);
	w->blocks = blocks;
	return true;
}

/*
 * Note the relations a kept plan reads or writes, and see whether they
 * have outgrown the plans on them.  A statement planned at each execution
 * needs no watching.
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
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);

		(void) relation_outgrown(relid, relation_blocks(relid));
		kept->relids[i++] = relid;
	}
	list_free(relids);
}

/*
 * Whether a relation of a kept plan has outgrown the plans on it
 */
static bool
plan_outgrown(const KeptPlan *kept)
{
	bool		outgrown = false;
	int			i;

	for (i = 0; i < kept->nrels; i++)
		if (relation_outgrown(kept->relids[i],
							  relation_blocks(kept->relids[i])))
			outgrown = true;
	return outgrown;
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

/*
 * Prepare a statement's text, with these nargs parameter types and cursor
 * options, and keep the plan
 */
static KeptPlan *
prepare_sql(const TagsStatement *stmt, const char *sql, int nargs,
			const Oid *argtypes, int cursor_options)
{
	SPIPlanPtr	plan;
	KeptPlan   *kept;

	plan = SPI_prepare_cursor(sql, nargs, (Oid *) argtypes, cursor_options);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed for statement %s, \"%s\": %s",
			 stmt->name, sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed for statement %s", stmt->name);
	kept = MemoryContextAllocZero(TopMemoryContext, sizeof(KeptPlan));
	kept->plan = plan;
	watch_relations(kept);
	return kept;
}

/*
 * The kept plan of stmt (for the target relid, whose text build makes),
 * prepared now if there is none, if SPI says the one kept is no longer
 * valid, or if a relation it uses has grown too much since it was made.
 * The one replaced is retired, not freed under an execution of it further
 * up the stack.
 */
static KeptPlan *
get_kept(const TagsStatement *stmt, Oid relid, TagsSqlBuilder build,
		 const void *arg)
{
	PlanKey		key;
	PlanEntry  *entry;
	bool		found;
	char	   *schema_name;
	const char *sql;
	Oid			argtypes[TAGS_MAX_ARGS + 1];
	int			nargs = stmt->nargs;
	int			cursor_options = stmt->cursor_options;
	KeptPlan   *kept;

	Assert(OidIsValid(plans_schema));
	if (retired_plans != NIL)
		free_idle_retired_plans();
	if (plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(PlanKey);
		ctl.entrysize = sizeof(PlanEntry);
		ctl.hcxt = TopMemoryContext;
		plans = hash_create("tags plans", 128, &ctl,
							HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.stmt = stmt;
	key.relid = relid;
	entry = hash_search(plans, &key, HASH_ENTER, &found);
	if (!found)
		entry->kept = NULL;

	if (entry->kept != NULL &&
		(!SPI_plan_is_valid(entry->kept->plan) || plan_outgrown(entry->kept)))
		retire_kept(&entry->kept);
	if (entry->kept != NULL)
		return entry->kept;

	schema_name = get_namespace_name(plans_schema);
	if (schema_name == NULL)
		elog(ERROR, "cache lookup failed for namespace %u", plans_schema);
	memcpy(argtypes, stmt->argtypes, sizeof(stmt->argtypes));
	sql = plans_for_1_0 && stmt->sql_1_0 ? stmt->sql_1_0 : stmt->sql;
	if (build != NULL)
		sql = build(stmt, sql, arg, argtypes, &nargs, &cursor_options);
	else
		sql = tags_substitute(sql, "@extschema@",
							  quote_identifier(schema_name));
	kept = prepare_sql(stmt, sql, nargs, argtypes, cursor_options);

	/*
	 * What preparing runs may call the extension again and retire plans, this
	 * entry with them: look it up anew
	 */
	entry = hash_search(plans, &key, HASH_ENTER, &found);
	if (found && entry->kept != NULL)
		retire_kept(&entry->kept);
	entry->kept = kept;
	return kept;
}

/*
 * Run the kept plan of stmt (for the target relid), in the transaction's
 * snapshot or, if latest, in one taken now, and check its result code.
 * The plan counts as running until the execution ends, even in an error,
 * so that a call of ours from user code it fires never frees it; its hash
 * entry may be gone by then.
 */
static uint64
run_plan(const TagsStatement *stmt, Oid relid, TagsSqlBuilder build,
		 const void *arg, Datum *values, const char *nulls, bool latest,
		 bool read_only, long count)
{
	KeptPlan   *volatile kept = get_kept(stmt, relid, build, arg);
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
	if (rc != stmt->expected_rc)
		elog(ERROR, "SPI_execute_plan returned %s for statement %s",
			 SPI_result_code_string(rc), stmt->name);
	return SPI_processed;
}

/*
 * Run a statement with these parameters and check its result code.  Returns
 * the number of rows it processed; they are in SPI_tuptable.
 */
uint64
tags_execute(const TagsStatement *stmt, Datum *values, const char *nulls,
			 bool read_only, long count)
{
	return run_plan(stmt, InvalidOid, NULL, NULL, values, nulls, false,
					read_only, count);
}

/*
 * Run a statement as tags_execute() does, but in a snapshot taken now, not
 * the transaction's: under REPEATABLE READ and SERIALIZABLE it sees what
 * transactions that committed since the transaction's snapshot wrote.  A
 * statement that writes fires its AFTER triggers (the counters') at its
 * end, as any statement does.
 */
uint64
tags_execute_latest(const TagsStatement *stmt, Datum *values,
					const char *nulls)
{
	return run_plan(stmt, InvalidOid, NULL, NULL, values, nulls, true, false,
					0);
}

/*
 * Run a statement made for a target's list or a vocabulary, kept under key
 * (its association table, or its tags table), whose text and parameter
 * types build makes from stmt and arg when it is prepared
 * (target_statements.c), as tags_execute() or tags_execute_latest() runs
 * one.
 */
uint64
tags_execute_for_target(const TagsStatement *stmt, Oid key,
						TagsSqlBuilder build, const void *arg,
						Datum *values, const char *nulls, bool latest,
						bool read_only, long count)
{
	Assert(OidIsValid(key));
	return run_plan(stmt, key, build, arg, values, nulls, latest, read_only,
					count);
}
