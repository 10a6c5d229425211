/*-------------------------------------------------------------------------
 *
 * items.c
 *	  The functions on a target (1.2): an item's tag list, a tag's items,
 *	  the items that have some tags, related items, and the counts.
 *
 * They do for any registered target what the post_* functions of 1.1 do
 * for posts, with the same rules (tagging.c, queries.c): the names are
 * normalized and resolved the same way, by the same code; a writer locks
 * the item FOR NO KEY UPDATE and writes the new list in one statement; the
 * readers lock nothing; errors come before anything is written.  Their
 * statements are in item_stmts.c, kept per target by targets.c.
 *
 * An item is named by its key, passed as bigint, uuid or text (the SQL
 * overloads) and converted to the type of the target's key.  A target
 * anyelement argument is a row of the target's type, whose table is the
 * target.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/typcache.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(item_set_tags);
PG_FUNCTION_INFO_V1(item_add_tags);
PG_FUNCTION_INFO_V1(item_remove_tags);
PG_FUNCTION_INFO_V1(item_get_tags);
PG_FUNCTION_INFO_V1(items_by_tag);
PG_FUNCTION_INFO_V1(items_by_tag_after);
PG_FUNCTION_INFO_V1(items_tagged);
PG_FUNCTION_INFO_V1(items_related);
PG_FUNCTION_INFO_V1(tag_item_counts);
PG_FUNCTION_INFO_V1(tag_item_counts_top);
PG_FUNCTION_INFO_V1(tag_item_count);

static void target_arg(FunctionCallInfo fcinfo, TagsTarget *target);
static void target_of_row_arg(FunctionCallInfo fcinfo, int argno,
							  TagsTarget *target);
static Oid	row_table_arg(FunctionCallInfo fcinfo, int argno);
static Datum item_arg(FunctionCallInfo fcinfo, int argno,
					  const TagsTarget *target);
static char *item_text(const TagsTarget *target, Datum key);
static void lock_item(const TagsTarget *target, Datum key,
					  TagsItemCopy *item);
static Datum begin_item_write(FunctionCallInfo fcinfo, TagsTarget *target,
							  TagsItemCopy *item);
static void apply_tag_ids(const TagsTarget *target, const TagsItemCopy *item,
						  Datum *ids, int count, bool remove_others);
static void check_tag_limit(const TagsTarget *target, Datum key, int count);
static void put_item_tags(FunctionCallInfo fcinfo, const TagsTarget *target,
						  Datum key, bool locked);
static bool counters_answer(const TagsTarget *target);
static void put_tag_counts(FunctionCallInfo fcinfo, Datum *top);

/*
 * The target regclass argument 0 (22004 if NULL, 22023 if no target).  The
 * caller must be connected to SPI.
 */
static void
target_arg(FunctionCallInfo fcinfo, TagsTarget *target)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("target must not be null"));
	tags_get_target(PG_GETARG_OID(0), target);
}

/*
 * The target whose row type is the type of the anyelement argument argno
 * (22023 if it is no table's row type, or no target's).  The caller must
 * be connected to SPI.
 */
static void
target_of_row_arg(FunctionCallInfo fcinfo, int argno, TagsTarget *target)
{
	tags_get_target(row_table_arg(fcinfo, argno), target);
}

/*
 * The table whose row type is the type of the anyelement argument argno,
 * or 22023: checked before the result set is set up, which needs a row
 * type
 */
static Oid
row_table_arg(FunctionCallInfo fcinfo, int argno)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			relid = OidIsValid(type) ? get_typ_typrelid(type) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("target must be a row of a table, such as NULL::articles"),
				errdetail("It was of type %s.",
						  OidIsValid(type) ? format_type_be(type) : "unknown"));
	return relid;
}

/*
 * The item argument argno, converted to the type of the target's key: a
 * value of another type goes through its text form, so a text that is no
 * value of the key's type is 22P02 (22003 for a number out of range).
 */
static Datum
item_arg(FunctionCallInfo fcinfo, int argno, const TagsTarget *target)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			out_func;
	Oid			in_func;
	Oid			ioparam;
	bool		varlena;
	char	   *text;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("item must not be null"));
	if (type == target->key_type)
		return PG_GETARG_DATUM(argno);
	getTypeOutputInfo(type, &out_func, &varlena);
	text = OidOutputFunctionCall(out_func, PG_GETARG_DATUM(argno));
	getTypeInputInfo(target->key_type, &in_func, &ioparam);
	return OidInputFunctionCall(in_func, text, ioparam, -1);
}

/* An item's key as text, for messages */
static char *
item_text(const TagsTarget *target, Datum key)
{
	Oid			out_func;
	bool		varlena;

	getTypeOutputInfo(target->key_type, &out_func, &varlena);
	return OidOutputFunctionCall(out_func, key);
}

/*
 * Lock an item against the other writers of its tags, or raise P0002 if it
 * does not exist (or row-level security hides it).  Sets *item to what its
 * associations copy of it.  Under REPEATABLE READ and SERIALIZABLE, fails
 * with 40001 if a transaction that committed since the snapshot changed
 * its associations (see lock_post() in tagging.c).
 */
static void
lock_item(const TagsTarget *target, Datum key, TagsItemCopy *item)
{
	uint64		nrows;
	int64	   *seen;
	uint64		row;

	if (tags_target_execute(target, ITEM_LOCK, &key, NULL, false, false, 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("item %s of table \"%s\" does not exist",
					   item_text(target, key), get_rel_name(target->relid)));
	tags_read_item_copy(target, key, item);
	if (!IsolationUsesXactSnapshot())
		return;

	nrows = tags_target_execute(target, ITEM_TAG_IDS, &key, NULL, false,
								false, 0);
	seen = palloc((nrows * 2 + 1) * sizeof(int64));
	for (row = 0; row < nrows; row++)
	{
		bool		isnull;
		Datum		v;

		v = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1,
						  &isnull);
		seen[2 * row] = DatumGetInt32(v);
		v = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 2,
						  &isnull);
		seen[2 * row + 1] = isnull ? PG_INT64_MIN : DatumGetInt32(v);
	}
	if (tags_target_execute(target, ITEM_TAG_IDS, &key, NULL, true, false,
							0) == nrows)
	{
		for (row = 0; row < nrows; row++)
		{
			bool		isnull;
			Datum		id = SPI_getbinval(SPI_tuptable->vals[row],
										   SPI_tuptable->tupdesc, 1, &isnull);
			Datum		pos = SPI_getbinval(SPI_tuptable->vals[row],
											SPI_tuptable->tupdesc, 2, &isnull);

			if (seen[2 * row] != DatumGetInt32(id) ||
				seen[2 * row + 1] != (isnull ? PG_INT64_MIN : DatumGetInt32(pos)))
				break;
		}
		if (row == nrows)
			return;
	}
	ereport(ERROR,
			errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			errmsg("could not serialize access due to concurrent update of the tags of item %s of table \"%s\"",
				   item_text(target, key), get_rel_name(target->relid)),
			errhint("Retry the transaction."));
}

/*
 * Write a locked item's tags: these tag ids, in this order, then, unless
 * remove_others, its associations with other tags.
 */
static void
apply_tag_ids(const TagsTarget *target, const TagsItemCopy *item,
			  Datum *ids, int count, bool remove_others)
{
	Datum		params[3];

	/* $1 item, $2 tag ids in order, $3 remove the others */
	params[0] = item->key;
	params[1] = PointerGetDatum(construct_array(ids, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
	params[2] = BoolGetDatum(remove_others);
	tags_execute_for_item(target, ITEM_TAGS_APPLY, params, item);
}

/* Raise 54000 if an item would have more tags than tags.max_tags_per_post */
static void
check_tag_limit(const TagsTarget *target, Datum key, int count)
{
	if (tags_max_tags_per_post > 0 && count > tags_max_tags_per_post)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("item %s of table \"%s\" would have too many tags",
					   item_text(target, key), get_rel_name(target->relid)),
				errdetail("It would have %d tags, and tags.max_tags_per_post is %d.",
						  count, tags_max_tags_per_post));
}

/*
 * Put an item's tags, in order, into the result set of fcinfo (see
 * tags_put_post_tags()).
 */
static void
put_item_tags(FunctionCallInfo fcinfo, const TagsTarget *target, Datum key,
			  bool locked)
{
	if (tags_target_execute(target, ITEM_TAGS, &key, NULL, false, !locked, 0) > 0)
		tags_put_spi_result(fcinfo);
	else if (!locked &&
			 tags_target_execute(target, ITEM_EXISTS, &key, NULL, false, true,
								 0) == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("item %s of table \"%s\" does not exist",
					   item_text(target, key), get_rel_name(target->relid)));
}

/*
 * What every writer does first: set up its result, connect to SPI, read
 * the target and the item arguments and lock the item (*item).  Returns
 * the item's key.
 */
static Datum
begin_item_write(FunctionCallInfo fcinfo, TagsTarget *target,
				 TagsItemCopy *item)
{
	Datum		key;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_arg(fcinfo, target);
	key = item_arg(fcinfo, 1, target);
	lock_item(target, key, item);
	return key;
}

/*
 * item_set_tags(target regclass, item, names text[]) RETURNS SETOF tags
 *
 * post_set_tags() for an item of any target.
 */
Datum
item_set_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	TagsItemCopy item;
	Datum		key = begin_item_write(fcinfo, &target, &item);

	if (!PG_ARGISNULL(2))
	{
		Datum	   *ids = palloc(Max(list.count, 1) * sizeof(Datum));
		int			i;

		tags_resolve_tags(&list, true);
		tags_sort_by_first(&list);
		check_tag_limit(&target, key, tags_keep_first_of_each_tag(&list));
		for (i = 0; i < list.count; i++)
			ids[i] = Int32GetDatum(list.entries[i].id);
		apply_tag_ids(&target, &item, ids, list.count, true);
		/* exactly these now, as post_set_tags() returns them */
		tags_put_tag_list(fcinfo, &list);
	}
	else
		put_item_tags(fcinfo, &target, key, true);
	SPI_finish();
	return (Datum) 0;
}

/*
 * item_add_tags(target regclass, item, names text[]) RETURNS SETOF tags
 *
 * post_add_tags() for an item of any target.
 */
Datum
item_add_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	TagsItemCopy item;
	Datum		key = begin_item_write(fcinfo, &target, &item);

	if (list.count > 0)
	{
		bool	   *on_item = palloc0(list.count * sizeof(bool));
		uint64		ncurrent;
		Datum	   *ids;
		int			kept = 0;
		uint64		row;
		int			i;

		/* which of the names the item has already */
		ncurrent = tags_target_execute(&target, ITEM_TAGS, &key, NULL, false,
									   false, 0);
		for (row = 0; row < ncurrent; row++)
		{
			TagEntry   *entry;

			entry = tags_find_entry(&list,
									SPI_getvalue(SPI_tuptable->vals[row],
												 SPI_tuptable->tupdesc,
												 tags_result_column("name")));
			if (entry != NULL)
				on_item[entry - list.entries] = true;
		}
		for (i = 0; i < list.count; i++)
			if (!on_item[i])
				list.entries[kept++] = list.entries[i];
		list.count = kept;

		if (list.count > 0)
		{
			int			nids;
			int			id_att;

			tags_resolve_tags(&list, true);
			tags_sort_by_first(&list);
			/* the current list again, locked (see post_add_tags()) */
			ncurrent = tags_target_execute(&target, ITEM_TAGS_LOCKED, &key,
										   NULL, false, false, 0);
			id_att = tags_result_column("id");
			ids = palloc((ncurrent + list.count) * sizeof(Datum));
			for (row = 0; row < ncurrent; row++)
			{
				bool		isnull;

				ids[row] = SPI_getbinval(SPI_tuptable->vals[row],
										 SPI_tuptable->tupdesc, id_att,
										 &isnull);
			}
			for (i = 0; i < list.count; i++)
				ids[ncurrent + i] = Int32GetDatum(list.entries[i].id);
			nids = tags_distinct_ids(ids, (int) ncurrent + list.count);
			check_tag_limit(&target, key, nids);
			apply_tag_ids(&target, &item, ids, nids, false);
		}
	}
	put_item_tags(fcinfo, &target, key, true);
	SPI_finish();
	return (Datum) 0;
}

/*
 * item_remove_tags(target regclass, item, names text[]) RETURNS SETOF tags
 *
 * post_remove_tags() for an item of any target.
 */
Datum
item_remove_tags(PG_FUNCTION_ARGS)
{
	TagList		list = tags_collect_names(fcinfo, 2);
	TagsTarget	target;
	TagsItemCopy item;
	Datum		key = begin_item_write(fcinfo, &target, &item);

	if (list.count > 0)
	{
		const char **names = palloc(list.count * sizeof(char *));
		Datum		params[2];
		int			i;

		for (i = 0; i < list.count; i++)
			names[i] = list.entries[i].name;
		/* $1 item, $2 names */
		params[0] = key;
		params[1] = tags_text_array(names, list.count);
		tags_execute_for_item(&target, ITEM_TAGS_REMOVE, params, &item);
	}
	put_item_tags(fcinfo, &target, key, true);
	SPI_finish();
	return (Datum) 0;
}

/*
 * item_get_tags(target regclass, item) RETURNS SETOF tags
 */
Datum
item_get_tags(PG_FUNCTION_ARGS)
{
	TagsTarget	target;
	Datum		key;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_arg(fcinfo, &target);
	key = item_arg(fcinfo, 1, &target);
	put_item_tags(fcinfo, &target, key, false);
	SPI_finish();
	return (Datum) 0;
}

/*
 * Whether the counters may answer for the caller (see queries.c): it may
 * read the target and its association table, and row-level security hides
 * no row of the target from it.
 */
static bool
counters_answer(const TagsTarget *target)
{
	return pg_class_aclcheck(target->relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK &&
		pg_class_aclcheck(target->assoc, GetUserId(), ACL_SELECT) == ACLCHECK_OK &&
		check_enable_rls(target->relid, InvalidOid, true) != RLS_ENABLED;
}

/*
 * items_by_tag(target anyelement, slug text, page integer,
 *				page_size integer) RETURNS SETOF anyelement
 *
 * posts_by_tag() for any target: its visible rows, newest first by its
 * sort column, then by key.
 */
Datum
items_by_tag(PG_FUNCTION_ARGS)
{
	int32		page = tags_int32_arg(fcinfo, 2, "page");
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	TagsTarget	target;
	Datum		params[3];

	if (page < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("page must be at least 1"));
	(void) row_table_arg(fcinfo, 0);
	tags_check_page_size(page_size);

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	/* $1 tag, $2 offset, $3 limit */
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1));
	params[1] = Int64GetDatum((int64) (page - 1) * page_size);
	params[2] = Int64GetDatum((int64) page_size);
	tags_target_execute(&target, ITEM_TAG_PAGE, params, NULL, false, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * items_by_tag_after(target anyelement, slug text, after anyelement,
 *					  page_size integer) RETURNS SETOF anyelement
 *
 * The page that follows the row after (the last of the page before; NULL
 * for the first page), in items_by_tag() order.  The row need not exist
 * any more: its sort value and key are what count.
 */
Datum
items_by_tag_after(PG_FUNCTION_ARGS)
{
	int32		page_size = tags_int32_arg(fcinfo, 3, "page size");
	TagsTarget	target;
	Datum		params[4];

	(void) row_table_arg(fcinfo, 0);
	tags_check_page_size(page_size);
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	params[0] = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1));
	if (PG_ARGISNULL(2))
	{
		params[1] = Int64GetDatum(0);
		params[2] = Int64GetDatum((int64) page_size);
		tags_target_execute(&target, ITEM_TAG_PAGE, params, NULL, false, true,
							0);
	}
	else
	{
		HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(2);
		bool		sort_null;
		bool		key_null;

		/* $1 tag, $2 sort value, $3 key, $4 limit */
		params[1] = GetAttributeByNum(row, target.sort_att, &sort_null);
		params[2] = GetAttributeByNum(row, target.key_att, &key_null);
		if (sort_null || key_null)
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("the sort value and the key of after must not be null"));
		params[3] = Int64GetDatum((int64) page_size);
		tags_target_execute(&target, ITEM_TAG_AFTER, params, NULL, false, true,
							0);
	}
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * items_tagged(target anyelement, names text[], match text, exclude text[],
 *				page integer, page_size integer) RETURNS SETOF anyelement
 *
 * posts_tagged() for any target.
 */
Datum
items_tagged(PG_FUNCTION_ARGS)
{
	TagsTaggedArgs args;
	TagsTarget	target;
	Datum		params[4];

	tags_tagged_args(fcinfo, 1, &args);
	/* $1 names or tag ids, $2 names to exclude, $3 offset, $4 limit */
	params[1] = args.exclude;
	params[2] = Int64GetDatum(args.offset);
	params[3] = Int64GetDatum(args.limit);

	(void) row_table_arg(fcinfo, 0);
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	if (args.nnames == 0)
	{
		SPI_finish();
		return (Datum) 0;
	}
	if (strcmp(args.match, "any") == 0)
	{
		params[0] = args.names;
		tags_target_execute(&target, ITEM_TAGGED_ANY, params, NULL, false,
							true, 0);
		tags_put_spi_result(fcinfo);
	}
	else
	{
		bool		answer = counters_answer(&target);
		TagsSavedUser saved;
		Datum	   *ids;
		uint64		n;
		uint64		i;

		/* the tag ids, least used first: the page is read off the first */
		if (answer)
			tags_become_target_owner(&target, &saved);
		n = tags_target_execute(&target,
								answer ? ITEM_TAGGED_IDS_BY_USE :
								ITEM_TAGGED_IDS_BY_USE_LIVE,
								&args.names, NULL, false, true, 0);
		if (answer)
			tags_restore_user(&saved);
		ids = palloc(Max(n, 1) * sizeof(Datum));
		for (i = 0; i < n; i++)
		{
			bool		isnull;

			ids[i] = SPI_getbinval(SPI_tuptable->vals[i],
								   SPI_tuptable->tupdesc, 1, &isnull);
			if (isnull)
				break;			/* a name that is no tag: no item has it */
		}
		if (i == n)
		{
			params[0] = PointerGetDatum(construct_array(ids, (int) n, INT4OID,
														sizeof(int32), true,
														TYPALIGN_INT));
			tags_target_execute(&target,
								strcmp(args.match, "all") == 0 ?
								ITEM_TAGGED_ALL : ITEM_TAGGED_EXACT,
								params, NULL, false, true, 0);
			tags_put_spi_result(fcinfo);
		}
	}
	SPI_finish();
	return (Datum) 0;
}

/*
 * items_related(of_item anyelement, lim integer)
 *		RETURNS TABLE (item anyelement, shared_tags bigint)
 *
 * posts_related() for any target: the visible items of the row's table
 * that share the most tags with it, newest first among equals.
 */
Datum
items_related(PG_FUNCTION_ARGS)
{
	int32		lim = tags_lim_arg(fcinfo, 1);
	TagsTarget	target;
	HeapTupleHeader row;
	bool		isnull;
	Datum		params[2];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("item must not be null"));
	(void) row_table_arg(fcinfo, 0);
	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_of_row_arg(fcinfo, 0, &target);
	row = PG_GETARG_HEAPTUPLEHEADER(0);
	/* $1 item, $2 limit */
	params[0] = GetAttributeByNum(row, target.key_att, &isnull);
	if (isnull)
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("the key of item must not be null"));
	params[1] = Int32GetDatum(lim);
	tags_target_execute(&target, ITEM_RELATED, params, NULL, false, true, 0);
	tags_put_spi_result(fcinfo);
	SPI_finish();
	return (Datum) 0;
}

/*
 * Put every tag with its count of the target's visible items into the
 * result set of fcinfo; only the first top if top is not NULL.
 */
static void
put_tag_counts(FunctionCallInfo fcinfo, Datum *top)
{
	TagsTarget	target;

	InitMaterializedSRF(fcinfo, 0);
	tags_spi_connect(fcinfo);
	target_arg(fcinfo, &target);
	if (counters_answer(&target))
	{
		TagsSavedUser saved;

		tags_become_target_owner(&target, &saved);
		if (top == NULL)
			tags_target_execute(&target, ITEM_TAG_COUNTS, NULL, NULL, false,
								true, 0);
		else
			tags_target_execute(&target, ITEM_TAG_COUNTS_TOP, top, NULL,
								false, true, 0);
		tags_restore_user(&saved);
	}
	else
	{
		Datum		all = (Datum) 0;

		tags_target_execute(&target, ITEM_TAG_COUNTS_LIVE, top ? top : &all,
							top ? NULL : "n", false, true, 0);
	}
	tags_put_spi_result(fcinfo);
	SPI_finish();
}

/*
 * tag_item_counts(target regclass)
 *		RETURNS TABLE (id, name, slug, item_count)
 */
Datum
tag_item_counts(PG_FUNCTION_ARGS)
{
	put_tag_counts(fcinfo, NULL);
	return (Datum) 0;
}

/*
 * tag_item_counts(target regclass, top integer)
 *		RETURNS TABLE (id, name, slug, item_count)
 */
Datum
tag_item_counts_top(PG_FUNCTION_ARGS)
{
	int32		top = tags_int32_arg(fcinfo, 1, "top");
	Datum		param = Int32GetDatum(top);

	if (top < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("top must not be negative"));
	if (top == 0)
	{
		TagsTarget	target;

		InitMaterializedSRF(fcinfo, 0);
		tags_spi_connect(fcinfo);
		target_arg(fcinfo, &target);
		SPI_finish();
		return (Datum) 0;
	}
	put_tag_counts(fcinfo, &param);
	return (Datum) 0;
}

/*
 * tag_item_count(target regclass, slug text) RETURNS bigint
 */
Datum
tag_item_count(PG_FUNCTION_ARGS)
{
	TagsTarget	target;
	Datum		param;
	bool		isnull;
	int64		count;

	tags_spi_connect(fcinfo);
	target_arg(fcinfo, &target);
	param = Int32GetDatum(tags_tag_id_by_slug(fcinfo, 1));
	if (counters_answer(&target))
	{
		TagsSavedUser saved;

		tags_become_target_owner(&target, &saved);
		tags_target_execute(&target, ITEM_TAG_COUNT, &param, NULL, false,
							true, 0);
		tags_restore_user(&saved);
	}
	else
		tags_target_execute(&target, ITEM_TAG_COUNT_LIVE, &param, NULL, false,
							true, 0);
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(count);
}
