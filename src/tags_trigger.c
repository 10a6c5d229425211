/*-------------------------------------------------------------------------
 *
 * tags_trigger.c
 *	  The trigger on tags: what a direct INSERT or UPDATE of tags, one not
 *	  made by a function of ours, must keep.
 *
 * It stores the normalized name, gives a row without a slug the first free
 * one (slug_locks.c), and refuses a name that is a synonym or a slug that
 * is another tag's old slug (23505).  A direct write that picks or brings a
 * slug, or brings a name, takes the lock of direct writes exclusively
 * before it checks, so that get-or-create and tag care cannot slip a
 * conflicting name or slug in; the rows get-or-create inserts itself
 * (tags_is_inserting()) are taken as they are.  In a tenant vocabulary all
 * of this is within the row's tenant.  See doc/tables.md and
 * doc/concurrency.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/rel.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_before_write);

static bool slug_changed(TriggerData *trigdata, int slug_att);
static bool name_changed(TriggerData *trigdata, int name_att,
						 const char *normalized);
static void check_name_not_synonym(FunctionCallInfo fcinfo,
								   const TagsTarget *vocabulary,
								   const char *normalized);
static void check_slug_not_alias(FunctionCallInfo fcinfo,
								 const TagsTarget *vocabulary,
								 HeapTuple tuple, int slug_att, int id_att);
static void drop_own_alias(FunctionCallInfo fcinfo,
						   const TagsTarget *vocabulary, Datum slug,
						   Datum id);

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
 * The synonym $1, with its tag's name and slug: generic, since it runs for
 * each row a direct INSERT writes, and the plan cache, left to choose,
 * would plan it anew each time
 */
static const TagsStatement stmt_synonym_of_name = {
	"synonym_of_name",
	"SELECT s.name, t.name, t.slug FROM @synonyms@ s"
	" JOIN @tags@ t ON @tenant:t@ t.id OPERATOR(pg_catalog.=) s.tag_id"
	" WHERE @tenant:s@ s.name OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
	/* at version 1.0 */
	"SELECT WHERE false"
};

/*
 * Raise 23505 if a direct write gives a tag a name that is a synonym.  The
 * caller holds the lock of direct writes, which tag_add_synonym() takes
 * too, and the synonyms are read in a new snapshot, so none can be added
 * unseen.
 */
static void
check_name_not_synonym(FunctionCallInfo fcinfo, const TagsTarget *vocabulary,
					   const char *normalized)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Datum		param = CStringGetTextDatum(normalized);

	tags_spi_connect(fcinfo);
	if (tags_vocabulary_execute(vocabulary, &stmt_synonym_of_name, &param,
								NULL, true, false, 0) > 0)
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

/* The alias $1, unless it is one of tag $2's own */
static const TagsStatement stmt_alias_taken = {
	"alias_taken",
	"SELECT a.tag_id FROM @aliases@ a"
	" WHERE @tenant:a@ a.slug OPERATOR(pg_catalog.=) $1"
	"   AND ($2 IS NULL OR a.tag_id OPERATOR(pg_catalog.<>) $2)",
	2, {TEXTOID, INT4OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
	/* at version 1.0 */
	"SELECT WHERE false"
};

/*
 * Raise 23505 if a direct write gives a tag a slug that is another tag's old
 * slug, which must keep leading to that tag.
 */
static void
check_slug_not_alias(FunctionCallInfo fcinfo, const TagsTarget *vocabulary,
					 HeapTuple tuple, int slug_att, int id_att)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	Datum		params[2];
	bool		id_null;
	bool		slug_null;

	/* $1 slug, $2 the tag's own id */
	params[0] = heap_getattr(tuple, slug_att, desc, &slug_null);
	params[1] = heap_getattr(tuple, id_att, desc, &id_null);
	tags_spi_connect(fcinfo);
	if (tags_vocabulary_execute(vocabulary, &stmt_alias_taken, params,
								id_null ? " n" : "  ", true, false, 0) > 0)
		ereport(ERROR,
				errcode(ERRCODE_UNIQUE_VIOLATION),
				errmsg("slug \"%s\" is an old slug of another tag",
					   TextDatumGetCString(params[0])),
				errdetail("Links with an old slug lead to the tag that had it."),
				errtable(trigdata->tg_relation));
	SPI_finish();
}

/* The alias $1 of tag $2, which takes it back as its slug */
static const TagsStatement stmt_alias_drop_own = {
	"alias_drop_own",
	"DELETE FROM @aliases@ a"
	" WHERE @tenant:a@ a.slug OPERATOR(pg_catalog.=) $1"
	"   AND a.tag_id OPERATOR(pg_catalog.=) $2",
	2, {TEXTOID, INT4OID}, 0, SPI_OK_DELETE,
	/* at version 1.0 */
	"DELETE FROM @extschema@.tags WHERE false"
};

/*
 * A tag that takes back one of its old slugs (an UPDATE) no longer has it
 * as an alias: a slug is a tag's own or an alias, never both.  Done as the
 * owner of the vocabulary's tables, as the copies and counters are, so that
 * a role that may update tags needs no privilege on the old slugs.
 */
static void
drop_own_alias(FunctionCallInfo fcinfo, const TagsTarget *vocabulary,
			   Datum slug, Datum id)
{
	Datum		params[2];
	TagsSavedUser saved;

	/* $1 slug, $2 tag */
	params[0] = slug;
	params[1] = id;
	tags_spi_connect(fcinfo);
	tags_become_vocabulary_owner(vocabulary, &saved);
	tags_vocabulary_execute(vocabulary, &stmt_alias_drop_own, params, NULL,
							true, false, 0);
	tags_restore_user(&saved);
	SPI_finish();
}

/*
 * tags_before_write() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OF name, slug ON tags (and OF tenant, name, slug
 * on a tenant vocabulary's) FOR EACH ROW.  Stores the
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
	TagsTarget	vocabulary;
	bool		found;
	bool		moved = false;

	tags_check_before_row_trigger(fcinfo, "tags_before_write");

	desc = RelationGetDescr(trigdata->tg_relation);
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	tags_spi_connect(fcinfo);
	found = tags_find_vocabulary(RelationGetRelid(trigdata->tg_relation),
								 &vocabulary);
	SPI_finish();
	if (!found)
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_before_write\" must be fired on the tags table of a vocabulary of extension \"tags\""));
	if (TAGS_HAS_TENANTS(&vocabulary))
	{
		int			tenant_att = tags_trigger_column(trigdata->tg_relation,
													 "tenant",
													 "tags_before_write");
		Datum		tenant = heap_getattr(tuple, tenant_att, desc, &isnull);
		Form_pg_attribute attr = TupleDescAttr(desc, tenant_att - 1);

		/* a NULL tenant is for the NOT NULL constraint to reject */
		if (isnull)
			return PointerGetDatum(tuple);
		tags_set_tenant(&vocabulary, tenant, vocabulary.vocab.tenant_type);
		/* a tag that moves to another tenant brings it a name and a slug */
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		{
			bool		old_null;
			Datum		old_tenant = heap_getattr(trigdata->tg_trigtuple,
												  tenant_att, desc, &old_null);

			moved = old_null ||
				!datumIsEqual(old_tenant, tenant, attr->attbyval, attr->attlen);
		}
	}
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
		tags_is_inserting(&vocabulary, normalized, slug);
	if (isnull)
	{
		TagEntry	entry = {0};
		TagEntry   *entryp = &entry;
		Datum		id = heap_getattr(tuple, id_att, desc, &isnull);
		char	   *picked;

		entry.name = normalized;
		entry.slug = tags_slugify_cstring(normalized);
		tags_spi_connect(fcinfo);
		tags_assign_slugs(&vocabulary, &entryp, 1, true, !isnull,
						  isnull ? 0 : DatumGetInt32(id));
		picked = SPI_palloc(strlen(entry.slug) + 1);
		strcpy(picked, entry.slug);
		SPI_finish();

		columns[ncolumns] = slug_att;
		values[ncolumns++] = CStringGetTextDatum(picked);
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
			drop_own_alias(fcinfo, &vocabulary, values[ncolumns - 1], id);
	}
	else if (!ours && (moved || slug_changed(trigdata, slug_att)))
	{
		/* keep get-or-create from picking this slug meanwhile */
		tags_lock_direct_writes(&vocabulary);
		check_slug_not_alias(fcinfo, &vocabulary, tuple, slug_att, id_att);
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
			drop_own_alias(fcinfo, &vocabulary, slug,
						   heap_getattr(tuple, id_att, desc, &isnull));
	}

	if (!ours && (moved || name_changed(trigdata, name_att, normalized)))
	{
		/* keep a synonym of this name from being added meanwhile */
		tags_lock_direct_writes(&vocabulary);
		check_name_not_synonym(fcinfo, &vocabulary, normalized);
	}

	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, ncolumns,
													 columns, values, nulls));
}
