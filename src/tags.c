/*-------------------------------------------------------------------------
 *
 * tags.c
 *	  Module set-up and settings of the tags extension.
 *
 * The extension keeps a blog's tags in three tables of its schema (posts,
 * tags, post_tags) and offers SQL functions, written in C, to find or
 * create tags by name, set and read a post's ordered tag list, count posts
 * per tag and page through a tag's posts.  See tags.h for the files.
 *
 * Settings:
 *	tags.max_tags_per_post	most tags one post may have (0: no limit)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "tags.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

int			tags_max_tags_per_post = 100;

/*
 * Module load callback: define the settings.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("tags.max_tags_per_post",
							"Sets the most tags one post may have.",
							"Zero means no limit.",
							&tags_max_tags_per_post,
							100,
							0,
							INT_MAX,
							PGC_USERSET,
							0,
							NULL,
							NULL,
							NULL);

	MarkGUCPrefixReserved("tags");
}
