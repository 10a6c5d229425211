/*-------------------------------------------------------------------------
 *
 * post_writers.c
 *	  Writes of a post's tag list: post_set_tags(), post_add_tags(),
 *	  post_remove_tags().
 *
 * Every writer first locks the post FOR NO KEY UPDATE (lock_post()), so
 * that calls on one post serialize, then resolves the names
 * (get_or_create.c), locking the tags it keeps FOR KEY SHARE, then writes
 * the new list in one statement, through counters.c, which gathers the
 * count changes it makes and hands the trigger of copies.c the post it
 * locked.  Every error a caller can cause comes before the associations
 * are written.  Under REPEATABLE READ and SERIALIZABLE a writer fails with
 * 40001 rather than write over a list it cannot see.  See
 * doc/concurrency.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(post_set_tags);
PG_FUNCTION_INFO_V1(post_add_tags);
PG_FUNCTION_INFO_V1(post_remove_tags);

static void lock_post(int32 post_id, TagsPostCopy *post);
static int64 association_field(uint64 row, int att);
static void apply_tag_ids(const TagsPostCopy *post, Datum *ids, int count,
						  bool remove_others);
static void check_tag_limit(int32 post_id, int count);

/*
 * The post $1's visibility and date, what post_tags copies of it (see
 * copies.c), locked against our writers
 */
static const TagsStatement stmt_post_lock = {
	"post_lock",
	"SELECT (p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL), p.created_at FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) $1"
	" FOR NO KEY UPDATE OF p",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The post $1's associations, by tag id */
static const TagsStatement stmt_post_tag_ids = {
	"post_tag_ids",
	"SELECT pt.tag_id, pt.position FROM @extschema@.post_tags pt"
	" WHERE pt.post_id OPERATOR(pg_catalog.=) $1"
	" ORDER BY pt.tag_id",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * Lock a post against the other writers of its tags, or raise P0002 if it
 * does not exist.  Sets *post to what post_tags copies of it; the lock
 * keeps that from changing until the transaction ends.  Under REPEATABLE
 * READ and SERIALIZABLE, 40001 if the post's associations differ between
 * the transaction's snapshot and a new one (doc/concurrency.md).
 */
static void
lock_post(int32 post_id, TagsPostCopy *post)
{
	Datum		param = Int32GetDatum(post_id);
	uint64		nrows;
	int64	   *seen;
	uint64		row;
	bool		isnull;

	if (tags_execute(&stmt_post_lock, &param, NULL, false, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("post %d does not exist", post_id));
	post->id = post_id;
	post->visible = SPI_getbinval(SPI_tuptable->vals[0],
								  SPI_tuptable->tupdesc, 1, &isnull);
	post->created_at = SPI_getbinval(SPI_tuptable->vals[0],
									 SPI_tuptable->tupdesc, 2, &isnull);
	post->changes = tags_post_changes();
	if (!IsolationUsesXactSnapshot())
		return;

	nrows = tags_execute(&stmt_post_tag_ids, &param, NULL, false, 0);
	seen = palloc((nrows * 2 + 1) * sizeof(int64));
	for (row = 0; row < nrows; row++)
	{
		seen[2 * row] = association_field(row, 1);
		seen[2 * row + 1] = association_field(row, 2);
	}
	if (tags_execute_latest(&stmt_post_tag_ids, &param, NULL) == nrows)
	{
		for (row = 0; row < nrows; row++)
			if (seen[2 * row] != association_field(row, 1) ||
				seen[2 * row + 1] != association_field(row, 2))
				break;
		if (row == nrows)
			return;
	}
	ereport(ERROR,
			errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			errmsg("could not serialize access due to concurrent update of the tags of post %d",
				   post_id),
			errhint("Retry the transaction."));
}

/* Column att of row row of the last stmt_post_tag_ids, NULL as INT64_MIN */
static int64
association_field(uint64 row, int att)
{
	bool		isnull;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[row],
									  SPI_tuptable->tupdesc, att, &isnull);

	return isnull ? PG_INT64_MIN : DatumGetInt32(value);
}

/*
 * Post $1's tag ids become $2 (an int4[], in order), then, unless $3, its
 * other associations go.  Rows that stay are kept, and updated only if
 * their position moved; a row a concurrent plain INSERT added meanwhile
 * takes its position.
 */
static const TagsStatement stmt_post_tags_apply = {
	"post_tags_apply",
	"WITH removed AS ("
	"    DELETE FROM @extschema@.post_tags a"
	"    WHERE $3 AND a.post_id OPERATOR(pg_catalog.=) $1"
	"      AND a.tag_id OPERATOR(pg_catalog.<>) ALL ($2)"
	"), moved AS ("
	"    UPDATE @extschema@.post_tags a"
	"    SET position = pg_catalog.array_position($2, a.tag_id)"
	"    WHERE a.post_id OPERATOR(pg_catalog.=) $1"
	"      AND a.tag_id OPERATOR(pg_catalog.=) ANY ($2)"
	"      AND (a.position IS NULL"
	"           OR a.position OPERATOR(pg_catalog.<>)"
	"              pg_catalog.array_position($2, a.tag_id))"
	")"
	" INSERT INTO @extschema@.post_tags AS a (post_id, tag_id, position)"
	" SELECT $1, w.tag_id, w.position::pg_catalog.int4"
	" FROM pg_catalog.unnest($2) WITH ORDINALITY AS w(tag_id, position)"
	" WHERE w.tag_id OPERATOR(pg_catalog.<>) ALL (ARRAY("
	"    SELECT old.tag_id FROM @extschema@.post_tags old"
	"    WHERE old.post_id OPERATOR(pg_catalog.=) $1))"
	" ON CONFLICT (post_id, tag_id)"
	" DO UPDATE SET position = excluded.position",
	3, {INT4OID, INT4ARRAYOID, BOOLOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_INSERT
};

/*
 * Write a locked post's tags: these tag ids, in this order, then, unless
 * remove_others, the associations the post has with other tags, which keep
 * their positions.  post_add_tags() keeps the others: a plain INSERT into
 * post_tags may have committed one since it read the post's list.
 */
static void
apply_tag_ids(const TagsPostCopy *post, Datum *ids, int count,
			  bool remove_others)
{
	Datum		params[3];

	/* $1 post, $2 tag ids in order, $3 remove the others */
	params[0] = Int32GetDatum(post->id);
	params[1] = PointerGetDatum(construct_array(ids, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	params[2] = BoolGetDatum(remove_others);
	tags_execute_for_post(&stmt_post_tags_apply, params, post);
}

/*
 * Raise 54000 if a post would have more tags than tags.max_tags_per_post.
 */
static void
check_tag_limit(int32 post_id, int count)
{
	if (tags_max_tags_per_post > 0 && count > tags_max_tags_per_post)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("post %d would have too many tags", post_id),
				errdetail("It would have %d tags, and tags.max_tags_per_post is %d.",
						  count, tags_max_tags_per_post));
}

/*
 * post_set_tags(post_id integer, names text[]) RETURNS SETOF tags
 *
 * Makes the post's tags exactly these, in this order, and returns them.
 * NULL names leave the tags as they are (an update that does not mention
 * them); an empty list removes them all.  The names are checked before the
 * post is locked, the limit once they are resolved, and both before the
 * post's associations are written.
 */
Datum
post_set_tags(PG_FUNCTION_ARGS)
{
	int32		post_id = tags_post_id_arg(fcinfo, 0);
	TagList		list = tags_collect_names(fcinfo, 1);
	TagsPostCopy post;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	lock_post(post_id, &post);
	if (!PG_ARGISNULL(1))
	{
		Datum	   *ids = palloc(Max(list.count, 1) * sizeof(Datum));
		int			i;

		tags_resolve_tags(&list, true);
		tags_sort_by_first(&list);
		check_tag_limit(post_id, tags_keep_first_of_each_tag(&list));
		for (i = 0; i < list.count; i++)
			ids[i] = Int32GetDatum(list.entries[i].id);
		apply_tag_ids(&post, ids, list.count, true);

		/*
		 * The post's tags are now exactly these, in this order, and the lock
		 * on the post keeps them so: they are returned as they were read,
		 * with no statement to read them again.
		 */
		tags_put_tag_list(fcinfo, &list);
	}
	else
		tags_put_post_tags(fcinfo, post_id, true);
	SPI_finish();
	return (Datum) 0;
}

/* The post $1's tags in order, locked against deletion (FOR KEY SHARE) */
static const TagsStatement stmt_post_tags_locked = {
	"post_tags_locked",
	"SELECT t.* FROM @extschema@.posts p"
	" JOIN @extschema@.post_tags pt"
	"   ON pt.post_id OPERATOR(pg_catalog.=) p.id"
	" CROSS JOIN LATERAL (SELECT t.* FROM @extschema@.tags t"
	"                     WHERE t.id OPERATOR(pg_catalog.=) pt.tag_id FOR KEY SHARE OF t) t"
	" WHERE p.id OPERATOR(pg_catalog.=) $1"
	" ORDER BY pt.position NULLS LAST, t.id",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * post_add_tags(post_id integer, names text[]) RETURNS SETOF tags
 *
 * The post's list becomes its current list followed by the names it does
 * not have yet; positions are renumbered, so rows added by a plain INSERT
 * without a position keep their place before the new ones.
 */
Datum
post_add_tags(PG_FUNCTION_ARGS)
{
	int32		post_id = tags_post_id_arg(fcinfo, 0);
	TagList		list = tags_collect_names(fcinfo, 1);
	TagsPostCopy post;
	Datum		param = Int32GetDatum(post_id);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	lock_post(post_id, &post);
	if (list.count > 0)
	{
		bool	   *on_post = palloc0(list.count * sizeof(bool));
		TupleDesc	desc;
		int			att;
		uint64		ncurrent;
		Datum	   *ids;
		int			kept = 0;
		uint64		row;
		int			i;

		/* which of the names the post has already, and the limit */
		ncurrent = tags_read_post_tags(post_id, false);
		desc = SPI_tuptable->tupdesc;
		att = tags_result_column("name");
		for (row = 0; row < ncurrent; row++)
		{
			TagEntry   *entry = tags_find_entry(&list,
												SPI_getvalue(SPI_tuptable->vals[row],
															 desc, att));

			if (entry != NULL)
				on_post[entry - list.entries] = true;
		}
		for (i = 0; i < list.count; i++)
			if (!on_post[i])
				list.entries[kept++] = list.entries[i];
		list.count = kept;

		if (list.count > 0)
		{
			int			nids;

			tags_resolve_tags(&list, true);
			tags_sort_by_first(&list);

			/*
			 * The current list again, now with its tags locked against
			 * deletion until the new list is written.  It is read after the
			 * new names, which may have waited for a transaction deleting one
			 * of them: holding no lock on the post's tags meanwhile, this
			 * call cannot deadlock with that transaction deleting one of
			 * those too.
			 */
			ncurrent = tags_execute(&stmt_post_tags_locked, &param, NULL,
									false, 0);
			desc = SPI_tuptable->tupdesc;
			att = tags_result_column("id");
			ids = palloc((ncurrent + list.count) * sizeof(Datum));
			for (row = 0; row < ncurrent; row++)
			{
				bool		isnull;

				ids[row] = SPI_getbinval(SPI_tuptable->vals[row], desc, att,
										 &isnull);
			}
			for (i = 0; i < list.count; i++)
				ids[ncurrent + i] = Int32GetDatum(list.entries[i].id);
			/* a new name may be a synonym of a tag the post has */
			nids = tags_distinct_ids(ids, (int) ncurrent + list.count);
			check_tag_limit(post_id, nids);
			apply_tag_ids(&post, ids, nids, false);
		}
	}
	tags_put_post_tags(fcinfo, post_id, true);
	SPI_finish();
	return (Datum) 0;
}

/* Remove the names $2 (a text[]) from post $1 */
static const TagsStatement stmt_post_tags_remove = {
	"post_tags_remove",
	"DELETE FROM @extschema@.post_tags pt"
	" WHERE pt.post_id OPERATOR(pg_catalog.=) $1"
	"   AND pt.tag_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT (SELECT t.id FROM @extschema@.tags t"
	" WHERE t.name OPERATOR(pg_catalog.=) n.name"
	" UNION ALL"
	" SELECT s.tag_id FROM @extschema@.tag_synonyms s"
	" WHERE s.name OPERATOR(pg_catalog.=) n.name"
	" LIMIT 1)"
	"      FROM pg_catalog.unnest($2) AS n(name)))",
	2, {INT4OID, TEXTARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE,
	/* at version 1.0 */
	"DELETE FROM @extschema@.post_tags pt"
	" USING @extschema@.tags t"
	" WHERE pt.post_id OPERATOR(pg_catalog.=) $1"
	"   AND pt.tag_id OPERATOR(pg_catalog.=) t.id"
	"   AND t.name OPERATOR(pg_catalog.=) ANY ($2)"
};

/*
 * post_remove_tags(post_id integer, names text[]) RETURNS SETOF tags
 *
 * Only associations go; the tags stay.  Names that are not on the post, or
 * are no tag at all, are ignored, and no tag is created for them.
 */
Datum
post_remove_tags(PG_FUNCTION_ARGS)
{
	int32		post_id = tags_post_id_arg(fcinfo, 0);
	TagList		list = tags_collect_names(fcinfo, 1);
	TagsPostCopy post;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	lock_post(post_id, &post);
	if (list.count > 0)
	{
		const char **names = palloc(list.count * sizeof(char *));
		Datum		params[2];
		int			i;

		for (i = 0; i < list.count; i++)
			names[i] = list.entries[i].name;
		/* $1 post, $2 names */
		params[0] = Int32GetDatum(post_id);
		params[1] = tags_text_array(names, list.count);
		tags_execute(&stmt_post_tags_remove, params, NULL, false, 0);
	}
	tags_put_post_tags(fcinfo, post_id, true);
	SPI_finish();
	return (Datum) 0;
}
