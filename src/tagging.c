/*-------------------------------------------------------------------------
 *
 * tagging.c
 *	  Writes: get-or-create of tags, a post's tag list, and the trigger that
 *	  keeps direct writes to tags consistent.
 *
 * Get-or-create.  The names of a call are normalized and deduplicated in C,
 * then resolved in a constant number of statements however many there are:
 * one SELECT of the existing tags (see find_tags() for synonyms); if some
 * are missing, one SELECT of the slugs their base slugs collide with and one
 * INSERT ... ON CONFLICT DO NOTHING of the missing names with the free slugs
 * picked in C, which skips synonyms; and, only if a concurrent transaction
 * created some of them in between, or a name is a synonym, one more
 * lookup.  Most names exist in practice, so most calls stop after the first
 * statement.  The trigger on tags picks a slug the same
 * way for the one row of a direct INSERT or UPDATE that comes without one.
 *
 * The post writers lock the tags they find FOR KEY SHARE, so that a tag
 * deleted meanwhile counts as missing and is created anew, and cannot be
 * deleted before the association commits.  tags_get_or_create() only reads
 * them, as any SELECT does: locking would make every call a writing
 * transaction, whose commit waits for the WAL to be flushed, for a
 * guarantee its caller can get from the writers, which lock.
 *
 * Slug locks.  Before it looks for free slugs, get-or-create takes a
 * transaction-level advisory lock for each base slug it needs, in key
 * order, and holds them to its end.  A base's key is a hash of its root,
 * the base without trailing "-<digits>" parts, so "cafe", "cafe-2" and
 * every slug made from them share one lock.  A session creating "café"
 * therefore waits for another creating "cafe" to finish, and its next
 * snapshot shows the slug taken, so it picks "cafe-2".  Before those it
 * takes the lock of direct writes shared; a direct write to tags that picks
 * or brings a slug takes that lock exclusively instead, and so does
 * get-or-create when it would need too many root locks (see
 * lock_slug_roots()).  Two sessions inserting one name need a common lock,
 * so neither waits for the other on the name's unique index while holding a
 * lock the other needs.  One call therefore never deadlocks with another;
 * a transaction that creates tags in several statements, or locks posts
 * between them, can, like any transaction that takes locks in different
 * orders.
 *
 * A post's tag list.  Every writer first locks the post row FOR NO KEY
 * UPDATE, so calls on one post serialize and each sees the list the one
 * before it left.  The lock does not block foreign-key checks, so a plain
 * INSERT into post_tags (an ORM's) neither waits for a writer nor makes it
 * wait, and the two cannot deadlock; the result is as if one ran after the
 * other.  The new list is written by one statement that deletes the
 * associations that go, moves those whose position changed and inserts
 * the new ones; associations that stay are never deleted and inserted
 * again.  post_add_tags() never deletes: it keeps any association it did
 * not read.  The tags a writer keeps or adds are locked FOR KEY SHARE when
 * it reads them, so a concurrent DELETE of a tag waits for the writer, or
 * the writer finds the tag gone and creates it anew.
 *
 * Every error a caller can cause is raised before the post's associations
 * are written; the limit of tags per post is checked once the names are
 * resolved, since a name and its synonym are one tag, so tags created by a
 * call that then fails are rolled back with it.  Any error aborts the whole
 * call, so nothing of a failed call remains.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "access/tupconvert.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_get_or_create);
PG_FUNCTION_INFO_V1(post_set_tags);
PG_FUNCTION_INFO_V1(post_add_tags);
PG_FUNCTION_INFO_V1(post_remove_tags);
PG_FUNCTION_INFO_V1(tags_before_write);

/*
 * First keys of the extension's advisory locks: "tags" in ASCII, with a
 * slug root's hash as second key, and "tagd", with 0, the lock that direct
 * writes of slugs take exclusively and get-or-create takes shared.
 */
#define TAGS_SLUG_LOCK_SPACE 0x74616773
#define TAGS_DIRECT_LOCK_SPACE 0x74616764

/* Most root locks get-or-create takes; past it, one exclusive lock */
#define TAGS_MAX_ROOT_LOCKS 32


/* A slug some tag holds, as the number it takes among its base's slugs */
typedef struct TakenSlug
{
	int			group;			/* index of its base among the bases */
	uint64		n;				/* 1 for the base itself, N for "base-N" */
} TakenSlug;

static TagList collect_names(FunctionCallInfo fcinfo, int argno);
static int	compare_name_first(const void *a, const void *b);
static int	compare_slug_name(const void *a, const void *b);
static int	compare_first(const void *a, const void *b);
static TagEntry *find_entry(TagList *list, const char *name);
static Datum text_array(const char **strings, int count);
static int	compare_cstring_ptr(const void *a, const void *b);
static int	take_rows(TagList *list);
static int	find_tags(TagList *list, Datum names, int count, bool lock);
static void resolve_tags(TagList *list, bool lock);
static void insert_tags(TagList *list, Datum *params);
static bool is_inserting(const char *name, Datum slug);
static HeapTuple heap_copytuple_in(MemoryContext cxt, HeapTuple tuple);
static void check_no_new_synonyms(TagEntry **missing, int nmissing);
static void sort_by_first(TagList *list);
static int	keep_first_of_each_tag(TagList *list);
static int	distinct_ids(Datum *ids, int count);
static void lock_post(int32 post_id, TagsPostCopy *post);
static int64 association_field(uint64 row, int att);
static void apply_tag_ids(const TagsPostCopy *post, Datum *ids, int count,
						  bool remove_others);
static void check_tag_limit(int32 post_id, int count);
static int	compare_taken(const void *a, const void *b);
static uint64 slug_number(const char *base, const char *slug);
static int32 slug_lock_key(const char *base);
static int	compare_int32(const void *a, const void *b);
static void lock_slug_roots(int32 *keys, int nkeys, bool direct);
static bool slug_changed(TriggerData *trigdata, int slug_att);
static bool name_changed(TriggerData *trigdata, int name_att,
						 const char *normalized);
static void check_name_not_synonym(FunctionCallInfo fcinfo,
								   const char *normalized);
static void check_slug_not_alias(FunctionCallInfo fcinfo, HeapTuple tuple,
								 int slug_att, int id_att);
static void drop_own_alias(FunctionCallInfo fcinfo, Datum slug, Datum id);
static void assign_slugs(TagEntry **entries, int count, bool direct,
						 bool has_own_id, int32 own_id);

/*
 * The names get-or-create is inserting, with the slugs it picked under the
 * advisory locks it holds, while its INSERT runs; else NULL.  The trigger
 * on tags takes no lock and checks nothing for those rows, and only those:
 * user code that the INSERT fires may write other rows of tags.
 */
static TagList *inserting = NULL;

/* Raise 2202E unless a names array is one-dimensional (or empty) */
static inline void
check_one_dimension(ArrayType *names)
{
	if (ARR_NDIM(names) > 1)
		ereport(ERROR,
				errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("tag names must be a one-dimensional array"));
}

/*
 * Raise 22001 for a raw name so large that no normalization could bring it
 * within the limit, before normalizing it at all
 */
static inline void
check_raw_name_size(int bytes)
{
	if (bytes > TAGS_NAME_MAX_RAW_BYTES)
		ereport(ERROR,
				errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				errmsg("tag name is too long"),
				errdetail("A tag name of %d bytes was given, and at most %d bytes are accepted before normalization.",
						  bytes, TAGS_NAME_MAX_RAW_BYTES));
}

/*
 * The distinct normalized names of the text[] argument argno: NULL and blank
 * elements are skipped, and each name is checked for length.  The list is
 * sorted by name.  A NULL array gives an empty list.
 */
static TagList
collect_names(FunctionCallInfo fcinfo, int argno)
{
	TagList		list = {NULL, 0, CurrentMemoryContext, NULL};
	ArrayType  *names;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	int			i;
	int			kept;

	if (PG_ARGISNULL(argno))
		return list;
	names = PG_GETARG_ARRAYTYPE_P(argno);
	check_one_dimension(names);

	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &elem_nulls, &nelems);
	list.entries = palloc0(Max(nelems, 1) * sizeof(TagEntry));
	for (i = 0; i < nelems; i++)
	{
		text	   *name;
		char	   *normalized;

		CHECK_FOR_INTERRUPTS();
		if (elem_nulls[i])
			continue;
		name = DatumGetTextPP(elems[i]);
		check_raw_name_size(VARSIZE_ANY_EXHDR(name));
		normalized = tags_normalize_cstring(VARDATA_ANY(name),
											VARSIZE_ANY_EXHDR(name));
		if (normalized[0] == '\0')
			continue;
		tags_check_name_length(normalized);
		list.entries[list.count].name = normalized;
		list.entries[list.count].first = i;
		list.count++;
	}

	/* keep the first appearance of each name */
	qsort(list.entries, list.count, sizeof(TagEntry), compare_name_first);
	kept = 0;
	for (i = 0; i < list.count; i++)
	{
		if (kept > 0 &&
			strcmp(list.entries[kept - 1].name, list.entries[i].name) == 0)
			continue;
		list.entries[kept++] = list.entries[i];
	}
	list.count = kept;
	return list;
}

/* Order entries by name, then by first appearance */
static int
compare_name_first(const void *a, const void *b)
{
	const TagEntry *ea = a;
	const TagEntry *eb = b;
	int			cmp = strcmp(ea->name, eb->name);

	if (cmp != 0)
		return cmp;
	return (ea->first > eb->first) - (ea->first < eb->first);
}

/* Order entry pointers by base slug, then by name */
static int
compare_slug_name(const void *a, const void *b)
{
	const TagEntry *ea = *(TagEntry *const *) a;
	const TagEntry *eb = *(TagEntry *const *) b;
	int			cmp = strcmp(ea->slug, eb->slug);

	return cmp != 0 ? cmp : strcmp(ea->name, eb->name);
}

/* Order entries by first appearance */
static int
compare_first(const void *a, const void *b)
{
	int			fa = ((const TagEntry *) a)->first;
	int			fb = ((const TagEntry *) b)->first;

	return (fa > fb) - (fa < fb);
}

/* The entry with this name in a list sorted by name, or NULL */
static TagEntry *
find_entry(TagList *list, const char *name)
{
	int			lo = 0;
	int			hi = list->count - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			cmp = strcmp(name, list->entries[mid].name);

		if (cmp == 0)
			return &list->entries[mid];
		if (cmp < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* A text[] of these strings, for a statement parameter */
static Datum
text_array(const char **strings, int count)
{
	Datum	   *elems = palloc(Max(count, 1) * sizeof(Datum));
	int			i;

	for (i = 0; i < count; i++)
		elems[i] = CStringGetTextDatum(strings[i]);
	return PointerGetDatum(construct_array(elems, count, TEXTOID,
										   -1, false, TYPALIGN_INT));
}

/* bsearch() comparator for an array of C strings */
static int
compare_cstring_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Store the tags rows of the last statement in the entries they belong to,
 * copied into the list's memory, out of SPI's.  Each row comes with the name
 * it was asked for ("asked"): the tag's own name, or a synonym of it.
 * Returns how many were new to the list.
 */
static int
take_rows(TagList *list)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;
	int			asked_att = SPI_fnumber(desc, "asked");
	int			id_att = SPI_fnumber(desc, "id");
	int			taken = 0;
	uint64		row;

	if (asked_att <= 0 || id_att <= 0)
		elog(ERROR, "tags rows have no asked name or no id");
	if (list->desc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(list->cxt);

		list->desc = CreateTupleDescCopy(desc);
		MemoryContextSwitchTo(old);
	}

	for (row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TagEntry   *entry = find_entry(list, SPI_getvalue(tuple, desc,
														  asked_att));
		bool		isnull;

		if (entry == NULL)
			elog(ERROR, "tag \"%s\" was not asked for",
				 SPI_getvalue(tuple, desc, asked_att));
		if (entry->tuple != NULL)
			continue;
		entry->id = DatumGetInt32(SPI_getbinval(tuple, desc, id_att, &isnull));
		entry->tuple = heap_copytuple_in(list->cxt, tuple);
		taken++;
	}
	return taken;
}

/* A copy of a tuple in a memory context */
static HeapTuple
heap_copytuple_in(MemoryContext cxt, HeapTuple tuple)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	HeapTuple	copy = heap_copytuple(tuple);

	MemoryContextSwitchTo(old);
	return copy;
}

/*
 * Look up count names, the text[] names, and store the tags they name in
 * the list's entries (see take_rows()); returns how many entries that
 * filled.  The names of tags are read first, with the statement of version
 * 1.0, and only if some names are not among them, the synonyms: most calls
 * name existing tags by their names, and pay nothing for synonyms.  The
 * post writers lock what they find, each statement in id order; a writer
 * that names a tag by a synonym therefore does not lock all its tags in id
 * order, and can deadlock with a merge of those tags (40P01).
 */
static int
find_tags(TagList *list, Datum names, int count, bool lock)
{
	int			found;

	tags_execute(lock ? STMT_TAGS_BY_NAMES : STMT_TAGS_BY_NAMES_UNLOCKED,
				 &names, NULL, false, 0);
	found = take_rows(list);
	if (found < count)
	{
		tags_execute(lock ? STMT_TAGS_BY_SYNONYMS_LOCKED : STMT_TAGS_BY_SYNONYMS,
					 &names, NULL, false, 0);
		found += take_rows(list);
	}
	return found;
}

/*
 * Find or create the tag of every entry of a list sorted by name, and fill
 * in its row.  The caller must be connected to SPI.
 */
static void
resolve_tags(TagList *list, bool lock)
{
	TagEntry  **missing;
	const char **strings;
	int			nmissing = 0;
	Datum		params[2];
	int			i;

	if (list->count == 0)
		return;

	missing = palloc(list->count * sizeof(TagEntry *));
	strings = palloc(list->count * sizeof(char *));
	for (i = 0; i < list->count; i++)
		strings[i] = list->entries[i].name;
	params[0] = text_array(strings, list->count);
	if (find_tags(list, params[0], list->count, lock) == list->count)
		return;

	/* group the missing names by base slug, each group in name order */
	for (i = 0; i < list->count; i++)
	{
		TagEntry   *entry = &list->entries[i];

		CHECK_FOR_INTERRUPTS();
		if (entry->tuple != NULL)
			continue;
		entry->slug = tags_slugify_cstring(entry->name);
		missing[nmissing++] = entry;
	}
	qsort(missing, nmissing, sizeof(TagEntry *), compare_slug_name);
	assign_slugs(missing, nmissing, false, false, 0);
	check_no_new_synonyms(missing, nmissing);

	/*
	 * Insert the missing names.  A name that a concurrent transaction
	 * inserted meanwhile is skipped, and read once that transaction has
	 * committed.  If yet another transaction deleted it in between, it is
	 * missing again, and inserted again with the slug picked for it, which
	 * the locks keep free.
	 */
	for (;;)
	{
		int			still = 0;

		for (i = 0; i < nmissing; i++)
			if (missing[i]->tuple == NULL)
				missing[still++] = missing[i];
		nmissing = still;
		if (nmissing == 0)
			return;
		CHECK_FOR_INTERRUPTS();

		for (i = 0; i < nmissing; i++)
			strings[i] = missing[i]->name;
		params[0] = text_array(strings, nmissing);
		for (i = 0; i < nmissing; i++)
			strings[i] = missing[i]->slug;
		params[1] = text_array(strings, nmissing);
		insert_tags(list, params);
		if (take_rows(list) == nmissing)
			return;

		/*
		 * created meanwhile by a transaction that has now committed, or
		 * a synonym
		 */
		find_tags(list, params[0], nmissing, lock);

		/*
		 * Under REPEATABLE READ the INSERT fails with 40001 on a name that
		 * a transaction committed after the snapshot; no name can be
		 * missing here, so a loop would never end.
		 */
		if (IsolationUsesXactSnapshot())
			for (i = 0; i < nmissing; i++)
				if (missing[i]->tuple == NULL)
					elog(ERROR, "tag \"%s\" is neither insertable nor visible",
						 missing[i]->name);
	}
}

/*
 * The INSERT of missing names skips the names that are synonyms, which are
 * resolved by reading them again.  Under REPEATABLE READ it cannot see a
 * synonym added after the transaction's snapshot, and would create a tag of
 * that name: so, once the locks that keep synonyms from being added are
 * held (see assign_slugs()), the names are looked up among the synonyms in
 * a new snapshot, and a synonym the transaction cannot see fails it with
 * 40001, to be retried.
 */
static void
check_no_new_synonyms(TagEntry **missing, int nmissing)
{
	const char **names;
	Datum		param;
	int			i;

	if (!IsolationUsesXactSnapshot())
		return;
	names = palloc(nmissing * sizeof(char *));
	for (i = 0; i < nmissing; i++)
		names[i] = missing[i]->name;
	param = text_array(names, nmissing);
	if (tags_execute_latest(STMT_SYNONYMS_NAMED, &param, NULL) > 0)
		ereport(ERROR,
				errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				errmsg("could not serialize access due to a concurrent change of tag synonyms"),
				errdetail("\"%s\" became a synonym after the transaction's snapshot was taken.",
						  SPI_getvalue(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1)),
				errhint("Retry the transaction."));
}

/*
 * Run STMT_TAGS_INSERT of the missing entries of list, telling the trigger
 * on tags that their slugs were picked under the locks that assign_slugs()
 * took.  A get-or-create called from user code that the INSERT fires sets
 * its own list, and gives this one back when it ends.
 */
static void
insert_tags(TagList *list, Datum *params)
{
	TagList    *outer = inserting;

	inserting = list;
	PG_TRY();
	{
		tags_execute(STMT_TAGS_INSERT, params, NULL, false, 0);
	}
	PG_FINALLY();
	{
		inserting = outer;
	}
	PG_END_TRY();
}

/*
 * Whether a row of tags with this normalized name and slug is one that
 * get-or-create is inserting, with the slug it picked (see insert_tags()).
 * The caller asks only for an INSERT: an UPDATE is never one of those.
 */
static bool
is_inserting(const char *name, Datum slug)
{
	TagEntry   *entry;

	if (inserting == NULL)
		return false;
	entry = find_entry(inserting, name);
	return entry != NULL && entry->tuple == NULL && entry->slug != NULL &&
		strcmp(entry->slug, TextDatumGetCString(slug)) == 0;
}

/* Put a list in order of first appearance */
static void
sort_by_first(TagList *list)
{
	qsort(list->entries, list->count, sizeof(TagEntry), compare_first);
}

/* An id and where it appeared, to find the first appearance of each id */
typedef struct IdAt
{
	int32		id;
	int			at;
} IdAt;

static int
compare_id_at(const void *a, const void *b)
{
	const IdAt *ia = a;
	const IdAt *ib = b;

	if (ia->id != ib->id)
		return (ia->id > ib->id) - (ia->id < ib->id);
	return (ia->at > ib->at) - (ia->at < ib->at);
}

/*
 * Keep the first appearance of each tag id among ids[0 .. count), in their
 * order; returns how many are kept.  Two names are one tag when one is a
 * synonym of the other.
 */
static int
distinct_ids(Datum *ids, int count)
{
	IdAt	   *sorted = palloc(Max(count, 1) * sizeof(IdAt));
	bool	   *repeated = palloc0(Max(count, 1) * sizeof(bool));
	int			kept = 0;
	int			i;

	for (i = 0; i < count; i++)
	{
		sorted[i].id = DatumGetInt32(ids[i]);
		sorted[i].at = i;
	}
	qsort(sorted, count, sizeof(IdAt), compare_id_at);
	for (i = 1; i < count; i++)
		if (sorted[i].id == sorted[i - 1].id)
			repeated[sorted[i].at] = true;
	for (i = 0; i < count; i++)
		if (!repeated[i])
			ids[kept++] = ids[i];
	return kept;
}

/*
 * Keep the first entry of each tag in a list resolved and in order of first
 * appearance; returns how many are kept.
 */
static int
keep_first_of_each_tag(TagList *list)
{
	Datum	   *ids = palloc(Max(list->count, 1) * sizeof(Datum));
	int			ndistinct;
	int			kept = 0;
	int			i;

	for (i = 0; i < list->count; i++)
		ids[i] = Int32GetDatum(list->entries[i].id);
	ndistinct = distinct_ids(ids, list->count);

	/* an entry is the first of its tag if it is the next distinct id */
	for (i = 0; i < list->count && kept < ndistinct; i++)
		if (list->entries[i].id == DatumGetInt32(ids[kept]))
			list->entries[kept++] = list->entries[i];
	list->count = kept;
	return kept;
}

/*
 * Lock a post against the other writers of its tags, or raise P0002 if it
 * does not exist.  Sets *post to what post_tags copies of it; the lock
 * keeps that from changing until the transaction ends.
 *
 * Under REPEATABLE READ and SERIALIZABLE the lock is not enough: a writer
 * that waited for another to commit still reads in its older snapshot, and
 * would write its list over one it cannot see, leaving a mix of the two.
 * So the post's associations are read in the transaction's snapshot and in
 * a new one; if they differ, a transaction that committed since changed
 * them, and this one fails with 40001, to be retried.
 */
static void
lock_post(int32 post_id, TagsPostCopy *post)
{
	Datum		param = Int32GetDatum(post_id);
	uint64		nrows;
	int64	   *seen;
	uint64		row;
	bool		isnull;

	if (tags_execute(STMT_POST_LOCK, &param, NULL, false, 0) == 0)
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

	nrows = tags_execute(STMT_POST_TAG_IDS, &param, NULL, false, 0);
	seen = palloc((nrows * 2 + 1) * sizeof(int64));
	for (row = 0; row < nrows; row++)
	{
		seen[2 * row] = association_field(row, 1);
		seen[2 * row + 1] = association_field(row, 2);
	}
	if (tags_execute_latest(STMT_POST_TAG_IDS, &param, NULL) == nrows)
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

/* Column att of row row of the last STMT_POST_TAG_IDS, NULL as INT64_MIN */
static int64
association_field(uint64 row, int att)
{
	bool		isnull;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[row],
									  SPI_tuptable->tupdesc, att, &isnull);

	return isnull ? PG_INT64_MIN : DatumGetInt32(value);
}

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

	params[0] = Int32GetDatum(post->id);
	params[1] = PointerGetDatum(construct_array(ids, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	params[2] = BoolGetDatum(remove_others);
	tags_execute_for_post(STMT_POST_TAGS_APPLY, params, post);
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
 * tags_get_or_create(names text[]) RETURNS SETOF tags
 *
 * One tags row per distinct tag named, in order of first appearance:
 * existing tags as they are, missing ones created; a synonym names its tag.  STRICT, so a NULL list
 * never gets here; an empty one connects to nothing.  The rows are kept
 * outside SPI's memory by resolve_tags() and mapped onto the result's row
 * type by column name.
 */
Datum
tags_get_or_create(PG_FUNCTION_ARGS)
{
	TagList		list = collect_names(fcinfo, 0);

	InitMaterializedSRF(fcinfo, 0);
	if (list.count == 0)
		return (Datum) 0;

	tags_spi_connect(fcinfo);
	resolve_tags(&list, false);
	SPI_finish();

	sort_by_first(&list);
	keep_first_of_each_tag(&list);
	tags_put_tag_list(fcinfo, &list);
	return (Datum) 0;
}

/*
 * Put the rows of a resolved list, in its order, into the materialized
 * result set of fcinfo, mapped onto its row type by column name.
 */
void
tags_put_tag_list(FunctionCallInfo fcinfo, TagList *list)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleConversionMap *map;
	int			i;

	if (list->count == 0)
		return;
	map = convert_tuples_by_name(list->desc, rsinfo->setDesc);
	for (i = 0; i < list->count; i++)
	{
		HeapTuple	tuple = list->entries[i].tuple;

		tuplestore_puttuple(rsinfo->setResult,
							map ? execute_attr_map_tuple(tuple, map) : tuple);
	}
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
	TagList		list = collect_names(fcinfo, 1);
	TagsPostCopy post;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	lock_post(post_id, &post);
	if (!PG_ARGISNULL(1))
	{
		Datum	   *ids = palloc(Max(list.count, 1) * sizeof(Datum));
		int			i;

		resolve_tags(&list, true);
		sort_by_first(&list);
		check_tag_limit(post_id, keep_first_of_each_tag(&list));
		for (i = 0; i < list.count; i++)
			ids[i] = Int32GetDatum(list.entries[i].id);
		apply_tag_ids(&post, ids, list.count, true);

		/*
		 * The post's tags are now exactly these, in this order, and the
		 * lock on the post keeps them so: they are returned as they were
		 * read, with no statement to read them again.
		 */
		tags_put_tag_list(fcinfo, &list);
	}
	else
		tags_put_post_tags(fcinfo, post_id, true);
	SPI_finish();
	return (Datum) 0;
}

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
	TagList		list = collect_names(fcinfo, 1);
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
		ncurrent = tags_execute(STMT_POST_TAGS, &param, NULL, false, 0);
		desc = SPI_tuptable->tupdesc;
		att = tags_result_column("name");
		for (row = 0; row < ncurrent; row++)
		{
			TagEntry   *entry = find_entry(&list,
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

			resolve_tags(&list, true);
			sort_by_first(&list);

			/*
			 * The current list again, now with its tags locked against
			 * deletion until the new list is written.  It is read after
			 * the new names, which may have waited for a transaction
			 * deleting one of them: holding no lock on the post's tags
			 * meanwhile, this call cannot deadlock with that transaction
			 * deleting one of those too.
			 */
			ncurrent = tags_execute(STMT_POST_TAGS_LOCKED, &param, NULL,
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
			nids = distinct_ids(ids, (int) ncurrent + list.count);
			check_tag_limit(post_id, nids);
			apply_tag_ids(&post, ids, nids, false);
		}
	}
	tags_put_post_tags(fcinfo, post_id, true);
	SPI_finish();
	return (Datum) 0;
}

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
	TagList		list = collect_names(fcinfo, 1);
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
		params[0] = Int32GetDatum(post_id);
		params[1] = text_array(names, list.count);
		tags_execute(STMT_POST_TAGS_REMOVE, params, NULL, false, 0);
	}
	tags_put_post_tags(fcinfo, post_id, true);
	SPI_finish();
	return (Datum) 0;
}

/* Order taken slugs by base, then by suffix number */
static int
compare_taken(const void *a, const void *b)
{
	const TakenSlug *ta = a;
	const TakenSlug *tb = b;

	if (ta->group != tb->group)
		return (ta->group > tb->group) - (ta->group < tb->group);
	return (ta->n > tb->n) - (ta->n < tb->n);
}

/*
 * The number a slug takes among base, base-2, base-3 ...: 1 for base
 * itself, N for "base-N", 0 for any other slug (such as "base-02").
 */
static uint64
slug_number(const char *base, const char *slug)
{
	size_t		baselen = strlen(base);
	const char *suffix;
	char	   *end;
	uint64		n;

	if (strcmp(slug, base) == 0)
		return 1;
	if (strncmp(slug, base, baselen) != 0 || slug[baselen] != '-')
		return 0;
	suffix = slug + baselen + 1;
	if (suffix[0] < '1' || suffix[0] > '9')
		return 0;
	n = strtou64(suffix, &end, 10);
	return (*end == '\0' && n >= 2) ? n : 0;
}

/*
 * The advisory lock key of a base slug: a hash of its root, the base without
 * any trailing "-<digits>" parts.  Every slug made from a base ("cafe",
 * "cafe-2") has the root of the base, so two bases whose slugs could
 * collide ("cafe" and "cafe-2") share a lock.
 */
static int32
slug_lock_key(const char *base)
{
	size_t		len = strlen(base);

	for (;;)
	{
		size_t		hyphen = len;

		while (hyphen > 0 && isdigit((unsigned char) base[hyphen - 1]))
			hyphen--;
		if (hyphen == len || hyphen < 2 || base[hyphen - 1] != '-')
			break;
		len = hyphen - 1;
	}
	return (int32) hash_bytes((const unsigned char *) base, len);
}

/* Order int32 values */
static int
compare_int32(const void *a, const void *b)
{
	int32		ia = *(const int32 *) a;
	int32		ib = *(const int32 *) b;

	return (ia > ib) - (ia < ib);
}

/*
 * Take the advisory locks that let a session pick slugs from these roots
 * (keys) without another session picking the same, held to the end of the
 * transaction.
 *
 * Get-or-create takes the lock of direct writes shared, then the lock of
 * each root, in the order of the keys, so that two sessions never wait for
 * each other.  A direct write to tags (direct) takes the lock of direct
 * writes exclusively, and no root lock: that excludes every other session
 * that picks slugs, and a multi-row INSERT, whose trigger runs row by row,
 * needs no more locks for more rows.  Get-or-create does the same when it
 * would need more than TAGS_MAX_ROOT_LOCKS root locks, which would fill
 * the lock table.
 */
static void
lock_slug_roots(int32 *keys, int nkeys, bool direct)
{
	int			nlocks = 0;
	int			i;

	if (nkeys > 0)
		qsort(keys, nkeys, sizeof(int32), compare_int32);
	for (i = 0; i < nkeys; i++)
		if (i == 0 || keys[i] != keys[i - 1])
			keys[nlocks++] = keys[i];
	if (nlocks > TAGS_MAX_ROOT_LOCKS)
		direct = true;

	DirectFunctionCall2(direct ? pg_advisory_xact_lock_int4 :
						pg_advisory_xact_lock_shared_int4,
						Int32GetDatum(TAGS_DIRECT_LOCK_SPACE),
						Int32GetDatum(0));
	if (direct)
		return;
	for (i = 0; i < nlocks; i++)
		DirectFunctionCall2(pg_advisory_xact_lock_int4,
							Int32GetDatum(TAGS_SLUG_LOCK_SPACE),
							Int32GetDatum(keys[i]));
}

/*
 * Take the lock of direct writes exclusively (see lock_slug_roots()): no
 * other session creates a tag, picks a slug or changes a synonym until the
 * transaction ends.
 */
void
tags_lock_direct_writes(void)
{
	lock_slug_roots(NULL, 0, true);
}

/*
 * Give each of count entries, sorted by base slug, the first free slug among
 * base, base-2, base-3 ...: free of every tag, and of the slugs given to the
 * entries before it.  entry->slug holds the base on entry, the slug on
 * return.  A tag with id own_id (if has_own_id) does not hold its own slug.
 *
 * One statement finds the taken slugs of every base.  Before it, the
 * advisory locks of the bases are taken (see lock_slug_roots(); direct
 * says whether for a direct write).  The statement runs in a snapshot
 * taken after the locks, even under REPEATABLE READ, so it sees every tag
 * committed by a transaction that held one of them, and no transaction that
 * has not committed yet can hold a slug we might pick.
 * The caller must be connected to SPI.
 */
static void
assign_slugs(TagEntry **entries, int count, bool direct, bool has_own_id,
			 int32 own_id)
{
	const char **bases = palloc(count * sizeof(char *));
	int		   *group_start = palloc((count + 1) * sizeof(int));
	int32	   *keys = palloc(count * sizeof(int32));
	int			ngroups = 0;
	Datum		params[2];
	uint64		nrows;
	TakenSlug  *taken;
	int			ntaken = 0;
	int			next = 0;
	HASHCTL		ctl;
	HTAB	   *given;
	uint64		row;
	int			g;
	int			i;

	for (i = 0; i < count; i++)
	{
		if (ngroups > 0 && strcmp(entries[i]->slug, bases[ngroups - 1]) == 0)
			continue;
		bases[ngroups] = entries[i]->slug;
		keys[ngroups] = slug_lock_key(entries[i]->slug);
		group_start[ngroups++] = i;
	}
	group_start[ngroups] = count;

	lock_slug_roots(keys, ngroups, direct);

	params[0] = ngroups == 1 ? CStringGetTextDatum(bases[0]) :
		text_array(bases, ngroups);
	params[1] = Int32GetDatum(own_id);
	nrows = tags_execute_latest(ngroups == 1 ? STMT_SLUGS_OF_BASE :
								STMT_SLUGS_TAKEN,
								params, has_own_id ? "  " : " n");

	taken = palloc((nrows + 1) * sizeof(TakenSlug));
	for (row = 0; row < nrows; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		char	   *base = SPI_getvalue(tuple, SPI_tuptable->tupdesc, 1);
		char	   *slug = SPI_getvalue(tuple, SPI_tuptable->tupdesc, 2);
		const char **found = bsearch(&base, bases, ngroups, sizeof(char *),
									 compare_cstring_ptr);
		uint64		n = slug_number(base, slug);

		if (found == NULL)
			elog(ERROR, "base slug \"%s\" was not asked for", base);
		if (n == 0)
			continue;
		taken[ntaken].group = found - bases;
		taken[ntaken].n = n;
		ntaken++;
	}
	qsort(taken, ntaken, sizeof(TakenSlug), compare_taken);

	/* the slugs given so far in this call ("cafe-2" to "café", say) */
	ctl.keysize = TAGS_SLUG_MAX_BYTES;
	ctl.entrysize = TAGS_SLUG_MAX_BYTES;
	ctl.hcxt = CurrentMemoryContext;
	given = hash_create("tags given slugs", count, &ctl,
						HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	/* walk each base's entries and its taken numbers side by side */
	for (g = 0; g < ngroups; g++)
	{
		uint64		candidate = 1;

		for (i = group_start[g]; i < group_start[g + 1]; i++)
		{
			char	   *slug;
			bool		clash;

			CHECK_FOR_INTERRUPTS();
			do
			{
				while (next < ntaken && (taken[next].group < g ||
										 (taken[next].group == g &&
										  taken[next].n <= candidate)))
				{
					if (taken[next].group == g && taken[next].n == candidate)
						candidate++;
					next++;
				}
				slug = candidate == 1 ? pstrdup(bases[g]) :
					psprintf("%s-" UINT64_FORMAT, bases[g], candidate);
				hash_search(given, slug, HASH_ENTER, &clash);
				candidate++;
			} while (clash);
			entries[i]->slug = slug;
		}
	}
}

/*
 * Whether the row a tags trigger fired for has a slug that was not the
 * row's before: every INSERT, and an UPDATE that sets another slug.
 */
static bool
slug_changed(TriggerData *trigdata, int slug_att)
{
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	bool		old_null;
	bool		new_null;
	Datum		old_slug;
	Datum		new_slug;

	if (!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return true;
	old_slug = heap_getattr(trigdata->tg_trigtuple, slug_att, desc, &old_null);
	new_slug = heap_getattr(trigdata->tg_newtuple, slug_att, desc, &new_null);
	return old_null != new_null ||
		(!new_null && !datumIsEqual(old_slug, new_slug, false, -1));
}

/*
 * Whether the row a tags trigger fired for gets a name that was not the
 * row's before: every INSERT, and an UPDATE to another normalized name.
 */
static bool
name_changed(TriggerData *trigdata, int name_att, const char *normalized)
{
	bool		old_null;
	Datum		old_name;
	char	   *old_normalized;

	if (!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return true;
	old_name = heap_getattr(trigdata->tg_trigtuple, name_att,
							RelationGetDescr(trigdata->tg_relation), &old_null);
	if (old_null)
		return true;
	old_normalized = TextDatumGetCString(old_name);
	return strcmp(old_normalized, normalized) != 0;
}

/*
 * Raise 23505 if a direct write gives a tag a name that is a synonym.  The
 * caller holds the lock of direct writes, which tag_add_synonym() takes
 * too, and the synonyms are read in a new snapshot, so none can be added
 * unseen.
 */
static void
check_name_not_synonym(FunctionCallInfo fcinfo, const char *normalized)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Datum		param = CStringGetTextDatum(normalized);

	tags_spi_connect(fcinfo);
	if (tags_execute_latest(STMT_SYNONYM_OF_NAME, &param, NULL) > 0)
		ereport(ERROR,
				errcode(ERRCODE_UNIQUE_VIOLATION),
				errmsg("tag name \"%s\" is a synonym of tag \"%s\"",
					   normalized,
					   SPI_getvalue(SPI_tuptable->vals[0],
									SPI_tuptable->tupdesc, 2)),
				errhint("Remove the synonym with tag_remove_synonym() first."),
				errtable(trigdata->tg_relation));
	SPI_finish();
}

/*
 * Raise 23505 if a direct write gives a tag a slug that is another tag's old
 * slug, which must keep leading to that tag.
 */
static void
check_slug_not_alias(FunctionCallInfo fcinfo, HeapTuple tuple, int slug_att,
					 int id_att)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	Datum		params[2];
	bool		id_null;
	bool		slug_null;

	params[0] = heap_getattr(tuple, slug_att, desc, &slug_null);
	params[1] = heap_getattr(tuple, id_att, desc, &id_null);
	tags_spi_connect(fcinfo);
	if (tags_execute_latest(STMT_ALIAS_TAKEN, params,
							id_null ? " n" : "  ") > 0)
		ereport(ERROR,
				errcode(ERRCODE_UNIQUE_VIOLATION),
				errmsg("slug \"%s\" is an old slug of another tag",
					   TextDatumGetCString(params[0])),
				errdetail("Links with an old slug lead to the tag that had it."),
				errtable(trigdata->tg_relation));
	SPI_finish();
}

/*
 * A tag that takes back one of its old slugs (an UPDATE) no longer has it
 * as an alias: a slug is a tag's own or an alias, never both.  Done as the
 * owner of the extension's tables, as the upkeep of upkeep.c is, so that a
 * role that may update tags needs no privilege on tag_slug_aliases.
 */
static void
drop_own_alias(FunctionCallInfo fcinfo, Datum slug, Datum id)
{
	Datum		params[2];
	TagsSavedUser saved;

	params[0] = slug;
	params[1] = id;
	tags_spi_connect(fcinfo);
	tags_become_owner(&saved);
	tags_execute_latest(STMT_ALIAS_DROP_OWN, params, NULL);
	tags_restore_user(&saved);
	SPI_finish();
}

/*
 * tags_before_write() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OF name, slug ON tags FOR EACH ROW.  Stores the
 * normalized name, and gives a row whose slug is NULL the first free slug
 * derived from it.  A given slug is kept as it is (the CHECK constraint
 * judges it), and so is the slug of a renamed tag, so links stay valid;
 * setting slug to NULL asks for a new one.
 */
Datum
tags_before_write(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	int			name_att;
	int			slug_att;
	int			id_att;
	bool		isnull;
	Datum		name;
	Datum		slug;
	char	   *normalized;
	bool		ours;
	int			columns[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int			ncolumns = 0;

	tags_check_before_row_trigger(fcinfo, "tags_before_write");

	desc = RelationGetDescr(trigdata->tg_relation);
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	name_att = SPI_fnumber(desc, "name");
	slug_att = SPI_fnumber(desc, "slug");
	id_att = SPI_fnumber(desc, "id");
	if (name_att <= 0 || slug_att <= 0 || id_att <= 0)
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_before_write\" must be fired on a table with columns id, name and slug"));

	/* a NULL name is for the NOT NULL constraint to reject */
	name = heap_getattr(tuple, name_att, desc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);

	normalized = text_to_cstring(DatumGetTextPP(name));
	normalized = tags_normalize_cstring(normalized, strlen(normalized));
	if (normalized[0] == '\0')
		ereport(ERROR,
				errcode(ERRCODE_CHECK_VIOLATION),
				errmsg("tag name is empty"),
				errdetail("A tag name must keep at least one character after normalization."),
				errtable(trigdata->tg_relation));
	tags_check_name_length(normalized);
	columns[ncolumns] = name_att;
	values[ncolumns++] = CStringGetTextDatum(normalized);

	slug = heap_getattr(tuple, slug_att, desc, &isnull);
	ours = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) && !isnull &&
		is_inserting(normalized, slug);
	if (isnull)
	{
		TagEntry	entry = {0};
		TagEntry   *entryp = &entry;
		Datum		id = heap_getattr(tuple, id_att, desc, &isnull);
		char	   *picked;

		entry.name = normalized;
		entry.slug = tags_slugify_cstring(normalized);
		tags_spi_connect(fcinfo);
		assign_slugs(&entryp, 1, true, !isnull, isnull ? 0 : DatumGetInt32(id));
		picked = SPI_palloc(strlen(entry.slug) + 1);
		strcpy(picked, entry.slug);
		SPI_finish();

		columns[ncolumns] = slug_att;
		values[ncolumns++] = CStringGetTextDatum(picked);
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
			drop_own_alias(fcinfo, values[ncolumns - 1], id);
	}
	else if (!ours && slug_changed(trigdata, slug_att))
	{
		/* keep get-or-create from picking this slug meanwhile */
		tags_lock_direct_writes();
		check_slug_not_alias(fcinfo, tuple, slug_att, id_att);
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
			drop_own_alias(fcinfo, slug,
						   heap_getattr(tuple, id_att, desc, &isnull));
	}

	if (!ours && name_changed(trigdata, name_att, normalized))
	{
		/* keep a synonym of this name from being added meanwhile */
		tags_lock_direct_writes();
		check_name_not_synonym(fcinfo, normalized);
	}

	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, ncolumns,
													 columns, values, nulls));
}

/*
 * The distinct normalized names of the text[] argument argno, read as every
 * names array is (see collect_names()), as a text[] for a statement of the
 * readers; *count is their number.  A NULL array gives an empty one.
 */
Datum
tags_names_arg(FunctionCallInfo fcinfo, int argno, int *count)
{
	TagList		list = collect_names(fcinfo, argno);
	const char **names = palloc(Max(list.count, 1) * sizeof(char *));
	int			i;

	for (i = 0; i < list.count; i++)
		names[i] = list.entries[i].name;
	*count = list.count;
	return text_array(names, list.count);
}

/*
 * What the writers on a target (items.c) share with the post writers
 */
TagList
tags_collect_names(FunctionCallInfo fcinfo, int argno)
{
	return collect_names(fcinfo, argno);
}

void
tags_resolve_tags(TagList *list, bool lock)
{
	resolve_tags(list, lock);
}

void
tags_sort_by_first(TagList *list)
{
	sort_by_first(list);
}

int
tags_keep_first_of_each_tag(TagList *list)
{
	return keep_first_of_each_tag(list);
}

int
tags_distinct_ids(Datum *ids, int count)
{
	return distinct_ids(ids, count);
}

TagEntry *
tags_find_entry(TagList *list, const char *name)
{
	return find_entry(list, name);
}

Datum
tags_text_array(const char **strings, int count)
{
	return text_array(strings, count);
}
