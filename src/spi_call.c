/*-------------------------------------------------------------------------
 *
 * spi_call.c
 *	  What every call of the extension's functions shares: its connection to
 *	  SPI, the extension's schema and tables, the user the extension's upkeep
 *	  runs as, and putting rows into a result set.
 *
 * The extension's schema is the one holding the SQL function being called,
 * read from its pg_proc row at each tags_spi_connect(), so that the
 * functions work in any schema and after the extension was moved; the plan
 * cache is told of it.  The upkeep the triggers do runs as the owner of the
 * extension's tables, or of a target, as a foreign key's checks run as the
 * table owner (ri_triggers.c): see doc/tables.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupconvert.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "tags.h"

/* The schema of the function being called, as the last connect found it */
static Oid	call_schema = InvalidOid;

static Oid	tags_owner(void);
static Oid	relation_owner(Oid relid);
static void become(Oid owner, TagsSavedUser *saved);

/*
 * Connect to SPI for a call of the SQL function fcinfo, whose schema is the
 * extension's.  The caller must SPI_finish().
 */
void
tags_spi_connect(FunctionCallInfo fcinfo)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	bool		at_1_0 = !OidIsValid(get_relname_relid("tag_synonyms", schema));

	tags_plans_for_schema(schema, at_1_0);
	call_schema = schema;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/*
 * The extension's schema, as the last tags_spi_connect() found it.
 */
Oid
tags_schema(void)
{
	Assert(OidIsValid(call_schema));
	return call_schema;
}

/*
 * The oid of the extension's table name, in the schema of the function
 * being called (see tags_spi_connect()), or InvalidOid.
 */
Oid
tags_table_id(const char *name)
{
	Assert(OidIsValid(call_schema));
	return get_relname_relid(name, call_schema);
}

/*
 * The number of the column name in the rows of the last statement, which
 * must have it: 42703 if a column of the extension's tables that a
 * statement reads with t.* was renamed or dropped.
 */
int
tags_result_column(const char *name)
{
	int			att = SPI_fnumber(SPI_tuptable->tupdesc, name);

	if (att <= 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("column \"%s\" does not exist", name),
				errdetail("The functions of extension \"tags\" need the columns of its tables as it made them."));
	return att;
}

/*
 * Append the rows of the last statement to the materialized result set of
 * fcinfo.  Columns are matched by name, so that a column a user added to
 * the extension's tables, or dropped from them, goes through.
 */
void
tags_put_spi_result(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleConversionMap *map = convert_tuples_by_name(SPI_tuptable->tupdesc,
													 rsinfo->setDesc);
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];

		tuplestore_puttuple(rsinfo->setResult,
							map ? execute_attr_map_tuple(tuple, map) : tuple);
	}
}

/*
 * The values of the first column of the last statement's rows, palloc'd,
 * in the current memory context; *count is set
 */
Datum *
tags_spi_first_column(uint64 *count)
{
	Datum	   *values = palloc((SPI_processed + 1) * sizeof(Datum));
	uint64		row;

	*count = SPI_processed;
	for (row = 0; row < SPI_processed; row++)
	{
		bool		isnull;

		values[row] = SPI_getbinval(SPI_tuptable->vals[row],
									SPI_tuptable->tupdesc, 1, &isnull);
	}
	return values;
}

/*
 * The rows a call's function on a Citus worker gave back (doc/citus.md):
 * the elements of the array in the first column of the last statement's
 * first row, values of a row type; *count is set.  A NULL element is
 * 22004.
 */
HeapTupleHeader *
tags_spi_row_array(int *count)
{
	Datum		value;
	bool		isnull;
	ArrayType  *rows;
	Datum	   *elems;
	bool	   *nulls;
	HeapTupleHeader *result;
	int			i;

	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						  &isnull);
	if (isnull)
		elog(ERROR, "the rows the Citus worker gave back are null");
	rows = DatumGetArrayTypeP(value);
	deconstruct_array(rows, ARR_ELEMTYPE(rows), -1, false, TYPALIGN_DOUBLE,
					  &elems, &nulls, count);
	result = palloc(Max(*count, 1) * sizeof(HeapTupleHeader));
	for (i = 0; i < *count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("a row the Citus worker gave back is null"));
		result[i] = DatumGetHeapTupleHeader(elems[i]);
	}
	return result;
}

/*
 * Append count rows (tags_spi_row_array()), values of the row type of the
 * materialized result set of fcinfo, to the result set
 */
void
tags_put_rows(FunctionCallInfo fcinfo, HeapTupleHeader *rows, int count)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	for (i = 0; i < count; i++)
	{
		HeapTupleData tuple;

		if (HeapTupleHeaderGetTypeId(rows[i]) != rsinfo->setDesc->tdtypeid)
			elog(ERROR, "a row the Citus worker gave back is of type %s, not %s",
				 format_type_be(HeapTupleHeaderGetTypeId(rows[i])),
				 format_type_be(rsinfo->setDesc->tdtypeid));
		tuple.t_len = HeapTupleHeaderGetDatumLength(rows[i]);
		ItemPointerSetInvalid(&tuple.t_self);
		tuple.t_tableOid = InvalidOid;
		tuple.t_data = rows[i];
		tuplestore_puttuple(rsinfo->setResult, &tuple);
	}
}

/*
 * The rows of the last SPI result as an array of rowtype, a composite type
 * whose columns they have by name, allocated in the memory context cxt
 * (the caller's, outside SPI's)
 */
Datum
tags_spi_result_array(Oid rowtype, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TupleDesc	desc = lookup_rowtype_tupdesc_copy(rowtype, -1);
	TupleConversionMap *map = convert_tuples_by_name(SPI_tuptable->tupdesc,
													 desc);
	Datum	   *rows = palloc(Max(SPI_processed, 1) * sizeof(Datum));
	ArrayType  *array;
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];

		if (map == NULL)
			rows[i] = heap_copy_tuple_as_datum(tuple, desc);
		else
		{
			tuple = execute_attr_map_tuple(tuple, map);
			rows[i] = heap_copy_tuple_as_datum(tuple, desc);
			heap_freetuple(tuple);
		}
	}
	array = construct_array(rows, (int) SPI_processed, rowtype, -1, false,
							TYPALIGN_DOUBLE);
	MemoryContextSwitchTo(old);
	return PointerGetDatum(array);
}

/*
 * The owner of the extension's tables: the owner of its table tags.
 */
static Oid
tags_owner(void)
{
	Oid			relid = tags_table_id("tags");
	HeapTuple	tuple;
	Oid			owner;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for the table tags of the extension tags");
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* Run as owner, saving the current user in *saved */
static void
become(Oid owner, TagsSavedUser *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_NOFORCE_RLS);
}

/*
 * Run the statements that follow as the owner of the extension's tables,
 * until tags_restore_user(), so that a role needs no privileges on the
 * counters, and row-level security does not hide rows from the upkeep.  An
 * error restores the user as it aborts the (sub)transaction.
 */
void
tags_become_owner(TagsSavedUser *saved)
{
	become(tags_owner(), saved);
}

/* The owner of a relation */
static Oid
relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * Run the statements that follow as the owner of a target, until
 * tags_restore_user(): the upkeep of a target's copies and counters is the
 * target owner's, as the upkeep of posts' is the extension owner's.
 */
void
tags_become_target_owner(const TagsTarget *target, TagsSavedUser *saved)
{
	become(relation_owner(target->relid), saved);
}

/*
 * Run the statements that follow as the owner of a vocabulary's tags
 * table (the extension's owner, for the shared tags), until
 * tags_restore_user()
 */
void
tags_become_vocabulary_owner(const TagsTarget *target, TagsSavedUser *saved)
{
	become(relation_owner(target->vocab.tags), saved);
}

/* Run as the user tags_become_owner() saved again */
void
tags_restore_user(const TagsSavedUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}
