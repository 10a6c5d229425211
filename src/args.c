/*-------------------------------------------------------------------------
 *
 * args.c
 *	  Argument checks: the names arrays every function reads the same way,
 *	  the checks of numbers, pages and slugs, and of how a trigger function
 *	  was fired.
 *
 * A names array is normalized and deduplicated here, in C, before any
 * statement runs: NULL and blank elements are skipped, a name too long is
 * refused (22001), and the first appearance of each name is kept.  Every
 * error a caller can cause by its arguments is raised before anything is
 * written (doc/functions.md lists them with their SQLSTATEs).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "tags.h"

static int	compare_name_first(const void *a, const void *b);
static int	compare_first(const void *a, const void *b);
static void scope_of_row(FunctionCallInfo fcinfo, int context_argno,
						 HeapTupleHeader row, Oid shard, AttrNumber tenant_att,
						 TagsTarget *target);

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
TagList
tags_collect_names(FunctionCallInfo fcinfo, int argno)
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

/* Order entries by first appearance */
static int
compare_first(const void *a, const void *b)
{
	int			fa = ((const TagEntry *) a)->first;
	int			fb = ((const TagEntry *) b)->first;

	return (fa > fb) - (fa < fb);
}

/* The entry with this name in a list sorted by name, or NULL */
TagEntry *
tags_find_entry(TagList *list, const char *name)
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
Datum
tags_text_array(const char **strings, int count)
{
	Datum	   *elems = palloc(Max(count, 1) * sizeof(Datum));
	int			i;

	for (i = 0; i < count; i++)
		elems[i] = CStringGetTextDatum(strings[i]);
	return PointerGetDatum(construct_array(elems, count, TEXTOID,
										   -1, false, TYPALIGN_INT));
}

/*
 * The distinct normalized names of the text[] argument argno, read as every
 * names array is (see tags_collect_names()), as a text[] for a statement of the
 * readers; *count is their number.  A NULL array gives an empty one.
 */
Datum
tags_names_arg(FunctionCallInfo fcinfo, int argno, int *count)
{
	TagList		list = tags_collect_names(fcinfo, argno);
	const char **names = palloc(Max(list.count, 1) * sizeof(char *));
	int			i;

	for (i = 0; i < list.count; i++)
		names[i] = list.entries[i].name;
	*count = list.count;
	return tags_text_array(names, list.count);
}

/* Put a list in order of first appearance */
void
tags_sort_by_first(TagList *list)
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
int
tags_distinct_ids(Datum *ids, int count)
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
int
tags_keep_first_of_each_tag(TagList *list)
{
	Datum	   *ids = palloc(Max(list->count, 1) * sizeof(Datum));
	int			ndistinct;
	int			kept = 0;
	int			i;

	for (i = 0; i < list->count; i++)
		ids[i] = Int32GetDatum(list->entries[i].id);
	ndistinct = tags_distinct_ids(ids, list->count);

	/* an entry is the first of its tag if it is the next distinct id */
	for (i = 0; i < list->count && kept < ndistinct; i++)
		if (list->entries[i].id == DatumGetInt32(ids[kept]))
			list->entries[kept++] = list->entries[i];
	list->count = kept;
	return kept;
}

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

/* Whether the function was given argument argno, and not NULL */
static inline bool
arg_given(FunctionCallInfo fcinfo, int argno)
{
	return argno >= 0 && argno < PG_NARGS() && !PG_ARGISNULL(argno);
}

/*
 * Tell target, a list of a tenant target, the call's tenant: the tag_tenant
 * argument argno, else the setting tags.tenant; 22004 if neither says one,
 * 22P02 or 22003 if it is no value of the tenant column's type.  On a
 * target without tenants, 22023 if the argument gives one.  (argno -1, or
 * past the arguments of an older version's signature: none.)
 */
void
tags_tenant_arg(FunctionCallInfo fcinfo, int argno, TagsTarget *target)
{
	if (!TAGS_HAS_TENANTS(target))
	{
		if (arg_given(fcinfo, argno))
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("table \"%s\" has no tenants",
						   get_rel_name(target->relid)),
					errhint("Call it without tenant, or make the table a tenant target with tags_enable(..., tenant_column => ...)."));
		return;
	}
	if (arg_given(fcinfo, argno))
		tags_set_tenant(target, PG_GETARG_DATUM(argno), TEXTOID);
	else if (tags_tenant != NULL && tags_tenant[0] != '\0')
		tags_set_tenant(target, CStringGetTextDatum(tags_tenant), TEXTOID);
	else
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("tenant must not be null"),
				errdetail("Table \"%s\" keeps each tenant's tags apart.",
						  get_rel_name(target->relid)),
				errhint("Pass tenant, or set tags.tenant."));
}

/*
 * Switch target to the list the context argument names (NULL: the
 * target's own; 22023 if it has none of that name), then tell it the
 * call's tenant (tags_tenant_arg()).  An argno of -1 is an argument the
 * function does not take.
 */
void
tags_scope_args(FunctionCallInfo fcinfo, int tenant_argno, int context_argno,
				TagsTarget *target)
{
	if (arg_given(fcinfo, context_argno))
		tags_use_context(target,
						 TextDatumGetCString(PG_GETARG_DATUM(context_argno)));
	tags_tenant_arg(fcinfo, tenant_argno, target);
}

/*
 * The table whose row type is the type of the anyelement argument argno,
 * name, or 22023: checked before the result set is set up, which needs a
 * row type
 */
Oid
tags_row_table_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			relid = OidIsValid(type) ? get_typ_typrelid(type) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("%s must be a row of a table, such as NULL::articles", name),
				errdetail("It was of type %s.",
						  OidIsValid(type) ? format_type_be(type) : "unknown"));
	return relid;
}

/*
 * tags_scope_args() of a call the coordinator of a Citus cluster sent to
 * the worker that holds the tenant: the context is the text argument
 * context_argno, the tenant the attribute tenant_att of row, a row of the
 * shard shard on this node, which must not be null (22004).
 */
static void
scope_of_row(FunctionCallInfo fcinfo, int context_argno, HeapTupleHeader row,
			 Oid shard, AttrNumber tenant_att, TagsTarget *target)
{
	Datum		tenant;
	bool		isnull;

	if (arg_given(fcinfo, context_argno))
		tags_use_context(target,
						 TextDatumGetCString(PG_GETARG_DATUM(context_argno)));
	if (!TAGS_HAS_TENANTS(target))
		return;
	tenant = GetAttributeByNum(row, tenant_att, &isnull);
	if (isnull)
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("tenant must not be null"));
	tags_set_tenant(target, tenant, get_atttype(shard, tenant_att));
}

/*
 * The key of the item of a call the coordinator of a Citus cluster sent to
 * the worker that holds it (doc/citus.md).  Argument 0 is a shard of a
 * target on this node, argument 1 a row of it: target becomes the
 * target's shard group on this node (targets.c), on the list the text
 * argument context_argno names, of the row's tenant.  22023 if it is no
 * such shard or row, 22004 if the row has no key or tenant.  The caller
 * checks that the arguments are not null, and is connected to SPI.
 */
Datum
tags_item_on_shard(FunctionCallInfo fcinfo, int context_argno,
				   TagsTarget *target)
{
	Oid			shard = PG_GETARG_OID(0);
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(1);
	Datum		key;
	bool		isnull;

	if (!tags_citus_installed() || !tags_find_target(shard, target) ||
		target->relid != shard || target->table == shard ||
		HeapTupleHeaderGetTypeId(row) != get_rel_type_id(shard))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("item is not a row of a shard of a tag target on this node"));
	scope_of_row(fcinfo, context_argno, row, shard, target->tenant_att,
				 target);
	key = GetAttributeByNum(row, target->key_att, &isnull);
	if (isnull)
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("item must not be null"));
	return key;
}

/*
 * The id of the tag of a call the coordinator of a Citus cluster sent to
 * the worker that holds the tenant.  Argument 0 is a shard of the tenant
 * vocabulary of the target table on this node, argument 1 a row of it:
 * target becomes the table's shard group on this node, on the list the
 * text argument context_argno names, of the row's tenant.  22023 if it is
 * no such shard or row, 22004 if the row has no id or tenant.  The caller
 * checks that the arguments are not null, and is connected to SPI.
 */
Datum
tags_tag_on_shard(FunctionCallInfo fcinfo, Oid table, int context_argno,
				  TagsTarget *target)
{
	Oid			shard = PG_GETARG_OID(0);
	HeapTupleHeader tag = PG_GETARG_HEAPTUPLEHEADER(1);
	Datum		id;
	bool		isnull;

	/*
	 * a global vocabulary's copy is beside every shard group of its
	 * targets: its tag names none of them (a tag's page and count there
	 * read every group from the coordinator)
	 */
	if (!tags_citus_installed() ||
		!tags_find_target_beside(table, shard, target) ||
		target->vocab.global ||
		HeapTupleHeaderGetTypeId(tag) != get_rel_type_id(shard))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("tag is not a row of a shard of the tenant vocabulary of table \"%s\" on this node",
					   get_rel_name(table)));
	scope_of_row(fcinfo, context_argno, tag, shard,
				 get_attnum(shard, "tenant"), target);
	id = GetAttributeByName(tag, "id", &isnull);
	if (isnull)
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("tag must not be null"));
	return id;
}

/*
 * The list a function about tags works on: the target argument's, told its
 * context and tenant (tags_scope_args()), or, without a target, posts',
 * whose vocabulary is the shared tags (22023 if a tenant is given without
 * a target).  The caller must be connected to SPI.
 */
void
tags_vocabulary_args(FunctionCallInfo fcinfo, int target_argno,
					 int tenant_argno, int context_argno, TagsTarget *target)
{
	if (arg_given(fcinfo, target_argno))
		tags_get_target(PG_GETARG_OID(target_argno), target);
	else
	{
		if (arg_given(fcinfo, tenant_argno))
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("tenant was given without a target"),
					errhint("Name the tenant target too, as in target => 'articles'."));
		tags_builtin_target(target);
	}
	tags_scope_args(fcinfo, tenant_argno, context_argno, target);
}

/*
 * The post id argument argno, which must not be NULL.
 */
int32
tags_post_id_arg(FunctionCallInfo fcinfo, int argno)
{
	return tags_int32_arg(fcinfo, argno, "post id");
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

/* The table (regclass) argument 0, target, which must not be NULL (22004) */
Oid
tags_target_oid_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("target must not be null"));
	return PG_GETARG_OID(0);
}

/* The text argument argno, which must not be NULL (22004) */
const char *
tags_text_arg(FunctionCallInfo fcinfo, int argno, const char *what)
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
char *
tags_name_arg(FunctionCallInfo fcinfo, int argno)
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

/* A tag's own slug, or an old one, in the vocabulary (of the tenant) */
static const TagsStatement stmt_tag_by_slug = {
	"tag_by_slug",
	"SELECT t.id FROM @tags@ t"
	" WHERE @tenant:t@ t.slug OPERATOR(pg_catalog.=) $1"
	" UNION ALL"
	" SELECT a.tag_id FROM @aliases@ a"
	" WHERE @tenant:a@ a.slug OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, 0, SPI_OK_SELECT,
	/* at version 1.0 */
	"SELECT t.id FROM @extschema@.tags t"
	" WHERE t.slug OPERATOR(pg_catalog.=) $1"
};

/*
 * The id of the tag of target's vocabulary (and tenant) whose slug is the
 * text argument argno, or P0002.  The caller must be connected to SPI.
 */
int32
tags_tag_id_by_slug(FunctionCallInfo fcinfo, int argno,
					const TagsTarget *target)
{
	Datum		param;
	bool		isnull;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("slug must not be null"));
	param = PG_GETARG_DATUM(argno);
	if (tags_vocabulary_execute(target, &stmt_tag_by_slug, &param, NULL, false,
								true, 1) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" does not exist",
					   TextDatumGetCString(param)));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * The id of the tag of target's vocabulary (and tenant) whose slug, or old
 * slug, this is, in a new snapshot; or P0002.
 */
int32
tags_tag_id_by_slug_latest(const TagsTarget *target, const char *slug)
{
	Datum		param = CStringGetTextDatum(slug);
	bool		isnull;

	if (tags_vocabulary_execute(target, &stmt_tag_by_slug, &param, NULL, true,
								false, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" does not exist", slug));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Raise 39P01 unless fcinfo is a call of a trigger fired BEFORE INSERT OR
 * UPDATE FOR EACH ROW, as the trigger function named function must be.
 */
void
tags_check_before_row_trigger(FunctionCallInfo fcinfo, const char *function)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"%s\" must be fired BEFORE INSERT OR UPDATE FOR EACH ROW",
					   function));
}

/*
 * The attribute number of column name of the trigger's table, which the
 * trigger function needs.
 */
int
tags_trigger_column(Relation rel, const char *name, const char *function)
{
	int			att = tags_column_of(RelationGetDescr(rel), name);

	if (att <= 0)
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"%s\" must be fired on a table with a column \"%s\"",
					   function, name));
	return att;
}

/* The attribute number of a column by name in desc, or 0 */
int
tags_column_of(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		if (!attr->attisdropped && strcmp(NameStr(attr->attname), name) == 0)
			return i + 1;
	}
	return 0;
}
