/*-------------------------------------------------------------------------
 *
 * care.c
 *	  Tag care: synonyms, renames, merges and pruning.
 *
 * A synonym is another name of a tag (tag_synonyms): every function that
 * takes names resolves it to its tag, and get-or-create never creates a tag
 * of that name.  An alias is an old slug of a tag (tag_slug_aliases): every
 * function that takes a slug resolves it, and no new tag gets it.  A name
 * is a tag's or a synonym, never both, and a slug a tag's or an alias,
 * never both: the functions here check the names and slugs they give while
 * holding the lock of direct writes exclusively (see tagging.c), which
 * every session that creates a tag or picks a slug takes too, and read them
 * in a new snapshot, so a concurrent change cannot slip in unseen.
 *
 * Locks are taken in the order the writers take them, so that none of
 * these deadlocks with a writer: posts, then tags, then the lock of direct
 * writes.  Once they hold their locks, these functions read and write in a
 * new snapshot (tags_execute_latest()), so that under REPEATABLE READ too
 * they act on what committed before the locks were granted, and move or
 * keep every association a writer committed meanwhile.
 *
 * Each runs a fixed number of statements, whatever the number of posts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupconvert.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tag_add_synonym);
PG_FUNCTION_INFO_V1(tag_remove_synonym);
PG_FUNCTION_INFO_V1(tag_rename);
PG_FUNCTION_INFO_V1(tag_merge);
PG_FUNCTION_INFO_V1(tags_prune);

/* What holds a name: a tag, by its own name or by a synonym */
typedef struct NameHolder
{
	int32		id;
	char	   *name;
	char	   *slug;
	bool		synonym;
} NameHolder;

static const char *text_arg(FunctionCallInfo fcinfo, int argno,
							const char *what);
static char *name_arg(FunctionCallInfo fcinfo, int argno);
static int32 tag_by_slug_latest(const char *slug);
static bool name_holder(const char *name, NameHolder *holder);
static HeapTuple tag_row(TagsStmt stmt, int32 id);
static HeapTuple lock_tag_by_slug(const char *slug, TagsStmt lock, int32 *id);
static HeapTuple tag_row_after(int32 id, const char *slug);
static Datum tag_datum(FunctionCallInfo fcinfo, HeapTuple tuple);
static char *tag_column(HeapTuple tuple, const char *column);

/* The text argument argno, which must not be NULL (22004) */
static const char *
text_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("%s must not be null", what));
	return TextDatumGetCString(PG_GETARG_DATUM(argno));
}

/*
 * The tag name argument argno, normalized: it must not be NULL (22004), nor
 * empty (23514) or too long (22001) once normalized, as in tags.name.
 */
static char *
name_arg(FunctionCallInfo fcinfo, int argno)
{
	text	   *raw;
	char	   *normalized;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("name must not be null"));
	raw = PG_GETARG_TEXT_PP(argno);
	if (VARSIZE_ANY_EXHDR(raw) > TAGS_NAME_MAX_RAW_BYTES)
		ereport(ERROR,
				errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				errmsg("tag name is too long"),
				errdetail("A tag name of %d bytes was given, and at most %d bytes are accepted before normalization.",
						  (int) VARSIZE_ANY_EXHDR(raw), TAGS_NAME_MAX_RAW_BYTES));
	normalized = tags_normalize_cstring(VARDATA_ANY(raw),
										VARSIZE_ANY_EXHDR(raw));
	if (normalized[0] == '\0')
		ereport(ERROR,
				errcode(ERRCODE_CHECK_VIOLATION),
				errmsg("tag name is empty"),
				errdetail("A tag name must keep at least one character after normalization."));
	tags_check_name_length(normalized);
	return normalized;
}

/*
 * The id of the tag whose slug, or old slug, this is, in a new snapshot; or
 * P0002.
 */
static int32
tag_by_slug_latest(const char *slug)
{
	Datum		param = CStringGetTextDatum(slug);
	bool		isnull;

	if (tags_execute_latest(STMT_TAG_BY_SLUG, &param, NULL) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" does not exist", slug));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Whether a tag holds this normalized name, as its name or a synonym, in a
 * new snapshot; if so, which.
 */
static bool
name_holder(const char *name, NameHolder *holder)
{
	Datum		param = CStringGetTextDatum(name);
	TupleDesc	desc;
	HeapTuple	tuple;
	bool		isnull;

	if (tags_execute_latest(STMT_NAME_HOLDER, &param, NULL) == 0)
		return false;
	desc = SPI_tuptable->tupdesc;
	tuple = SPI_tuptable->vals[0];
	holder->id = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
	holder->name = SPI_getvalue(tuple, desc, 2);
	holder->slug = SPI_getvalue(tuple, desc, 3);
	holder->synonym = DatumGetBool(SPI_getbinval(tuple, desc, 4, &isnull));
	return true;
}

/*
 * The tags row of tag id, read (and locked) by stmt in a new snapshot,
 * copied out of SPI's memory; NULL if it is gone.
 */
static HeapTuple
tag_row(TagsStmt stmt, int32 id)
{
	Datum		param = Int32GetDatum(id);

	if (tags_execute_latest(stmt, &param, NULL) == 0)
		return NULL;
	return SPI_copytuple(SPI_tuptable->vals[0]);
}

/*
 * The tags row of the tag whose slug, or old slug, this is, locked by lock
 * (see tag_row()), with its id in *id; P0002 if there is none, or it was
 * deleted while the lock waited.
 */
static HeapTuple
lock_tag_by_slug(const char *slug, TagsStmt lock, int32 *id)
{
	HeapTuple	tuple;

	*id = tag_by_slug_latest(slug);
	tuple = tag_row(lock, *id);
	if (tuple == NULL)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" does not exist", slug));
	return tuple;
}

/*
 * The tags row of tag id (whose slug the caller was given), read again
 * after the function changed it: P0002 if user code that the change fired
 * (a trigger, a policy) deleted it or hid it meanwhile.
 */
static HeapTuple
tag_row_after(int32 id, const char *slug)
{
	HeapTuple	tuple = tag_row(STMT_TAG_ROW, id);

	if (tuple == NULL)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" no longer exists", slug),
				errdetail("A trigger or a row-level security policy fired by the change deleted it or hid it."));
	return tuple;
}

/* A column of a tags row from tag_row(), as text */
static char *
tag_column(HeapTuple tuple, const char *column)
{
	return SPI_getvalue(tuple, SPI_tuptable->tupdesc,
						tags_result_column(column));
}

/*
 * A tags row as the composite result of fcinfo, its columns matched by
 * name.  Must be called while still connected to SPI, before SPI_finish():
 * the result is made in the upper memory context, the caller's.
 */
static Datum
tag_datum(FunctionCallInfo fcinfo, HeapTuple tuple)
{
	TupleDesc	result_desc;
	TupleConversionMap *map;

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function returning a tags row called in a context that cannot accept it");
	map = convert_tuples_by_name(SPI_tuptable->tupdesc, result_desc);
	if (map)
		tuple = execute_attr_map_tuple(tuple, map);
	return SPI_datumTransfer(heap_copy_tuple_as_datum(tuple, result_desc),
							 false, -1);
}

/*
 * tag_add_synonym(name text, target_slug text) RETURNS tags
 *
 * The normalized name becomes another name of the tag with this slug (or
 * old slug), which is returned.  Adding a synonym a second time to the same
 * tag changes nothing.  A name that is a tag's own name, or a synonym of
 * another tag, gives 23505.
 */
Datum
tag_add_synonym(PG_FUNCTION_ARGS)
{
	char	   *name = name_arg(fcinfo, 0);
	const char *target_slug = text_arg(fcinfo, 1, "target slug");
	int32		target;
	NameHolder	holder;
	Datum		result;

	tags_spi_connect(fcinfo);
	(void) lock_tag_by_slug(target_slug, STMT_TAG_LOCK_KEY_SHARE, &target);
	tags_lock_direct_writes();

	if (name_holder(name, &holder))
	{
		if (holder.synonym && holder.id == target)
		{
			/* already this tag's synonym */
		}
		else if (holder.synonym)
			ereport(ERROR,
					errcode(ERRCODE_UNIQUE_VIOLATION),
					errmsg("\"%s\" is already a synonym of tag \"%s\"",
						   name, holder.name),
					errhint("Remove it with tag_remove_synonym() first."));
		else if (holder.id == target)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("\"%s\" is the name of the tag itself", name));
		else
			ereport(ERROR,
					errcode(ERRCODE_UNIQUE_VIOLATION),
					errmsg("tag \"%s\" already exists", name),
					errhint("To make it a synonym, merge it: tag_merge('%s', '%s').",
							holder.slug, target_slug));
	}
	else
	{
		Datum		params[2];

		params[0] = CStringGetTextDatum(name);
		params[1] = Int32GetDatum(target);
		tags_execute_latest(STMT_SYNONYM_ADD, params, NULL);
	}

	result = tag_datum(fcinfo, tag_row_after(target, target_slug));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * tag_remove_synonym(name text) RETURNS boolean
 *
 * The normalized name is no longer a synonym: it names nothing, and
 * get-or-create will create a tag of that name.  Returns whether it was a
 * synonym.
 */
Datum
tag_remove_synonym(PG_FUNCTION_ARGS)
{
	char	   *name = name_arg(fcinfo, 0);
	Datum		param = CStringGetTextDatum(name);
	uint64		removed;

	tags_spi_connect(fcinfo);
	removed = tags_execute_latest(STMT_SYNONYM_REMOVE, &param, NULL);
	SPI_finish();
	PG_RETURN_BOOL(removed > 0);
}

/*
 * tag_rename(slug text, new_name text) RETURNS tags
 *
 * The tag gets the normalized new name and the first free slug made from
 * it; its old slug becomes an alias, so links with it keep working.  The
 * new name must be no other tag's name or synonym (23505, with a hint to
 * merge); a synonym of the tag itself stops being one.  A new name that
 * normalizes to the current one changes nothing.
 */
Datum
tag_rename(PG_FUNCTION_ARGS)
{
	const char *slug = text_arg(fcinfo, 0, "slug");
	char	   *new_name = name_arg(fcinfo, 1);
	int32		id;
	HeapTuple	tuple;
	char	   *old_slug;
	char	   *new_slug;
	NameHolder	holder;
	Datum		params[2];
	Datum		result;

	tags_spi_connect(fcinfo);
	tuple = lock_tag_by_slug(slug, STMT_TAG_LOCK_UPDATE, &id);
	old_slug = tag_column(tuple, "slug");
	tags_lock_direct_writes();

	if (name_holder(new_name, &holder))
	{
		if (holder.id != id && holder.synonym)
			ereport(ERROR,
					errcode(ERRCODE_UNIQUE_VIOLATION),
					errmsg("\"%s\" is already a synonym of tag \"%s\"",
						   new_name, holder.name),
					errhint("To make them one tag, merge them: tag_merge('%s', '%s').",
							slug, holder.slug));
		if (holder.id != id)
			ereport(ERROR,
					errcode(ERRCODE_UNIQUE_VIOLATION),
					errmsg("tag \"%s\" already exists", new_name),
					errhint("To make them one tag, merge them: tag_merge('%s', '%s').",
							slug, holder.slug));
		if (!holder.synonym)
		{
			/* its name already */
			result = tag_datum(fcinfo, tag_row_after(id, slug));
			SPI_finish();
			PG_RETURN_DATUM(result);
		}
		params[0] = CStringGetTextDatum(new_name);
		tags_execute_latest(STMT_SYNONYM_REMOVE, params, NULL);
	}

	params[0] = Int32GetDatum(id);
	params[1] = CStringGetTextDatum(new_name);
	if (tags_execute_latest(STMT_TAG_RENAME, params, NULL) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" was not renamed", slug),
				errdetail("A trigger or a row-level security policy on tags kept its row from being updated."));
	tuple = SPI_copytuple(SPI_tuptable->vals[0]);
	new_slug = tag_column(tuple, "slug");
	result = tag_datum(fcinfo, tuple);

	if (strcmp(old_slug, new_slug) != 0)
	{
		params[1] = CStringGetTextDatum(old_slug);
		tags_execute_latest(STMT_ALIAS_ADD, params, NULL);
	}
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * Lock the items of the tag params[0] in every target but posts, FOR
 * UPDATE, in a new snapshot, as their owners (see tag_merge()).
 */
static void
lock_items_of_tag(const TagsTarget *targets, int ntargets, Datum *params)
{
	int			i;

	for (i = 0; i < ntargets; i++)
	{
		TagsSavedUser saved;

		tags_become_target_owner(&targets[i], &saved);
		tags_target_execute(&targets[i], ITEM_TAG_ITEMS_LOCK, params, NULL,
							true, false, 0);
		tags_restore_user(&saved);
	}
}

/*
 * tag_merge(from_slug text, into_slug text) RETURNS bigint
 *
 * Every post, and every item of every target (1.2), of from ends up
 * tagged into exactly once: an association with
 * from moves to into with its position, and a post that had both keeps the
 * first of the two positions.  Then from is deleted; its name becomes a
 * synonym of into, its slug an alias, and its own synonyms and aliases
 * are into's.  Returns the number of associations moved (those of posts
 * that had both are not).  The counters follow through their triggers.
 *
 * The posts of from are locked FOR UPDATE, as writers lock a post before
 * its tags; then from and into; then the lock of direct writes.  A writer
 * busy with one of those posts finishes first, and none can start until
 * the merge ends, so no association of from is added, moved or removed
 * behind its back.  A post that got from between the read of from's posts
 * and the lock of from (the writer committed meanwhile) is locked once
 * from is; if a writer is busy with that post again, waiting for one of
 * the two tags, the two deadlock and PostgreSQL cancels one (40P01).
 */
Datum
tag_merge(PG_FUNCTION_ARGS)
{
	const char *from_slug = text_arg(fcinfo, 0, "from slug");
	const char *into_slug = text_arg(fcinfo, 1, "into slug");
	int32		from;
	int32		into;
	Datum		params[2];
	uint64		moved;
	TagsTarget *targets;
	int			ntargets;
	int			i;

	tags_spi_connect(fcinfo);
	from = tag_by_slug_latest(from_slug);
	into = tag_by_slug_latest(into_slug);
	if (from == into)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("cannot merge tag \"%s\" into itself", into_slug),
				strcmp(from_slug, into_slug) != 0 ?
				errdetail("\"%s\" and \"%s\" are slugs of the same tag.",
						  from_slug, into_slug) : 0);

	params[0] = Int32GetDatum(from);
	params[1] = Int32GetDatum(into);
	targets = tags_user_targets(&ntargets);
	tags_execute_latest(STMT_TAG_POSTS_LOCK, params, NULL);
	lock_items_of_tag(targets, ntargets, params);
	if (tags_execute_latest(STMT_TAGS_LOCK_PAIR, params, NULL) < 2)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" or tag \"%s\" no longer exists",
					   from_slug, into_slug),
				errdetail("It was deleted or merged while the merge waited for it."));
	tags_execute_latest(STMT_TAG_POSTS_LOCK, params, NULL);
	lock_items_of_tag(targets, ntargets, params);
	tags_lock_direct_writes();

	moved = tags_execute_latest(STMT_MERGE_MOVE, params, NULL);
	for (i = 0; i < ntargets; i++)
	{
		TagsSavedUser saved;

		tags_become_target_owner(&targets[i], &saved);
		moved += tags_target_execute(&targets[i], ITEM_MERGE_MOVE, params,
									 NULL, true, false, 0);
		tags_restore_user(&saved);
	}
	tags_execute_latest(STMT_MERGE_REPOINT, params, NULL);
	tags_execute_latest(STMT_MERGE_FINISH, params, NULL);
	SPI_finish();
	PG_RETURN_INT64((int64) moved);
}

/*
 * Keep those of the tag ids that no item of a target but posts has, judged
 * in a new snapshot as their owners; returns how many are kept.
 */
static int
keep_unused_by_targets(Datum *ids, int count)
{
	int			ntargets;
	TagsTarget *targets = tags_user_targets(&ntargets);
	int			t;

	for (t = 0; t < ntargets && count > 0; t++)
	{
		TagsSavedUser saved;
		Datum		param;
		uint64		nused;
		uint64		row;
		int			kept = 0;
		int			i;

		param = PointerGetDatum(construct_array(ids, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
		tags_become_target_owner(&targets[t], &saved);
		nused = tags_target_execute(&targets[t], ITEM_TAGS_IN_USE, &param,
									NULL, true, false, 0);
		tags_restore_user(&saved);
		for (i = 0; i < count; i++)
		{
			for (row = 0; row < nused; row++)
			{
				bool		isnull;

				if (DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[row],
												SPI_tuptable->tupdesc, 1,
												&isnull)) ==
					DatumGetInt32(ids[i]))
					break;
			}
			if (row == nused)
				ids[kept++] = ids[i];
		}
		count = kept;
	}
	return count;
}

/*
 * tags_prune(min_age interval) RETURNS bigint
 *
 * Deletes the tags that are on no post, nor on any item of a target (1.2),
 * and were created at least min_age
 * before the transaction began; returns how many.  Safe against a writer
 * attaching one of them meanwhile: the writer holds the tag FOR KEY SHARE
 * from the moment it finds it, and such a tag is skipped (SKIP LOCKED);
 * the others are locked FOR UPDATE, so a writer that finds one now waits,
 * finds it gone, and creates it anew.  Whether a locked tag is on no post
 * is judged again in a snapshot taken after the locks: an association
 * committed between the first look and the lock keeps its tag.  Judging it
 * in the first statement's snapshot would delete the tag, and the cascade
 * its new association with it.
 */
Datum
tags_prune(PG_FUNCTION_ARGS)
{
	Interval	zero = {0};
	Datum		param;
	uint64		ncandidates;
	Datum	   *ids;
	uint64		row;
	uint64		deleted;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("min_age must not be null"));
	if (DatumGetBool(DirectFunctionCall2(interval_lt, PG_GETARG_DATUM(0),
										 IntervalPGetDatum(&zero))))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("min_age must not be negative"));

	tags_spi_connect(fcinfo);
	param = PG_GETARG_DATUM(0);
	ncandidates = tags_execute_latest(STMT_PRUNE_CANDIDATES, &param, NULL);
	if (ncandidates == 0)
	{
		SPI_finish();
		PG_RETURN_INT64(0);
	}
	ids = palloc(ncandidates * sizeof(Datum));
	for (row = 0; row < ncandidates; row++)
	{
		bool		isnull;

		ids[row] = SPI_getbinval(SPI_tuptable->vals[row],
								 SPI_tuptable->tupdesc, 1, &isnull);
	}
	ncandidates = keep_unused_by_targets(ids, (int) ncandidates);
	param = PointerGetDatum(construct_array(ids, (int) ncandidates, INT4OID,
											sizeof(int32), true,
											TYPALIGN_INT));
	deleted = tags_execute_latest(STMT_PRUNE_DELETE, &param, NULL);
	SPI_finish();
	PG_RETURN_INT64((int64) deleted);
}
