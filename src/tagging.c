/*-------------------------------------------------------------------------
 *
 * tagging.c
 *	  Writes: get-or-create of tags, a post's tag list, and the trigger that
 *	  keeps direct writes to tags consistent.
 *
 * Get-or-create.  The names of a call are normalized and deduplicated in C,
 * then resolved in a constant number of statements however many there are:
 * one SELECT of the existing tags, one INSERT ... ON CONFLICT DO NOTHING of
 * the missing ones, and, only if a concurrent transaction created some of
 * them in between, one more SELECT.  Most names exist in practice, so most
 * calls stop after the first statement.
 *
 * Locking.  The missing names are inserted sorted by (base slug, name).  The
 * trigger takes a transaction-level advisory lock on the base slug before it
 * looks for a free slug, and a unique-index wait is on a name; as the base
 * slug is a function of the name, every session takes these in the same
 * order, so two sessions creating overlapping sets of names never deadlock.
 * The advisory lock makes a session that creates "cafe" wait for another
 * creating "café" to finish, after which READ COMMITTED's next snapshot
 * shows it the taken slug, and it picks "cafe-2".
 *
 * A post's tag list.  Every writer first locks the post row (FOR NO KEY
 * UPDATE, which does not block foreign-key checks), so calls on one post
 * serialize and each sees the list the one before it left.  The new list is
 * written by one statement that deletes the associations that go, moves
 * those whose position changed and inserts the new ones; associations that
 * stay are never deleted and inserted again.
 *
 * Every error a caller can cause is raised before the first write, and any
 * error aborts the whole call, so nothing of a failed call remains.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
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

/* First key of the advisory locks on base slugs: "tags" in ASCII */
#define TAGS_SLUG_LOCK_SPACE 0x74616773

/* One distinct tag name of a call, and the tags row it resolves to */
typedef struct TagEntry
{
	char	   *name;			/* normalized, in the database encoding */
	char	   *slug;			/* base slug, set only to order insertion */
	int			first;			/* index of its first appearance */
	bool		found;			/* values holds the tags row */
	Datum		values[TAG_NATTS];
} TagEntry;

/* The distinct names of a call, sorted by name until sort_by_first() */
typedef struct TagList
{
	TagEntry   *entries;
	int			count;
} TagList;

static TagList collect_names(FunctionCallInfo fcinfo, int argno);
static int	compare_name_first(const void *a, const void *b);
static int	compare_slug_name(const void *a, const void *b);
static int	compare_first(const void *a, const void *b);
static TagEntry *find_entry(TagList *list, const char *name);
static Datum names_array(TagEntry **entries, int count);
static int	take_rows(TagList *list);
static void resolve_tags(TagList *list);
static void sort_by_first(TagList *list);
static void lock_post(int32 post_id);
static void apply_tag_ids(int32 post_id, Datum *ids, int count);
static void check_tag_limit(int32 post_id, int count);
static uint64 free_slug_suffix(const char *base, int32 tag_id);

/*
 * The distinct normalized names of the text[] argument argno: NULL and blank
 * elements are skipped, and each name is checked for length.  The list is
 * sorted by name.  A NULL array gives an empty list.
 */
static TagList
collect_names(FunctionCallInfo fcinfo, int argno)
{
	TagList		list = {NULL, 0};
	ArrayType  *names;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	int			i;
	int			kept;

	if (PG_ARGISNULL(argno))
		return list;
	names = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(names) > 1)
		ereport(ERROR,
				errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("tag names must be a one-dimensional array"));

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

/* A text[] of the entries' names, for a statement parameter */
static Datum
names_array(TagEntry **entries, int count)
{
	Datum	   *elems = palloc(Max(count, 1) * sizeof(Datum));
	int			i;

	for (i = 0; i < count; i++)
		elems[i] = CStringGetTextDatum(entries[i]->name);
	return PointerGetDatum(construct_array(elems, count, TEXTOID,
										   -1, false, TYPALIGN_INT));
}

/*
 * Store the tags rows of the last statement in the entries they belong to,
 * copied out of SPI's memory.  Returns how many were new to the list.
 */
static int
take_rows(TagList *list)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;
	int			taken = 0;
	uint64		row;

	for (row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		char	   *name = SPI_getvalue(tuple, desc, TAG_ATTNUM_NAME);
		TagEntry   *entry = find_entry(list, name);
		int			att;

		if (entry == NULL)
			elog(ERROR, "tag \"%s\" was not asked for", name);
		if (entry->found)
			continue;
		for (att = 1; att <= TAG_NATTS; att++)
		{
			Form_pg_attribute attr = TupleDescAttr(desc, att - 1);
			bool		isnull;
			Datum		value = SPI_getbinval(tuple, desc, att, &isnull);

			Assert(!isnull);
			entry->values[att - 1] = SPI_datumTransfer(value, attr->attbyval,
													   attr->attlen);
		}
		entry->found = true;
		taken++;
	}
	return taken;
}

/*
 * Find or create the tag of every entry of a list sorted by name, and fill
 * in its row.  The caller must be connected to SPI.
 */
static void
resolve_tags(TagList *list)
{
	TagEntry  **missing = palloc(Max(list->count, 1) * sizeof(TagEntry *));
	int			nmissing = 0;
	int			i;
	Datum		param;

	if (list->count == 0)
		return;

	for (i = 0; i < list->count; i++)
		missing[i] = &list->entries[i];
	param = names_array(missing, list->count);
	tags_execute(STMT_TAGS_BY_NAMES, &param, NULL, false, 0);
	if (take_rows(list) == list->count)
		return;

	/* insert the missing names in (base slug, name) order: see above */
	for (i = 0; i < list->count; i++)
	{
		TagEntry   *entry = &list->entries[i];

		if (entry->found)
			continue;
		entry->slug = tags_slugify_cstring(entry->name);
		missing[nmissing++] = entry;
	}
	qsort(missing, nmissing, sizeof(TagEntry *), compare_slug_name);
	param = names_array(missing, nmissing);
	tags_execute(STMT_TAGS_INSERT, &param, NULL, false, 0);
	if (take_rows(list) == nmissing)
		return;

	/* some were created meanwhile by a transaction that has now committed */
	tags_execute(STMT_TAGS_BY_NAMES, &param, NULL, false, 0);
	take_rows(list);
	for (i = 0; i < nmissing; i++)
		if (!missing[i]->found)
			ereport(ERROR,
					errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					errmsg("could not create tag \"%s\"", missing[i]->name),
					errdetail("A concurrent transaction created the tag and another deleted it."),
					errhint("Retry the transaction."));
}

/* Put a list in order of first appearance */
static void
sort_by_first(TagList *list)
{
	qsort(list->entries, list->count, sizeof(TagEntry), compare_first);
}

/*
 * Lock a post against the other writers of its tags, or raise P0002 if it
 * does not exist.
 */
static void
lock_post(int32 post_id)
{
	Datum		param = Int32GetDatum(post_id);

	if (tags_execute(STMT_POST_LOCK, &param, NULL, false, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("post %d does not exist", post_id));
}

/*
 * Make a locked post's tags exactly these tag ids, in this order.
 */
static void
apply_tag_ids(int32 post_id, Datum *ids, int count)
{
	Datum		params[2];

	params[0] = Int32GetDatum(post_id);
	params[1] = PointerGetDatum(construct_array(ids, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	tags_execute(STMT_POST_TAGS_APPLY, params, NULL, false, 0);
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
 */
Datum
tags_get_or_create(PG_FUNCTION_ARGS)
{
	TagList		list = collect_names(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		nulls[TAG_NATTS] = {false};
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	resolve_tags(&list);
	SPI_finish();

	sort_by_first(&list);
	for (i = 0; i < list.count; i++)
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 list.entries[i].values, nulls);
	return (Datum) 0;
}

/*
 * post_set_tags(post_id integer, names text[]) RETURNS SETOF tags
 *
 * NULL names leave the tags as they are; an empty list removes them all.
 */
Datum
post_set_tags(PG_FUNCTION_ARGS)
{
	int32		post_id = tags_post_id_arg(fcinfo, 0);
	TagList		list = collect_names(fcinfo, 1);

	check_tag_limit(post_id, list.count);
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	lock_post(post_id);
	if (!PG_ARGISNULL(1))
	{
		Datum	   *ids = palloc(Max(list.count, 1) * sizeof(Datum));
		int			i;

		resolve_tags(&list);
		sort_by_first(&list);
		for (i = 0; i < list.count; i++)
			ids[i] = list.entries[i].values[TAG_ATTNUM_ID - 1];
		apply_tag_ids(post_id, ids, list.count);
	}
	tags_put_post_tags(fcinfo, post_id, false);
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
	Datum		param = Int32GetDatum(post_id);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	lock_post(post_id);
	if (list.count > 0)
	{
		uint64		ncurrent;
		Datum	   *ids;
		int			nids = 0;
		int			kept = 0;
		uint64		row;
		int			i;

		/* the current list, and which of the names it already has */
		ncurrent = tags_execute(STMT_POST_TAGS, &param, NULL, false, 0);
		ids = palloc((ncurrent + list.count) * sizeof(Datum));
		for (row = 0; row < ncurrent; row++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[row];
			TagEntry   *entry;
			bool		isnull;

			ids[nids++] = SPI_getbinval(tuple, SPI_tuptable->tupdesc,
										TAG_ATTNUM_ID, &isnull);
			entry = find_entry(&list,
							   SPI_getvalue(tuple, SPI_tuptable->tupdesc,
											TAG_ATTNUM_NAME));
			if (entry != NULL)
				entry->found = true;
		}
		for (i = 0; i < list.count; i++)
			if (!list.entries[i].found)
				list.entries[kept++] = list.entries[i];
		list.count = kept;

		check_tag_limit(post_id, nids + list.count);
		if (list.count > 0)
		{
			resolve_tags(&list);
			sort_by_first(&list);
			for (i = 0; i < list.count; i++)
				ids[nids++] = list.entries[i].values[TAG_ATTNUM_ID - 1];
			apply_tag_ids(post_id, ids, nids);
		}
	}
	tags_put_post_tags(fcinfo, post_id, false);
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

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	lock_post(post_id);
	if (list.count > 0)
	{
		TagEntry  **entries = palloc(list.count * sizeof(TagEntry *));
		Datum		params[2];
		int			i;

		for (i = 0; i < list.count; i++)
			entries[i] = &list.entries[i];
		params[0] = Int32GetDatum(post_id);
		params[1] = names_array(entries, list.count);
		tags_execute(STMT_POST_TAGS_REMOVE, params, NULL, false, 0);
	}
	tags_put_post_tags(fcinfo, post_id, false);
	SPI_finish();
	return (Datum) 0;
}

/*
 * The suffix of the first free slug among base, base-2, base-3 ... for the
 * tag tag_id: 0 if base itself is free.  Takes the advisory lock on the base
 * slug first, so that the snapshot of the search sees every tag committed
 * by a transaction that held it.
 */
static uint64
free_slug_suffix(const char *base, int32 tag_id)
{
	size_t		baselen = strlen(base);
	uint32		hash = hash_bytes((const unsigned char *) base, baselen);
	Datum		params[4];
	uint64		ntaken;
	bool		base_taken = false;
	bool	   *suffix_taken;
	uint64		row;
	uint64		n;

	DirectFunctionCall2(pg_advisory_xact_lock_int4,
						Int32GetDatum(TAGS_SLUG_LOCK_SPACE),
						Int32GetDatum((int32) hash));

	params[0] = CStringGetTextDatum(base);
	params[1] = CStringGetTextDatum(psprintf("%s-", base));
	params[2] = CStringGetTextDatum(psprintf("%s.", base));
	params[3] = Int32GetDatum(tag_id);
	ntaken = tags_execute(STMT_SLUGS_TAKEN, params, NULL, false, 0);

	/* suffix_taken[n] for n in 2 .. ntaken + 2: one of them is free */
	suffix_taken = palloc0((ntaken + 3) * sizeof(bool));
	for (row = 0; row < ntaken; row++)
	{
		char	   *slug = SPI_getvalue(SPI_tuptable->vals[row],
										SPI_tuptable->tupdesc, 1);
		const char *suffix = slug + baselen + 1;
		char	   *end;

		if (strcmp(slug, base) == 0)
		{
			base_taken = true;
			continue;
		}
		/* only a canonical decimal suffix can be the one we would make */
		if (suffix[0] < '1' || suffix[0] > '9')
			continue;
		n = strtoul(suffix, &end, 10);
		if (*end == '\0' && n >= 2 && n <= ntaken + 2)
			suffix_taken[n] = true;
	}

	if (!base_taken)
		return 0;
	for (n = 2; suffix_taken[n]; n++)
		;
	return n;
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
	char	   *normalized;
	int			columns[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int			ncolumns = 0;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		elog(ERROR, "tags_before_write must be fired before insert or update, for each row");

	desc = RelationGetDescr(trigdata->tg_relation);
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	name_att = SPI_fnumber(desc, "name");
	slug_att = SPI_fnumber(desc, "slug");
	id_att = SPI_fnumber(desc, "id");
	if (name_att <= 0 || slug_att <= 0 || id_att <= 0)
		elog(ERROR, "tags_before_write must be fired on the tags table");

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

	(void) heap_getattr(tuple, slug_att, desc, &isnull);
	if (isnull)
	{
		char	   *base = tags_slugify_cstring(normalized);
		Datum		id = heap_getattr(tuple, id_att, desc, &isnull);
		uint64		suffix;

		tags_spi_connect(fcinfo);
		suffix = free_slug_suffix(base, isnull ? 0 : DatumGetInt32(id));
		SPI_finish();

		columns[ncolumns] = slug_att;
		values[ncolumns++] = CStringGetTextDatum(suffix == 0 ? base :
												 psprintf("%s-" UINT64_FORMAT,
														  base, suffix));
	}

	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, ncolumns,
													 columns, values, nulls));
}
