/*-------------------------------------------------------------------------
 *
 * tags.h
 *	  Declarations shared by the files of the tags extension.
 *
 * The extension is split by concern:
 *	  tags.c		module set-up and settings
 *	  normalize.c	tag name normalization and slugs (ICU)
 *	  spi_cache.c	the extension's SQL statements, prepared once per backend
 *	  tagging.c		writes: get-or-create, a post's tag list, the tags trigger
 *	  queries.c		reads: a post's tags, counts, a tag's posts
 *	  care.c		tag care: synonyms, renames, merges and pruning
 *	  upkeep.c		triggers that keep post_tags' copies of its posts and
 *					the tag counters, and those of the targets
 *	  targets.c		the tables whose rows are tagged (1.2): the registry,
 *					tags_enable(), tags_disable(), their statements' plans
 *	  item_stmts.c	the statements run on a target
 *	  items.c		the functions on a target
 *	  guard.c		the refusal of changes pg_dump would lose
 *
 *-------------------------------------------------------------------------
 */
#ifndef TAGS_H
#define TAGS_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/spi.h"
#include "fmgr.h"

/* Longest tag name, in characters, after normalization (tags.name) */
#define TAGS_NAME_MAX_CHARS 100

/* Longest raw tag name normalized at all, in bytes */
#define TAGS_NAME_MAX_RAW_BYTES 65536

/* Longest base slug: leaves room for a "-N" suffix in tags.slug */
#define TAGS_SLUG_BASE_MAX_CHARS 90

/* Room for any slug of varchar(100), which is ASCII, and its NUL */
#define TAGS_SLUG_MAX_BYTES 101

/* tags.c: settings */
extern int	tags_max_tags_per_post;

/* normalize.c */
extern char *tags_normalize_cstring(const char *name, int len);
extern char *tags_slugify_cstring(const char *normalized);
extern void tags_check_name_length(const char *normalized);

/*
 * spi_cache.c: every statement the extension runs.  The SQL text of each is
 * in spi_cache.c, next to the parameter types it takes.
 */
typedef enum TagsStmt
{
	STMT_TAGS_BY_NAMES,			/* tags whose own name is in $1, locked */
	STMT_TAGS_BY_NAMES_UNLOCKED,	/* the same, not locked */
	STMT_TAGS_BY_SYNONYMS_LOCKED,	/* tags a synonym in $1 names, locked */
	STMT_TAGS_BY_SYNONYMS,		/* the same, not locked */
	STMT_TAGS_INSERT,			/* insert names $1 with slugs $2, skip existing */
	STMT_SLUGS_TAKEN,			/* slugs "b" and "b-..." for each base b in $1,
								 * held by tags other than $2 */
	STMT_SLUGS_OF_BASE,			/* the same for the one base $1 */
	STMT_POST_EXISTS,			/* the post $1, if it exists */
	STMT_POST_LOCK,				/* the post $1's visibility and date, locked
								 * against our writers */
	STMT_POST_TAG_IDS,			/* the post $1's associations, by tag id */
	STMT_POST_TAGS,				/* the post $1's tags in order */
	STMT_POST_TAGS_LOCKED,		/* the same, locked FOR KEY SHARE */
	STMT_POST_TAGS_APPLY,		/* post $1's tag ids become $2, then others
								 * unless $3 */
	STMT_POST_TAGS_REMOVE,		/* remove names $2 from post $1 */
	STMT_TAG_BY_SLUG,			/* the tag with slug $1 */
	STMT_TAG_COUNTS,			/* every tag with its post count, counters */
	STMT_TAG_COUNTS_TOP,		/* the first $1 of those */
	STMT_TAG_COUNTS_LIVE,		/* the first $1 (NULL: all), counted live */
	STMT_TAG_POSTS_PAGE,		/* tag $1's posts, offset $2, limit $3 */
	STMT_TAG_POSTS_AFTER,		/* tag $1's posts after ($2, $3), limit $4 */
	STMT_TAG_POST_COUNT,		/* number of tag $1's posts, counters */
	STMT_TAG_POST_COUNT_LIVE,	/* the same, counted live */
	STMT_TAGS_SEARCH,			/* the first $2 tags whose name starts with
								 * $1, most used first, counters */
	STMT_TAGS_SEARCH_LIVE,		/* the same, counted live */
	STMT_POST_KEY_SHARE,		/* post $1, locked FOR KEY SHARE */
	STMT_POST_COPY,				/* post $1's visibility and date */
	STMT_POST_LOCK_ALL,			/* post $1, locked FOR UPDATE */
	STMT_POST_COPY_TO_TAGS,		/* copy post $1 into its post_tags rows */
	STMT_POST_COPY_STALE,		/* post $1's post_tags rows not copied */
	STMT_DELTAS_ADD,			/* add deltas $2 to the counts of tags $1 */
	STMT_DELTAS_FOLD,			/* fold every delta into the counts */
	STMT_COUNTS_DROP_ZEROS,		/* drop the zero counts of tags $1 */
	STMT_COUNTS_CLEAR,			/* empty both counter tables */
	STMT_REBUILD_LOCK,			/* lock posts and post_tags against writes */
	STMT_REBUILD_COPIES,		/* copy every post into its post_tags rows */
	STMT_REBUILD_COUNTS,		/* count every tag's posts afresh */
	STMT_SYNONYMS_NAMED,		/* the synonyms among names $1, with their
								 * tags' names and slugs */
	STMT_SYNONYM_OF_NAME,		/* the same for the one name $1 */
	STMT_ALIAS_TAKEN,			/* the alias $1, unless of tag $2 */
	STMT_NAME_HOLDER,			/* the tag named $1, or whose synonym it is */
	STMT_TAG_ROW,				/* the tag $1 */
	STMT_TAG_LOCK_KEY_SHARE,	/* the tag $1, locked FOR KEY SHARE */
	STMT_TAG_LOCK_UPDATE,		/* the tag $1, locked FOR UPDATE */
	STMT_ALIAS_DROP_OWN,		/* the alias $1 of tag $2, which takes it back */
	STMT_SYNONYM_ADD,			/* make $1 a synonym of tag $2 */
	STMT_SYNONYM_REMOVE,		/* the synonym $1 no longer is one */
	STMT_TAG_RENAME,			/* tag $1 is named $2, with a new slug */
	STMT_ALIAS_ADD,				/* slug $2 becomes an alias of tag $1 */
	STMT_TAG_POSTS_LOCK,		/* the posts of tag $1, locked FOR UPDATE */
	STMT_TAGS_LOCK_PAIR,		/* tags $1 and $2, locked FOR UPDATE */
	STMT_MERGE_MOVE,			/* tag $1's associations go to tag $2 */
	STMT_MERGE_REPOINT,			/* tag $1's synonyms and aliases are $2's */
	STMT_MERGE_FINISH,			/* tag $1 becomes a synonym and an alias of
								 * tag $2 */
	STMT_PRUNE_CANDIDATES,		/* tags on no post, at least $1 old, locked
								 * unless a writer holds them */
	STMT_PRUNE_DELETE,			/* delete those of tags $1 on no post */
	STMT_TAGGED_IDS_BY_USE,		/* the tag ids of names $1, least used
								 * first, counters */
	STMT_TAGGED_IDS_BY_USE_LIVE,	/* the same, counted live */
	STMT_POSTS_TAGGED_ALL,		/* posts with every tag of $1, none of names
								 * $2, offset $3, limit $4 */
	STMT_POSTS_TAGGED_EXACT,	/* the same, with no other tag */
	STMT_POSTS_TAGGED_ANY,		/* posts with any of names $1, none of $2,
								 * most matching first */
	STMT_TAGS_RELATED,			/* the first $2 tags sharing most posts with
								 * tag $1 */
	STMT_TAGS_RELATED_LIVE,		/* the same, through posts */
	STMT_POSTS_RELATED,			/* the first $2 posts sharing most tags with
								 * post $1 */
	STMT_TARGET_ADD,			/* register a target */
	STMT_TARGETS_DROPPED,		/* forget the targets a DROP took a table of */
	NUM_TAGS_STMTS
} TagsStmt;

/*
 * A statement kept by a module of its own (the targets'), for
 * tags_execute_kept(): what a TagsSqlBuilder fills in, with the text it
 * returns, which it need only make when need_text.
 */
#define TAGS_MAX_ARGS 6

typedef struct TagsSql
{
	const char *name;			/* for errors, or NULL: then stmt */
	int			stmt;
	int			nargs;
	Oid			argtypes[TAGS_MAX_ARGS];
	int			cursor_options;
	int			expected_rc;
} TagsSql;

typedef char *(*TagsSqlBuilder) (void *arg, TagsSql *def, bool need_text);
typedef struct TagsKeptPlan TagsKeptPlan;

extern uint64 tags_execute_kept(TagsKeptPlan **slot, TagsSqlBuilder build,
								void *arg, Datum *values, const char *nulls,
								bool latest, bool read_only, long count);
extern void tags_forget_plan(TagsKeptPlan **slot);
extern char *tags_substitute(const char *template, const char *name,
							 const char *value);
extern Oid	tags_schema(void);

extern void tags_spi_connect(FunctionCallInfo fcinfo);
extern uint64 tags_execute(TagsStmt stmt, Datum *values, const char *nulls,
						   bool read_only, long count);
extern uint64 tags_execute_latest(TagsStmt stmt, Datum *values,
								  const char *nulls);
extern int	tags_result_column(const char *name);
extern void tags_put_spi_result(FunctionCallInfo fcinfo);
extern Oid	tags_table_id(const char *name);
extern Oid	tags_owner(void);

/* The user a function runs as, saved while it runs as another */
typedef struct TagsSavedUser
{
	Oid			userid;
	int			sec_context;
} TagsSavedUser;

extern void tags_become_owner(TagsSavedUser *saved);
extern void tags_restore_user(const TagsSavedUser *saved);

/* One distinct tag name of a call, and the tags row it resolves to */
typedef struct TagEntry
{
	char	   *name;			/* normalized, in the database encoding */
	char	   *slug;			/* base slug, then slug, of a missing tag */
	int			first;			/* index of its first appearance */
	int32		id;				/* the tag's id, once found */
	HeapTuple	tuple;			/* the tags row, once found, else NULL */
} TagEntry;

/* The distinct names of a call, sorted by name until sort_by_first() */
typedef struct TagList
{
	TagEntry   *entries;
	int			count;
	MemoryContext cxt;			/* the caller's memory, which outlives SPI's */
	TupleDesc	desc;			/* of the rows, in cxt */
} TagList;

extern TagList tags_collect_names(FunctionCallInfo fcinfo, int argno);
extern void tags_resolve_tags(TagList *list, bool lock);
extern void tags_sort_by_first(TagList *list);
extern int	tags_keep_first_of_each_tag(TagList *list);
extern int	tags_distinct_ids(Datum *ids, int count);
extern TagEntry *tags_find_entry(TagList *list, const char *name);
extern Datum tags_text_array(const char **strings, int count);
extern void tags_put_tag_list(FunctionCallInfo fcinfo, TagList *list);

/* tagging.c: the lock that direct writes of tags take, see there */
extern void tags_lock_direct_writes(void);

/* Largest page a caller may ask for */
#define TAGS_MAX_PAGE_SIZE 100

/* queries.c: the arguments the readers share, checked */
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
extern void tags_check_page_size(int32 page_size);
extern int32 tags_lim_arg(FunctionCallInfo fcinfo, int argno);
extern int32 tags_tag_id_by_slug(FunctionCallInfo fcinfo, int argno);
extern void tags_tagged_args(FunctionCallInfo fcinfo, int first,
							 TagsTaggedArgs *args);

/* queries.c: used by the writers to return a post's tags */
extern void tags_put_post_tags(FunctionCallInfo fcinfo, int32 post_id,
							   bool post_locked);
extern int32 tags_post_id_arg(FunctionCallInfo fcinfo, int argno);

/* tagging.c: a names argument, read for the readers of queries.c */
extern Datum tags_names_arg(FunctionCallInfo fcinfo, int argno, int *count);

/*
 * upkeep.c: what post_tags copies of a post (see upkeep.c), as a writer of
 * ours read it when it locked the post
 */
typedef struct TagsPostCopy
{
	int32		id;
	Datum		visible;		/* bool */
	Datum		created_at;		/* timestamptz */
	uint64		changes;		/* tags_post_changes() when it was read */
} TagsPostCopy;

extern void tags_execute_for_post(TagsStmt stmt, Datum *values,
								  const TagsPostCopy *post);
extern uint64 tags_post_changes(void);
extern void tags_check_before_row_trigger(FunctionCallInfo fcinfo,
										  const char *function);

/*
 * targets.c: the tables whose rows are tagged (1.2), as the registry
 * tag_targets describes them
 */
typedef struct TagsTarget
{
	Oid			relid;			/* the target */
	Oid			assoc;			/* its association table */
	Oid			counts;			/* its folded counts */
	Oid			deltas;			/* its pending count deltas */
	Oid			registry;		/* tag_targets */
	bool		builtin;		/* posts, whose tables name columns post_* */
	AttrNumber	key_att;		/* the primary key's one column */
	Oid			key_type;		/* its type; text for varchar */
	AttrNumber	sort_att;		/* the column pages sort by */
	Oid			sort_type;
	char	   *visible;		/* the visibility expression, or NULL; in the
								 * cache, which a copy may only test for NULL */
} TagsTarget;

/*
 * item_stmts.c: the statements run on a target, templates whose names
 * targets.c fills in for each
 */
typedef enum ItemStmt
{
	ITEM_EXISTS,				/* the item $1, if it exists */
	ITEM_LOCK,					/* the item $1 as a row, locked against our
								 * writers */
	ITEM_KEY_SHARE,				/* the item $1, locked FOR KEY SHARE */
	ITEM_ROW,					/* the item $1 as a row */
	ITEM_LOCK_ALL,				/* the item $1, locked FOR UPDATE */
	ITEM_TAG_IDS,				/* the item $1's associations, by tag id */
	ITEM_TAGS,					/* the item $1's tags in order */
	ITEM_TAGS_LOCKED,			/* the same, locked FOR KEY SHARE */
	ITEM_TAGS_APPLY,			/* item $1's tag ids become $2, then others
								 * unless $3 */
	ITEM_TAGS_REMOVE,			/* remove names $2 from item $1 */
	ITEM_COPY_TO_TAGS,			/* item $1's associations copy ($2, $3) */
	ITEM_COPY_STALE,			/* those that do not */
	ITEM_TAG_PAGE,				/* tag $1's items, offset $2, limit $3 */
	ITEM_TAG_AFTER,				/* tag $1's items after ($2, $3), limit $4 */
	ITEM_TAG_COUNT,				/* number of tag $1's items, counters */
	ITEM_TAG_COUNT_LIVE,		/* the same, counted live */
	ITEM_TAG_COUNTS,			/* every tag with its item count, counters */
	ITEM_TAG_COUNTS_TOP,		/* the first $1 of those */
	ITEM_TAG_COUNTS_LIVE,		/* the first $1 (NULL: all), counted live */
	ITEM_DELTAS_ADD,			/* add deltas $2 to the counts of tags $1 */
	ITEM_DELTAS_FOLD,			/* fold every delta into the counts */
	ITEM_COUNTS_DROP_ZEROS,		/* drop the zero counts of tags $1 */
	ITEM_COUNTS_CLEAR,			/* empty both counter tables */
	ITEM_TAGGED_IDS_BY_USE,		/* the tag ids of names $1, least used
								 * first, counters */
	ITEM_TAGGED_IDS_BY_USE_LIVE,	/* the same, counted live */
	ITEM_TAGGED_ALL,			/* items with every tag of $1, none of names
								 * $2, offset $3, limit $4 */
	ITEM_TAGGED_EXACT,			/* the same, with no other tag */
	ITEM_TAGGED_ANY,			/* items with any of names $1, none of $2 */
	ITEM_RELATED,				/* the first $2 items sharing most tags with
								 * item $1 */
	ITEM_TAG_ITEMS_LOCK,		/* the items of tag $1, locked FOR UPDATE */
	ITEM_MERGE_MOVE,			/* tag $1's associations go to tag $2 */
	ITEM_TAGS_IN_USE,			/* those of tags $1 that have an item */
	ITEM_REBUILD_LOCK,			/* lock the target and its associations
								 * against writes */
	ITEM_ROWS_AFTER,			/* the next $2 rows after key $1 (NULL: the
								 * first), in key order */
	ITEM_REBUILD_COUNTS,		/* count every tag's items afresh */
	NUM_ITEM_STMTS
} ItemStmt;

/* Parameter types that are the target's: its key's, its sort column's */
#define ITEM_KEY_TYPE ((Oid) 1)
#define ITEM_SORT_TYPE ((Oid) 2)

typedef struct TagsItemStmtDef
{
	const char *name;
	const char *sql;
	int			nargs;
	Oid			argtypes[TAGS_MAX_ARGS];
	int			cursor_options;
	int			expected_rc;
} TagsItemStmtDef;

extern const TagsItemStmtDef *tags_item_stmt_def(ItemStmt stmt);

extern bool tags_find_target(Oid relid, TagsTarget *target);
extern void tags_get_target(Oid relid, TagsTarget *target);
extern bool tags_find_target_by_association(Oid assoc, TagsTarget *target);
extern TagsTarget *tags_user_targets(int *count);
extern uint64 tags_target_execute(const TagsTarget *target, ItemStmt stmt,
								  Datum *values, const char *nulls,
								  bool latest, bool read_only, long count);
extern bool tags_item_visible(const TagsTarget *target, HeapTuple tuple,
							  TupleDesc desc);

/*
 * upkeep.c: what an association copies of its item, as a writer of ours
 * read it when it locked the item
 */
typedef struct TagsItemCopy
{
	Oid			target;
	Oid			assoc;			/* its association table */
	Datum		key;
	FmgrInfo   *key_eq;			/* the key type's equality (typcache) */
	bool		visible;
	Datum		sort;
	uint64		changes;		/* tags_item_changes() when it was read */
} TagsItemCopy;

extern void tags_read_item_copy(const TagsTarget *target, Datum key,
								TagsItemCopy *item);
extern void tags_execute_for_item(const TagsTarget *target, ItemStmt stmt,
								  Datum *values, const TagsItemCopy *item);
extern void tags_become_target_owner(const TagsTarget *target,
									 TagsSavedUser *saved);
extern int64 tags_fold_target_counts(void);
extern int	tags_column_of(TupleDesc desc, const char *name);

#endif							/* TAGS_H */
