/*-------------------------------------------------------------------------
 *
 * target_setup.c
 *	  Making a table a target (tags_enable()), undoing it (tags_disable()),
 *	  and forgetting the targets a DROP took a table of.
 *
 * A target is a table with a single-column primary key, registered in
 * tag_targets with its association table, its two counter tables, its
 * visibility expression and its sort column.  tags_enable() checks
 * everything first, then makes those three tables beside the target, as
 * the extension's owner (the foreign key to tags needs it), and hands them
 * to the target's owner, so that pg_dump dumps them with the application's
 * own.  The visibility expression must be immutable, and is stored as
 * ruleutils deparses it under a search path of pg_catalog alone.  Each
 * change sends a relcache invalidation of the registry, which every
 * backend's cache (targets.c) heeds.  See doc/targets.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_enable);
PG_FUNCTION_INFO_V1(tags_disable);
PG_FUNCTION_INFO_V1(tags_drop_targets);

static AttrNumber primary_key_column(Relation rel);
static void check_key_type(Relation rel, AttrNumber key_att);
static AttrNumber sort_column_of(Relation rel, Name sort_column);
static void run_ddl(const char *sql);

/*
 * The single column of the primary key of rel, or 42P16
 */
static AttrNumber
primary_key_column(Relation rel)
{
	Oid			index = tags_primary_key_index(rel);
	HeapTuple	tuple;
	Form_pg_index form;
	AttrNumber	att;

	if (!OidIsValid(index))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("table \"%s\" has no primary key",
					   RelationGetRelationName(rel)),
				errdetail("A tag target needs a primary key of one column."));
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for index %u", index);
	form = (Form_pg_index) GETSTRUCT(tuple);
	if (form->indnkeyatts != 1 || form->indkey.values[0] == 0)
	{
		ReleaseSysCache(tuple);
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("the primary key of table \"%s\" is not a single column",
					   RelationGetRelationName(rel)),
				errdetail("A tag target needs a primary key of one column."));
	}
	att = form->indkey.values[0];
	ReleaseSysCache(tuple);
	return att;
}

/* Raise 42P16 unless the key is of a type that can be an item */
static void
check_key_type(Relation rel, AttrNumber key_att)
{
	Oid			type = TupleDescAttr(RelationGetDescr(rel), key_att - 1)->atttypid;

	if (type != INT2OID && type != INT4OID && type != INT8OID &&
		type != UUIDOID && type != TEXTOID && type != VARCHAROID)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("the primary key of table \"%s\" is of type %s",
					   RelationGetRelationName(rel), format_type_be(type)),
				errdetail("A tag target's key must be of type smallint, integer, bigint, uuid, text or varchar."));
}

/*
 * The attribute number of the sort column (the key's if NULL), which must
 * be a NOT NULL date, time stamp or number
 */
static AttrNumber
sort_column_of(Relation rel, Name sort_column)
{
	AttrNumber	att;
	Form_pg_attribute attr;

	if (sort_column == NULL)
		return primary_key_column(rel);
	att = get_attnum(RelationGetRelid(rel), NameStr(*sort_column));
	if (att <= 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("column \"%s\" of table \"%s\" does not exist",
					   NameStr(*sort_column), RelationGetRelationName(rel)));
	attr = TupleDescAttr(RelationGetDescr(rel), att - 1);
	switch (attr->atttypid)
	{
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			break;
		default:
			ereport(ERROR,
					errcode(ERRCODE_DATATYPE_MISMATCH),
					errmsg("sort column \"%s\" is of type %s",
						   NameStr(*sort_column),
						   format_type_be(attr->atttypid)),
					errdetail("Tag pages sort by a date, a time stamp or a number."));
	}
	if (!attr->attnotnull)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("sort column \"%s\" is not NOT NULL",
					   NameStr(*sort_column)),
				errdetail("Tag pages are read off an index in sort order, which needs a value in every row."),
				errhint("Add NOT NULL to the column, or choose another one."));
	return att;
}

/* Run a utility statement built with quoted names, which takes no values */
static void
run_ddl(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc != SPI_OK_UTILITY)
		elog(ERROR, "SPI_execute returned %s for \"%s\"",
			 SPI_result_code_string(rc), sql);
}

/*
 * Register a target: $1 the target, $2 its association table, $3 its
 * counts, $4 its deltas, $5 its visibility expression, $6 its sort column
 */
static const TagsStatement stmt_target_add = {
	"target_add",
	"INSERT INTO @extschema@.tag_targets"
	" (target, association, counts, count_deltas, visible, sort_column)"
	" VALUES ($1::pg_catalog.regclass, $2::pg_catalog.regclass,"
	"         $3::pg_catalog.regclass, $4::pg_catalog.regclass, $5,"
	"         $6::pg_catalog.name)",
	6, {OIDOID, OIDOID, OIDOID, OIDOID, TEXTOID, TEXTOID}, 0, SPI_OK_INSERT
};

/*
 * tags_enable(target regclass, visible text, sort_column name)
 *	  RETURNS regclass
 *
 * Checks everything before it creates anything, then creates the
 * association table and counters as the extension's owner (the foreign
 * key to tags needs a privilege the target's owner may not have) and
 * hands them to the target's owner; any error rolls all of it back.
 */
Datum
tags_enable(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Relation	rel;
	AttrNumber	key_att;
	AttrNumber	sort_att;
	char	   *visible = NULL;
	char	   *relname;
	char	   *nspname;
	char	   *assoc_name;
	char	   *counts_name;
	char	   *deltas_name;
	char	   *assoc;
	char	   *counts;
	char	   *deltas;
	const char *ext;
	const char *owner;
	Form_pg_attribute key_attr;
	Form_pg_attribute sort_attr;
	TagsTarget	existing;
	TagsSavedUser saved;
	Datum		params[6];
	char		nulls[7] = "      ";

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("target must not be null"));
	relid = PG_GETARG_OID(0);
	tags_spi_connect(fcinfo);

	rel = table_open(relid, ShareRowExclusiveLock);
	relname = RelationGetRelationName(rel);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("\"%s\" is not a table", relname));
	if (!tags_owns_table(relid))
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("must be owner of table %s", relname));
	if (tags_find_registration(relid, &existing))
		ereport(ERROR,
				errcode(ERRCODE_DUPLICATE_OBJECT),
				errmsg("table \"%s\" is already a tag target", relname));
	key_att = primary_key_column(rel);
	check_key_type(rel, key_att);
	sort_att = sort_column_of(rel, PG_ARGISNULL(2) ? NULL : PG_GETARG_NAME(2));
	if (!PG_ARGISNULL(1))
	{
		int			nestlevel;
		Node	   *expr = tags_cook_visible(rel, TextDatumGetCString(PG_GETARG_DATUM(1)),
											 true);

		nestlevel = NewGUCNestLevel();
		tags_set_search_path_catalog();
		visible = deparse_expression(expr,
									 deparse_context_for(relname, relid),
									 false, false);
		AtEOXact_GUC(true, nestlevel);
	}

	nspname = get_namespace_name(RelationGetNamespace(rel));
	assoc_name = psprintf("%s_tags", relname);
	counts_name = psprintf("%s_tag_counts", relname);
	deltas_name = psprintf("%s_tag_count_deltas", relname);
	if (strlen(deltas_name) >= NAMEDATALEN)
		ereport(ERROR,
				errcode(ERRCODE_NAME_TOO_LONG),
				errmsg("table name \"%s\" is too long to be a tag target",
					   relname),
				errdetail("The names of its tables, such as \"%s\", must fit in %d bytes.",
						  deltas_name, NAMEDATALEN - 1));
	assoc = quote_qualified_identifier(nspname, assoc_name);
	counts = quote_qualified_identifier(nspname, counts_name);
	deltas = quote_qualified_identifier(nspname, deltas_name);
	ext = quote_identifier(get_namespace_name(tags_schema()));
	owner = quote_identifier(GetUserNameFromId(rel->rd_rel->relowner, false));
	key_attr = TupleDescAttr(RelationGetDescr(rel), key_att - 1);
	sort_attr = TupleDescAttr(RelationGetDescr(rel), sort_att - 1);

	tags_become_owner(&saved);
	run_ddl(psprintf("CREATE TABLE %s ("
					 " item_id %s NOT NULL"
					 "   REFERENCES %s (%s) ON DELETE CASCADE ON UPDATE CASCADE,"
					 " tag_id integer NOT NULL"
					 "   REFERENCES %s.tags (id) ON DELETE CASCADE,"
					 " position integer,"
					 " item_visible boolean NOT NULL,"
					 " item_sort %s NOT NULL,"
					 " PRIMARY KEY (item_id, tag_id))",
					 assoc,
					 format_type_with_typemod(key_attr->atttypid,
											  key_attr->atttypmod),
					 quote_qualified_identifier(nspname, relname),
					 quote_identifier(NameStr(key_attr->attname)),
					 ext,
					 format_type_with_typemod(sort_attr->atttypid,
											  sort_attr->atttypmod)));
	run_ddl(psprintf("CREATE INDEX ON %s"
					 " (tag_id, item_visible, item_sort, item_id)", assoc));
	run_ddl(psprintf("CREATE TABLE %s ("
					 " tag_id integer PRIMARY KEY,"
					 " item_count bigint NOT NULL)", counts));
	run_ddl(psprintf("CREATE INDEX ON %s (item_count)", counts));
	run_ddl(psprintf("CREATE TABLE %s ("
					 " tag_id integer NOT NULL,"
					 " delta integer NOT NULL)"
					 " WITH (autovacuum_vacuum_scale_factor = 0,"
					 "       autovacuum_vacuum_threshold = 10000,"
					 "       autovacuum_vacuum_insert_scale_factor = 0,"
					 "       autovacuum_vacuum_insert_threshold = 10000)",
					 deltas));
	run_ddl(psprintf("CREATE TRIGGER tags_copy_item"
					 " BEFORE INSERT OR UPDATE OF item_id, item_visible, item_sort"
					 " ON %s FOR EACH ROW EXECUTE FUNCTION %s.tags_copy_item()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_count_inserts AFTER INSERT ON %s"
					 " REFERENCING NEW TABLE AS inserted"
					 " FOR EACH STATEMENT EXECUTE FUNCTION %s.tags_count_item_changes()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_count_updates AFTER UPDATE ON %s"
					 " REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update"
					 " FOR EACH STATEMENT EXECUTE FUNCTION %s.tags_count_item_changes()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_count_deletes AFTER DELETE ON %s"
					 " REFERENCING OLD TABLE AS deleted"
					 " FOR EACH STATEMENT EXECUTE FUNCTION %s.tags_count_item_changes()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_count_truncate AFTER TRUNCATE ON %s"
					 " FOR EACH STATEMENT EXECUTE FUNCTION %s.tags_count_item_changes()",
					 assoc, ext));
	run_ddl(psprintf("CREATE TRIGGER tags_item_changed AFTER UPDATE ON %s"
					 " FOR EACH ROW EXECUTE FUNCTION %s.tags_item_changed()",
					 quote_qualified_identifier(nspname, relname), ext));
	run_ddl(psprintf("ALTER TABLE %s OWNER TO %s", assoc, owner));
	run_ddl(psprintf("ALTER TABLE %s OWNER TO %s", counts, owner));
	run_ddl(psprintf("ALTER TABLE %s OWNER TO %s", deltas, owner));

	/*
	 * $1 target, $2 association, $3 counts, $4 deltas, $5 visible, $6 sort
	 * column
	 */
	params[0] = ObjectIdGetDatum(relid);
	params[1] = ObjectIdGetDatum(get_relname_relid(assoc_name,
												   RelationGetNamespace(rel)));
	params[2] = ObjectIdGetDatum(get_relname_relid(counts_name,
												   RelationGetNamespace(rel)));
	params[3] = ObjectIdGetDatum(get_relname_relid(deltas_name,
												   RelationGetNamespace(rel)));
	if (visible != NULL)
		params[4] = CStringGetTextDatum(visible);
	else
		nulls[4] = 'n';
	params[5] = CStringGetTextDatum(NameStr(sort_attr->attname));
	tags_execute(&stmt_target_add, params, nulls, false, 0);
	tags_restore_user(&saved);
	CacheInvalidateRelcacheByRelid(tags_table_id("tag_targets"));
	table_close(rel, NoLock);
	SPI_finish();
	PG_RETURN_OID(DatumGetObjectId(params[1]));
}

/*
 * tags_disable(target regclass) RETURNS void
 *
 * Drops the association table; the event trigger (tags_drop_targets())
 * drops the rest and forgets the target, as it does when a user drops it.
 */
Datum
tags_disable(PG_FUNCTION_ARGS)
{
	Oid			relid;
	TagsTarget	target;
	TagsSavedUser saved;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("target must not be null"));
	relid = PG_GETARG_OID(0);
	tags_spi_connect(fcinfo);
	if (!tags_find_registration(relid, &target))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("table \"%s\" is not a tag target",
					   get_rel_name(relid) ? get_rel_name(relid) : "?"),
				errhint("Call tags_enable() on the table first."));
	if (target.builtin)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("cannot disable the extension's own table \"%s\"",
					   get_rel_name(relid)));
	if (!tags_owns_table(relid))
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("must be owner of table %s", get_rel_name(relid)));
	tags_become_owner(&saved);
	run_ddl(psprintf("DROP TABLE %s", tags_qualified_name(target.assoc)));
	tags_restore_user(&saved);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * In the sql_drop event trigger: forget the targets a DROP took any of the
 * four tables of, returning those four
 */
static const TagsStatement stmt_targets_dropped = {
	"targets_dropped",
	"WITH dropped AS MATERIALIZED ("
	"    SELECT pg_catalog.array_agg(d.objid) AS oids"
	"    FROM pg_catalog.pg_event_trigger_dropped_objects() d"
	"    WHERE d.classid OPERATOR(pg_catalog.=)"
	"          'pg_catalog.pg_class'::pg_catalog.regclass"
	"      AND d.objsubid OPERATOR(pg_catalog.=) 0"
	")"
	" DELETE FROM @extschema@.tag_targets r USING dropped d"
	" WHERE NOT r.builtin"
	"   AND (r.target::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"        OR r.association::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"        OR r.counts::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"        OR r.count_deltas::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids))"
	" RETURNING r.target::pg_catalog.oid, r.association::pg_catalog.oid,"
	"           r.counts::pg_catalog.oid, r.count_deltas::pg_catalog.oid",
	0, {InvalidOid}, 0, SPI_OK_DELETE_RETURNING
};

/*
 * tags_drop_targets() RETURNS event_trigger, ON sql_drop
 *
 * Forgets each target whose table or association table was dropped, and
 * drops what is left of it: the trigger on the target, the association
 * table and the counters.  Runs as the extension's owner.
 */
Datum
tags_drop_targets(PG_FUNCTION_ARGS)
{
	TagsSavedUser saved;
	uint64		nrows;
	uint64		row;
	Oid		   *gone;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_drop_targets\" must be fired by an event trigger"));
	tags_spi_connect(fcinfo);
	if (!OidIsValid(tags_table_id("tag_targets")))
	{
		SPI_finish();			/* the extension itself is being dropped */
		PG_RETURN_VOID();
	}
	tags_become_owner(&saved);
	nrows = tags_execute(&stmt_targets_dropped, NULL, NULL, false, 0);
	gone = palloc((nrows * 4 + 1) * sizeof(Oid));
	for (row = 0; row < nrows; row++)
	{
		int			i;

		for (i = 0; i < 4; i++)
		{
			bool		isnull;

			gone[row * 4 + i] =
				DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[row],
											   SPI_tuptable->tupdesc, i + 1,
											   &isnull));
		}
	}
	for (row = 0; row < nrows; row++)
	{
		Oid			target = gone[row * 4];
		int			i;

		if (get_rel_name(target) != NULL &&
			OidIsValid(get_trigger_oid(target, "tags_item_changed", true)))
			run_ddl(psprintf("DROP TRIGGER tags_item_changed ON %s",
							 tags_qualified_name(target)));
		for (i = 1; i < 4; i++)
			if (get_rel_name(gone[row * 4 + i]) != NULL)
				run_ddl(psprintf("DROP TABLE %s",
								 tags_qualified_name(gone[row * 4 + i])));
	}
	tags_restore_user(&saved);
	if (nrows > 0)
		CacheInvalidateRelcacheByRelid(tags_table_id("tag_targets"));
	SPI_finish();
	PG_RETURN_VOID();
}
