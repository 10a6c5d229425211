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
#include "mb/pg_wchar.h"
#include "utils/guc.h"

#include "tags.h"

/*
 * From PostgreSQL 18 the module says its name and version, which
 * pg_get_loaded_modules() shows; the version is the default_version of
 * tags.control, the newest the library serves.
 */
#if PG_VERSION_NUM >= 180000
PG_MODULE_MAGIC_EXT(
					.name = "tags",
					.version = "1.3"
);
#else
PG_MODULE_MAGIC;
#endif

PG_FUNCTION_INFO_V1(tags_require_utf8);

void		_PG_init(void);

int			tags_max_tags_per_post = 100;
char	   *tags_tenant = NULL;
int			tags_fold_every = 4000;

/*
 * Module load callback: define the settings.  A tags.tenant set before
 * the library loaded (SET LOCAL tags.tenant = '42' as a transaction's
 * first statement) is kept: the definition takes over the placeholder.
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

	DefineCustomStringVariable("tags.tenant",
							   "Sets the tenant of the calls on a tenant target that pass none.",
							   "For applications that cannot pass the tenant argument; empty means none.",
							   &tags_tenant,
							   "",
							   PGC_USERSET,
							   0,
							   NULL,
							   NULL,
							   NULL);

	DefineCustomIntVariable("tags.fold_every",
							"Sets how many count deltas a backend inserts into a list before it folds them; a tenant's are folded once per that many on average.",
							"Fewer pending deltas make counts cheaper to read, more frequent folds make writes dearer.",
							&tags_fold_every,
							4000,
							1,
							INT_MAX,
							PGC_USERSET,
							0,
							NULL,
							NULL,
							NULL);

	MarkGUCPrefixReserved("tags");
}

/*
 * tags_require_utf8() RETURNS void
 *
 * Called once by the install script, then dropped: refuses a database
 * whose encoding is not UTF8.  Normalization can turn a name that such an
 * encoding holds into one it cannot hold ("µ" becomes U+03BC under NFKC,
 * which LATIN1 lacks), and SQL_ASCII does not say what its bytes mean.
 */
Datum
tags_require_utf8(PG_FUNCTION_ARGS)
{
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("extension \"tags\" requires a database with encoding UTF8"),
				errdetail("This database's encoding is %s.",
						  GetDatabaseEncodingName()),
				errhint("Create the database with ENCODING 'UTF8'."));
	PG_RETURN_VOID();
}
