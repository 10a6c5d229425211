/*-------------------------------------------------------------------------
 *
 * queries.c
 *	  Reads: a post's tags, every tag's post count, and a tag's posts.
 *
 * Only published posts that are not soft-deleted (deleted_at IS NULL) are
 * counted or listed: a draft, an archived or a deleted post keeps its tags,
 * but they do not show.  Each function runs a fixed number of statements:
 * tag_counts() is one GROUP BY over all tags, never one count per tag.
 *
 * The readers take no locks and run their statements read-only, in the
 * caller's snapshot, so they see the tags as of the start of the statement
 * (READ COMMITTED) or of the transaction (REPEATABLE READ and SERIALIZABLE).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(post_get_tags);
PG_FUNCTION_INFO_V1(tag_counts);
PG_FUNCTION_INFO_V1(posts_by_tag);
PG_FUNCTION_INFO_V1(tag_post_count);

/* Largest page a caller may ask for */
#define TAGS_MAX_PAGE_SIZE 100

static int32 tag_id_by_slug(FunctionCallInfo fcinfo, int argno);
static int32 int32_arg(FunctionCallInfo fcinfo, int argno, const char *what);

/* Raise 22004 if an argument is NULL; return it */
static int32
int32_arg(FunctionCallInfo fcinfo, int argno, const char *what)
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
	return int32_arg(fcinfo, argno, "post id");
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
static int32
tag_id_by_slug(FunctionCallInfo fcinfo, int argno)
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
 * tag_counts() RETURNS TABLE (id, name, slug, post_count)
 *
 * Every tag, a tag without visible posts with 0, most used first, then by
 * name.
 */
Datum
tag_counts(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	tags_execute(STMT_TAG_COUNTS, NULL, NULL, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * posts_by_tag(slug text, page integer, page_size integer) RETURNS SETOF posts
 *
 * Page 1 is the newest posts.  The offset is computed in 64 bits, so no page
 * number overflows it; a page past the end is empty.
 */
Datum
posts_by_tag(PG_FUNCTION_ARGS)
{
	int32		page = int32_arg(fcinfo, 1, "page");
	int32		page_size = int32_arg(fcinfo, 2, "page size");
	Datum		params[3];

	if (page < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page must be at least 1"));
	if (page_size < 1 || page_size > TAGS_MAX_PAGE_SIZE)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page size must be between 1 and %d",
					   TAGS_MAX_PAGE_SIZE));

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	params[0] = Int32GetDatum(tag_id_by_slug(fcinfo, 0));
	params[1] = Int64GetDatum((int64) (page - 1) * page_size);
	params[2] = Int64GetDatum((int64) page_size);
	tags_execute(STMT_TAG_POSTS_PAGE, params, NULL, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * tag_post_count(slug text) RETURNS bigint
 *
 * The number of the tag's visible posts: the total that posts_by_tag()
 * pages through, counted by the same joins.
 */
Datum
tag_post_count(PG_FUNCTION_ARGS)
{
	Datum		param;
	bool		isnull;
	int64		count;

	tags_spi_connect(fcinfo);
	param = Int32GetDatum(tag_id_by_slug(fcinfo, 0));
	tags_execute(STMT_TAG_POST_COUNT, &param, NULL, true, 0);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(count);
}
