/*-------------------------------------------------------------------------
 *
 * tag_names.c
 *	  Tag care of names and slugs: synonyms and renames.
 *
 * A synonym is another name of a tag (tag_synonyms); an alias is an old
 * slug of a tag (tag_slug_aliases); a tenant vocabulary has its own tables
 * of both (1.3), and these functions then act within one tenant.  A name is a tag's or a synonym, never
 * both, and a slug a tag's or an alias, never both: these functions check
 * the names and slugs they give while holding the lock of direct writes
 * exclusively (slug_locks.c), which every session that creates a tag or
 * picks a slug takes too, and read and write in a new snapshot.  Locks are
 * taken in the writers' order: the tag, then the lock of direct writes.
 * See doc/concurrency.md.
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
#include "utils/builtins.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tag_add_synonym);
PG_FUNCTION_INFO_V1(tag_remove_synonym);
PG_FUNCTION_INFO_V1(tag_rename);

/* What holds a name: a tag, by its own name or by a synonym */
typedef struct NameHolder
{
	int32		id;
	char	   *name;
	char	   *slug;
	bool		synonym;
} NameHolder;

static bool name_holder(const TagsTarget *target, const char *name,
						NameHolder *holder);
static HeapTuple tag_row(const TagsTarget *target, const TagsStatement *stmt,
						 int32 id);
static HeapTuple lock_tag_by_slug(const TagsTarget *target, const char *slug,
								  const TagsStatement *lock, int32 *id);
static HeapTuple tag_row_after(const TagsTarget *target, int32 id,
							   const char *slug);
static Datum tag_datum(FunctionCallInfo fcinfo, HeapTuple tuple);
static char *tag_column(HeapTuple tuple, const char *column);

/*
 * The tag named $1, by its name or a synonym, with whether $1 is a synonym
 * of it
 */
static const TagsStatement stmt_name_holder = {
	"name_holder",
	"SELECT t.id, t.name::pg_catalog.text, t.slug::pg_catalog.text,"
	"       t.name OPERATOR(pg_catalog.<>) $1 AS synonym"
	" FROM @tags@ t"
	" WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) (SELECT t.id FROM @tags@ t"
	" WHERE @tenant:t@ t.name OPERATOR(pg_catalog.=) $1"
	" UNION ALL"
	" SELECT s.tag_id FROM @synonyms@ s"
	" WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) $1"
	" LIMIT 1)",
	1, {TEXTOID}, 0, SPI_OK_SELECT
};

/*
 * Whether a tag holds this normalized name, as its name or a synonym, in a
 * new snapshot; if so, which.
 */
static bool
name_holder(const TagsTarget *target, const char *name, NameHolder *holder)
{
	Datum		param = CStringGetTextDatum(name);
	TupleDesc	desc;
	HeapTuple	tuple;
	bool		isnull;

	if (tags_vocabulary_execute(target, &stmt_name_holder, &param, NULL, true,
								false, 0) == 0)
		return false;
	desc = SPI_tuptable->tupdesc;
	tuple = SPI_tuptable->vals[0];
	holder->id = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
	holder->name = SPI_getvalue(tuple, desc, 2);
	holder->slug = SPI_getvalue(tuple, desc, 3);
	holder->synonym = DatumGetBool(SPI_getbinval(tuple, desc, 4, &isnull));
	return true;
}

/* The tag $1 */
static const TagsStatement stmt_tag_row = {
	"tag_row",
	"SELECT t.* FROM @tags@ t"
	" WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The tag $1, locked FOR KEY SHARE */
static const TagsStatement stmt_tag_lock_key_share = {
	"tag_lock_key_share",
	"SELECT t.* FROM @tags@ t"
	" WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) $1"
	" FOR KEY SHARE OF t",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * The tag $1, locked FOR UPDATE: a rename changes name and slug, which
 * unique indexes make keys, so this is the lock its UPDATE needs, taken
 * before the lock of direct writes
 */
static const TagsStatement stmt_tag_lock_update = {
	"tag_lock_update",
	"SELECT t.* FROM @tags@ t"
	" WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) $1"
	" FOR UPDATE OF t",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * The tags row of tag id, read (and locked) by stmt in a new snapshot,
 * copied out of SPI's memory; NULL if it is gone.
 */
static HeapTuple
tag_row(const TagsTarget *target, const TagsStatement *stmt, int32 id)
{
	Datum		param = Int32GetDatum(id);

	if (tags_vocabulary_execute(target, stmt, &param, NULL, true, false,
								0) == 0)
		return NULL;
	return SPI_copytuple(SPI_tuptable->vals[0]);
}

/*
 * The tags row of the tag whose slug, or old slug, this is, locked by lock
 * (see tag_row()), with its id in *id; P0002 if there is none, or it was
 * deleted while the lock waited.
 */
static HeapTuple
lock_tag_by_slug(const TagsTarget *target, const char *slug,
				 const TagsStatement *lock, int32 *id)
{
	HeapTuple	tuple;

	*id = tags_tag_id_by_slug_latest(target, slug);
	tuple = tag_row(target, lock, *id);
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
tag_row_after(const TagsTarget *target, int32 id, const char *slug)
{
	HeapTuple	tuple = tag_row(target, &stmt_tag_row, id);

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

/* Make $1 a synonym of tag $2 */
static const TagsStatement stmt_synonym_add = {
	"synonym_add",
	"INSERT INTO @synonyms@ (@tenant_column@name, tag_id)"
	" VALUES (@tenant_value@$1, $2)",
	2, {TEXTOID, INT4OID}, 0, SPI_OK_INSERT
};

/*
 * tag_add_synonym(name text, target_slug text, target regclass,
 *				   tenant tag_tenant) RETURNS tags
 *
 * The normalized name becomes another name of the tag with this slug (or
 * old slug), in the target's vocabulary (of the tenant), which is
 * returned.  Adding a synonym a second time to the same
 * tag changes nothing.  A name that is a tag's own name, or a synonym of
 * another tag, gives 23505.
 */
Datum
tag_add_synonym(PG_FUNCTION_ARGS)
{
	char	   *name = tags_name_arg(fcinfo, 0);
	const char *target_slug = tags_text_arg(fcinfo, 1, "target slug");
	TagsTarget	scope;
	int32		target;
	NameHolder	holder;
	Datum		result;

	tags_spi_connect(fcinfo);
	tags_vocabulary_args(fcinfo, 2, 3, -1, &scope);
	(void) lock_tag_by_slug(&scope, target_slug, &stmt_tag_lock_key_share,
							&target);
	tags_lock_direct_writes(&scope);

	if (name_holder(&scope, name, &holder))
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

		/* $1 name, $2 tag */
		params[0] = CStringGetTextDatum(name);
		params[1] = Int32GetDatum(target);
		tags_vocabulary_execute(&scope, &stmt_synonym_add, params, NULL, true,
								false, 0);
	}

	result = tag_datum(fcinfo, tag_row_after(&scope, target, target_slug));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* The synonym $1 no longer is one */
static const TagsStatement stmt_synonym_remove = {
	"synonym_remove",
	"DELETE FROM @synonyms@ s"
	" WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, 0, SPI_OK_DELETE
};

/*
 * tag_remove_synonym(name text, target regclass, tenant tag_tenant)
 *		RETURNS boolean
 *
 * The normalized name is no longer a synonym: it names nothing, and
 * get-or-create will create a tag of that name.  Returns whether it was a
 * synonym.
 */
Datum
tag_remove_synonym(PG_FUNCTION_ARGS)
{
	char	   *name = tags_name_arg(fcinfo, 0);
	Datum		param = CStringGetTextDatum(name);
	TagsTarget	scope;
	uint64		removed;

	tags_spi_connect(fcinfo);
	tags_vocabulary_args(fcinfo, 1, 2, -1, &scope);
	/* in a global vocabulary, after the writes in flight (citus.md) */
	if (scope.vocab.global)
		tags_lock_direct_writes(&scope);
	removed = tags_vocabulary_execute(&scope, &stmt_synonym_remove, &param,
									  NULL, true, false, 0);
	SPI_finish();
	PG_RETURN_BOOL(removed > 0);
}

/*
 * In a global vocabulary: tag $1 is named $2, with the slug $3 picked on
 * the coordinator, which every node's copy keeps (a NULL slug would have
 * each copy's trigger pick one)
 */
static const TagsStatement stmt_tag_rename_with_slug = {
	"tag_rename_with_slug",
	"UPDATE @tags@ t SET name = $2, slug = $3"
	" WHERE t.id OPERATOR(pg_catalog.=) $1"
	" RETURNING t.*",
	3, {INT4OID, TEXTOID, TEXTOID}, 0, SPI_OK_UPDATE_RETURNING
};

/* Tag $1 is named $2; the trigger on tags gives it the first free slug */
static const TagsStatement stmt_tag_rename = {
	"tag_rename",
	"UPDATE @tags@ t SET name = $2, slug = NULL"
	" WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) $1"
	" RETURNING t.*",
	2, {INT4OID, TEXTOID}, 0, SPI_OK_UPDATE_RETURNING
};

/* The slug $2 becomes an alias of tag $1 */
static const TagsStatement stmt_alias_add = {
	"alias_add",
	"INSERT INTO @aliases@ (@tenant_column@slug, tag_id)"
	" VALUES (@tenant_value@$2, $1)",
	2, {INT4OID, TEXTOID}, 0, SPI_OK_INSERT
};

/*
 * tag_rename(slug text, new_name text, target regclass, tenant tag_tenant)
 *		RETURNS tags
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
	const char *slug = tags_text_arg(fcinfo, 0, "slug");
	char	   *new_name = tags_name_arg(fcinfo, 1);
	int32		id;
	HeapTuple	tuple;
	char	   *old_slug;
	char	   *new_slug;
	NameHolder	holder;
	Datum		params[3];
	Datum		result;
	TagsTarget	scope;

	tags_spi_connect(fcinfo);
	tags_vocabulary_args(fcinfo, 2, 3, -1, &scope);
	tuple = lock_tag_by_slug(&scope, slug, &stmt_tag_lock_update, &id);
	old_slug = tag_column(tuple, "slug");
	tags_lock_direct_writes(&scope);

	if (name_holder(&scope, new_name, &holder))
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
			result = tag_datum(fcinfo, tag_row_after(&scope, id, slug));
			SPI_finish();
			PG_RETURN_DATUM(result);
		}
		/* $1 name */
		params[0] = CStringGetTextDatum(new_name);
		tags_vocabulary_execute(&scope, &stmt_synonym_remove, params, NULL,
								true, false, 0);
	}

	/* $1 tag, $2 new name, $3 its slug in a global vocabulary */
	params[0] = Int32GetDatum(id);
	params[1] = CStringGetTextDatum(new_name);
	if (scope.vocab.global)
	{
		TagEntry	entry = {0};
		TagEntry   *entryp = &entry;

		entry.name = new_name;
		entry.slug = tags_slugify_cstring(new_name);
		tags_assign_slugs(&scope, &entryp, 1, true, true, id);
		params[2] = CStringGetTextDatum(entry.slug);
	}
	if (tags_vocabulary_execute(&scope,
								scope.vocab.global ?
								&stmt_tag_rename_with_slug : &stmt_tag_rename,
								params, NULL, true, false, 0) == 0)
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
		tags_vocabulary_execute(&scope, &stmt_alias_add, params, NULL, true,
								false, 0);
	}
	SPI_finish();
	PG_RETURN_DATUM(result);
}
