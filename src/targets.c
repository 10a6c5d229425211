/*-------------------------------------------------------------------------
 *
 * targets.c
 *	  The tables whose rows are tagged (1.2): the registry tag_targets, with
 *	  the contexts of tag_contexts and the tenant vocabularies of
 *	  tag_vocabularies (1.3), the backend's cache of them, and a target's
 *	  visibility expression.
 *
 * Each backend keeps what the registry says in targets_cache, read again
 * whenever a relcache invalidation names a registry table or a table of a
 * target; the plans of the targets' statements are dropped then
 * (plan_cache.c keeps them by statement and by list).  Callers get a copy
 * of a target's description, one of its lists, never a pointer into the
 * cache, which user code called back from a statement may invalidate.
 *
 * A target has its own tag list and one per context, each a TagsTarget
 * with its association table and counters; a target with a tenant column
 * takes its tags from a tenant vocabulary, else from the shared tags.  The
 * visibility expression is evaluated in C, never pasted into a statement,
 * read under the search path it was written under (pg_catalog alone).
 * See doc/targets.md.
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
	TagsTarget	target;			/* its own list; strings in targets_cxt */
	int			ncontexts;
	TagsTarget *contexts;		/* its contexts' lists, in targets_cxt */
	char	   *broken;			/* why the target cannot be used, or NULL */
	Expr	   *visible_planned;	/* the visibility expression, planned,
									 * once used */
} TargetCacheEntry;

/* Most columns a registry table is read by */
#define TAGS_REGISTRY_MAX_COLUMNS 9

/* Enters one row of a registry table into the cache */
typedef void (*RegistryRowFunc) (Datum *values, bool *nulls);

static HTAB *targets_cache = NULL;
static MemoryContext targets_cxt = NULL;	/* holds it and what it points to */
static uint64 targets_generation = 0;	/* loads so far */
static bool targets_valid = false;
static Oid	targets_schema = InvalidOid;	/* the schema it was read from */
static Oid	targets_registry = InvalidOid;	/* tag_targets there, if any */
static Oid	contexts_registry = InvalidOid; /* tag_contexts there, if any */
static Oid	vocabularies_registry = InvalidOid; /* tag_vocabularies */
static TagsVocabulary shared_vocabulary;	/* the extension's tags */
static TagsVocabulary *vocabularies = NULL; /* the tenant vocabularies */
static int	nvocabularies = 0;
static Oid *distributed_tables = NULL;	/* by Citus, when it was read */
static int	ndistributed = 0;

static void invalidate_targets(Datum arg, Oid relid);
static bool names_list(const TagsTarget *t, Oid relid);
static void load_targets(void);
static void read_registry(Oid registry, const char *const *names, int ncolumns,
						  RegistryRowFunc add);
static void add_vocabulary(Datum *values, bool *nulls);
static void add_registered_target(Datum *values, bool *nulls);
static void add_context(Datum *values, bool *nulls);
static void add_target(Oid relid, Oid assoc, Oid counts, Oid deltas,
					   const char *visible, const char *sort_column,
					   bool builtin, const char *tenant_column,
					   Oid vocabulary);
static void forget_targets(void);
static void visible_error_callback(void *arg);
static AttrNumber key_column_of(Relation rel, AttrNumber tenant_att,
								bool *tenant_in_key);
static void check_not_broken(const TargetCacheEntry *entry);
static TargetCacheEntry *target_entry(Oid relid);
static TargetCacheEntry *entry_naming(Oid relid, TagsTarget **list);
static TargetCacheEntry *shard_entry(Oid shard);
static Oid	vocabulary_on_shards(const TagsVocabulary *v, Oid shard);
static void report_gone(Oid relid);

/*
 * Whether the relation relid is one of a list's tables
 */
static bool
names_list(const TagsTarget *t, Oid relid)
{
	return relid == t->relid || relid == t->assoc || relid == t->counts ||
		relid == t->deltas || relid == t->vocab.tags ||
		relid == t->vocab.synonyms || relid == t->vocab.aliases;
}

/*
 * Mark the cache stale if a relation it describes, or a registry table, is
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
	if (!OidIsValid(relid) || relid == targets_registry ||
		relid == contexts_registry || relid == vocabularies_registry)
	{
		targets_valid = false;
		return;
	}
	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		int			i;

		if (names_list(&entry->target, relid))
		{
			targets_valid = false;
			hash_seq_term(&status);
			return;
		}
		for (i = 0; i < entry->ncontexts; i++)
			if (names_list(&entry->contexts[i], relid))
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
	/* the hash, the strings, the lists and the expressions */
	MemoryContextDelete(targets_cxt);
	targets_cxt = NULL;
	targets_cache = NULL;
	vocabularies = NULL;
	nvocabularies = 0;
	distributed_tables = NULL;
	ndistributed = 0;
}

/*
 * Enter one vocabulary (a row of tag_vocabularies: tags, synonyms,
 * slug_aliases, tenant_type, NULL for a global vocabulary) into the cache
 */
static void
add_vocabulary(Datum *values, bool *nulls)
{
	TagsVocabulary *v;

	vocabularies = repalloc(vocabularies,
							(nvocabularies + 1) * sizeof(TagsVocabulary));
	v = &vocabularies[nvocabularies++];
	v->tags = DatumGetObjectId(values[0]);
	v->synonyms = DatumGetObjectId(values[1]);
	v->aliases = DatumGetObjectId(values[2]);
	v->tenant_type = nulls[3] ? InvalidOid : DatumGetObjectId(values[3]);
	v->global = nulls[3];
}

/*
 * Enter one row of tag_targets (target, association, counts, count_deltas,
 * visible, sort_column, builtin, tenant_column, vocabulary) into the cache
 */
static void
add_registered_target(Datum *values, bool *nulls)
{
	Oid			relid = DatumGetObjectId(values[0]);
	Oid			assoc = DatumGetObjectId(values[1]);
	TargetCacheEntry *entry;
	bool		assoc_distributed = false;
	int			i;

	add_target(relid, assoc,
			   DatumGetObjectId(values[2]), DatumGetObjectId(values[3]),
			   nulls[4] ? NULL : TextDatumGetCString(values[4]),
			   NameStr(*DatumGetName(values[5])),
			   DatumGetBool(values[6]),
			   nulls[7] ? NULL : NameStr(*DatumGetName(values[7])),
			   nulls[8] ? InvalidOid : DatumGetObjectId(values[8]));

	/*
	 * A target Citus distributed after tags_enable(), or whose association
	 * table it did: its triggers would fire on shards no worker knows
	 */
	entry = hash_search(targets_cache, &relid, HASH_FIND, NULL);
	for (i = 0; i < ndistributed; i++)
		if (distributed_tables[i] == assoc)
			assoc_distributed = true;
	if (entry != NULL && entry->broken == NULL &&
		entry->target.distributed != assoc_distributed)
		entry->broken = MemoryContextStrdup(targets_cxt,
											"it or its association table was distributed by Citus after tags_enable()");
}

/*
 * Enter one target into the cache, with its own list.  A target a change
 * to its table broke is entered with why, reported when it is used.
 */
static void
add_target(Oid relid, Oid assoc, Oid counts, Oid deltas, const char *visible,
		   const char *sort_column, bool builtin, const char *tenant_column,
		   Oid vocabulary)
{
	TargetCacheEntry *entry;
	Relation	rel;
	TagsTarget *t;
	bool		found;
	int			i;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		return;					/* dropped, and being forgotten */
	entry = hash_search(targets_cache, &relid, HASH_ENTER, &found);
	entry->broken = NULL;
	entry->visible_planned = NULL;
	entry->ncontexts = 0;
	entry->contexts = NULL;
	t = &entry->target;
	memset(t, 0, sizeof(TagsTarget));
	t->relid = relid;
	t->table = relid;
	t->registry = targets_registry;
	t->assoc = assoc;
	t->counts = counts;
	t->deltas = deltas;
	t->builtin = builtin;
	t->vocab = shared_vocabulary;
	for (i = 0; i < nvocabularies; i++)
		if (vocabularies[i].tags == vocabulary)
			t->vocab = vocabularies[i];
	/* a global vocabulary now gone (Citus): not the shared tags either */
	if (tenant_column == NULL && OidIsValid(vocabulary) &&
		t->vocab.tags != vocabulary)
	{
		entry->broken = MemoryContextStrdup(targets_cxt,
											"its global vocabulary no longer exists");
		relation_close(rel, AccessShareLock);
		return;
	}
	if (tenant_column != NULL)
		t->tenant_att = get_attnum(relid, tenant_column);
	t->key_att = key_column_of(rel, t->tenant_att, &t->tenant_in_key);
	t->sort_att = get_attnum(relid, sort_column);
	if (t->key_att <= 0 || t->sort_att <= 0 ||
		(tenant_column != NULL &&
		 (t->tenant_att <= 0 || !TAGS_HAS_TENANTS(t))))
	{
		/* reported when the target is used (tags_find_target()) */
		entry->broken = MemoryContextStrdup(targets_cxt,
											t->sort_att <= 0 ?
											psprintf("its sort column \"%s\" does not exist", sort_column) :
											tenant_column != NULL && t->tenant_att <= 0 ?
											psprintf("its tenant column \"%s\" does not exist", tenant_column) :
											tenant_column != NULL && !TAGS_HAS_TENANTS(t) ?
											"its tenant vocabulary no longer exists" :
											"its primary key is no longer its key or its tenant and key");
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
	for (i = 0; i < ndistributed; i++)
		if (distributed_tables[i] == relid)
			t->distributed = true;
	relation_close(rel, AccessShareLock);
}

/*
 * Enter one row of tag_contexts (target, context, association, counts,
 * count_deltas) into the cache: a list of its target, which comes first
 */
static void
add_context(Datum *values, bool *nulls)
{
	Oid			relid = DatumGetObjectId(values[0]);
	TargetCacheEntry *entry = hash_search(targets_cache, &relid, HASH_FIND,
										  NULL);
	TagsTarget *t;

	if (entry == NULL)
		return;					/* its target was dropped */
	entry->contexts = entry->contexts == NULL ?
		MemoryContextAlloc(targets_cxt, sizeof(TagsTarget)) :
		repalloc(entry->contexts, (entry->ncontexts + 1) * sizeof(TagsTarget));
	t = &entry->contexts[entry->ncontexts++];
	*t = entry->target;
	namestrcpy(&t->context, TextDatumGetCString(values[1]));
	t->assoc = DatumGetObjectId(values[2]);
	t->counts = DatumGetObjectId(values[3]);
	t->deltas = DatumGetObjectId(values[4]);
}

/*
 * Read every row of a registry table, its columns by name (a column the
 * schema's version has not is NULL), and enter each with add.  Read
 * directly, not through SPI, so that loading the cache adds no statement
 * to a call, in a snapshot taken now: what the last invalidation announced
 * is committed.
 */
static void
read_registry(Oid registry, const char *const *names, int ncolumns,
			  RegistryRowFunc add)
{
	Relation	rel;
	TupleDesc	desc;
	Snapshot	snapshot;
	TableScanDesc scan;
	HeapTuple	tuple;
	int			atts[TAGS_REGISTRY_MAX_COLUMNS];
	int			i;

	Assert(ncolumns <= TAGS_REGISTRY_MAX_COLUMNS);
	if (!OidIsValid(registry))
		return;
	rel = table_open(registry, AccessShareLock);
	desc = RelationGetDescr(rel);
	for (i = 0; i < ncolumns; i++)
		atts[i] = tags_column_of(desc, names[i]);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	/* PostgreSQL 19 takes flags for the table AM; none here */
#if PG_VERSION_NUM >= 190000
	scan = table_beginscan(rel, snapshot, 0, NULL, SO_NONE);
#else
	scan = table_beginscan(rel, snapshot, 0, NULL);
#endif
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Datum		values[TAGS_REGISTRY_MAX_COLUMNS];
		bool		nulls[TAGS_REGISTRY_MAX_COLUMNS];

		for (i = 0; i < ncolumns; i++)
		{
			values[i] = (Datum) 0;
			nulls[i] = true;
			if (atts[i] > 0)
				values[i] = heap_getattr(tuple, atts[i], desc, &nulls[i]);
		}
		add(values, nulls);
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
}

/*
 * Read the registry into the cache: the tenant vocabularies, the targets,
 * then their contexts.  A schema of version 1.1 or older has no registry:
 * posts is its only target.
 */
static void
load_targets(void)
{
	static bool registered = false;
	static const char *const vocabulary_columns[] = {
		"tags", "synonyms", "slug_aliases", "tenant_type"
	};
	static const char *const target_columns[] = {
		"target", "association", "counts", "count_deltas", "visible",
		"sort_column", "builtin", "tenant_column", "vocabulary"
	};
	static const char *const context_columns[] = {
		"target", "context", "association", "counts", "count_deltas"
	};
	HASHCTL		ctl;
	MemoryContext old;

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
	contexts_registry = tags_table_id("tag_contexts");
	vocabularies_registry = tags_table_id("tag_vocabularies");
	shared_vocabulary.tags = tags_table_id("tags");
	shared_vocabulary.synonyms = tags_table_id("tag_synonyms");
	shared_vocabulary.aliases = tags_table_id("tag_slug_aliases");
	shared_vocabulary.tenant_type = InvalidOid;
	shared_vocabulary.global = false;

	old = MemoryContextSwitchTo(targets_cxt);
	vocabularies = palloc(sizeof(TagsVocabulary));
	nvocabularies = 0;
	MemoryContextSwitchTo(old);
	/* first: what Citus is asked may take invalidations in */
	distributed_tables = tags_citus_distributed_tables(targets_cxt,
													   &ndistributed);
	read_registry(vocabularies_registry, vocabulary_columns,
				  lengthof(vocabulary_columns), add_vocabulary);
	if (OidIsValid(targets_registry))
		read_registry(targets_registry, target_columns,
					  lengthof(target_columns), add_registered_target);
	else
	{
		/* a schema older than 1.2: posts alone, as 1.2 registers it */
		add_target(tags_table_id("posts"), tags_table_id("post_tags"),
				   tags_table_id("tag_post_counts"),
				   tags_table_id("tag_post_count_deltas"),
				   TAGS_BUILTIN_VISIBLE, "created_at", true, NULL,
				   InvalidOid);
	}
	read_registry(contexts_registry, context_columns,
				  lengthof(context_columns), add_context);
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
 * Fill *target with the own list of the table relid, as the registry says;
 * false if it is not a target.  The caller must be connected to SPI
 * (tags_spi_connect).
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
 * On a node of a Citus cluster: fill *target with the own list of the
 * shard of the target table in the shard group of vocabulary_shard, a
 * shard of the target's tenant vocabulary, as tags_find_target() fills it
 * for that shard; false if this node has none.  The shard groups the
 * cache has entered are looked at first: Citus' catalog is asked once.
 * The caller must be connected to SPI.
 */
bool
tags_find_target_beside(Oid table, Oid vocabulary_shard, TagsTarget *target)
{
	HASH_SEQ_STATUS status;
	TargetCacheEntry *entry;
	Oid			shard;

	if (!targets_current())
		load_targets();
	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (entry->target.table == table && entry->relid != table &&
			entry->target.vocab.tags == vocabulary_shard)
		{
			hash_seq_term(&status);
			check_not_broken(entry);
			*target = entry->target;
			return true;
		}
	shard = tags_citus_colocated_shard(vocabulary_shard, table);
	return OidIsValid(shard) && tags_find_target(shard, target) &&
		target->relid == shard && target->vocab.tags == vocabulary_shard;
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

/*
 * The cache entry of the table relid, read anew if need be; on a node of
 * a Citus cluster, relid may be a shard of a target; NULL if none
 */
static TargetCacheEntry *
target_entry(Oid relid)
{
	TargetCacheEntry *entry;

	if (!targets_current())
		load_targets();
	entry = hash_search(targets_cache, &relid, HASH_FIND, NULL);
	if (entry == NULL)
		entry = shard_entry(relid);
	return entry != NULL && entry->relid == relid ? entry : NULL;
}

/*
 * The entry one of whose lists has relid as its target, association
 * table, counts or deltas, and that list (*list), or NULL
 */
static TargetCacheEntry *
entry_naming(Oid relid, TagsTarget **list)
{
	HASH_SEQ_STATUS status;
	TargetCacheEntry *entry;

	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		int			i;

		if (relid == entry->target.relid || relid == entry->target.assoc ||
			relid == entry->target.counts || relid == entry->target.deltas)
		{
			*list = &entry->target;
			hash_seq_term(&status);
			return entry;
		}
		for (i = 0; i < entry->ncontexts; i++)
			if (relid == entry->contexts[i].assoc ||
				relid == entry->contexts[i].counts ||
				relid == entry->contexts[i].deltas)
			{
				*list = &entry->contexts[i];
				hash_seq_term(&status);
				return entry;
			}
	}
	return NULL;
}

/*
 * On a node of a Citus cluster, where a trigger fires on a shard of a
 * target's table (doc/citus.md): the entry of the target's shard in the
 * shard group of shard, made now from the target's and entered into the
 * cache, every table of it and of its vocabulary replaced by its shard of
 * that group on this node, so that the statements made for it run here,
 * on local tables.  A shard of a table not in the cache may be of a target
 * enabled since it was read: it is read again once.  NULL if shard is not
 * a shard of a target's table.
 */
static TargetCacheEntry *
shard_entry(Oid shard)
{
	Oid			table = tags_citus_table_of_shard(shard);
	TargetCacheEntry *entry;
	TagsTarget *list;
	TagsTarget	logical;
	TagsTarget *contexts;
	int			ncontexts;
	Oid			target_shard;
	int			i;

	if (!OidIsValid(table))
		return NULL;
	entry = entry_naming(table, &list);
	if (entry == NULL)
	{
		load_targets();
		entry = entry_naming(table, &list);
		if (entry == NULL)
			return NULL;
	}
	check_not_broken(entry);
	target_shard = table == entry->relid ? shard :
		tags_citus_colocated_shard(shard, entry->relid);
	if (!OidIsValid(target_shard))
		return NULL;
	if (hash_search(targets_cache, &target_shard, HASH_FIND, NULL) == NULL)
	{
		/* copies: entering the shard's entry may move nothing, but be safe */
		logical = entry->target;
		ncontexts = entry->ncontexts;
		contexts = palloc((ncontexts + 1) * sizeof(TagsTarget));
		memcpy(contexts, entry->contexts, ncontexts * sizeof(TagsTarget));
		add_target(target_shard,
				   tags_citus_colocated_shard(shard, logical.assoc),
				   tags_citus_colocated_shard(shard, logical.counts),
				   tags_citus_colocated_shard(shard, logical.deltas),
				   logical.visible,
				   get_attname(logical.relid, logical.sort_att, false),
				   logical.builtin,
				   logical.tenant_att > 0 ?
				   get_attname(logical.relid, logical.tenant_att, false) :
				   NULL,
				   TAGS_HAS_TENANTS(&logical) || logical.vocab.global ?
				   vocabulary_on_shards(&logical.vocab, shard) : InvalidOid);
		entry = hash_search(targets_cache, &target_shard, HASH_FIND, NULL);
		if (entry == NULL)
			return NULL;		/* the shard was dropped meanwhile */
		entry->target.table = logical.relid;
		for (i = 0; i < ncontexts; i++)
		{
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};

			/* target, context, association, counts, deltas */
			values[0] = ObjectIdGetDatum(target_shard);
			values[1] = CStringGetTextDatum(NameStr(contexts[i].context));
			values[2] = ObjectIdGetDatum(tags_citus_colocated_shard(shard,
																	contexts[i].assoc));
			values[3] = ObjectIdGetDatum(tags_citus_colocated_shard(shard,
																	contexts[i].counts));
			values[4] = ObjectIdGetDatum(tags_citus_colocated_shard(shard,
																	contexts[i].deltas));
			add_context(values, nulls);
		}
	}
	return hash_search(targets_cache, &target_shard, HASH_FIND, NULL);
}

/*
 * The vocabulary v on the shards of the group of shard on this node (a
 * tenant vocabulary's), or on this node's copies of its reference tables
 * (a global vocabulary's), entered into the cache if it is not there yet:
 * its tags table
 */
static Oid
vocabulary_on_shards(const TagsVocabulary *v, Oid shard)
{
	TagsVocabulary local;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int			i;

	local.tags = tags_citus_colocated_shard(shard, v->tags);
	for (i = 0; i < nvocabularies; i++)
		if (vocabularies[i].tags == local.tags)
			return local.tags;
	/* tags, synonyms, slug_aliases, tenant_type */
	values[0] = ObjectIdGetDatum(local.tags);
	values[1] = ObjectIdGetDatum(tags_citus_colocated_shard(shard, v->synonyms));
	values[2] = ObjectIdGetDatum(tags_citus_colocated_shard(shard, v->aliases));
	values[3] = ObjectIdGetDatum(v->tenant_type);
	nulls[3] = v->global;
	add_vocabulary(values, nulls);
	return local.tags;
}

/*
 * Raise 55000: the target a call is using was disabled, or changed, while
 * it ran (by user code called back, or a transaction that committed)
 */
static void
report_gone(Oid relid)
{
	ereport(ERROR,
			errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			errmsg("table \"%s\" is no longer a tag target, or changed",
				   get_rel_name(relid) ? get_rel_name(relid) : "?"),
			errdetail("It was disabled or changed while a function used it."));
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
	tags_get_target(tags_target_oid_arg(fcinfo), target);
}

/*
 * Switch *target, one of a target's lists, to the list named context (""
 * or NULL: the target's own), keeping the call's tenant; 22023 if the
 * target has no such context.
 */
void
tags_use_context(TagsTarget *target, const char *context)
{
	TargetCacheEntry *entry;
	bool		has_tenant = target->has_tenant;
	Datum		tenant = target->tenant;
	int			i;

	if (context == NULL)
		context = "";
	if (strcmp(NameStr(target->context), context) == 0)
		return;
	entry = target_entry(target->relid);
	if (entry == NULL)
		report_gone(target->relid);
	if (context[0] == '\0')
		*target = entry->target;
	else
	{
		for (i = 0; i < entry->ncontexts; i++)
			if (strcmp(NameStr(entry->contexts[i].context), context) == 0)
				break;
		if (i == entry->ncontexts)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("table \"%s\" has no tag context \"%s\"",
						   get_rel_name(target->relid), context),
					errhint("Add it with tags_add_context(), or name one of the target's contexts."));
		*target = entry->contexts[i];
	}
	target->has_tenant = has_tenant;
	target->tenant = tenant;
}

/*
 * The context of target's list as a text parameter of a statement, *value
 * and *null ('n' for the target's own list), as the functions the
 * coordinator of a Citus cluster calls on a worker take it
 */
void
tags_context_param(const TagsTarget *target, Datum *value, char *null)
{
	const char *context = NameStr(target->context);

	*value = CStringGetTextDatum(context);
	*null = context[0] == '\0' ? 'n' : ' ';
}

/*
 * Every list of the target relid, its own first, as a palloc'd array;
 * *count is set.  The caller must be connected to SPI.
 */
TagsTarget *
tags_target_lists(Oid relid, int *count)
{
	TargetCacheEntry *entry = target_entry(relid);
	TagsTarget *lists;
	int			i;

	if (entry == NULL)
	{
		*count = 0;
		return NULL;
	}
	check_not_broken(entry);
	lists = palloc((entry->ncontexts + 1) * sizeof(TagsTarget));
	lists[0] = entry->target;
	for (i = 0; i < entry->ncontexts; i++)
		lists[i + 1] = entry->contexts[i];
	*count = entry->ncontexts + 1;
	return lists;
}

/*
 * The list whose association table is assoc, a target's own or a
 * context's; false if there is none.
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
	{
		int			i;

		if (entry->target.assoc == assoc)
		{
			check_not_broken(entry);
			*target = entry->target;
			hash_seq_term(&status);
			return true;
		}
		for (i = 0; i < entry->ncontexts; i++)
			if (entry->contexts[i].assoc == assoc)
			{
				check_not_broken(entry);
				*target = entry->contexts[i];
				hash_seq_term(&status);
				return true;
			}
	}
	/* a shard of an association table, on a node of a Citus cluster */
	entry = shard_entry(assoc);
	if (entry != NULL)
	{
		TagsTarget *list;

		if (entry_naming(assoc, &list) == entry && list->assoc == assoc)
		{
			*target = *list;
			return true;
		}
	}
	return false;
}

/*
 * Every list of every target that takes its tags from the vocabulary whose
 * tags table is vocabulary (every target, if InvalidOid), the built-in
 * posts first, as a palloc'd array; *count is set.  Tag care and upkeep
 * walk them in this order, so that two calls lock the targets' rows in the
 * same order.
 */
TagsTarget *
tags_all_targets(Oid vocabulary, int *count)
{
	HASH_SEQ_STATUS status;
	TargetCacheEntry *entry;
	TagsTarget *targets;
	int			size = 8;
	int			n = 0;

	if (!targets_current())
		load_targets();
	targets = palloc(size * sizeof(TagsTarget));
	hash_seq_init(&status, targets_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		int			i;

		if (OidIsValid(vocabulary) && entry->target.vocab.tags != vocabulary)
			continue;
		check_not_broken(entry);
		if (n + entry->ncontexts + 1 > size)
		{
			size = 2 * (n + entry->ncontexts + 1);
			targets = repalloc(targets, size * sizeof(TagsTarget));
		}
		if (entry->target.builtin && n > 0)
		{
			/* posts first */
			memmove(targets + 1, targets, n * sizeof(TagsTarget));
			targets[0] = entry->target;
		}
		else
			targets[n] = entry->target;
		n++;
		for (i = 0; i < entry->ncontexts; i++)
			targets[n++] = entry->contexts[i];
	}
	*count = n;
	return targets;
}

/*
 * The built-in target posts, which every schema has (at versions older
 * than 1.2 without a registry): what the 1.0 functions work on, and the
 * shared tags' target when a function about tags is told none.  The caller
 * must be connected to SPI.
 */
void
tags_builtin_target(TagsTarget *target)
{
	tags_get_target(tags_table_id("posts"), target);
}

/*
 * The vocabulary whose tags table is tags, as a TagsTarget of no target
 * (relid InvalidOid) that names only it: what the trigger on a tags table
 * works with.  False if no vocabulary has that table.
 */
bool
tags_find_vocabulary(Oid tags, TagsTarget *vocabulary)
{
	Oid			table;
	int			pass;
	int			i;

	if (!targets_current())
		load_targets();
	memset(vocabulary, 0, sizeof(TagsTarget));
	if (tags == shared_vocabulary.tags)
	{
		vocabulary->vocab = shared_vocabulary;
		return true;
	}
	for (i = 0; i < nvocabularies; i++)
		if (vocabularies[i].tags == tags)
		{
			vocabulary->vocab = vocabularies[i];
			return true;
		}
	/*
	 * a shard of a tenant vocabulary's tags, on a node of a Citus cluster;
	 * the vocabulary may have been made since the cache was read
	 */
	table = tags_citus_table_of_shard(tags);
	for (pass = 0; OidIsValid(table) && pass < 2; pass++)
	{
		if (pass == 1)
			load_targets();
		for (i = 0; i < nvocabularies; i++)
			if (vocabularies[i].tags == table)
			{
				TagsVocabulary logical = vocabularies[i];

				vocabulary->vocab = logical;
				vocabulary->vocab.tags = vocabulary_on_shards(&logical, tags);
				for (i = 0; i < nvocabularies; i++)
					if (vocabularies[i].tags == vocabulary->vocab.tags)
						vocabulary->vocab = vocabularies[i];
				return true;
			}
	}
	return false;
}

/*
 * The list *target describes as the cache has it now, for building its
 * statements; NULL if the target is gone.  For a vocabulary alone, the
 * caller's own copy serves.
 */
const TagsTarget *
tags_cached_list(const TagsTarget *target)
{
	TargetCacheEntry *entry;
	int			i;

	if (!OidIsValid(target->relid))
		return target;
	entry = target_entry(target->relid);
	if (entry == NULL)
		return NULL;
	if (entry->target.assoc == target->assoc)
		return &entry->target;
	for (i = 0; i < entry->ncontexts; i++)
		if (entry->contexts[i].assoc == target->assoc)
			return &entry->contexts[i];
	return NULL;
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
	entry = target_entry(target->relid);
	if (entry == NULL || entry->target.visible == NULL)
		report_gone(target->relid);
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


/*
 * The column of rel's primary key that is its key within the tenant: the
 * key's one column, or, with a tenant column tenant_att, the other of the
 * two (tenant, key), which sets *tenant_in_key, or the one if the tenant is
 * not part of it.  0 if the key has another shape.
 */
static AttrNumber
key_column_of(Relation rel, AttrNumber tenant_att, bool *tenant_in_key)
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
	*tenant_in_key = form->indnkeyatts == 2;
	if (form->indnkeyatts == 1 && form->indkey.values[0] != tenant_att)
		att = form->indkey.values[0];
	else if (form->indnkeyatts == 2 && tenant_att > 0 &&
			 form->indkey.values[0] == tenant_att)
		att = form->indkey.values[1];
	else if (form->indnkeyatts == 2 && tenant_att > 0 &&
			 form->indkey.values[1] == tenant_att)
		att = form->indkey.values[0];
	ReleaseSysCache(tuple);
	return att;
}
