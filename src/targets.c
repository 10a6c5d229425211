/*-------------------------------------------------------------------------
 *
 * targets.c
 *	  The tables whose rows are tagged (1.2): their registry, tags_enable()
 *	  and tags_disable(), the event trigger that forgets dropped ones, and
 *	  the statements kept for each.
 *
 * A target is a table with a single-column primary key, registered in
 * tag_targets with its association table, its two counter tables, its
 * visibility expression and its sort column.  tags_enable() makes those
 * three tables beside the target, owned by the target's owner, so that
 * pg_dump dumps them whole with the application's own; the built-in posts
 * is registered at install with post_tags and the 1.1 counters.  The
 * registry holds oids (regclass), so renaming a target or its schema
 * changes nothing; the statements are made from the names of the moment,
 * and made again when a rename invalidates their plans.
 *
 * Each backend keeps what the registry says in targets_cache, read again
 * whenever a relcache invalidation names the registry or a table of a
 * target (tags_enable() and the event trigger send one for the registry),
 * and with each target the plans of its statements, kept as the static
 * ones are (spi_cache.c).  Callers get a copy of a target's description,
 * never a pointer into the cache, which user code called back from a
 * statement may invalidate.
 *
 * The visibility expression is checked as a CHECK constraint is, and must
 * be immutable: each association keeps a copy of its item's visibility,
 * computed when it is written, which a stable expression (now()) would
 * leave stale.  It is stored as ruleutils deparses it with only pg_catalog
 * in the search path, so that every other object in it is
 * schema-qualified, and it is evaluated in C, never pasted into a
 * statement: read back under the same search path, it means the same
 * whatever the caller's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_enable);
PG_FUNCTION_INFO_V1(tags_disable);
PG_FUNCTION_INFO_V1(tags_drop_targets);

/* One registered target, with the plans of its statements */
typedef struct TargetCacheEntry
{
	Oid			relid;			/* hash key */
	TagsTarget	target;			/* its strings in targets_cxt */
	char	   *broken;			/* why the target cannot be used, or NULL */
	Expr	   *visible_planned;	/* the visibility expression, planned, once
									 * used */
	TagsKeptPlan *plans[NUM_ITEM_STMTS];
} TargetCacheEntry;

/* What tags_target_execute() passes to build_item_sql() */
typedef struct ItemSqlArg
{
	const TagsTarget *target;
	ItemStmt	stmt;
} ItemSqlArg;

static HTAB *targets_cache = NULL;
static MemoryContext targets_cxt = NULL;	/* holds it and what it points to */
static uint64 targets_generation = 0;	/* loads so far */
static bool targets_valid = false;
static Oid	targets_schema = InvalidOid;	/* the schema it was read from */
static Oid	targets_registry = InvalidOid;	/* tag_targets there, if any */

static void invalidate_targets(Datum arg, Oid relid);
static void load_targets(void);
static void forget_targets(void);
static Node *cook_visible(Relation rel, const char *source, bool check);
static void visible_error_callback(void *arg);
static char *build_item_sql(void *arg, TagsSql *def, bool need_text);
static AttrNumber primary_key_column(Relation rel);
static AttrNumber key_column_of(Relation rel);
static void check_not_broken(const TargetCacheEntry *entry);
static void check_key_type(Relation rel, AttrNumber key_att);
static AttrNumber sort_column_of(Relation rel, Name sort_column);
static char *qualified_name(Oid relid);
static void set_search_path_catalog(void);
static void run_ddl(const char *sql);

/*
 * Mark the cache stale if a relation it describes, or the registry, is
 * invalidated; it is read again at the next lookup, never freed here,
 * where a caller further up the stack may be using it.
 */
static void
invalidate_targets(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	TargetCacheEntry *entry;

	if (!targets_valid || targets_cache == NULL)
		return;
	if (!OidIsValid(relid) || relid == targets_registry)
	{
		targets_valid = false;
		return;
	}
	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		const TagsTarget *t = &entry->target;

		if (relid == t->relid || relid == t->assoc || relid == t->counts ||
			relid == t->deltas || relid == t->registry)
		{
			targets_valid = false;
			hash_seq_term(&status);
			return;
		}
	}
}

/* Retire every target's plans and empty the cache */
static void
forget_targets(void)
{
	HASH_SEQ_STATUS status;
	TargetCacheEntry *entry;
	int			i;

	if (targets_cache == NULL)
		return;
	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
		for (i = 0; i < NUM_ITEM_STMTS; i++)
			tags_forget_plan(&entry->plans[i]);
	/* the hash, the strings and the expressions */
	MemoryContextDelete(targets_cxt);
	targets_cxt = NULL;
	targets_cache = NULL;
}

/*
 * Read the registry into the cache, in a snapshot taken now: what the last
 * invalidation announced is committed.  A schema of version 1.1 or older
 * has no registry, and no targets.  The registry is read directly, not
 * through SPI, so that loading the cache adds no statement to a call.
 */
static void
load_targets(void)
{
	static bool registered = false;
	HASHCTL		ctl;
	Relation	registry;
	TupleDesc	rdesc;
	Snapshot	snapshot;
	TableScanDesc scan;
	HeapTuple	tuple;
	int			atts[7];
	static const char *const names[7] = {"target", "association", "counts",
		"count_deltas", "visible", "sort_column", "builtin"};
	int			i;

	if (!registered)
	{
		CacheRegisterRelcacheCallback(invalidate_targets, (Datum) 0);
		registered = true;
	}
	forget_targets();
	targets_generation++;
	targets_cxt = AllocSetContextCreate(CacheMemoryContext, "tags targets",
										ALLOCSET_SMALL_SIZES);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(TargetCacheEntry);
	ctl.hcxt = targets_cxt;
	targets_cache = hash_create("tags targets", 16, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	targets_schema = tags_schema();
	targets_registry = tags_table_id("tag_targets");
	if (!OidIsValid(targets_registry))
	{
		targets_valid = true;
		return;
	}

	registry = table_open(targets_registry, AccessShareLock);
	rdesc = RelationGetDescr(registry);
	for (i = 0; i < 7; i++)
		atts[i] = tags_column_of(rdesc, names[i]);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(registry, snapshot, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(heap_getattr(tuple, atts[0], rdesc,
														  &isnull));
		Datum		visible = heap_getattr(tuple, atts[4], rdesc, &isnull);
		char	   *sort_column;
		TargetCacheEntry *entry;
		Relation	rel;
		TagsTarget *t;
		bool		found;

		rel = try_relation_open(relid, AccessShareLock);
		if (rel == NULL)
			continue;			/* dropped, and being forgotten */
		entry = hash_search(targets_cache, &relid, HASH_ENTER, &found);
		memset(entry->plans, 0, sizeof(entry->plans));
		entry->broken = NULL;
		entry->visible_planned = NULL;
		t = &entry->target;
		memset(t, 0, sizeof(TagsTarget));
		t->relid = relid;
		t->registry = targets_registry;
		t->assoc = DatumGetObjectId(heap_getattr(tuple, atts[1], rdesc, &isnull));
		t->counts = DatumGetObjectId(heap_getattr(tuple, atts[2], rdesc, &isnull));
		t->deltas = DatumGetObjectId(heap_getattr(tuple, atts[3], rdesc, &isnull));
		t->builtin = DatumGetBool(heap_getattr(tuple, atts[6], rdesc, &isnull));
		sort_column = NameStr(*DatumGetName(heap_getattr(tuple, atts[5], rdesc,
														 &isnull)));
		t->key_att = key_column_of(rel);
		sort_column = NameStr(*DatumGetName(heap_getattr(tuple, atts[5], rdesc,
														 &isnull)));
		t->sort_att = get_attnum(relid, sort_column);
		if (t->key_att <= 0 || t->sort_att <= 0)
		{
			/* reported when the target is used (tags_find_target()) */
			entry->broken = MemoryContextStrdup(targets_cxt,
												t->key_att <= 0 ?
												"its primary key is no longer a single column" :
												psprintf("its sort column \"%s\" does not exist", sort_column));
			relation_close(rel, AccessShareLock);
			continue;
		}
		t->key_type = TupleDescAttr(RelationGetDescr(rel),
									t->key_att - 1)->atttypid;
		if (t->key_type == VARCHAROID)
			t->key_type = TEXTOID;
		t->sort_type = TupleDescAttr(RelationGetDescr(rel),
									 t->sort_att - 1)->atttypid;
		heap_getattr(tuple, atts[4], rdesc, &isnull);
		if (!isnull)
			t->visible = MemoryContextStrdup(targets_cxt,
											 TextDatumGetCString(visible));
		relation_close(rel, AccessShareLock);
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(registry, AccessShareLock);
	/* only whole: an error above leaves it to be read again */
	targets_valid = true;
}

/*
 * Whether the cache describes the registry of the extension as it is now:
 * read, and for the schema and registry of the function being called.
 */
static inline bool
targets_current(void)
{
	return targets_valid && targets_schema == tags_schema() &&
		targets_registry == tags_table_id("tag_targets");
}

/*
 * Raise 55000 if a target can no longer be used: a change to the table
 * took away what its registration names
 */
static void
check_not_broken(const TargetCacheEntry *entry)
{
	if (entry->broken != NULL)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("tag target \"%s\" cannot be used: %s",
					   get_rel_name(entry->relid) ? get_rel_name(entry->relid) : "?",
					   entry->broken),
				errhint("Undo the change to the table, or call tags_disable() and tags_enable() again."));
}

/*
 * Fill *target with what the registry says of the table relid; false if it
 * is not a target.  The caller must be connected to SPI (tags_spi_connect).
 */
bool
tags_find_target(Oid relid, TagsTarget *target)
{
	TargetCacheEntry *entry;

	if (!targets_current())
		load_targets();
	entry = hash_search(targets_cache, &relid, HASH_FIND, NULL);
	if (entry == NULL)
		return false;
	check_not_broken(entry);
	*target = entry->target;
	return true;
}

/* tags_find_target(), or 22023 if the table is not a target */
void
tags_get_target(Oid relid, TagsTarget *target)
{
	if (!tags_find_target(relid, target))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("table \"%s\" is not a tag target",
					   get_rel_name(relid) ? get_rel_name(relid) : "?"),
				errhint("Call tags_enable() on the table first."));
}

/*
 * The target whose association table is assoc; false if there is none.
 */
bool
tags_find_target_by_association(Oid assoc, TagsTarget *target)
{
	HASH_SEQ_STATUS status;
	TargetCacheEntry *entry;

	if (!targets_current())
		load_targets();
	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (entry->target.assoc == assoc)
		{
			check_not_broken(entry);
			*target = entry->target;
			hash_seq_term(&status);
			return true;
		}
	return false;
}

/*
 * Every target but the built-in one, as a palloc'd array; *count is set.
 */
TagsTarget *
tags_user_targets(int *count)
{
	HASH_SEQ_STATUS status;
	TargetCacheEntry *entry;
	TagsTarget *targets;
	int			n = 0;

	if (!targets_current())
		load_targets();
	targets = palloc((hash_get_num_entries(targets_cache) + 1) *
					 sizeof(TagsTarget));
	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (!entry->target.builtin)
		{
			check_not_broken(entry);
			targets[n++] = entry->target;
		}
	*count = n;
	return targets;
}

/*
 * Run a statement of a target (see item_stmts.c) as tags_execute() runs
 * one of the static table: its plan is kept with the target, and made
 * again when the target's tables change.
 */
uint64
tags_target_execute(const TagsTarget *target, ItemStmt stmt, Datum *values,
					const char *nulls, bool latest, bool read_only,
					long count)
{
	TargetCacheEntry *entry;
	ItemSqlArg	arg;

	if (!targets_current())
		load_targets();
	entry = hash_search(targets_cache, &target->relid, HASH_FIND, NULL);
	if (entry == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("table \"%s\" is no longer a tag target",
					   get_rel_name(target->relid) ?
					   get_rel_name(target->relid) : "?"));
	arg.target = &entry->target;
	arg.stmt = stmt;
	return tags_execute_kept(&entry->plans[stmt], build_item_sql, &arg,
							 values, nulls, latest, read_only, count);
}

/*
 * The schema-qualified, quoted name of a relation
 */
static char *
qualified_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	if (relname == NULL || nspname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	return quote_qualified_identifier(nspname, relname);
}

/*
 * A target statement for get_kept(): its template (item_stmts.c) with the
 * names of the target's tables and columns of the moment put in, and the
 * key's and sort column's types as parameter types.
 */
static char *
build_item_sql(void *arg, TagsSql *def, bool need_text)
{
	const ItemSqlArg *a = arg;
	const TagsTarget *t = a->target;
	const TagsItemStmtDef *sdef = tags_item_stmt_def(a->stmt);
	char	   *sql;
	int			i;

	def->name = sdef->name;
	def->stmt = (int) a->stmt;
	def->nargs = sdef->nargs;
	for (i = 0; i < sdef->nargs; i++)
		def->argtypes[i] = sdef->argtypes[i] == ITEM_KEY_TYPE ? t->key_type :
			sdef->argtypes[i] == ITEM_SORT_TYPE ? t->sort_type :
			sdef->argtypes[i];
	def->cursor_options = sdef->cursor_options;
	def->expected_rc = sdef->expected_rc;
	if (!need_text)
		return NULL;

	sql = tags_substitute(sdef->sql, "@extschema@",
						  quote_identifier(get_namespace_name(tags_schema())));
	sql = tags_substitute(sql, "@target@", qualified_name(t->relid));
	sql = tags_substitute(sql, "@key@",
						  quote_identifier(get_attname(t->relid, t->key_att,
													   false)));
	sql = tags_substitute(sql, "@assoc@", qualified_name(t->assoc));
	sql = tags_substitute(sql, "@counts@", qualified_name(t->counts));
	sql = tags_substitute(sql, "@deltas@", qualified_name(t->deltas));
	sql = tags_substitute(sql, "@item@", t->builtin ? "post_id" : "item_id");
	sql = tags_substitute(sql, "@visible@",
						  t->builtin ? "post_visible" : "item_visible");
	sql = tags_substitute(sql, "@sort@",
						  t->builtin ? "post_created_at" : "item_sort");
	sql = tags_substitute(sql, "@count@",
						  t->builtin ? "post_count" : "item_count");
	return sql;
}

/*
 * Evaluate the target's visibility on a row of it (desc is the target's
 * row type); every row is visible without an expression.
 */
bool
tags_item_visible(const TagsTarget *target, HeapTuple tuple, TupleDesc desc)
{
	TargetCacheEntry *entry;
	uint64		generation;
	Expr	   *planned = NULL;
	EState	   *estate;
	ExprContext *econtext;
	TupleTableSlot *slot;
	ExprState  *state;
	Datum		result;
	bool		isnull;

	if (target->visible == NULL)
		return true;
	if (!targets_current())
		load_targets();
	entry = hash_search(targets_cache, &target->relid, HASH_FIND, NULL);
	if (entry == NULL || entry->target.visible == NULL)
		elog(ERROR, "tag target %u changed during its use", target->relid);
	generation = targets_generation;
	if (entry->visible_planned == NULL)
	{
		/* read under the search path it was written under (see the header) */
		Relation	rel = table_open(target->relid, AccessShareLock);
		int			nestlevel = NewGUCNestLevel();
		Expr	   *expr;
		MemoryContext old;

		set_search_path_catalog();
		expr = (Expr *) cook_visible(rel, entry->target.visible, false);
		AtEOXact_GUC(true, nestlevel);
		table_close(rel, AccessShareLock);
		expr = expression_planner(expr);

		/*
		 * Planning may fold an immutable function of the user's, which may
		 * call back in and read the cache anew: keep the plan only in the
		 * cache it was made for.
		 */
		if (targets_generation != generation)
			planned = expr;
		else
		{
			old = MemoryContextSwitchTo(targets_cxt);
			entry->visible_planned = copyObject(expr);
			MemoryContextSwitchTo(old);
		}
	}
	if (planned == NULL)
		planned = entry->visible_planned;
	estate = CreateExecutorState();
	econtext = GetPerTupleExprContext(estate);
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	ExecStoreHeapTuple(tuple, slot, false);
	econtext->ecxt_scantuple = slot;
	{
		MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);

		/* a copy: user code the expression calls may reload the cache */
		state = ExecInitExpr(copyObject(planned), NULL);
		MemoryContextSwitchTo(old);
	}
	result = ExecEvalExprSwitchContext(state, econtext, &isnull);
	result = BoolGetDatum(!isnull && DatumGetBool(result));
	ExecDropSingleTupleTableSlot(slot);
	FreeExecutorState(estate);
	return DatumGetBool(result);
}

/*
 * Set the search path to pg_catalog alone until the caller's
 * AtEOXact_GUC(): what the visibility expression is read and written under
 * (see the header).
 */
static void
set_search_path_catalog(void)
{
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/*
 * Report an error in a visibility expression against its own text, not
 * the statement that called the function, and say where it comes from.
 */
static void
visible_error_callback(void *arg)
{
	const char *source = arg;
	int			position = geterrposition();

	if (position > 0)
	{
		errposition(0);
		internalerrposition(position);
		internalerrquery(source);
	}
	errcontext("visible expression \"%s\"", source);
}

/*
 * Parse and analyze a visibility expression over the columns of rel, as a
 * CHECK constraint's is (no subqueries, aggregates, window or set-returning
 * functions), as a boolean; if check, also refuse what tags_enable()
 * refuses: a function that is not immutable.
 */
static Node *
cook_visible(Relation rel, const char *source, bool check)
{
	List	   *raw;
	SelectStmt *select;
	ResTarget  *res;
	ParseState *pstate;
	ParseNamespaceItem *nsitem;
	Node	   *expr;
	ErrorContextCallback errcallback;

	errcallback.callback = visible_error_callback;
	errcallback.arg = (void *) source;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	raw = raw_parser(source, RAW_PARSE_PLPGSQL_EXPR);
	select = (SelectStmt *) ((RawStmt *) linitial(raw))->stmt;
	if (list_length(raw) != 1 || !IsA(select, SelectStmt) ||
		list_length(select->targetList) != 1 || select->fromClause != NIL ||
		select->whereClause != NULL || select->groupClause != NIL ||
		select->havingClause != NULL || select->windowClause != NIL ||
		select->sortClause != NIL || select->limitCount != NULL ||
		select->limitOffset != NULL || select->distinctClause != NIL ||
		select->op != SETOP_NONE)
		ereport(ERROR,
				errcode(ERRCODE_SYNTAX_ERROR),
				errmsg("visible must be a single expression"),
				errdetail("It was \"%s\".", source));
	res = linitial_node(ResTarget, select->targetList);

	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = source;
	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
										   NULL, false, true);
	addNSItemToQuery(pstate, nsitem, true, true, true);
	expr = transformExpr(pstate, res->val, EXPR_KIND_CHECK_CONSTRAINT);
	expr = coerce_to_boolean(pstate, expr, "visible");
	assign_expr_collations(pstate, expr);
	if (check && contain_mutable_functions(expr))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				errmsg("functions in visible must be marked IMMUTABLE"),
				errdetail("Each association keeps a copy of its item's visibility, made when it is written: an expression whose value can change by itself would leave it stale."));
	free_parsestate(pstate);
	error_context_stack = errcallback.previous;
	return expr;
}

/* The single column of the primary key of rel, or 0 */
static AttrNumber
key_column_of(Relation rel)
{
	Oid			index = RelationGetPrimaryKeyIndex(rel);
	HeapTuple	tuple;
	Form_pg_index form;
	AttrNumber	att = 0;

	if (!OidIsValid(index))
		return 0;
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for index %u", index);
	form = (Form_pg_index) GETSTRUCT(tuple);
	if (form->indnkeyatts == 1)
		att = form->indkey.values[0];
	ReleaseSysCache(tuple);
	return att;
}

/*
 * The single column of the primary key of rel, or 42P16
 */
static AttrNumber
primary_key_column(Relation rel)
{
	Oid			index = RelationGetPrimaryKeyIndex(rel);
	HeapTuple	tuple;
	Form_pg_index form;
	AttrNumber	att;

	if (!OidIsValid(index))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("table \"%s\" has no primary key",
					   RelationGetRelationName(rel)),
				errdetail("A tag target needs a primary key of one column."));
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for index %u", index);
	form = (Form_pg_index) GETSTRUCT(tuple);
	if (form->indnkeyatts != 1 || form->indkey.values[0] == 0)
	{
		ReleaseSysCache(tuple);
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("the primary key of table \"%s\" is not a single column",
					   RelationGetRelationName(rel)),
				errdetail("A tag target needs a primary key of one column."));
	}
	att = form->indkey.values[0];
	ReleaseSysCache(tuple);
	return att;
}

/* Raise 42P16 unless the key is of a type that can be an item */
static void
check_key_type(Relation rel, AttrNumber key_att)
{
	Oid			type = TupleDescAttr(RelationGetDescr(rel), key_att - 1)->atttypid;

	if (type != INT2OID && type != INT4OID && type != INT8OID &&
		type != UUIDOID && type != TEXTOID && type != VARCHAROID)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("the primary key of table \"%s\" is of type %s",
					   RelationGetRelationName(rel), format_type_be(type)),
				errdetail("A tag target's key must be of type smallint, integer, bigint, uuid, text or varchar."));
}

/*
 * The attribute number of the sort column (the key's if NULL), which must
 * be a NOT NULL date, time stamp or number
 */
static AttrNumber
sort_column_of(Relation rel, Name sort_column)
{
	AttrNumber	att;
	Form_pg_attribute attr;

	if (sort_column == NULL)
		return primary_key_column(rel);
	att = get_attnum(RelationGetRelid(rel), NameStr(*sort_column));
	if (att <= 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("column \"%s\" of table \"%s\" does not exist",
					   NameStr(*sort_column), RelationGetRelationName(rel)));
	attr = TupleDescAttr(RelationGetDescr(rel), att - 1);
	switch (attr->atttypid)
	{
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			break;
		default:
			ereport(ERROR,
					errcode(ERRCODE_DATATYPE_MISMATCH),
					errmsg("sort column \"%s\" is of type %s",
						   NameStr(*sort_column),
						   format_type_be(attr->atttypid)),
					errdetail("Tag pages sort by a date, a time stamp or a number."));
	}
	if (!attr->attnotnull)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("sort column \"%s\" is not NOT NULL",
					   NameStr(*sort_column)),
				errdetail("Tag pages are read off an index in sort order, which needs a value in every row."),
				errhint("Add NOT NULL to the column, or choose another one."));
	return att;
}

/* Run a utility statement built with quoted names, which takes no values */
static void
run_ddl(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "SPI_execute returned %s for \"%s\"",
			 SPI_result_code_string(rc), sql);
}

/*
 * tags_enable(target regclass, visible text, sort_column name)
 *	  RETURNS regclass
 *
 * Checks everything before it creates anything, then creates the
 * association table and counters as the extension's owner (the foreign
 * key to tags needs a privilege the target's owner may not have) and
 * hands them to the target's owner; any error rolls all of it back.
 */
Datum
tags_enable(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Relation	rel;
	AttrNumber	key_att;
	AttrNumber	sort_att;
	char	   *visible = NULL;
	char	   *relname;
	char	   *nspname;
	char	   *assoc_name;
	char	   *counts_name;
	char	   *deltas_name;
	char	   *assoc;
	char	   *counts;
	char	   *deltas;
	const char *ext;
	const char *owner;
	Form_pg_attribute key_attr;
	Form_pg_attribute sort_attr;
	TagsTarget existing;
	TagsSavedUser saved;
	Datum		params[6];
	char		nulls[7] = "      ";

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("target must not be null"));
	relid = PG_GETARG_OID(0);
	tags_spi_connect(fcinfo);

	rel = table_open(relid, ShareRowExclusiveLock);
	relname = RelationGetRelationName(rel);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("\"%s\" is not a table", relname));
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("must be owner of table %s", relname));
	if (tags_find_target(relid, &existing))
		ereport(ERROR,
				errcode(ERRCODE_DUPLICATE_OBJECT),
				errmsg("table \"%s\" is already a tag target", relname));
	key_att = primary_key_column(rel);
	check_key_type(rel, key_att);
	sort_att = sort_column_of(rel, PG_ARGISNULL(2) ? NULL : PG_GETARG_NAME(2));
	if (!PG_ARGISNULL(1))
	{
		int			nestlevel;
		Node	   *expr = cook_visible(rel, TextDatumGetCString(PG_GETARG_DATUM(1)),
										true);

		nestlevel = NewGUCNestLevel();
		set_search_path_catalog();
		visible = deparse_expression(expr,
									 deparse_context_for(relname, relid),
									 false, false);
		AtEOXact_GUC(true, nestlevel);
	}

	nspname = get_namespace_name(RelationGetNamespace(rel));
	assoc_name = psprintf("%s_tags", relname);
	counts_name = psprintf("%s_tag_counts", relname);
	deltas_name = psprintf("%s_tag_count_deltas", relname);
	if (strlen(deltas_name) >= NAMEDATALEN)
		ereport(ERROR,
				errcode(ERRCODE_NAME_TOO_LONG),
				errmsg("table name \"%s\" is too long to be a tag target",
					   relname),
				errdetail("The names of its tables, such as \"%s\", must fit in %d bytes.",
						  deltas_name, NAMEDATALEN - 1));
	assoc = quote_qualified_identifier(nspname, assoc_name);
	counts = quote_qualified_identifier(nspname, counts_name);
	deltas = quote_qualified_identifier(nspname, deltas_name);
	ext = quote_identifier(get_namespace_name(tags_schema()));
	owner = quote_identifier(GetUserNameFromId(rel->rd_rel->relowner, false));
	key_attr = TupleDescAttr(RelationGetDescr(rel), key_att - 1);
	sort_attr = TupleDescAttr(RelationGetDescr(rel), sort_att - 1);

	tags_become_owner(&saved);
	run_ddl(psprintf("CREATE TABLE %s ("
					 " item_id %s NOT NULL"
					 "   REFERENCES %s (%s) ON DELETE CASCADE ON UPDATE CASCADE,"
					 " tag_id integer NOT NULL"
					 "   REFERENCES %s.tags (id) ON DELETE CASCADE,"
					 " position integer,"
					 " item_visible boolean NOT NULL,"
					 " item_sort %s NOT NULL,"
					 " PRIMARY KEY (item_id, tag_id))",
					 assoc,
					 format_type_with_typemod(key_attr->atttypid,
											  key_attr->atttypmod),
					 quote_qualified_identifier(nspname, relname),
					 quote_identifier(NameStr(key_attr->attname)),
					 ext,
					 format_type_with_typemod(sort_attr->atttypid,
											  sort_attr->atttypmod)));
	run_ddl(psprintf("CREATE INDEX ON %s"
					 " (tag_id, item_visible, item_sort, item_id)", assoc));
	run_ddl(psprintf("CREATE TABLE %s ("
					 " tag_id integer PRIMARY KEY,"
					 " item_count bigint NOT NULL)", counts));
	run_ddl(psprintf("CREATE INDEX ON %s (item_count)", counts));
	run_ddl(psprintf("CREATE TABLE %s ("
					 " tag_id integer NOT NULL,"
					 " delta integer NOT NULL)"
					 " WITH (autovacuum_vacuum_scale_factor = 0,"
					 "       autovacuum_vacuum_threshold = 10000,"
					 "       autovacuum_vacuum_insert_scale_factor = 0,"
					 "       autovacuum_vacuum_insert_threshold = 10000)",
					 deltas));
	run_ddl(psprintf("CREATE TRIGGER tags_copy_item"
					 " BEFORE INSERT OR UPDATE OF item_id, item_visible, item_sort"
					 " ON %s FOR EACH ROW EXECUTE FUNCTION %s.tags_copy_item()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_count_inserts AFTER INSERT ON %s"
					 " REFERENCING NEW TABLE AS inserted"
					 " FOR EACH STATEMENT EXECUTE FUNCTION %s.tags_count_item_changes()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_count_updates AFTER UPDATE ON %s"
					 " REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update"
					 " FOR EACH STATEMENT EXECUTE FUNCTION %s.tags_count_item_changes()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_count_deletes AFTER DELETE ON %s"
					 " REFERENCING OLD TABLE AS deleted"
					 " FOR EACH STATEMENT EXECUTE FUNCTION %s.tags_count_item_changes()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_count_truncate AFTER TRUNCATE ON %s"
					 " FOR EACH STATEMENT EXECUTE FUNCTION %s.tags_count_item_changes()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_item_changed AFTER UPDATE ON %s"
					 " FOR EACH ROW EXECUTE FUNCTION %s.tags_item_changed()",
					 quote_qualified_identifier(nspname, relname), ext));
	run_ddl(psprintf("ALTER TABLE %s OWNER TO %s", assoc, owner));
	run_ddl(psprintf("ALTER TABLE %s OWNER TO %s", counts, owner));
	run_ddl(psprintf("ALTER TABLE %s OWNER TO %s", deltas, owner));

	/*
	 * $1 target, $2 association, $3 counts, $4 deltas, $5 visible, $6 sort
	 * column
	 */
	params[0] = ObjectIdGetDatum(relid);
	params[1] = ObjectIdGetDatum(get_relname_relid(assoc_name,
												   RelationGetNamespace(rel)));
	params[2] = ObjectIdGetDatum(get_relname_relid(counts_name,
												   RelationGetNamespace(rel)));
	params[3] = ObjectIdGetDatum(get_relname_relid(deltas_name,
												   RelationGetNamespace(rel)));
	if (visible != NULL)
		params[4] = CStringGetTextDatum(visible);
	else
		nulls[4] = 'n';
	params[5] = CStringGetTextDatum(NameStr(sort_attr->attname));
	tags_execute(STMT_TARGET_ADD, params, nulls, false, 0);
	tags_restore_user(&saved);
	CacheInvalidateRelcacheByRelid(tags_table_id("tag_targets"));
	table_close(rel, NoLock);
	SPI_finish();
	PG_RETURN_OID(DatumGetObjectId(params[1]));
}

/*
 * tags_disable(target regclass) RETURNS void
 *
 * Drops the association table; the event trigger (tags_drop_targets())
 * drops the rest and forgets the target, as it does when a user drops it.
 */
Datum
tags_disable(PG_FUNCTION_ARGS)
{
	Oid			relid;
	TagsTarget	target;
	TagsSavedUser saved;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("target must not be null"));
	relid = PG_GETARG_OID(0);
	tags_spi_connect(fcinfo);
	tags_get_target(relid, &target);
	if (target.builtin)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("cannot disable the extension's own table \"%s\"",
					   get_rel_name(relid)));
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("must be owner of table %s", get_rel_name(relid)));
	tags_become_owner(&saved);
	run_ddl(psprintf("DROP TABLE %s", qualified_name(target.assoc)));
	tags_restore_user(&saved);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * tags_drop_targets() RETURNS event_trigger, ON sql_drop
 *
 * Forgets each target whose table or association table was dropped, and
 * drops what is left of it: the trigger on the target, the association
 * table and the counters.  Runs as the extension's owner.
 */
Datum
tags_drop_targets(PG_FUNCTION_ARGS)
{
	TagsSavedUser saved;
	uint64		nrows;
	uint64		row;
	Oid		   *gone;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_drop_targets\" must be fired by an event trigger"));
	tags_spi_connect(fcinfo);
	if (!OidIsValid(tags_table_id("tag_targets")))
	{
		SPI_finish();			/* the extension itself is being dropped */
		PG_RETURN_VOID();
	}
	tags_become_owner(&saved);
	nrows = tags_execute(STMT_TARGETS_DROPPED, NULL, NULL, false, 0);
	gone = palloc((nrows * 4 + 1) * sizeof(Oid));
	for (row = 0; row < nrows; row++)
	{
		int			i;

		for (i = 0; i < 4; i++)
		{
			bool		isnull;

			gone[row * 4 + i] =
				DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[row],
											   SPI_tuptable->tupdesc, i + 1,
											   &isnull));
		}
	}
	for (row = 0; row < nrows; row++)
	{
		Oid			target = gone[row * 4];
		int			i;

		if (get_rel_name(target) != NULL &&
			OidIsValid(get_trigger_oid(target, "tags_item_changed", true)))
			run_ddl(psprintf("DROP TRIGGER tags_item_changed ON %s",
							 qualified_name(target)));
		for (i = 1; i < 4; i++)
			if (get_rel_name(gone[row * 4 + i]) != NULL)
				run_ddl(psprintf("DROP TABLE %s",
								 qualified_name(gone[row * 4 + i])));
	}
	tags_restore_user(&saved);
	if (nrows > 0)
		CacheInvalidateRelcacheByRelid(tags_table_id("tag_targets"));
	SPI_finish();
	PG_RETURN_VOID();
}
