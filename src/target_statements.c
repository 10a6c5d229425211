/*-------------------------------------------------------------------------
 *
 * target_statements.c
 *	  The statements run on a target's list or on a vocabulary: their text
 *	  made from a template, the call's tenant as their last parameter; and
 *	  how a target's items and tenants are named and converted.
 *
 * A statement on a target is written once, in full, beside the function
 * that runs it, with placeholders that build_target_sql() fills in with the
 * quoted names of the moment.  On a tenant target (1.3) every table the
 * statement reads or writes is restricted to the call's tenant by a
 * placeholder that becomes "x.tenant = $n AND", $n being one parameter
 * past the statement's own, which tags_target_execute() passes: so every
 * statement of a tenant's call names its tenant, as Citus' router needs,
 * and reads no row of another tenant.  On a target without tenants the
 * placeholders become nothing, and the statement is the one 1.2 ran.  The
 * plans are kept per list (its association table) and per vocabulary (its
 * tags table).  See doc/targets.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "tags.h"

static uint64 execute(const TagsTarget *target, Oid key,
					  const TagsStatement *stmt, Datum *values,
					  const char *nulls, bool latest, bool read_only,
					  long count);
static const char *build_target_sql(const TagsStatement *stmt,
									const char *template, const void *arg,
									Oid *argtypes, int *nargs,
									int *cursor_options);
static char *substitute_aliased(const char *template, const char *prefix,
								const char *format);
static bool uses_tenant(const char *template);

/*
 * Run a statement of a target's list as tags_execute() runs a statement of
 * the extension's own tables: its plan is kept by the plan cache for the
 * list, and made again when the target's tables change.  On a tenant
 * target the call's tenant is passed after values.
 */
uint64
tags_target_execute(const TagsTarget *target, const TagsStatement *stmt,
					Datum *values, const char *nulls, bool latest,
					bool read_only, long count)
{
	return execute(target, target->assoc, stmt, values, nulls, latest,
				   read_only, count);
}

/*
 * Run a statement on the vocabulary of target (a target's list, or a
 * vocabulary alone): its plan is kept per vocabulary, whichever target
 * the call came through; the statement names only the vocabulary's tables.
 */
uint64
tags_vocabulary_execute(const TagsTarget *target, const TagsStatement *stmt,
						Datum *values, const char *nulls, bool latest,
						bool read_only, long count)
{
	return execute(target, target->vocab.tags, stmt, values, nulls, latest,
				   read_only, count);
}

/*
 * Run stmt for target, its plan kept under key, with the call's tenant
 * after values on a tenant target
 */
static uint64
execute(const TagsTarget *target, Oid key, const TagsStatement *stmt,
		Datum *values, const char *nulls, bool latest, bool read_only,
		long count)
{
	const TagsTarget *cached = tags_cached_list(target);
	Datum		all_values[TAGS_MAX_ARGS + 1];
	char		all_nulls[TAGS_MAX_ARGS + 1];
	int			i;

	if (cached == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("table \"%s\" is no longer a tag target",
					   get_rel_name(target->relid) ?
					   get_rel_name(target->relid) : "?"));
	if (TAGS_HAS_TENANTS(cached))
	{
		if (!target->has_tenant && uses_tenant(stmt->sql))
			elog(ERROR, "statement %s was not given the call's tenant",
				 stmt->name);
		for (i = 0; i < stmt->nargs; i++)
		{
			all_values[i] = values[i];
			all_nulls[i] = nulls != NULL ? nulls[i] : ' ';
		}
		all_values[i] = target->tenant;
		all_nulls[i] = target->has_tenant ? ' ' : 'n';
		values = all_values;
		nulls = all_nulls;
	}
	return tags_execute_for_target(stmt, key, build_target_sql, cached, values,
								   nulls, latest, read_only, count);
}

/* Whether a statement's template reads the tenant parameter */
static bool
uses_tenant(const char *template)
{
	return strstr(template, "@tenant:") != NULL ||
		strstr(template, "@target_tenant:") != NULL ||
		strstr(template, "@tenant_value@") != NULL;
}

/*
 * A copy of template in which each placeholder "<prefix>alias@" is
 * replaced by format with the alias put in for its %s, or, if format is
 * NULL, by nothing.
 */
static char *
substitute_aliased(const char *template, const char *prefix,
				   const char *format)
{
	size_t		len = strlen(prefix);
	StringInfoData sql;
	const char *p = template;
	const char *found;

	initStringInfo(&sql);
	while ((found = strstr(p, prefix)) != NULL)
	{
		const char *alias = found + len;
		const char *end = strchr(alias, '@');

		if (end == NULL)
			elog(ERROR, "placeholder %s has no end", prefix);
		appendBinaryStringInfo(&sql, p, found - p);
		if (format != NULL)
			appendStringInfo(&sql, format,
							 pnstrdup(alias, end - alias));
		p = end + 1;
	}
	appendStringInfoString(&sql, p);
	return sql.data;
}

/*
 * The text of a target's statement (arg is its TagsTarget, as the cache
 * has it), for the plan cache: its template (stmt's sql, or its sql_1_0)
 * with the names of the target's tables and columns of the moment put in,
 * quoted:
 *	  @extschema@	the extension's schema
 *	  @tags@, @synonyms@, @aliases@  the vocabulary's tables
 *	  @target@		the target table, t in every statement
 *	  @key@			its key column (within the tenant)
 *	  @assoc@		the list's association table, a
 *	  @item@		the association's item column (item_id; post_id)
 *	  @visible@		its copy of the item's visibility (item_visible)
 *	  @sort@		its copy of the item's sort value (item_sort)
 *	  @counts@, @count@  the folded counts and their column (item_count)
 *	  @deltas@		the pending count deltas
 * and, on a tenant target, with the tenant, $n past the statement's own
 * parameters (nothing on another target):
 *	  @tenant:x@	"x.tenant = $n AND ", x being a table we made (a
 *					vocabulary's, an association table, counters)
 *	  @target_tenant:x@  the same for the target x's own tenant column
 *	  @tenant_column@  "tenant, ", in a column list
 *	  @tenant_value@   "$n, ", in the values that go with it
 * A parameter of type ITEM_KEY_TYPE or ITEM_SORT_TYPE takes the type of the
 * target's key or sort column, one of ITEM_KEY_ARRAY_TYPE or
 * ITEM_SORT_ARRAY_TYPE an array of it, one of ITEM_ROW_TYPE the type of the
 * target's rows.
 */
static const char *
build_target_sql(const TagsStatement *stmt, const char *template,
				 const void *arg, Oid *argtypes, int *nargs,
				 int *cursor_options)
{
	const TagsTarget *t = arg;
	bool		tenants = TAGS_HAS_TENANTS(t);
	char	   *sql;
	char	   *param = NULL;
	int			i;

	for (i = 0; i < stmt->nargs; i++)
		argtypes[i] = stmt->argtypes[i] == ITEM_KEY_TYPE ? t->key_type :
			stmt->argtypes[i] == ITEM_SORT_TYPE ? t->sort_type :
			stmt->argtypes[i] == ITEM_KEY_ARRAY_TYPE ? get_array_type(t->key_type) :
			stmt->argtypes[i] == ITEM_SORT_ARRAY_TYPE ? get_array_type(t->sort_type) :
			stmt->argtypes[i] == ITEM_ROW_TYPE ? get_rel_type_id(t->relid) :
			stmt->argtypes[i];
	*nargs = stmt->nargs;

	/*
	 * Citus plans a statement on its tables for the values of its
	 * parameters (the tenant tells it the shard), and cannot plan one
	 * generic plan for them all (doc/citus.md), but for a query of one
	 * table filtered on its distribution column, whose generic plan finds
	 * the shard when it runs (its fast path, unless turned off)
	 */
	if (t->distributed && !(stmt->citus_fast_path && tags_citus_fast_path()))
		*cursor_options = (*cursor_options & ~CURSOR_OPT_GENERIC_PLAN) |
			CURSOR_OPT_CUSTOM_PLAN;
	if (tenants)
	{
		argtypes[(*nargs)++] = t->vocab.tenant_type;
		param = psprintf("$%d", *nargs);
	}

	sql = tags_substitute(template, "@extschema@",
						  quote_identifier(get_namespace_name(tags_schema())));
	sql = tags_substitute(sql, "@tags@", tags_qualified_name(t->vocab.tags));
	if (OidIsValid(t->vocab.synonyms))
	{
		sql = tags_substitute(sql, "@synonyms@",
							  tags_qualified_name(t->vocab.synonyms));
		sql = tags_substitute(sql, "@aliases@",
							  tags_qualified_name(t->vocab.aliases));
	}
	if (OidIsValid(t->relid))
	{
		sql = tags_substitute(sql, "@target@", tags_qualified_name(t->relid));
		sql = tags_substitute(sql, "@key@",
							  quote_identifier(get_attname(t->relid, t->key_att,
														   false)));
		sql = tags_substitute(sql, "@assoc@", tags_qualified_name(t->assoc));
		sql = tags_substitute(sql, "@counts@", tags_qualified_name(t->counts));
		sql = tags_substitute(sql, "@deltas@", tags_qualified_name(t->deltas));
		sql = tags_substitute(sql, "@item@", TAGS_ITEM_COLUMN(t->builtin));
		sql = tags_substitute(sql, "@visible@", TAGS_VISIBLE_COLUMN(t->builtin));
		sql = tags_substitute(sql, "@sort@", TAGS_SORT_COLUMN(t->builtin));
		sql = tags_substitute(sql, "@count@", TAGS_COUNT_COLUMN(t->builtin));
		sql = substitute_aliased(sql, "@target_tenant:",
								 tenants ?
								 psprintf("%%s.%s OPERATOR(pg_catalog.=) %s AND ",
										  quote_identifier(get_attname(t->relid,
																	   t->tenant_att,
																	   false)),
										  param) :
								 NULL);
	}
	sql = substitute_aliased(sql, "@tenant:",
							 tenants ?
							 psprintf("%%s.tenant OPERATOR(pg_catalog.=) %s AND ",
									  param) :
							 NULL);
	sql = tags_substitute(sql, "@tenant_column@", tenants ? "tenant, " : "");
	sql = tags_substitute(sql, "@tenant_value@",
						  tenants ? psprintf("%s, ", param) : "");
	return sql;
}

/*
 * Make value, of type type, the tenant of the call on target: converted to
 * the type of the target's tenants through its text form (22P02, 22003 if
 * it is none of theirs).
 */
void
tags_set_tenant(TagsTarget *target, Datum value, Oid type)
{
	Oid			out_func;
	Oid			in_func;
	Oid			ioparam;
	bool		is_varlena;

	Assert(TAGS_HAS_TENANTS(target));
	if (type != target->vocab.tenant_type)
	{
		getTypeOutputInfo(type, &out_func, &is_varlena);
		getTypeInputInfo(target->vocab.tenant_type, &in_func, &ioparam);
		value = OidInputFunctionCall(in_func,
									 OidOutputFunctionCall(out_func, value),
									 ioparam, -1);
	}
	target->tenant = value;
	target->has_tenant = true;
}

/*
 * One copy of target per tenant the statement stmt lists (its first column,
 * as text), each told its tenant, as a palloc'd array; *count is set.  On
 * a target without tenants, target itself.  For the upkeep that spans
 * tenants and works a tenant at a time.  The caller must be connected to
 * SPI.
 */
TagsTarget *
tags_each_tenant(const TagsTarget *target, const TagsStatement *stmt,
				 int *count)
{
	TagsTarget *tenants;
	uint64		n;
	uint64		i;

	if (!TAGS_HAS_TENANTS(target))
	{
		tenants = palloc(sizeof(TagsTarget));
		tenants[0] = *target;
		*count = 1;
		return tenants;
	}
	n = tags_target_execute(target, stmt, NULL, NULL, true, false, 0);
	tenants = palloc((n + 1) * sizeof(TagsTarget));
	for (i = 0; i < n; i++)
	{
		tenants[i] = *target;
		tags_set_tenant(&tenants[i],
						CStringGetTextDatum(SPI_getvalue(SPI_tuptable->vals[i],
														 SPI_tuptable->tupdesc,
														 1)),
						TEXTOID);
	}
	*count = (int) n;
	return tenants;
}

/* The call's tenant of target, as text, for messages */
char *
tags_tenant_text(const TagsTarget *target)
{
	Oid			out_func;
	bool		is_varlena;

	Assert(target->has_tenant);
	getTypeOutputInfo(target->vocab.tenant_type, &out_func, &is_varlena);
	return OidOutputFunctionCall(out_func, target->tenant);
}

/* An item's key as text, for messages */
char *
tags_item_text(const TagsTarget *target, Datum key)
{
	Oid			out_func;
	bool		is_varlena;

	getTypeOutputInfo(target->key_type, &out_func, &is_varlena);
	return OidOutputFunctionCall(out_func, key);
}

/*
 * An item as messages name it: "item 7 of table "articles"", with its
 * tenant "item 7 of tenant 42 of table "articles"", or, on posts, "post
 * 42", as 1.0 named its posts.  On a Citus worker, where target is the
 * shard group of a shard (targets.c), the table is the distributed one,
 * as on the coordinator.
 */
char *
tags_item_name(const TagsTarget *target, Datum key)
{
	const char *table_name = get_rel_name(OidIsValid(target->table) ?
										  target->table : target->relid);

	if (target->builtin)
		return psprintf("post %s", tags_item_text(target, key));
	if (target->has_tenant)
		return psprintf("item %s of tenant %s of table \"%s\"",
						tags_item_text(target, key), tags_tenant_text(target),
						table_name);
	return psprintf("item %s of table \"%s\"", tags_item_text(target, key),
					table_name);
}

/*
 * The lowest value of the target's sort column's type (the key's, for a
 * target sorted by its key), in the current memory context: what an
 * association copies of an item without a sort value (a nullable sort
 * column, 1.3), which pages list after every item with one, and of an item
 * that does not exist (its foreign key then reports it).
 */
Datum
tags_lowest_sort(const TagsTarget *target)
{
	const char *lowest;
	Oid			in_func;
	Oid			ioparam;

	switch (target->sort_type)
	{
		case INT2OID:
			lowest = "-32768";
			break;
		case INT4OID:
			lowest = "-2147483648";
			break;
		case INT8OID:
			lowest = "-9223372036854775808";
			break;
		case UUIDOID:
			/* a key sorted by itself */
			lowest = "00000000-0000-0000-0000-000000000000";
			break;
		case TEXTOID:
		case VARCHAROID:
			lowest = "";
			break;
		default:
			/* date, the time stamps, numeric and the floats */
			lowest = "-infinity";
			break;
	}
	getTypeInputInfo(target->sort_type, &in_func, &ioparam);
	return OidInputFunctionCall(in_func, (char *) lowest, ioparam, -1);
}

/*
 * The schema-qualified, quoted name of a relation
 */
char *
tags_qualified_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	if (relname == NULL || nspname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", relid);
	return quote_qualified_identifier(nspname, relname);
}
