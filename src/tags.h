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
 *					the tag counters
 *
 *-------------------------------------------------------------------------
 */
#ifndef TAGS_H
#define TAGS_H

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
	NUM_TAGS_STMTS
} TagsStmt;

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

/* tagging.c: the lock that direct writes of tags take, see there */
extern void tags_lock_direct_writes(void);

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

#endif							/* TAGS_H */
