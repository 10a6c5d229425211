/*-------------------------------------------------------------------------
 *
 * targets.c
 *	  The tables whose rows are tagged (1.2): the registry tag_targets, the
 *	  backend's cache of it, the statements run on a target, and a
 *	  target's visibility expression.
 *
 * Each backend keeps what the registry says in targets_cache, read again
 * whenever a relcache invalidation names the registry or a table of a
 * target; the plans of the targets' statements are dropped then
 * (plan_cache.c keeps them by statement and target).  Callers get a copy of
 * a target's description, never a pointer into the cache, which user code
 * called back from a statement may invalidate.
 *
 * A target's statement is a template, written in full beside the function
 * that runs it, whose placeholders build_target_sql() fills in with the
 * quoted names of the moment.  The visibility expression is evaluated in C,
 * never pasted into a statement, read under the search path it was written
 * under (pg_catalog alone).  See doc/targets.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
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
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "tags.h"

/* One registered target */
typedef struct TargetCacheEntry
{
	Oid			relid;			/* hash key */
	TagsTarget	target;			/* its strings in targets_cxt */
	char	   *broken;			/* why the target cannot be used, or NULL */
	Expr	   *visible_planned;	/* the visibility expression, planned,
									 * once used */
} TargetCacheEntry;

static HTAB *targets_cache = NULL;
static MemoryContext targets_cxt = NULL;	/* holds it and what it points to */
static uint64 targets_generation = 0;	/* loads so far */
static bool targets_valid = false;
static Oid	targets_schema = InvalidOid;	/* the schema it was read from */
static Oid	targets_registry = InvalidOid;	/* tag_targets there, if any */

static void invalidate_targets(Datum arg, Oid relid);
static void load_targets(void);
static void add_target(Oid relid, Oid assoc, Oid counts, Oid deltas,
					   const char *visible, const char *sort_column,
					   bool builtin);
static void forget_targets(void);
static void visible_error_callback(void *arg);
static const char *build_target_sql(const TagsStatement *stmt,
									const char *template, const void *arg,
									Oid *argtypes);
static AttrNumber key_column_of(Relation rel);
static void check_not_broken(const TargetCacheEntry *entry);
static TargetCacheEntry *target_entry(Oid relid);

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
	if (targets_cache == NULL)
		return;
	tags_forget_target_plans();
	/* the hash, the strings and the expressions */
	MemoryContextDelete(targets_cxt);
	targets_cxt = NULL;
	targets_cache = NULL;
}

/*
 * Enter one registered target into the cache (load_targets()).  A target a
 * change to its table broke is entered with why, reported when it is used.
 */
static void
add_target(Oid relid, Oid assoc, Oid counts, Oid deltas, const char *visible,
		   const char *sort_column, bool builtin)
{
	TargetCacheEntry *entry;
	Relation	rel;
	TagsTarget *t;
	bool		found;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		return;					/* dropped, and being forgotten */
	entry = hash_search(targets_cache, &relid, HASH_ENTER, &found);
	entry->broken = NULL;
	entry->visible_planned = NULL;
	t = &entry->target;
	memset(t, 0, sizeof(TagsTarget));
	t->relid = relid;
	t->registry = targets_registry;
	t->assoc = assoc;
	t->counts = counts;
	t->deltas = deltas;
	t->builtin = builtin;
	t->key_att = key_column_of(rel);
	t->sort_att = get_attnum(relid, sort_column);
	if (t->key_att <= 0 || t->sort_att <= 0)
	{
		/* reported when the target is used (tags_find_target()) */
		entry->broken = MemoryContextStrdup(targets_cxt,
											t->key_att <= 0 ?
											"its primary key is no longer a single column" :
											psprintf("its sort column \"%s\" does not exist", sort_column));
		relation_close(rel, AccessShareLock);
		return;
	}
	t->key_type = TupleDescAttr(RelationGetDescr(rel),
								t->key_att - 1)->atttypid;
	if (t->key_type == VARCHAROID)
		t->key_type = TEXTOID;
	t->sort_type = TupleDescAttr(RelationGetDescr(rel),
								 t->sort_att - 1)->atttypid;
	if (visible != NULL)
		t->visible = MemoryContextStrdup(targets_cxt, visible);
	relation_close(rel, AccessShareLock);
}

/*
 * Read the registry into the cache, in a snapshot taken now: what the last
 * invalidation announced is committed.  A schema of version 1.1 or older
 * has no registry: posts is its only target.  The registry is read directly, not
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
	static const char *const names[7] = {
		"target", "association", "counts", "count_deltas", "visible",
		"sort_column", "builtin"
	};
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
		/* a schema older than 1.2: posts alone, as 1.2 registers it */
		add_target(tags_table_id("posts"), tags_table_id("post_tags"),
				   tags_table_id("tag_post_counts"),
				   tags_table_id("tag_post_count_deltas"),
				   TAGS_BUILTIN_VISIBLE, "created_at", true);
		targets_valid = true;
		return;
	}

	registry = table_open(targets_registry, AccessShareLock);
	rdesc = RelationGetDescr(registry);
	for (i = 0; i < 7; i++)
		atts[i] = tags_column_of(rdesc, names[i]);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	/* PostgreSQL 19 takes flags for the table AM; none here */
#if PG_VERSION_NUM >= 190000
	scan = table_beginscan(registry, snapshot, 0, NULL, SO_NONE);
#else
	scan = table_beginscan(registry, snapshot, 0, NULL);
#endif
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Datum		values[7];
		bool		nulls[7];

		for (i = 0; i < 7; i++)
			values[i] = heap_getattr(tuple, atts[i], rdesc, &nulls[i]);
		add_target(DatumGetObjectId(values[0]), DatumGetObjectId(values[1]),
				   DatumGetObjectId(values[2]), DatumGetObjectId(values[3]),
				   nulls[4] ? NULL : TextDatumGetCString(values[4]),
				   NameStr(*DatumGetName(values[5])),
				   DatumGetBool(values[6]));
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
	TargetCacheEntry *entry = target_entry(relid);

	if (entry == NULL)
		return false;
	check_not_broken(entry);
	*target = entry->target;
	return true;
}

/*
 * Whether the table relid is registered as a target, even one a change
 * broke, whose tables *target then names (its key and sort column do not):
 * what tags_enable() and tags_disable() need, the latter being the way out
 * that check_not_broken() names.  The caller must be connected to SPI.
 */
bool
tags_find_registration(Oid relid, TagsTarget *target)
{
	TargetCacheEntry *entry = target_entry(relid);

	if (entry == NULL)
		return false;
	*target = entry->target;
	return true;
}

/* The cache entry of the table relid, read anew if need be; NULL if none */
static TargetCacheEntry *
target_entry(Oid relid)
{
	if (!targets_current())
		load_targets();
	return hash_search(targets_cache, &relid, HASH_FIND, NULL);
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
 * The target regclass argument 0 (22004 if NULL, 22023 if no target).  The
 * caller must be connected to SPI.
 */
void
tags_target_arg(FunctionCallInfo fcinfo, TagsTarget *target)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("target must not be null"));
	tags_get_target(PG_GETARG_OID(0), target);
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
 * Every target, the built-in posts first, as a palloc'd array; *count is
 * set.  Tag care and upkeep walk them in this order, so that two calls lock
 * the targets' rows in the same order.
 */
TagsTarget *
tags_all_targets(int *count)
{
	HASH_SEQ_STATUS status;
	TargetCacheEntry *entry;
	TagsTarget *targets;
	bool		builtin = false;
	int			n = 1;

	if (!targets_current())
		load_targets();
	targets = palloc((hash_get_num_entries(targets_cache) + 1) *
					 sizeof(TagsTarget));
	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		check_not_broken(entry);
		if (entry->target.builtin)
		{
			targets[0] = entry->target;
			builtin = true;
		}
		else
			targets[n++] = entry->target;
	}
	if (!builtin)
	{
		/* a registry whose row of posts someone deleted by hand */
		memmove(targets, targets + 1, (n - 1) * sizeof(TagsTarget));
		n--;
	}
	*count = n;
	return targets;
}

/*
 * The built-in target posts, which every schema has (at versions older
 * than 1.2 without a registry): what the 1.0 functions work on.  The
 * caller must be connected to SPI.
 */
void
tags_builtin_target(TagsTarget *target)
{
	tags_get_target(tags_table_id("posts"), target);
}

/*
 * Run a statement of a target as tags_execute() runs a statement of the
 * extension's own tables: its plan is kept by the plan cache for the
 * target, and made again when the target's tables change.
 */
uint64
tags_target_execute(const TagsTarget *target, const TagsStatement *stmt,
					Datum *values, const char *nulls, bool latest,
					bool read_only, long count)
{
	TargetCacheEntry *entry;

	if (!targets_current())
		load_targets();
	entry = hash_search(targets_cache, &target->relid, HASH_FIND, NULL);
	if (entry == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("table \"%s\" is no longer a tag target",
					   get_rel_name(target->relid) ?
					   get_rel_name(target->relid) : "?"));
	return tags_execute_for_target(stmt, target->relid, build_target_sql,
								   &entry->target, values, nulls, latest,
								   read_only, count);
}

/* An item's key as text, for messages */
char *
tags_item_text(const TagsTarget *target, Datum key)
{
	Oid			out_func;
	bool		is_varlena;

	getTypeOutputInfo(target->key_type, &out_func, &is_varlena);
	return OidOutputFunctionCall(out_func, key);
}

/*
 * An item as messages name it: "item 7 of table "articles"", or, on posts,
 * "post 42", as 1.0 named its posts
 */
char *
tags_item_name(const TagsTarget *target, Datum key)
{
	if (target->builtin)
		return psprintf("post %s", tags_item_text(target, key));
	return psprintf("item %s of table \"%s\"", tags_item_text(target, key),
					get_rel_name(target->relid));
}

/*
 * The schema-qualified, quoted name of a relation
 */
char *
tags_qualified_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	if (relname == NULL || nspname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	return quote_qualified_identifier(nspname, relname);
}

/*
 * The text of a target's statement (arg is the TagsTarget), for the plan
 * cache: its template (stmt's sql, or its sql_1_0) with the names of the target's tables and columns of
 * the moment put in, quoted:
 *	  @extschema@	the extension's schema
 *	  @target@		the target table, t in every statement
 *	  @key@			its primary key column
 *	  @assoc@		its association table, a
 *	  @item@		the association's item column (item_id; post_id)
 *	  @visible@		its copy of the item's visibility (item_visible)
 *	  @sort@		its copy of the item's sort value (item_sort)
 *	  @counts@, @count@  the folded counts and their column (item_count)
 *	  @deltas@		the pending count deltas
 * A parameter of type ITEM_KEY_TYPE or ITEM_SORT_TYPE takes the type of the
 * target's key or sort column, one of ITEM_KEY_ARRAY_TYPE or
 * ITEM_SORT_ARRAY_TYPE an array of it.
 */
static const char *
build_target_sql(const TagsStatement *stmt, const char *template,
				 const void *arg, Oid *argtypes)
{
	const TagsTarget *t = arg;
	char	   *sql;
	int			i;

	for (i = 0; i < stmt->nargs; i++)
		argtypes[i] = stmt->argtypes[i] == ITEM_KEY_TYPE ? t->key_type :
			stmt->argtypes[i] == ITEM_SORT_TYPE ? t->sort_type :
			stmt->argtypes[i] == ITEM_KEY_ARRAY_TYPE ? get_array_type(t->key_type) :
			stmt->argtypes[i] == ITEM_SORT_ARRAY_TYPE ? get_array_type(t->sort_type) :
			stmt->argtypes[i];

	sql = tags_substitute(template, "@extschema@",
						  quote_identifier(get_namespace_name(tags_schema())));
	sql = tags_substitute(sql, "@target@", tags_qualified_name(t->relid));
	sql = tags_substitute(sql, "@key@",
						  quote_identifier(get_attname(t->relid, t->key_att,
													   false)));
	sql = tags_substitute(sql, "@assoc@", tags_qualified_name(t->assoc));
	sql = tags_substitute(sql, "@counts@", tags_qualified_name(t->counts));
	sql = tags_substitute(sql, "@deltas@", tags_qualified_name(t->deltas));
	sql = tags_substitute(sql, "@item@", TAGS_ITEM_COLUMN(t->builtin));
	sql = tags_substitute(sql, "@visible@", TAGS_VISIBLE_COLUMN(t->builtin));
	sql = tags_substitute(sql, "@sort@", TAGS_SORT_COLUMN(t->builtin));
	sql = tags_substitute(sql, "@count@", TAGS_COUNT_COLUMN(t->builtin));
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
		/* read under the search path it was written under */
		Relation	rel = table_open(target->relid, AccessShareLock);
		int			nestlevel = NewGUCNestLevel();
		Expr	   *expr;
		MemoryContext old;

		tags_set_search_path_catalog();
		expr = (Expr *) tags_cook_visible(rel, entry->target.visible, false);
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
 * (see the file's banner).
 */
void
tags_set_search_path_catalog(void)
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
Node *
tags_cook_visible(Relation rel, const char *source, bool check)
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
	Oid			index = tags_primary_key_index(rel);
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
