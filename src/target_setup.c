/*-------------------------------------------------------------------------
 *
 * target_setup.c
 *	  Making a table a target (tags_enable()), giving it more tag lists
 *	  (tags_add_context(), 1.3), undoing it (tags_disable()), and
 *	  forgetting what a DROP took a table of.
 *
 * A target is a table with a primary key of one column, or, with a tenant
 * column (1.3), of the tenant and one column, or of one column beside a
 * NOT NULL tenant column.  It is registered in tag_targets with its own
 * list (association table and two counter tables), its visibility
 * expression, its sort column and its tenant column; each context is
 * registered in tag_contexts with a list of its own; a tenant target's
 * tags are in the tenant vocabulary of its schema and tenant type
 * (tag_vocabularies), made with the first such target; on Citus a target
 * distributed by its key takes its tags from the global vocabulary of its
 * schema, reference tables made with the first such target.  tags_enable()
 * checks everything first, then makes those tables beside the target, as
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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_enable);
PG_FUNCTION_INFO_V1(tags_add_context);
PG_FUNCTION_INFO_V1(tags_disable);
PG_FUNCTION_INFO_V1(tags_drop_targets);

/* What a target's lists are made from: the target, checked */
typedef struct TargetShape
{
	Relation	rel;
	char	   *nspname;
	AttrNumber	key_att;
	AttrNumber	sort_att;
	AttrNumber	tenant_att;		/* 0: no tenants */
	bool		tenant_in_key;	/* the primary key is (tenant, key) */
	Oid			vocabulary;		/* its vocabulary's tags table, if tenants */
	bool		vocabulary_made;	/* by this call */
	const char *owner;			/* quoted */
	bool		distributed;	/* by Citus, by its tenant column */
} TargetShape;

static void primary_key_columns(Relation rel, AttrNumber tenant_att,
								AttrNumber *atts, int *natts);
static AttrNumber key_column(Relation rel, AttrNumber tenant_att,
							 bool *tenant_in_key);
static void check_key_type(Relation rel, AttrNumber att, const char *what);
static AttrNumber sort_column_of(Relation rel, Name sort_column,
								 AttrNumber key_att);
static AttrNumber tenant_column_of(Relation rel, Name tenant_column);
static void check_context_name(Relation rel, const char *context);
static char *list_table_name(Relation rel, const char *context,
							 const char *suffix);
static Oid	make_vocabulary(TargetShape *shape);
static Oid	vocabulary_of(Oid namespace, Oid tenant_type);
static void add_tag_keys(char **tables, const char *tenant_first);
static void make_list(TargetShape *shape, const char *context, Oid *tables);
static char *sort_copy_type(Form_pg_attribute sort_attr);
static void run_ddl(const char *sql);
static bool check_citus_shape(TargetShape *shape);
static void distribute_tables(TargetShape *shape, const Oid *tables);
static void distribute_list(TargetShape *shape, const Oid *tables);

/*
 * The key columns of rel's primary key (at most two are read), or 42P16 if
 * it has none
 */
static void
primary_key_columns(Relation rel, AttrNumber tenant_att, AttrNumber *atts,
					int *natts)
{
	Oid			index = tags_primary_key_index(rel);
	HeapTuple	tuple;
	Form_pg_index form;
	int			i;

	if (!OidIsValid(index))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("table \"%s\" has no primary key",
					   RelationGetRelationName(rel)),
				tenant_att > 0 ?
				errdetail("A tenant target needs a primary key of its tenant column and one column, or of one column beside the tenant column.") :
				errdetail("A tag target needs a primary key of one column."));
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for index %u", index);
	form = (Form_pg_index) GETSTRUCT(tuple);
	*natts = form->indnkeyatts;
	for (i = 0; i < Min(*natts, 2); i++)
		atts[i] = form->indkey.values[i];
	ReleaseSysCache(tuple);
}

/*
 * The column of rel's primary key that is an item's key: its one column,
 * or, with a tenant column tenant_att, the other of (tenant, key), which
 * sets *tenant_in_key; else 42P16.
 */
static AttrNumber
key_column(Relation rel, AttrNumber tenant_att, bool *tenant_in_key)
{
	AttrNumber	atts[2] = {0, 0};
	int			natts;

	primary_key_columns(rel, tenant_att, atts, &natts);
	*tenant_in_key = false;
	if (natts == 1 && atts[0] != 0 && atts[0] != tenant_att)
		return atts[0];
	if (natts == 2 && tenant_att > 0 && atts[0] != 0 && atts[1] != 0 &&
		(atts[0] == tenant_att || atts[1] == tenant_att))
	{
		*tenant_in_key = true;
		return atts[0] == tenant_att ? atts[1] : atts[0];
	}
	if (tenant_att > 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("the primary key of table \"%s\" is neither (%s, key) nor one other column",
					   RelationGetRelationName(rel),
					   get_attname(RelationGetRelid(rel), tenant_att, false)),
				errdetail("A tenant target needs a primary key of its tenant column and one column, or of one column beside the tenant column."));
	ereport(ERROR,
			errcode(ERRCODE_INVALID_TABLE_DEFINITION),
			errmsg("the primary key of table \"%s\" is not a single column",
				   RelationGetRelationName(rel)),
			errdetail("A tag target needs a primary key of one column."),
			natts == 2 ?
			errhint("A key of a tenant and an id is a tenant target's: pass tenant_column.") : 0);
	return 0;					/* not reached */
}

/*
 * Raise 42P16 unless the column att (the key, or the tenant column) is of
 * a type that can name an item or a tenant
 */
static void
check_key_type(Relation rel, AttrNumber att, const char *what)
{
	Oid			type = TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid;

	if (type != INT2OID && type != INT4OID && type != INT8OID &&
		type != UUIDOID && type != TEXTOID && type != VARCHAROID)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("the %s of table \"%s\" is of type %s",
					   what, RelationGetRelationName(rel),
					   format_type_be(type)),
				errdetail("A tag target's %s must be of type smallint, integer, bigint, uuid, text or varchar.",
						  strcmp(what, "primary key") == 0 ? "key" : "tenant"));
}

/*
 * The attribute number of the sort column (the key's, key_att, if NULL),
 * which must be a date, time stamp or number.  It may be nullable (1.3): a
 * row without a value sorts after those with one.
 */
static AttrNumber
sort_column_of(Relation rel, Name sort_column, AttrNumber key_att)
{
	AttrNumber	att;
	Form_pg_attribute attr;

	if (sort_column == NULL)
		return key_att;
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
	return att;
}

/*
 * The attribute number of the tenant column, or 0 if NULL: a NOT NULL
 * column of a type a key may have (42703, 42P16)
 */
static AttrNumber
tenant_column_of(Relation rel, Name tenant_column)
{
	AttrNumber	att;

	if (tenant_column == NULL)
		return 0;
	att = get_attnum(RelationGetRelid(rel), NameStr(*tenant_column));
	if (att <= 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("column \"%s\" of table \"%s\" does not exist",
					   NameStr(*tenant_column), RelationGetRelationName(rel)));
	check_key_type(rel, att, "tenant column");
	if (!TupleDescAttr(RelationGetDescr(rel), att - 1)->attnotnull)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TABLE_DEFINITION),
				errmsg("tenant column \"%s\" is not NOT NULL",
					   NameStr(*tenant_column)),
				errdetail("Every row of a tenant target is some tenant's."),
				errhint("Add NOT NULL to the column."));
	return att;
}

/*
 * Raise 22023 unless context can name a tag list: lower-case letters,
 * digits and underscores, starting with a letter
 */
static void
check_context_name(Relation rel, const char *context)
{
	const char *p;
	bool		ok = context[0] >= 'a' && context[0] <= 'z';

	for (p = context; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			*p == '_';
	if (!ok)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("invalid tag context name \"%s\"", context),
				errdetail("A context name has lower-case letters, digits and underscores, and starts with a letter."));
}

/*
 * The name of a table of a list of rel: <rel>_<suffix> for its own,
 * <rel>_<context>_<suffix> for a context's; 42622 if it does not fit.
 */
static char *
list_table_name(Relation rel, const char *context, const char *suffix)
{
	char	   *name = context == NULL ?
		psprintf("%s_%s", RelationGetRelationName(rel), suffix) :
		psprintf("%s_%s_%s", RelationGetRelationName(rel), context, suffix);

	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				errcode(ERRCODE_NAME_TOO_LONG),
				context == NULL ?
				errmsg("table name \"%s\" is too long to be a tag target",
					   RelationGetRelationName(rel)) :
				errmsg("tag context name \"%s\" is too long for table \"%s\"",
					   context, RelationGetRelationName(rel)),
				errdetail("The names of its tables, such as \"%s\", must fit in %d bytes.",
						  name, NAMEDATALEN - 1));
	return name;
}

/*
 * The type of the copies of the sort column (item_sort): the column's,
 * with its modifier, but for numeric, whose modifier could not hold the
 * -infinity that stands for an item without a value
 * (tags_lowest_sort())
 */
static char *
sort_copy_type(Form_pg_attribute sort_attr)
{
	if (sort_attr->atttypid == NUMERICOID)
		return format_type_be(sort_attr->atttypid);
	return format_type_with_typemod(sort_attr->atttypid, sort_attr->atttypmod);
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
 * The tags table of the vocabulary of schema $1 whose tenants are of type
 * $2, or the schema's global vocabulary if $2 is 0
 */
static const TagsStatement stmt_vocabulary_of = {
	"vocabulary_of",
	"SELECT v.tags::pg_catalog.oid FROM @extschema@.tag_vocabularies v"
	" JOIN pg_catalog.pg_class c"
	"   ON c.oid OPERATOR(pg_catalog.=) v.tags::pg_catalog.oid"
	" WHERE c.relnamespace OPERATOR(pg_catalog.=) $1"
	"   AND COALESCE(v.tenant_type::pg_catalog.oid, 0::pg_catalog.oid)"
	"       OPERATOR(pg_catalog.=) $2",
	2, {OIDOID, OIDOID}, 0, SPI_OK_SELECT
};

/*
 * The vocabulary of a schema and tenant type (InvalidOid: its global
 * vocabulary), or InvalidOid
 */
static Oid
vocabulary_of(Oid namespace, Oid tenant_type)
{
	Datum		params[2];
	bool		isnull;

	/* $1 schema, $2 tenant type */
	params[0] = ObjectIdGetDatum(namespace);
	params[1] = ObjectIdGetDatum(tenant_type);
	if (tags_execute(&stmt_vocabulary_of, params, NULL, false, 0) == 0)
		return InvalidOid;
	return DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Register a vocabulary: $1 tags, $2 synonyms, $3 old slugs, $4 type (NULL:
 * a global vocabulary)
 */
static const TagsStatement stmt_vocabulary_add = {
	"vocabulary_add",
	"INSERT INTO @extschema@.tag_vocabularies"
	" (tags, synonyms, slug_aliases, tenant_type)"
	" VALUES ($1::pg_catalog.regclass, $2::pg_catalog.regclass,"
	"         $3::pg_catalog.regclass, $4::pg_catalog.regtype)",
	4, {OIDOID, OIDOID, OIDOID, OIDOID}, 0, SPI_OK_INSERT
};

/*
 * The vocabulary of shape's schema and tenant type, or, for a distributed
 * target without tenants, the global vocabulary of its schema: found, or
 * made now, named tenant_tags, tenant_tag_synonyms and
 * tenant_tag_slug_aliases (each with "_<type>" after it if a table has the
 * name already), or global_tags, global_tag_synonyms and
 * global_tag_slug_aliases, owned by the target's owner, as the extension's
 * owner.  A tenant vocabulary of a distributed target is distributed by
 * its tenant, a global vocabulary made reference tables.  Its tags table
 * is returned.
 */
static Oid
make_vocabulary(TargetShape *shape)
{
	Oid			namespace = RelationGetNamespace(shape->rel);
	bool		global = shape->tenant_att == 0;
	Form_pg_attribute attr = global ? NULL :
		TupleDescAttr(RelationGetDescr(shape->rel), shape->tenant_att - 1);
	Oid			type = global ? InvalidOid :
		attr->atttypid == VARCHAROID ? TEXTOID : attr->atttypid;
	const char *type_name = global ? NULL : format_type_be(type);
	const char *names[3] = {"tenant_tags", "tenant_tag_synonyms",
	"tenant_tag_slug_aliases"};
	const char *tenant_column = "";
	const char *tenant_first = "";
	char	   *tables[3];
	Oid			oids[3];
	Datum		params[4];
	char		nulls[4] = "    ";
	const char *ext = quote_identifier(get_namespace_name(tags_schema()));
	int			i;

	if (global)
	{
		names[0] = "global_tags";
		names[1] = "global_tag_synonyms";
		names[2] = "global_tag_slug_aliases";
	}
	else
	{
		tenant_column = psprintf(" tenant %s NOT NULL,",
								 format_type_be_qualified(type));
		tenant_first = "tenant, ";
	}
	oids[0] = vocabulary_of(namespace, type);
	if (OidIsValid(oids[0]) && global)
		return oids[0];
	if (OidIsValid(oids[0]))
	{
		if (shape->distributed &&
			tags_citus_table_kind(oids[0], NULL) != TAGS_CITUS_DISTRIBUTED)
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("cannot tag distributed table \"%s\" with the tenant vocabulary \"%s\", which is not distributed",
						   RelationGetRelationName(shape->rel),
						   get_rel_name(oids[0])),
					errdetail("The tables of one schema whose tenant columns are of one type share a vocabulary."),
					errhint("Distribute the tables of the vocabulary and their targets first, or tag a table of another schema."));
		if (!shape->distributed &&
			tags_citus_table_kind(oids[0], NULL) != TAGS_CITUS_NONE)
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("cannot tag table \"%s\", which is not distributed, with the distributed tenant vocabulary \"%s\"",
						   RelationGetRelationName(shape->rel),
						   get_rel_name(oids[0])),
					errdetail("The tables of one schema whose tenant columns are of one type share a vocabulary."),
					errhint("Distribute the table by its tenant column first."));
		return oids[0];
	}
	shape->vocabulary_made = true;
	for (i = 0; i < 3; i++)
	{
		char	   *name = pstrdup(names[i]);

		if (OidIsValid(get_relname_relid(name, namespace)))
		{
			if (global)
				ereport(ERROR,
						errcode(ERRCODE_DUPLICATE_TABLE),
						errmsg("relation \"%s\" already exists", name),
						errdetail("The global vocabulary of the distributed tag targets of schema \"%s\" would be made with that name.",
								  shape->nspname),
						errhint("Rename the table."));
			name = psprintf("%s_%s", names[i], type_name);
		}
		tables[i] = quote_qualified_identifier(shape->nspname, name);
		names[i] = name;
	}

	/*
	 * Citus makes a table that has a foreign key to a reference table a
	 * table of its own: a global vocabulary's keys are added once its
	 * tables are reference tables
	 */
	run_ddl(psprintf("CREATE TABLE %s (%s"
					 " id integer GENERATED BY DEFAULT AS IDENTITY,"
					 " name varchar(100) COLLATE pg_catalog.\"C\" NOT NULL"
					 "   CHECK (name OPERATOR(pg_catalog.<>) ''),"
					 " slug varchar(100) COLLATE pg_catalog.\"C\" NOT NULL"
					 "   CHECK (slug OPERATOR(pg_catalog.~) '^[a-z0-9]+(-[a-z0-9]+)*$'),"
					 " created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
					 " PRIMARY KEY (%sid),"
					 " UNIQUE (%sname),"
					 " UNIQUE (%sslug))",
					 tables[0], tenant_column, tenant_first, tenant_first,
					 tenant_first));
	run_ddl(psprintf("CREATE TRIGGER tags_before_write"
					 " BEFORE INSERT OR UPDATE OF %sname, slug ON %s"
					 " FOR EACH ROW EXECUTE FUNCTION %s.tags_before_write()",
					 tenant_first, tables[0], ext));
	run_ddl(psprintf("CREATE TABLE %s (%s"
					 " name varchar(100) COLLATE pg_catalog.\"C\" NOT NULL"
					 "   CHECK (name OPERATOR(pg_catalog.<>) ''),"
					 " tag_id integer NOT NULL,"
					 " created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
					 " PRIMARY KEY (%sname))",
					 tables[1], tenant_column, tenant_first));
	run_ddl(psprintf("CREATE INDEX ON %s (%stag_id)", tables[1],
					 tenant_first));
	run_ddl(psprintf("CREATE TABLE %s (%s"
					 " slug varchar(100) COLLATE pg_catalog.\"C\" NOT NULL"
					 "   CHECK (slug OPERATOR(pg_catalog.~) '^[a-z0-9]+(-[a-z0-9]+)*$'),"
					 " tag_id integer NOT NULL,"
					 " created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
					 " PRIMARY KEY (%sslug))",
					 tables[2], tenant_column, tenant_first));
	run_ddl(psprintf("CREATE INDEX ON %s (%stag_id)", tables[2],
					 tenant_first));
	if (!global)
		add_tag_keys(tables, tenant_first);
	for (i = 0; i < 3; i++)
	{
		run_ddl(psprintf("ALTER TABLE %s OWNER TO %s", tables[i],
						 shape->owner));
		oids[i] = get_relname_relid(names[i], namespace);
	}
	/* $1 tags, $2 synonyms, $3 old slugs, $4 tenant type */
	for (i = 0; i < 3; i++)
		params[i] = ObjectIdGetDatum(oids[i]);
	params[3] = ObjectIdGetDatum(type);
	if (global)
		nulls[3] = 'n';
	tags_execute(&stmt_vocabulary_add, params, nulls, false, 0);
	if (shape->distributed)
	{
		if (global)
		{
			for (i = 0; i < 3; i++)
				tags_citus_reference(oids[i]);
			add_tag_keys(tables, tenant_first);
		}
		else
			distribute_tables(shape, oids);
		tags_citus_run_on_workers(psprintf("INSERT INTO %s.tag_vocabularies"
								   " (tags, synonyms, slug_aliases, tenant_type)"
								   " VALUES (%s, %s, %s, %s::pg_catalog.regtype)",
								   ext,
								   quote_literal_cstr(tables[0]),
								   quote_literal_cstr(tables[1]),
								   quote_literal_cstr(tables[2]),
								   global ? "NULL" :
								   quote_literal_cstr(format_type_be_qualified(type))));
	}
	return oids[0];
}

/*
 * The foreign keys of a vocabulary's synonyms and old slugs (tables[1],
 * tables[2]) to its tags (tables[0])
 */
static void
add_tag_keys(char **tables, const char *tenant_first)
{
	int			i;

	for (i = 1; i < 3; i++)
		run_ddl(psprintf("ALTER TABLE %s ADD FOREIGN KEY (%stag_id)"
						 " REFERENCES %s (%sid) ON DELETE CASCADE",
						 tables[i], tenant_first, tables[0], tenant_first));
}

/*
 * Whether shape's target is distributed by Citus, which is then by its
 * tenant column, or, without tenants, by its key (doc/citus.md); any other
 * table of Citus' is refused (0A000): its tags could not be kept exact on
 * the shards.  shape's key column is known.
 */
static bool
check_citus_shape(TargetShape *shape)
{
	const char *name = RelationGetRelationName(shape->rel);
	char	   *column;

	switch (tags_citus_table_kind(RelationGetRelid(shape->rel), &column))
	{
		case TAGS_CITUS_NONE:
			return false;
		case TAGS_CITUS_OTHER:
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("cannot tag table \"%s\", which Citus holds as a reference, local or single-shard table",
						   name),
					errhint("Tag a table distributed by its tenant column or by its key, or a table Citus does not hold."));
			break;
		case TAGS_CITUS_DISTRIBUTED:
			if (shape->tenant_att == 0)
			{
				const char *key = get_attname(RelationGetRelid(shape->rel),
											  shape->key_att, false);

				if (strcmp(column, key) != 0)
					ereport(ERROR,
							errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("table \"%s\" is distributed by column \"%s\", not by its key \"%s\"",
								   name, column, key),
							errdetail("On Citus, tags keeps an item's tags on the shard that holds the item: of its tenant with a tenant column, else of its key."),
							errhint("Distribute the table by its key, or by its tenant column and name it as tenant_column."));
				return true;
			}
			if (strcmp(column, get_attname(RelationGetRelid(shape->rel),
										   shape->tenant_att, false)) != 0)
				ereport(ERROR,
						errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("table \"%s\" is distributed by column \"%s\", not by its tenant column \"%s\"",
							   name, column,
							   get_attname(RelationGetRelid(shape->rel),
										   shape->tenant_att, false)),
						errhint("Distribute the table by its tenant column."));
			return true;
	}
	return false;
}

/*
 * Distribute three tables made for shape's distributed target, colocated
 * with the target, by their tenant column, or, without tenants, by their
 * item (a list's tables; the global vocabulary is made reference tables)
 */
static void
distribute_tables(TargetShape *shape, const Oid *tables)
{
	const char *target = quote_qualified_identifier(shape->nspname,
													RelationGetRelationName(shape->rel));
	int			i;

	for (i = 0; i < 3; i++)
		tags_citus_distribute(tables[i],
							  shape->tenant_att > 0 ? "tenant" : "item_id",
							  target);
}

/*
 * Distribute the tables of a list of shape's distributed target (tables:
 * association, counts, deltas); without tenants, then give its
 * association table its foreign key to the global vocabulary
 */
static void
distribute_list(TargetShape *shape, const Oid *tables)
{
	distribute_tables(shape, tables);
	if (shape->tenant_att == 0)
		run_ddl(psprintf("ALTER TABLE %s ADD FOREIGN KEY (tag_id)"
						 " REFERENCES %s (id) ON DELETE CASCADE",
						 tags_qualified_name(tables[0]),
						 tags_qualified_name(shape->vocabulary)));
}

/*
 * Make a list of shape's target, its own (context NULL) or a context's:
 * its association table and counters, with their triggers, owned by the
 * target's owner; tables gets their oids.  The copy of the sort value has
 * the column's type without its modifier: a numeric(p, s) cannot hold the
 * -infinity an item without a value sorts as.  The caller runs as the
 * extension's owner.
 */
static void
make_list(TargetShape *shape, const char *context, Oid *tables)
{
	Relation	rel = shape->rel;
	Oid			namespace = RelationGetNamespace(rel);
	char	   *names[3];
	char	   *assoc;
	char	   *counts;
	char	   *deltas;
	const char *ext = quote_identifier(get_namespace_name(tags_schema()));
	const char *target = quote_qualified_identifier(shape->nspname,
													RelationGetRelationName(rel));
	Form_pg_attribute key_attr = TupleDescAttr(RelationGetDescr(rel),
											   shape->key_att - 1);
	Form_pg_attribute sort_attr = TupleDescAttr(RelationGetDescr(rel),
												shape->sort_att - 1);
	const char *key_name = quote_identifier(NameStr(key_attr->attname));
	const char *tenant_column = "";
	const char *tenant_first = "";
	const char *item_key;
	const char *tag_key;
	const char *key_type = format_type_with_typemod(key_attr->atttypid,
													key_attr->atttypmod);
	bool		by_key = shape->distributed && shape->tenant_att == 0;
	const char *item_column = "";
	int			i;

	names[0] = list_table_name(rel, context, "tags");
	names[1] = list_table_name(rel, context, "tag_counts");
	names[2] = list_table_name(rel, context, "tag_count_deltas");
	assoc = quote_qualified_identifier(shape->nspname, names[0]);
	counts = quote_qualified_identifier(shape->nspname, names[1]);
	deltas = quote_qualified_identifier(shape->nspname, names[2]);

	if (shape->tenant_att > 0)
	{
		Form_pg_attribute tenant_attr = TupleDescAttr(RelationGetDescr(rel),
													  shape->tenant_att - 1);

		/*
		 * of the vocabulary's type; an item's tags are its tenant's, and
		 * neither its key nor its tenant can change under them
		 */
		tenant_column = psprintf(" tenant %s NOT NULL,",
								 format_type_be_qualified(tenant_attr->atttypid == VARCHAROID ?
														  TEXTOID :
														  tenant_attr->atttypid));
		tenant_first = "tenant, ";
		item_key = shape->tenant_in_key ?
			psprintf("FOREIGN KEY (tenant, item_id) REFERENCES %s (%s, %s)"
					 " ON DELETE CASCADE",
					 target, quote_identifier(NameStr(tenant_attr->attname)),
					 key_name) :
			psprintf("FOREIGN KEY (item_id) REFERENCES %s (%s)"
					 " ON DELETE CASCADE", target, key_name);
		tag_key = psprintf("FOREIGN KEY (tenant, tag_id) REFERENCES %s (tenant, id)"
						   " ON DELETE CASCADE",
						   tags_qualified_name(shape->vocabulary));
	}
	else if (by_key)
	{
		/*
		 * Citus takes no ON UPDATE CASCADE, and a distribution column does
		 * not change; the key to the global vocabulary's reference table is
		 * added once the table is distributed (distribute_list()).  The
		 * counters are kept per shard group: each row names an item of the
		 * shard group it is in (doc/citus.md).
		 */
		item_key = psprintf("FOREIGN KEY (item_id) REFERENCES %s (%s)"
							" ON DELETE CASCADE", target, key_name);
		tag_key = NULL;
		item_column = psprintf(" item_id %s NOT NULL,", key_type);
	}
	else
	{
		item_key = psprintf("FOREIGN KEY (item_id) REFERENCES %s (%s)"
							" ON DELETE CASCADE ON UPDATE CASCADE",
							target, key_name);
		tag_key = psprintf("FOREIGN KEY (tag_id) REFERENCES %s.tags (id)"
						   " ON DELETE CASCADE", ext);
	}

	run_ddl(psprintf("CREATE TABLE %s (%s"
					 " item_id %s NOT NULL,"
					 " tag_id integer NOT NULL,"
					 " position integer,"
					 " item_visible boolean NOT NULL,"
					 " item_sort %s NOT NULL,"
					 " PRIMARY KEY (%sitem_id, tag_id),"
					 " %s%s%s)",
					 assoc, tenant_column, key_type,
					 sort_copy_type(sort_attr),
					 tenant_first, item_key, tag_key != NULL ? ", " : "",
					 tag_key != NULL ? tag_key : ""));
	run_ddl(psprintf("CREATE INDEX ON %s"
					 " (%stag_id, item_visible, item_sort, item_id)",
					 assoc, tenant_first));
	if (by_key)
	{
		run_ddl(psprintf("CREATE TABLE %s (%s"
						 " tag_id integer NOT NULL,"
						 " item_count bigint NOT NULL)",
						 counts, item_column));
		/* no key: a shard move (logical replication) needs every column */
		run_ddl(psprintf("ALTER TABLE %s REPLICA IDENTITY FULL", counts));
	}
	else
		run_ddl(psprintf("CREATE TABLE %s (%s"
						 " tag_id integer NOT NULL,"
						 " item_count bigint NOT NULL,"
						 " PRIMARY KEY (%stag_id))",
						 counts, tenant_column, tenant_first));
	run_ddl(psprintf("CREATE INDEX ON %s (%s)", counts,
					 by_key ? "tag_id" :
					 psprintf("%sitem_count", tenant_first)));
	run_ddl(psprintf("CREATE TABLE %s (%s%s"
					 " tag_id integer NOT NULL,"
					 " delta integer NOT NULL)"
					 " WITH (autovacuum_vacuum_scale_factor = 0,"
					 "       autovacuum_vacuum_threshold = 10000,"
					 "       autovacuum_vacuum_insert_scale_factor = 0,"
					 "       autovacuum_vacuum_insert_threshold = 10000)",
					 deltas, tenant_column, item_column));
	/*
	 * The deltas have no key: a publication of the table (logical
	 * replication) identifies the rows a fold deletes by all their columns,
	 * without which the fold would fail
	 */
	run_ddl(psprintf("ALTER TABLE %s REPLICA IDENTITY FULL", deltas));
	if (shape->tenant_att > 0 || by_key)
		run_ddl(psprintf("CREATE INDEX ON %s (%stag_id)", deltas,
						 tenant_first));
	run_ddl(psprintf("CREATE TRIGGER tags_copy_item"
					 " BEFORE INSERT OR UPDATE OF %sitem_id, item_visible, item_sort"
					 " ON %s FOR EACH ROW EXECUTE FUNCTION %s.tags_copy_item()",
					 tenant_first, assoc, ext));
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
	for (i = 0; i < 3; i++)
	{
		run_ddl(psprintf("ALTER TABLE %s OWNER TO %s",
						 quote_qualified_identifier(shape->nspname, names[i]),
						 shape->owner));
		tables[i] = get_relname_relid(names[i], namespace);
	}
}

/*
 * Register a target: $1 the target, $2 its association table, $3 its
 * counts, $4 its deltas, $5 its visibility expression, $6 its sort column,
 * $7 its tenant column, $8 its vocabulary
 */
static const TagsStatement stmt_target_add = {
	"target_add",
	"INSERT INTO @extschema@.tag_targets"
	" (target, association, counts, count_deltas, visible, sort_column,"
	"  tenant_column, vocabulary)"
	" VALUES ($1::pg_catalog.regclass, $2::pg_catalog.regclass,"
	"         $3::pg_catalog.regclass, $4::pg_catalog.regclass, $5,"
	"         $6::pg_catalog.name, $7::pg_catalog.name,"
	"         $8::pg_catalog.regclass)",
	8, {OIDOID, OIDOID, OIDOID, OIDOID, TEXTOID, TEXTOID, TEXTOID, OIDOID},
	0, SPI_OK_INSERT
};

/* The same in a schema still at version 1.2, which has no tenants */
static const TagsStatement stmt_target_add_1_2 = {
	"target_add_1_2",
	"INSERT INTO @extschema@.tag_targets"
	" (target, association, counts, count_deltas, visible, sort_column)"
	" VALUES ($1::pg_catalog.regclass, $2::pg_catalog.regclass,"
	"         $3::pg_catalog.regclass, $4::pg_catalog.regclass, $5,"
	"         $6::pg_catalog.name)",
	6, {OIDOID, OIDOID, OIDOID, OIDOID, TEXTOID, TEXTOID}, 0, SPI_OK_INSERT
};

/*
 * Register a context: $1 the target, $2 the context, $3 its association
 * table, $4 its counts, $5 its deltas
 */
static const TagsStatement stmt_context_add = {
	"context_add",
	"INSERT INTO @extschema@.tag_contexts"
	" (target, context, association, counts, count_deltas)"
	" VALUES ($1::pg_catalog.regclass, $2, $3::pg_catalog.regclass,"
	"         $4::pg_catalog.regclass, $5::pg_catalog.regclass)",
	5, {OIDOID, TEXTOID, OIDOID, OIDOID, OIDOID}, 0, SPI_OK_INSERT
};

/*
 * Make and register a context of shape's target.  The caller runs as the
 * extension's owner.
 */
static void
add_context(TargetShape *shape, const char *context)
{
	Oid			tables[3];
	Datum		params[5];
	int			i;

	make_list(shape, context, tables);
	/* $1 target, $2 context, $3 association, $4 counts, $5 deltas */
	params[0] = ObjectIdGetDatum(RelationGetRelid(shape->rel));
	params[1] = CStringGetTextDatum(context);
	for (i = 0; i < 3; i++)
		params[i + 2] = ObjectIdGetDatum(tables[i]);
	tags_execute(&stmt_context_add, params, NULL, false, 0);
	if (shape->distributed)
	{
		distribute_list(shape, tables);
		tags_citus_run_on_workers(psprintf("INSERT INTO %s.tag_contexts"
								   " (target, context, association, counts, count_deltas)"
								   " VALUES (%s, %s, %s, %s, %s)",
								   quote_identifier(get_namespace_name(tags_schema())),
								   quote_literal_cstr(tags_qualified_name(RelationGetRelid(shape->rel))),
								   quote_literal_cstr(context),
								   quote_literal_cstr(tags_qualified_name(tables[0])),
								   quote_literal_cstr(tags_qualified_name(tables[1])),
								   quote_literal_cstr(tags_qualified_name(tables[2]))));
	}
}

/*
 * Open the table relid as a target to change, locked against concurrent
 * writes of its rows, checked: a table (42809), of the caller (42501).
 */
static Relation
open_target(Oid relid)
{
	Relation	rel = table_open(relid, ShareRowExclusiveLock);

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("\"%s\" is not a table", RelationGetRelationName(rel)));
	if (!tags_owns_table(relid))
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("must be owner of table %s", RelationGetRelationName(rel)));
	return rel;
}

/*
 * tags_enable(target regclass, visible text, sort_column name,
 *			   tenant_column name, contexts text[]) RETURNS regclass
 *
 * Checks everything before it creates anything, then creates the
 * association table and counters of the target's own list, and of each
 * context's, and a tenant target's vocabulary if its schema has none for
 * its tenant type, as the extension's owner (the foreign key to tags needs
 * a privilege the target's owner may not have), and hands them to the
 * target's owner; any error rolls all of it back.  Returns the own list's
 * association table.
 */
Datum
tags_enable(PG_FUNCTION_ARGS)
{
	Oid			relid;
	TargetShape shape;
	char	   *visible = NULL;
	ArrayType  *contexts = NULL;
	Datum	   *context_names = NULL;
	bool	   *context_nulls;
	int			ncontexts = 0;
	TagsTarget	existing;
	TagsSavedUser saved;
	Oid			tables[3];
	Datum		params[8];
	char		nulls[9] = "        ";
	int			nestlevel;
	int			i;

	relid = tags_target_oid_arg(fcinfo);
	tags_spi_connect(fcinfo);

	memset(&shape, 0, sizeof(shape));
	shape.rel = open_target(relid);
	if (tags_find_registration(relid, &existing))
		ereport(ERROR,
				errcode(ERRCODE_DUPLICATE_OBJECT),
				errmsg("table \"%s\" is already a tag target",
					   RelationGetRelationName(shape.rel)));
	shape.tenant_att = tenant_column_of(shape.rel,
										PG_NARGS() > 3 && !PG_ARGISNULL(3) ?
										PG_GETARG_NAME(3) : NULL);
	shape.key_att = key_column(shape.rel, shape.tenant_att,
							   &shape.tenant_in_key);
	check_key_type(shape.rel, shape.key_att, "primary key");
	shape.distributed = check_citus_shape(&shape);
	shape.sort_att = sort_column_of(shape.rel,
									PG_ARGISNULL(2) ? NULL : PG_GETARG_NAME(2),
									shape.key_att);
	if (!PG_ARGISNULL(1))
	{
		int			nestlevel;
		Node	   *expr = tags_cook_visible(shape.rel,
											 TextDatumGetCString(PG_GETARG_DATUM(1)),
											 true);

		nestlevel = NewGUCNestLevel();
		tags_set_search_path_catalog();
		visible = deparse_expression(expr,
									 deparse_context_for(RelationGetRelationName(shape.rel),
														 relid),
									 false, false);
		AtEOXact_GUC(true, nestlevel);
	}
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		contexts = PG_GETARG_ARRAYTYPE_P(4);
		if (ARR_NDIM(contexts) > 1)
			ereport(ERROR,
					errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					errmsg("contexts must be a one-dimensional array"));
		deconstruct_array(contexts, TEXTOID, -1, false, TYPALIGN_INT,
						  &context_names, &context_nulls, &ncontexts);
		for (i = 0; i < ncontexts; i++)
		{
			int			j;

			if (context_nulls[i])
				ereport(ERROR,
						errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("context must not be null"));
			check_context_name(shape.rel, TextDatumGetCString(context_names[i]));
			(void) list_table_name(shape.rel,
								   TextDatumGetCString(context_names[i]),
								   "tag_count_deltas");
			for (j = 0; j < i; j++)
				if (strcmp(TextDatumGetCString(context_names[i]),
						   TextDatumGetCString(context_names[j])) == 0)
					ereport(ERROR,
							errcode(ERRCODE_DUPLICATE_OBJECT),
							errmsg("tag context \"%s\" is named twice",
								   TextDatumGetCString(context_names[i])));
		}
	}
	(void) list_table_name(shape.rel, NULL, "tag_count_deltas");
	shape.nspname = get_namespace_name(RelationGetNamespace(shape.rel));
	shape.owner = quote_identifier(GetUserNameFromId(shape.rel->rd_rel->relowner,
													 false));

	tags_become_owner(&saved);
	nestlevel = NewGUCNestLevel();
	if (shape.distributed)
		tags_citus_prepare_setup(shape.tenant_att == 0);
	if (shape.tenant_att > 0 || shape.distributed)
		shape.vocabulary = make_vocabulary(&shape);
	make_list(&shape, NULL, tables);
	if (shape.distributed)
		distribute_list(&shape, tables);
	run_ddl(psprintf("CREATE TRIGGER tags_item_changed AFTER UPDATE ON %s"
					 " FOR EACH ROW EXECUTE FUNCTION %s.tags_item_changed()",
					 tags_qualified_name(relid),
					 quote_identifier(get_namespace_name(tags_schema()))));

	/*
	 * $1 target, $2 association, $3 counts, $4 deltas, $5 visible, $6 sort
	 * column, $7 tenant column, $8 vocabulary
	 */
	params[0] = ObjectIdGetDatum(relid);
	for (i = 0; i < 3; i++)
		params[i + 1] = ObjectIdGetDatum(tables[i]);
	if (visible != NULL)
		params[4] = CStringGetTextDatum(visible);
	else
		nulls[4] = 'n';
	params[5] = CStringGetTextDatum(get_attname(relid, shape.sort_att, false));
	if (shape.tenant_att > 0)
		params[6] = CStringGetTextDatum(get_attname(relid, shape.tenant_att,
													false));
	else
		nulls[6] = 'n';
	if (OidIsValid(shape.vocabulary))
		params[7] = ObjectIdGetDatum(shape.vocabulary);
	else
		nulls[7] = 'n';
	/* a schema at 1.2 (its SQL functions take no tenant): no tenants */
	if (OidIsValid(tags_table_id("tag_contexts")))
		tags_execute(&stmt_target_add, params, nulls, false, 0);
	else
		tags_execute(&stmt_target_add_1_2, params, nulls, false, 0);
	if (shape.distributed)
		tags_citus_run_on_workers(psprintf("INSERT INTO %s.tag_targets"
								   " (target, association, counts, count_deltas,"
								   "  visible, sort_column, tenant_column, vocabulary)"
								   " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
								   quote_identifier(get_namespace_name(tags_schema())),
								   quote_literal_cstr(tags_qualified_name(relid)),
								   quote_literal_cstr(tags_qualified_name(tables[0])),
								   quote_literal_cstr(tags_qualified_name(tables[1])),
								   quote_literal_cstr(tags_qualified_name(tables[2])),
								   visible != NULL ? quote_literal_cstr(visible) : "NULL",
								   quote_literal_cstr(get_attname(relid, shape.sort_att, false)),
								   shape.tenant_att > 0 ?
								   quote_literal_cstr(get_attname(relid, shape.tenant_att, false)) :
								   "NULL",
								   quote_literal_cstr(tags_qualified_name(shape.vocabulary))));
	for (i = 0; i < ncontexts; i++)
		add_context(&shape, TextDatumGetCString(context_names[i]));
	AtEOXact_GUC(true, nestlevel);
	tags_restore_user(&saved);
	CacheInvalidateRelcacheByRelid(tags_table_id("tag_targets"));
	table_close(shape.rel, NoLock);
	SPI_finish();
	PG_RETURN_OID(tables[0]);
}

/*
 * tags_add_context(target regclass, context text) RETURNS regclass
 *
 * Gives a target's rows one more tag list, named context, with its own
 * association table and counters, and returns its association table.
 * posts takes none (0A000): its tables are the extension's.
 */
Datum
tags_add_context(PG_FUNCTION_ARGS)
{
	Oid			relid;
	const char *context;
	TargetShape shape;
	TagsTarget	target;
	TagsSavedUser saved;
	int			nlists;
	TagsTarget *lists;
	int			nestlevel;
	int			i;

	relid = tags_target_oid_arg(fcinfo);
	context = tags_text_arg(fcinfo, 1, "context");
	tags_spi_connect(fcinfo);
	memset(&shape, 0, sizeof(shape));
	shape.rel = open_target(relid);
	tags_get_target(relid, &target);
	if (target.builtin)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("cannot add a tag context to the extension's own table \"%s\"",
					   RelationGetRelationName(shape.rel)),
				errhint("Tag a table of the application's own, which may have contexts."));
	check_context_name(shape.rel, context);
	lists = tags_target_lists(relid, &nlists);
	for (i = 0; i < nlists; i++)
		if (strcmp(NameStr(lists[i].context), context) == 0)
			ereport(ERROR,
					errcode(ERRCODE_DUPLICATE_OBJECT),
					errmsg("table \"%s\" already has tag context \"%s\"",
						   RelationGetRelationName(shape.rel), context));
	shape.nspname = get_namespace_name(RelationGetNamespace(shape.rel));
	shape.owner = quote_identifier(GetUserNameFromId(shape.rel->rd_rel->relowner,
													 false));
	shape.key_att = target.key_att;
	shape.sort_att = target.sort_att;
	shape.tenant_att = target.tenant_att;
	shape.vocabulary = target.vocab.tags;
	if (shape.tenant_att > 0)
		(void) key_column(shape.rel, shape.tenant_att, &shape.tenant_in_key);
	shape.distributed = check_citus_shape(&shape);

	tags_become_owner(&saved);
	nestlevel = NewGUCNestLevel();
	if (shape.distributed)
		tags_citus_prepare_setup(shape.tenant_att == 0);
	add_context(&shape, context);
	AtEOXact_GUC(true, nestlevel);
	tags_restore_user(&saved);
	CacheInvalidateRelcacheByRelid(tags_table_id("tag_targets"));
	table_close(shape.rel, NoLock);
	SPI_finish();
	PG_RETURN_OID(get_relname_relid(list_table_name(shape.rel, context, "tags"),
									RelationGetNamespace(shape.rel)));
}

/*
 * tags_disable(target regclass) RETURNS void
 *
 * Drops the association table; the event trigger (tags_drop_targets())
 * drops the rest, the contexts' tables too, and forgets the target, as it
 * does when a user drops it.  The tags stay, a tenant vocabulary too.
 */
Datum
tags_disable(PG_FUNCTION_ARGS)
{
	Oid			relid;
	TagsTarget	target;
	TagsSavedUser saved;

	relid = tags_target_oid_arg(fcinfo);
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
 * In the sql_drop event trigger: the oids of the tables the DROP took, as
 * the array "oids" of the one row of "dropped"
 */
#define DROPPED_TABLES \
	"WITH dropped AS MATERIALIZED (" \
	"    SELECT pg_catalog.array_agg(d.objid) AS oids" \
	"    FROM pg_catalog.pg_event_trigger_dropped_objects() d" \
	"    WHERE d.classid OPERATOR(pg_catalog.=)" \
	"          'pg_catalog.pg_class'::pg_catalog.regclass" \
	"      AND d.objsubid OPERATOR(pg_catalog.=) 0" \
	")"

/*
 * In the sql_drop event trigger: a target that stays, and uses a tenant
 * vocabulary a table of which the DROP took
 */
static const TagsStatement stmt_vocabulary_still_used = {
	"vocabulary_still_used",
	DROPPED_TABLES
	" SELECT r.target::pg_catalog.oid"
	" FROM dropped d, @extschema@.tag_vocabularies v"
	" JOIN @extschema@.tag_targets r ON r.vocabulary OPERATOR(pg_catalog.=) v.tags"
	" WHERE (v.tags::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"        OR v.synonyms::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"        OR v.slug_aliases::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids))"
	"   AND NOT (r.target::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"            OR r.association::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"            OR r.counts::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"            OR r.count_deltas::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids))"
	" LIMIT 1",
	0, {InvalidOid}, 0, SPI_OK_SELECT
};

/*
 * In the sql_drop event trigger: forget the tenant vocabularies a DROP took
 * a table of (none of their targets stays: see stmt_vocabulary_still_used),
 * then the targets a DROP took any of the four tables of, then the
 * contexts a DROP took a table of, or whose target is forgotten; returns
 * every table of what was forgotten, with the target whose trigger goes
 * (or NULL).  The rows of the registry
 * are those the last forgotten ones leave.
 */
static const TagsStatement stmt_targets_dropped = {
	"targets_dropped",
	DROPPED_TABLES ", vocabularies AS ("
	"    DELETE FROM @extschema@.tag_vocabularies v USING dropped d"
	"    WHERE v.tags::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"       OR v.synonyms::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"       OR v.slug_aliases::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"    RETURNING v.tags, v.synonyms, v.slug_aliases"
	"), targets AS ("
	"    DELETE FROM @extschema@.tag_targets r USING dropped d"
	"    WHERE NOT r.builtin"
	"      AND (r.target::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"           OR r.association::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"           OR r.counts::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"           OR r.count_deltas::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids))"
	"    RETURNING r.target, r.association, r.counts, r.count_deltas"
	"), contexts AS ("
	"    DELETE FROM @extschema@.tag_contexts x USING dropped d"
	"    WHERE x.association::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"       OR x.counts::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"       OR x.count_deltas::pg_catalog.oid OPERATOR(pg_catalog.=) ANY (d.oids)"
	"       OR x.target OPERATOR(pg_catalog.=) ANY (SELECT t.target FROM targets t)"
	"    RETURNING x.association, x.counts, x.count_deltas"
	")"
	" SELECT t.target::pg_catalog.oid, t.association::pg_catalog.oid,"
	"        t.counts::pg_catalog.oid, t.count_deltas::pg_catalog.oid"
	" FROM targets t"
	" UNION ALL"
	" SELECT NULL, x.association::pg_catalog.oid, x.counts::pg_catalog.oid,"
	"        x.count_deltas::pg_catalog.oid"
	" FROM contexts x"
	" UNION ALL"
	" SELECT NULL, v.tags::pg_catalog.oid, v.synonyms::pg_catalog.oid,"
	"        v.slug_aliases::pg_catalog.oid"
	" FROM vocabularies v",
	0, {InvalidOid}, 0, SPI_OK_SELECT
};

/* The same in a schema still at version 1.2: targets alone */
static const TagsStatement stmt_targets_dropped_1_2 = {
	"targets_dropped_1_2",
	DROPPED_TABLES
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
 * Forgets each target whose table or association table was dropped, each
 * context whose tables were, and each vocabulary whose tables were, and
 * drops what is left of them: the trigger on the target, the association
 * tables, the counters, the vocabulary's tables.  A table of a vocabulary
 * that a target which stays still uses cannot be dropped (2BP01): its
 * tags are every tenant's.  Runs as the extension's owner.
 */
Datum
tags_drop_targets(PG_FUNCTION_ARGS)
{
	TagsSavedUser saved;
	uint64		nrows;
	uint64		row;
	Oid		   *gone;
	bool		on_worker;
	int			nestlevel;

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
	on_worker = tags_citus_on_worker();
	if (!on_worker && OidIsValid(tags_table_id("tag_contexts")) &&
		tags_execute(&stmt_vocabulary_still_used, NULL, NULL, false, 0) > 0)
	{
		bool		isnull;
		Oid			target = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc,
															1, &isnull));
		TagsTarget	registered;
		bool		global = tags_find_registration(target, &registered) &&
			registered.vocab.global;

		ereport(ERROR,
				errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				global ?
				errmsg("cannot drop a table of the global vocabulary of table \"%s\"",
					   get_rel_name(target) ? get_rel_name(target) : "?") :
				errmsg("cannot drop a table of the tenant vocabulary of table \"%s\"",
					   get_rel_name(target) ? get_rel_name(target) : "?"),
				global ?
				errdetail("The vocabulary holds the tags of the tag targets of its schema distributed by their key.") :
				errdetail("The vocabulary holds the tags of every tenant of the tag targets that use it."),
				errhint("Disable those targets with tags_disable() first, or drop them too."));
	}
	if (OidIsValid(tags_table_id("tag_contexts")))
		nrows = tags_execute(&stmt_targets_dropped, NULL, NULL, false, 0);
	else
		nrows = tags_execute(&stmt_targets_dropped_1_2, NULL, NULL, false, 0);
	gone = palloc((nrows * 4 + 1) * sizeof(Oid));
	for (row = 0; row < nrows; row++)
	{
		int			i;

		for (i = 0; i < 4; i++)
		{
			bool		isnull;
			Datum		oid = SPI_getbinval(SPI_tuptable->vals[row],
											SPI_tuptable->tupdesc, i + 1,
											&isnull);

			gone[row * 4 + i] = isnull ? InvalidOid : DatumGetObjectId(oid);
		}
	}

	/*
	 * On a worker of a Citus cluster only the registry is the worker's own:
	 * the coordinator drops the rest, and Citus drops it on the workers
	 * (which takes the trigger off a distributed target: see
	 * tags_citus_prepare_setup())
	 */
	nestlevel = NewGUCNestLevel();
	if (tags_citus_installed())
		tags_citus_prepare_setup(false);
	for (row = 0; !on_worker && row < nrows; row++)
	{
		Oid			target = gone[row * 4];
		int			i;

		if (OidIsValid(target) && get_rel_name(target) != NULL &&
			OidIsValid(get_trigger_oid(target, "tags_item_changed", true)))
			run_ddl(psprintf("DROP TRIGGER tags_item_changed ON %s",
							 tags_qualified_name(target)));
		/* a vocabulary's synonyms and old slugs first: they refer to tags */
		for (i = 3; i > 0; i--)
			if (get_rel_name(gone[row * 4 + i]) != NULL)
				run_ddl(psprintf("DROP TABLE %s",
								 tags_qualified_name(gone[row * 4 + i])));
	}
	AtEOXact_GUC(true, nestlevel);
	tags_restore_user(&saved);
	if (nrows > 0)
		CacheInvalidateRelcacheByRelid(tags_table_id("tag_targets"));
	SPI_finish();
	PG_RETURN_VOID();
}
