/*-------------------------------------------------------------------------
 *
 * tags.h
 *	  Declarations shared by the files of the tags extension.
 *
 * One concern per file; a file calls only files listed after it here, so
 * that no two files call each other:
 *	  merge_prune.c		tag care: merges and pruning
 *	  tag_names.c		tag care: synonyms and renames
 *	  target_setup.c	tags_enable(), tags_disable(), forgetting dropped
 *						targets
 *	  writers.c			an item's tag list, written: item_set_tags() ...,
 *						and on posts post_set_tags() ...
 *	  readers.c			an item's tags, a tag's items, items tagged,
 *						related items: item_get_tags() ..., and on posts
 *						post_get_tags() ...
 *	  tag_readers.c		search, related tags
 *	  counts.c			the item counts of tags: tag_item_counts() ...,
 *						and on posts tag_counts() ...
 *	  rebuild.c			tags_rebuild(): the copies and counters afresh
 *	  copies.c			the triggers that keep each association's copy of
 *						its post's or item's visibility and sort value
 *	  counters.c		the triggers that keep the tag counters, folding,
 *						and the statements of our writers
 *	  tags_trigger.c	the trigger on tags: direct writes of names, slugs
 *	  get_or_create.c	tags by name, found or created
 *	  slug_locks.c		slug choice, and every advisory-lock key
 *	  target_statements.c  the statements on a target or a vocabulary,
 *						with the call's tenant; naming items
 *	  targets.c			the registry of targets, contexts and
 *						vocabularies, its cache, visibility (1.2)
 *	  citus.c			what tags knows of Citus: distributing a
 *						target's tables, shards on a worker
 *	  args.c			argument checks, names arrays, trigger checks
 *	  spi_call.c		a call's SPI connection, schema, owner, results
 *	  plan_cache.c		prepare, keep, re-plan, execute
 *	  normalize.c		tag name normalization and slugs (ICU)
 *	  tags.c			module set-up and settings
 *	  guard.c			the refusal of changes pg_dump would lose (alone)
 *
 * The design is in doc/: concurrency.md, tables.md, plans.md, targets.md,
 * normalization.md, functions.md.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TAGS_H
#define TAGS_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/nodes.h"
#include "utils/relcache.h"

/* Longest tag name, in characters, after normalization (tags.name) */
#define TAGS_NAME_MAX_CHARS 100

/* Longest raw tag name normalized at all, in bytes */
#define TAGS_NAME_MAX_RAW_BYTES 65536

/* Longest base slug: leaves room for a "-N" suffix in tags.slug */
#define TAGS_SLUG_BASE_MAX_CHARS 90

/* Room for any slug of varchar(100), which is ASCII, and its NUL */
#define TAGS_SLUG_MAX_BYTES 101

/* Largest page a caller may ask for */
#define TAGS_MAX_PAGE_SIZE 100

/*
 * Calls whose form differs between the PostgreSQL versions tags builds on,
 * 15 to 19 (doc/versions.md).  Whether the current user owns a table: 16
 * replaced pg_class_ownercheck() with object_ownercheck().  The index of a
 * table's primary key, or InvalidOid: 18 asks whether a deferrable key
 * will do, and a target's will not, as earlier versions never returned one.
 * A file that uses tags_owns_table() includes catalog/pg_class.h,
 * miscadmin.h and utils/acl.h.
 */
#if PG_VERSION_NUM >= 160000
#define tags_owns_table(relid) \
	object_ownercheck(RelationRelationId, (relid), GetUserId())
#else
#define tags_owns_table(relid) pg_class_ownercheck((relid), GetUserId())
#endif
#if PG_VERSION_NUM >= 180000
#define tags_primary_key_index(rel) RelationGetPrimaryKeyIndex((rel), false)
#else
#define tags_primary_key_index(rel) RelationGetPrimaryKeyIndex(rel)
#endif

/* tags.c: settings */
extern int	tags_max_tags_per_post;
extern char *tags_tenant;
extern int	tags_fold_every;

/* normalize.c */
extern char *tags_normalize_cstring(const char *name, int len);
extern char *tags_slugify_cstring(const char *normalized);
extern void tags_check_name_length(const char *normalized);

/*
 * plan_cache.c: a statement the extension runs, defined beside the function
 * that runs it.  Its text is schema-independent: the extension's tables are
 * @extschema@.name, operators OPERATOR(pg_catalog.x), functions and types
 * pg_catalog-qualified, values only $n parameters.  A target's statement
 * names the target's tables and columns, its vocabulary's tables and its
 * tenant with placeholders (see target_statements.c), and may take
 * parameters of the type of the target's key or sort column, or of its
 * rows; a tenant target's take the tenant as one more.
 */
#define TAGS_MAX_ARGS 8
#define ITEM_KEY_TYPE ((Oid) 1)
#define ITEM_SORT_TYPE ((Oid) 2)
#define ITEM_KEY_ARRAY_TYPE ((Oid) 3)
#define ITEM_SORT_ARRAY_TYPE ((Oid) 4)
#define ITEM_ROW_TYPE ((Oid) 5)

typedef struct TagsStatement
{
	const char *name;			/* for errors */
	const char *sql;
	int			nargs;
	Oid			argtypes[TAGS_MAX_ARGS];
	int			cursor_options;
	int			expected_rc;	/* the SPI result it must give */
	const char *sql_1_0;		/* the text for a schema still at version 1.0,
								 * where it differs */
	bool		citus_fast_path;	/* on a distributed target, a query Citus
									 * plans on its fast path: it may be
									 * generic (doc/citus.md) */
} TagsStatement;

/*
 * In a target's statement template: the id of the tag whose name, or one
 * of whose synonyms, is n.name (in the tenant's vocabulary), or NULL
 */
#define TAG_ID_OF_NAME \
	"(SELECT tg.id FROM @tags@ tg" \
	"  WHERE @tenant:tg@ tg.name OPERATOR(pg_catalog.=) n.name" \
	"  UNION ALL" \
	"  SELECT s.tag_id FROM @synonyms@ s" \
	"  WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) n.name" \
	"  LIMIT 1)"

/* The ids of the tags the names of the text[] names are, as an int4[] */
#define TAG_IDS_OF_NAMES(names) \
	"ARRAY(SELECT " TAG_ID_OF_NAME \
	"      FROM pg_catalog.unnest(" names ") AS n(name))"

/*
 * Makes a target's statement from its template (stmt's sql, or sql_1_0 for
 * a schema at version 1.0): its text, its parameter types (room for
 * TAGS_MAX_ARGS + 1) and their number
 */
typedef const char *(*TagsSqlBuilder) (const TagsStatement *stmt,
									   const char *template, const void *arg,
									   Oid *argtypes, int *nargs,
									   int *cursor_options);

extern void tags_plans_for_schema(Oid schema, bool at_1_0);
extern uint64 tags_execute(const TagsStatement *stmt, Datum *values,
						   const char *nulls, bool read_only, long count);
extern uint64 tags_execute_latest(const TagsStatement *stmt, Datum *values,
								  const char *nulls);
extern uint64 tags_execute_for_target(const TagsStatement *stmt, Oid key,
									  TagsSqlBuilder build, const void *arg,
									  Datum *values, const char *nulls,
									  bool latest, bool read_only,
									  long count);
extern void tags_forget_target_plans(void);
extern char *tags_substitute(const char *template, const char *name,
							 const char *value);

/*
 * targets.c: the tables whose rows are tagged (1.2), as the registry
 * tag_targets describes them, and the vocabularies they take tags from
 * (1.3)
 */

/*
 * A vocabulary: the shared tags (the extension's tags, tag_synonyms,
 * tag_slug_aliases); a tenant vocabulary, whose tables hold the tags of
 * every tenant of its type, keyed by the tenant; or the global vocabulary
 * of a schema's distributed targets without tenants, reference tables on
 * Citus (tag_vocabularies)
 */
typedef struct TagsVocabulary
{
	Oid			tags;
	Oid			synonyms;
	Oid			aliases;
	Oid			tenant_type;	/* InvalidOid: no tenants */
	bool		global;			/* a global vocabulary */
} TagsVocabulary;

/*
 * One tag list of a target: its own (context ""), or a context's; and, in
 * a call, the tenant it is told.  A call holds a copy; the cache holds the
 * registry's.
 */
typedef struct TagsTarget
{
	Oid			relid;			/* the target; InvalidOid for a vocabulary
								 * alone (tags_find_vocabulary()) */
	Oid			table;			/* the table messages name: relid, or, where
								 * relid is a shard on a Citus node, its
								 * distributed table */
	Oid			assoc;			/* the list's association table */
	Oid			counts;			/* its folded counts */
	Oid			deltas;			/* its pending count deltas */
	Oid			registry;		/* tag_targets */
	bool		builtin;		/* posts, whose tables name columns post_* */
	NameData	context;		/* the list's name; "" for the target's own */
	AttrNumber	key_att;		/* the column of the key within the tenant */
	Oid			key_type;		/* its type; text for varchar */
	AttrNumber	sort_att;		/* the column pages sort by */
	Oid			sort_type;
	AttrNumber	tenant_att;		/* the tenant column, or 0 */
	bool		tenant_in_key;	/* the primary key is (tenant, key) */
	bool		distributed;	/* its tables are distributed by Citus */
	TagsVocabulary vocab;
	char	   *visible;		/* the visibility expression, or NULL; in the
								 * cache, which a copy may only test for NULL */
	bool		has_tenant;		/* the call's tenant (tags_set_tenant()), */
	Datum		tenant;			/* of the type vocab.tenant_type */
} TagsTarget;

/* Whether a target (or vocabulary) keeps each tenant's tags apart */
#define TAGS_HAS_TENANTS(t) OidIsValid((t)->vocab.tenant_type)

/*
 * Whether a target is distributed by Citus by its key, without tenants:
 * its vocabulary is a global one (reference tables), its counts kept per
 * shard group (doc/citus.md).  So also on a worker, of a shard's entry.
 */
#define TAGS_DISTRIBUTED_BY_KEY(t) ((t)->vocab.global)

/* Whether a target (on the coordinator) is distributed by its tenant */
#define TAGS_DISTRIBUTED_BY_TENANT(t) \
	((t)->distributed && TAGS_HAS_TENANTS(t))

/*
 * What posts' registration says of it (tags--1.1--1.2.sql), which a schema
 * older than 1.2 has no registry to say
 */
#define TAGS_BUILTIN_VISIBLE "status = 'published'::text AND deleted_at IS NULL"

/*
 * The columns of a target's association table and counts: posts' tables
 * name them after posts, as 1.0 made them
 */
#define TAGS_ITEM_COLUMN(builtin)		((builtin) ? "post_id" : "item_id")
#define TAGS_VISIBLE_COLUMN(builtin)	((builtin) ? "post_visible" : "item_visible")
#define TAGS_SORT_COLUMN(builtin)		((builtin) ? "post_created_at" : "item_sort")
#define TAGS_COUNT_COLUMN(builtin)		((builtin) ? "post_count" : "item_count")

/* spi_call.c */
extern void tags_spi_connect(FunctionCallInfo fcinfo);
extern Oid	tags_schema(void);
extern Oid	tags_table_id(const char *name);
extern int	tags_result_column(const char *name);
extern void tags_put_spi_result(FunctionCallInfo fcinfo);
extern Datum *tags_spi_first_column(uint64 *count);
extern HeapTupleHeader *tags_spi_row_array(int *count);
extern Datum tags_spi_result_array(Oid rowtype, MemoryContext cxt);
extern void tags_put_rows(FunctionCallInfo fcinfo, HeapTupleHeader *rows,
						  int count);

/* The user a function runs as, saved while it runs as another */
typedef struct TagsSavedUser
{
	Oid			userid;
	int			sec_context;
} TagsSavedUser;

extern void tags_become_owner(TagsSavedUser *saved);
extern void tags_become_target_owner(const TagsTarget *target,
									 TagsSavedUser *saved);
extern void tags_become_vocabulary_owner(const TagsTarget *target,
										 TagsSavedUser *saved);
extern void tags_restore_user(const TagsSavedUser *saved);

/* args.c: one distinct tag name of a call, and the tags row it resolves to */
typedef struct TagEntry
{
	char	   *name;			/* normalized, in the database encoding */
	char	   *slug;			/* base slug, then slug, of a missing tag */
	int			first;			/* index of its first appearance */
	int32		id;				/* the tag's id, once found */
	HeapTuple	tuple;			/* the tags row, once found, else NULL */
} TagEntry;

/* The distinct names of a call, sorted by name until sorted by first */
typedef struct TagList
{
	TagEntry   *entries;
	int			count;
	MemoryContext cxt;			/* the caller's memory, which outlives SPI's */
	TupleDesc	desc;			/* of the rows, in cxt */
} TagList;

extern TagList tags_collect_names(FunctionCallInfo fcinfo, int argno);
extern Datum tags_names_arg(FunctionCallInfo fcinfo, int argno, int *count);
extern TagEntry *tags_find_entry(TagList *list, const char *name);
extern void tags_sort_by_first(TagList *list);
extern int	tags_keep_first_of_each_tag(TagList *list);
extern int	tags_distinct_ids(Datum *ids, int count);
extern Datum tags_text_array(const char **strings, int count);

/* args.c: the arguments the readers share, checked */
typedef struct TagsTaggedArgs
{
	const char *match;			/* all, any or exact */
	Datum		names;			/* text[] of normalized names */
	int			nnames;
	Datum		exclude;		/* the same, to exclude */
	int			nexclude;
	int64		offset;
	int64		limit;
} TagsTaggedArgs;

extern int32 tags_int32_arg(FunctionCallInfo fcinfo, int argno,
							const char *what);
extern void tags_tenant_arg(FunctionCallInfo fcinfo, int argno,
							TagsTarget *target);
extern void tags_scope_args(FunctionCallInfo fcinfo, int tenant_argno,
							int context_argno, TagsTarget *target);
extern Oid	tags_row_table_arg(FunctionCallInfo fcinfo, int argno,
							   const char *name);
extern Datum tags_item_on_shard(FunctionCallInfo fcinfo, int context_argno,
								TagsTarget *target);
extern Datum tags_tag_on_shard(FunctionCallInfo fcinfo, Oid table,
							   int context_argno, TagsTarget *target);
extern void tags_vocabulary_args(FunctionCallInfo fcinfo, int target_argno,
								 int tenant_argno, int context_argno,
								 TagsTarget *target);
extern int32 tags_post_id_arg(FunctionCallInfo fcinfo, int argno);
extern void tags_check_page_size(int32 page_size);
extern int32 tags_lim_arg(FunctionCallInfo fcinfo, int argno);
extern void tags_tagged_args(FunctionCallInfo fcinfo, int first,
							 TagsTaggedArgs *args);
extern Oid	tags_target_oid_arg(FunctionCallInfo fcinfo);
extern const char *tags_text_arg(FunctionCallInfo fcinfo, int argno,
								 const char *what);
extern char *tags_name_arg(FunctionCallInfo fcinfo, int argno);
extern int32 tags_tag_id_by_slug(FunctionCallInfo fcinfo, int argno,
								 const TagsTarget *target);
extern int32 tags_tag_id_by_slug_latest(const TagsTarget *target,
										const char *slug);
extern void tags_check_before_row_trigger(FunctionCallInfo fcinfo,
										  const char *function);
extern int	tags_trigger_column(Relation rel, const char *name,
								const char *function);
extern int	tags_column_of(TupleDesc desc, const char *name);

/* target_statements.c */
extern uint64 tags_target_execute(const TagsTarget *target,
								  const TagsStatement *stmt, Datum *values,
								  const char *nulls, bool latest,
								  bool read_only, long count);
extern uint64 tags_vocabulary_execute(const TagsTarget *target,
									  const TagsStatement *stmt,
									  Datum *values, const char *nulls,
									  bool latest, bool read_only,
									  long count);
extern void tags_set_tenant(TagsTarget *target, Datum value, Oid type);
extern TagsTarget *tags_each_tenant(const TagsTarget *target,
									const TagsStatement *stmt, int *count);
extern char *tags_tenant_text(const TagsTarget *target);
extern char *tags_item_text(const TagsTarget *target, Datum key);
extern char *tags_item_name(const TagsTarget *target, Datum key);
extern Datum tags_lowest_sort(const TagsTarget *target);
extern char *tags_qualified_name(Oid relid);

/* targets.c */
extern bool tags_find_target(Oid relid, TagsTarget *target);
extern bool tags_find_registration(Oid relid, TagsTarget *target);
extern bool tags_find_target_beside(Oid table, Oid vocabulary_shard,
									TagsTarget *target);
extern void tags_get_target(Oid relid, TagsTarget *target);
extern void tags_target_arg(FunctionCallInfo fcinfo, TagsTarget *target);
extern void tags_use_context(TagsTarget *target, const char *context);
extern void tags_context_param(const TagsTarget *target, Datum *value,
							   char *null);
extern TagsTarget *tags_target_lists(Oid relid, int *count);
extern bool tags_find_target_by_association(Oid assoc, TagsTarget *target);
extern TagsTarget *tags_all_targets(Oid vocabulary, int *count);
extern void tags_builtin_target(TagsTarget *target);
extern bool tags_find_vocabulary(Oid tags, TagsTarget *vocabulary);
extern const TagsTarget *tags_cached_list(const TagsTarget *target);
extern bool tags_item_visible(const TagsTarget *target, HeapTuple tuple,
							  TupleDesc desc);
extern Node *tags_cook_visible(Relation rel, const char *source, bool check);
extern void tags_set_search_path_catalog(void);

/* citus.c */
typedef enum TagsCitusKind
{
	TAGS_CITUS_NONE,			/* not a table of Citus' */
	TAGS_CITUS_DISTRIBUTED,		/* distributed by hash of a column */
	TAGS_CITUS_OTHER			/* a reference, Citus local or single-shard
								 * table */
} TagsCitusKind;

extern bool tags_citus_installed(void);
extern bool tags_citus_on_worker(void);
extern TagsCitusKind tags_citus_table_kind(Oid relid, char **column);
extern Oid *tags_citus_distributed_tables(MemoryContext cxt, int *count);
extern void tags_citus_prepare_setup(bool by_key);
extern void tags_citus_sequential(void);
extern bool tags_citus_fast_path(void);
extern void tags_citus_distribute(Oid relid, const char *column,
								  const char *colocate_with);
extern void tags_citus_reference(Oid relid);
extern void tags_citus_run_on_workers(const char *sql);
extern Oid	tags_citus_table_of_shard(Oid relid);
extern Oid	tags_citus_colocated_shard(Oid shard, Oid relid);
extern Oid	tags_identity_sequence(Oid relid);

/* slug_locks.c */
extern void tags_assign_slugs(const TagsTarget *target, TagEntry **entries,
							  int count, bool direct, bool has_own_id,
							  int32 own_id);
extern void tags_lock_direct_writes(const TagsTarget *target);
extern void tags_lock_writes(const TagsTarget *target);
extern bool tags_lock_folding(const TagsTarget *target, bool wait);

/* get_or_create.c */
extern bool tags_find_all_tags(const TagsTarget *target, TagList *list,
							   bool lock);
extern void tags_resolve_tags(const TagsTarget *target, TagList *list,
							  bool lock);
extern bool tags_is_inserting(const TagsTarget *vocabulary, const char *name,
							  Datum slug);
extern void tags_put_tag_list(FunctionCallInfo fcinfo, TagList *list);

/*
 * copies.c: what an association copies of its item, as a writer of ours
 * read it when it locked the item
 */
typedef struct TagsItemCopy
{
	Oid			target;
	Oid			assoc;			/* its association table */
	Datum		key;
	FmgrInfo   *key_eq;			/* the key type's equality (typcache) */
	char	   *tenant;			/* its tenant as text, or NULL */
	bool		visible;
	Datum		sort;
	uint64		changes;		/* copies.c's count of item changes, then */
} TagsItemCopy;

/* counters.c */
extern void tags_execute_for_item(const TagsTarget *target,
								  const TagsStatement *stmt, Datum *values,
								  const TagsItemCopy *item);
extern const TagsItemCopy *tags_writer_item(void);
extern int64 tags_fold_item_counts(const TagsTarget *target, bool wait);
extern void tags_clear_counts(const TagsTarget *target);

/* copies.c */
extern void tags_read_item_copy(const TagsTarget *target, Datum key,
								TagsItemCopy *item);
extern void tags_item_copy_from_row(const TagsTarget *target, Datum key,
									SPITupleTable *rows, uint64 row,
									TagsItemCopy *item);
extern void tags_copy_items_into_associations(const TagsTarget *target,
											  Datum *params);

/* counts.c */
extern bool tags_item_counters_answer(const TagsTarget *target);

/* readers.c */
extern Datum tags_item_arg(FunctionCallInfo fcinfo, int argno,
						   const TagsTarget *target);
extern uint64 tags_read_item_tags(const TagsTarget *target, Datum key,
								  bool read_only);
extern void tags_put_item_tags(FunctionCallInfo fcinfo,
							   const TagsTarget *target, Datum key,
							   bool locked);

#endif							/* TAGS_H */
