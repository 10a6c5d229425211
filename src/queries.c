/*-------------------------------------------------------------------------
 *
 * queries.c
 *	  Reads: a post's tags, every tag's post count, and a tag's posts.
 *
 * Only published posts that are not soft-deleted (deleted_at IS NULL) are
 * counted or listed: a draft, an archived or a deleted post keeps its tags,
 * but they do not show.  Each function runs a fixed number of statements.
 * The counts come from the counters and the pages off an index, both kept
 * by the triggers of upkeep.c.
 *
 * The readers take no locks and run their statements read-only, in the
 * caller's snapshot, so they see the tags as of the start of the statement
 * (READ COMMITTED) or of the transaction (REPEATABLE READ and SERIALIZABLE).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/rls.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(post_get_tags);
PG_FUNCTION_INFO_V1(tag_counts);
PG_FUNCTION_INFO_V1(tag_counts_top);
PG_FUNCTION_INFO_V1(posts_by_tag);
PG_FUNCTION_INFO_V1(posts_by_tag_after);
PG_FUNCTION_INFO_V1(tag_post_count);
PG_FUNCTION_INFO_V1(tags_search);
PG_FUNCTION_INFO_V1(posts_tagged);
PG_FUNCTION_INFO_V1(tags_related);
PG_FUNCTION_INFO_V1(posts_related);


static bool counters_answer(void);
static void put_tag_counts(FunctionCallInfo fcinfo, Datum *top);
static Datum tag_ids_by_use(Datum names);

/* Raise 22004 if an argument is NULL; return it */
int32
tags_int32_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("%s must not be null", what));
	return PG_GETARG_INT32(argno);
}

/*
 * The post id argument argno, which must not be NULL.
 */
int32
tags_post_id_arg(FunctionCallInfo fcinfo, int argno)
{
	return tags_int32_arg(fcinfo, argno, "post id");
}

/*
 * Put a post's tags, in order, into the result set of fcinfo.  The caller
 * must be connected to SPI.  A writer has locked the post (post_locked): it
 * exists, and the statement must see the writer's changes.  A reader reads
 * in its snapshot, and learns here whether the post exists (P0002).
 */
void
tags_put_post_tags(FunctionCallInfo fcinfo, int32 post_id, bool post_locked)
{
	Datum		param = Int32GetDatum(post_id);

	if (tags_execute(STMT_POST_TAGS, &param, NULL, !post_locked, 0) > 0)
		tags_put_spi_result(fcinfo);
	else if (!post_locked &&
			 tags_execute(STMT_POST_EXISTS, &param, NULL, true, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("post %d does not exist", post_id));
}

/*
 * The id of the tag whose slug is the text argument argno, or P0002.  The
 * caller must be connected to SPI.
 */
int32
tags_tag_id_by_slug(FunctionCallInfo fcinfo, int argno)
{
	Datum		param;
	bool		isnull;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("slug must not be null"));
	param = PG_GETARG_DATUM(argno);
	if (tags_execute(STMT_TAG_BY_SLUG, &param, NULL, true, 1) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" does not exist",
					   TextDatumGetCString(param)));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * post_get_tags(post_id integer) RETURNS SETOF tags
 *
 * The post's tags in the order they were given, those without a position
 * last.  Reads in the caller's snapshot and locks nothing.
 */
Datum
post_get_tags(PG_FUNCTION_ARGS)
{
	int32		post_id = tags_post_id_arg(fcinfo, 0);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_put_post_tags(fcinfo, post_id, false);
	SPI_finish();
	return (Datum) 0;
}

/*
 * Whether the counters may answer for the caller: it may read the three
 * tables, and row-level security hides none of their rows from it.  Else
 * the posts are counted live, as the caller, by the join the counters
 * stand for, so that it counts what it may see, or gets the error it would
 * get from reading the tables.
 */
static bool
counters_answer(void)
{
	static const char *const tables[] = {"posts", "tags", "post_tags"};
	int			i;

	for (i = 0; i < lengthof(tables); i++)
	{
		Oid			relid = tags_table_id(tables[i]);

		if (!OidIsValid(relid) ||
			pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
			check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
			return false;
	}
	return true;
}

/*
 * Put every tag with its count into the result set of fcinfo, most used
 * first, then by name; only the first top if top is not NULL.
 */
static void
put_tag_counts(FunctionCallInfo fcinfo, Datum *top)
{
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	if (counters_answer())
	{
		TagsSavedUser saved;

		tags_become_owner(&saved);
		if (top == NULL)
			tags_execute(STMT_TAG_COUNTS, NULL, NULL, true, 0);
		else
			tags_execute(STMT_TAG_COUNTS_TOP, top, NULL, true, 0);
		tags_restore_user(&saved);
	}
	else
	{
		Datum		all = (Datum) 0;

		tags_execute(STMT_TAG_COUNTS_LIVE, top ? top : &all, top ? NULL : "n",
					 true, 0);
	}
	tags_put_spi_result(fcinfo);
	SPI_finish();
}

/*
 * tag_counts() RETURNS TABLE (id, name, slug, post_count)
 *
 * Every tag, a tag without visible posts with 0, most used first, then by
 * name.  Reads the counters: one row per tag, whatever the number of posts.
 */
Datum
tag_counts(PG_FUNCTION_ARGS)
{
	put_tag_counts(fcinfo, NULL);
	return (Datum) 0;
}

/*
 * tag_counts(top integer) RETURNS TABLE (id, name, slug, post_count)
 *
 * The first top rows of tag_counts(), read off the index of the folded
 * counts: the cost grows with top, not with the number of tags.
 */
Datum
tag_counts_top(PG_FUNCTION_ARGS)
{
	int32		top = tags_int32_arg(fcinfo, 0, "top");
	Datum		param = Int32GetDatum(top);

	if (top < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("top must not be negative"));
	if (top == 0)
	{
		InitMaterializedSRF(fcinfo, 0);
		return (Datum) 0;
	}
	put_tag_counts(fcinfo, &param);
	return (Datum) 0;
}

/* Raise 22023 unless page_size is a page size a caller may ask for */
void
tags_check_page_size(int32 page_size)
{
	if (page_size < 1 || page_size > TAGS_MAX_PAGE_SIZE)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page size must be between 1 and %d",
					   TAGS_MAX_PAGE_SIZE));
}

/*
 * posts_by_tag(slug text, page integer, page_size integer) RETURNS SETOF posts
 *
 * Page 1 is the newest posts.  The offset is computed in 64 bits, so no page
 * number overflows it; a page past the end is empty.  Read off the index of
 * the tag's visible posts: page 1 costs the same for every tag, page n
 * grows with n (see posts_by_tag_after()).
 */
Datum
posts_by_tag(PG_FUNCTION_ARGS)
{
	int32		page = tags_int32_arg(fcinfo, 1, "page");
	int32		page_size = tags_int32_arg(fcinfo, 2, "page size");
	Datum		params[3];

	if (page < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page must be at least 1"));
	tags_check_page_size(page_size);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0));
	params[1] = Int64GetDatum((int64) (page - 1) * page_size);
	params[2] = Int64GetDatum((int64) page_size);
	tags_execute(STMT_TAG_POSTS_PAGE, params, NULL, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * posts_by_tag_after(slug text, after_created_at timestamptz,
 *					  after_id integer, page_size integer) RETURNS SETOF posts
 *
 * The page that follows the post (after_created_at, after_id), in the order
 * of posts_by_tag(): pass the created_at and id of the last post of the
 * page before; both NULL give the first page.  The post need not exist any
 * more.  Each page costs the same however deep it is.
 */
Datum
posts_by_tag_after(PG_FUNCTION_ARGS)
{
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	Datum		params[4];

	tags_check_page_size(page_size);
	if (PG_ARGISNULL(1) != PG_ARGISNULL(2))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("after_created_at and after_id must both be null or both be given"));

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0));
	if (PG_ARGISNULL(1))
	{
		params[1] = Int64GetDatum(0);
		params[2] = Int64GetDatum((int64) page_size);
		tags_execute(STMT_TAG_POSTS_PAGE, params, NULL, true, 0);
	}
	else
	{
		params[1] = PG_GETARG_DATUM(1);
		params[2] = PG_GETARG_DATUM(2);
		params[3] = Int64GetDatum((int64) page_size);
		tags_execute(STMT_TAG_POSTS_AFTER, params, NULL, true, 0);
	}
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * tag_post_count(slug text) RETURNS bigint
 *
 * The number of the tag's visible posts: the total that posts_by_tag()
 * pages through, read from the counters.
 */
Datum
tag_post_count(PG_FUNCTION_ARGS)
{
	Datum		param;
	bool		isnull;
	int64		count;

	tags_spi_connect(fcinfo);
	param = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0));
	if (counters_answer())
	{
		TagsSavedUser saved;

		tags_become_owner(&saved);
		tags_execute(STMT_TAG_POST_COUNT, &param, NULL, true, 0);
		tags_restore_user(&saved);
	}
	else
		tags_execute(STMT_TAG_POST_COUNT_LIVE, &param, NULL, true, 0);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(count);
}

/*
 * tags_search(prefix text, lim integer) RETURNS SETOF tags
 *
 * Autocomplete: at most lim tags whose name starts with the normalized
 * prefix, most used first, then by name.  The names are read off the
 * unique index of name.  A prefix that normalizes to nothing, or that no
 * name could start with (longer than a name), matches no tag.
 */
Datum
tags_search(PG_FUNCTION_ARGS)
{
	int32		lim = tags_int32_arg(fcinfo, 1, "lim");
	text	   *prefix;
	char	   *normalized;
	Datum		params[2];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("prefix must not be null"));
	if (lim < 1 || lim > TAGS_MAX_PAGE_SIZE)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("lim must be between 1 and %d", TAGS_MAX_PAGE_SIZE));

	InitMaterializedSRF(fcinfo, 0);
	prefix = PG_GETARG_TEXT_PP(0);
	if (VARSIZE_ANY_EXHDR(prefix) > TAGS_NAME_MAX_RAW_BYTES)
		return (Datum) 0;
	normalized = tags_normalize_cstring(VARDATA_ANY(prefix),
										VARSIZE_ANY_EXHDR(prefix));
	if (normalized[0] == '\0' ||
		pg_mbstrlen(normalized) > TAGS_NAME_MAX_CHARS)
		return (Datum) 0;

	params[0] = CStringGetTextDatum(normalized);
	params[1] = Int32GetDatum(lim);
	tags_spi_connect(fcinfo);
	if (counters_answer())
	{
		TagsSavedUser saved;

		tags_become_owner(&saved);
		tags_execute(STMT_TAGS_SEARCH, params, NULL, true, 0);
		tags_restore_user(&saved);
	}
	else
		tags_execute(STMT_TAGS_SEARCH_LIVE, params, NULL, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * The argument lim, which must be between 1 and TAGS_MAX_PAGE_SIZE
 * (22004, 22023)
 */
int32
tags_lim_arg(FunctionCallInfo fcinfo, int argno)
{
	int32		lim = tags_int32_arg(fcinfo, argno, "lim");

	if (lim < 1 || lim > TAGS_MAX_PAGE_SIZE)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("lim must be between 1 and %d", TAGS_MAX_PAGE_SIZE));
	return lim;
}

/*
 * The distinct ids of the tags the normalized names (a text[]) resolve to,
 * least used first, as an int4[] in SPI's memory; or (Datum) 0 if a name
 * is no tag.  The caller must be connected to SPI.  The counters order
 * them when they answer for the caller (read as their owner: the order is
 * all that comes of them); else a count of each tag's listed associations,
 * capped, does.
 */
static Datum
tag_ids_by_use(Datum names)
{
	Datum	   *ids;
	uint64		n;
	uint64		i;

	if (counters_answer())
	{
		TagsSavedUser saved;

		tags_become_owner(&saved);
		n = tags_execute(STMT_TAGGED_IDS_BY_USE, &names, NULL, true, 0);
		tags_restore_user(&saved);
	}
	else
		n = tags_execute(STMT_TAGGED_IDS_BY_USE_LIVE, &names, NULL, true, 0);

	ids = palloc(Max(n, 1) * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
							   1, &isnull);
		if (isnull)
			return (Datum) 0;
	}
	return PointerGetDatum(construct_array(ids, (int) n, INT4OID,
										   sizeof(int32), true,
										   TYPALIGN_INT));
}

/*
 * The arguments of posts_tagged() and items_tagged(), from argument first
 * on: names, match, exclude, page and page size, checked (22004, 22023)
 */
void
tags_tagged_args(FunctionCallInfo fcinfo, int first, TagsTaggedArgs *args)
{
	int32		page;
	int32		page_size;

	if (PG_ARGISNULL(first))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("tag names must not be null"));
	if (PG_ARGISNULL(first + 1))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("match must not be null"));
	args->match = TextDatumGetCString(PG_GETARG_DATUM(first + 1));
	if (strcmp(args->match, "all") != 0 && strcmp(args->match, "any") != 0 &&
		strcmp(args->match, "exact") != 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("unrecognized match \"%s\"", args->match),
				errhint("Valid values are \"all\", \"any\" and \"exact\"."));
	page = tags_int32_arg(fcinfo, first + 3, "page");
	page_size = tags_int32_arg(fcinfo, first + 4, "page size");
	if (page < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page must be at least 1"));
	tags_check_page_size(page_size);
	args->names = tags_names_arg(fcinfo, first, &args->nnames);
	args->exclude = tags_names_arg(fcinfo, first + 2, &args->nexclude);
	args->offset = (int64) (page - 1) * page_size;
	args->limit = page_size;
}

/*
 * posts_tagged(names text[], match text, exclude text[], page integer,
 *				page_size integer) RETURNS SETOF posts
 *
 * One page of the listed posts that have every one of the names ('all'),
 * at least one ('any'), or exactly these tags ('exact'), and none of the
 * names in exclude.  Names are read as every names array is; a name that
 * is no tag is on no post, so it leaves 'all' and 'exact' empty and counts
 * for nothing in 'any' and exclude.  No names at all give no rows.
 *
 * Two statements at most, whatever the number of names.  'all' and
 * 'exact' first resolve the names to tag ids ordered least used first
 * (tag_ids_by_use()), then read the least used tag's posts off its index in
 * page order, as posts_by_tag() does, and check each one's tags through the
 * primary key: a page stops when it is full, and each post costs one
 * descent of the primary key, however many names there are.  'any' orders
 * by the number of names a post has, which needs every listed post of
 * every named tag: one statement that counts them.
 */
Datum
posts_tagged(PG_FUNCTION_ARGS)
{
	TagsTaggedArgs args;
	Datum		params[4];

	tags_tagged_args(fcinfo, 0, &args);
	/* $1 names or tag ids, $2 names to exclude, $3 offset, $4 limit */
	params[1] = args.exclude;
	params[2] = Int64GetDatum(args.offset);
	params[3] = Int64GetDatum(args.limit);

	InitMaterializedSRF(fcinfo, 0);
	if (args.nnames == 0)
		return (Datum) 0;
	tags_spi_connect(fcinfo);
	if (strcmp(args.match, "any") == 0)
	{
		params[0] = args.names;
		tags_execute(STMT_POSTS_TAGGED_ANY, params, NULL, true, 0);
		tags_put_spi_result(fcinfo);
	}
	else
	{
		params[0] = tag_ids_by_use(args.names);
		if (params[0] != (Datum) 0)
		{
			tags_execute(strcmp(args.match, "all") == 0 ?
						 STMT_POSTS_TAGGED_ALL : STMT_POSTS_TAGGED_EXACT,
						 params, NULL, true, 0);
			tags_put_spi_result(fcinfo);
		}
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * tags_related(slug text, lim integer)
 *		RETURNS TABLE (id, name, slug, shared_posts)
 *
 * The lim tags that are on the most of the tag's listed posts, with that
 * number, then by name; the tag itself is not among them.  It reads every
 * listed post of the tag and each one's tags: the cost grows with the
 * tag's posts.  posts is joined only where row-level security, or missing
 * privileges, may make it matter (see counters_answer()).
 */
Datum
tags_related(PG_FUNCTION_ARGS)
{
	int32		lim = tags_lim_arg(fcinfo, 1);
	Datum		params[2];

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 0));
	params[1] = Int32GetDatum(lim);
	tags_execute(counters_answer() ? STMT_TAGS_RELATED : STMT_TAGS_RELATED_LIVE,
				 params, NULL, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * posts_related(post_id integer, lim integer)
 *		RETURNS TABLE (id, title, body, status, created_at, deleted_at,
 *					   shared_tags)
 *
 * The lim listed posts that share the most tags with the post, with that
 * number, then newest first; the post itself is not among them.  It reads
 * every listed post of each of the post's tags: the cost grows with them.
 * A post that does not exist, or that row-level security hides, is P0002.
 */
Datum
posts_related(PG_FUNCTION_ARGS)
{
	int32		post_id = tags_post_id_arg(fcinfo, 0);
	int32		lim = tags_lim_arg(fcinfo, 1);
	Datum		params[2];

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	params[0] = Int32GetDatum(post_id);
	params[1] = Int32GetDatum(lim);
	if (tags_execute(STMT_POSTS_RELATED, params, NULL, true, 0) > 0)
		tags_put_spi_result(fcinfo);
	else if (tags_execute(STMT_POST_EXISTS, params, NULL, true, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("post %d does not exist", post_id));
	SPI_finish();
	return (Datum) 0;
}
