/*-------------------------------------------------------------------------
 *
 * copies.c
 *	  The triggers that keep each association's copy of its item's
 *	  visibility and sort value (a post's and its date, on posts), which
 *	  the index that pages are read off holds.
 *
 * A BEFORE trigger on the association table sets the copy from the item,
 * locked FOR KEY SHARE and read in a new snapshot, on every INSERT (and
 * UPDATE that moves a row or touches the copy); a writer of ours hands it
 * the item it locked (counters.c) instead.  An AFTER trigger on the target
 * copies an item's change into its associations, after locking it FOR
 * UPDATE, which waits for every transaction that may be inserting an
 * association with the old values.  Under REPEATABLE READ and SERIALIZABLE
 * it fails with 40001 if it finds an association it cannot update.  The
 * copies are written as the owner of the target (of the extension's
 * tables, for posts).  posts' tables keep the trigger functions 1.0 named
 * for them, which do the same.  See doc/tables.md and doc/concurrency.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tags_copy_post);
PG_FUNCTION_INFO_V1(tags_post_changed);
PG_FUNCTION_INFO_V1(tags_copy_item);
PG_FUNCTION_INFO_V1(tags_item_changed);

static Datum copy_item(FunctionCallInfo fcinfo, const char *function,
					   bool builtin);
static Datum item_changed(FunctionCallInfo fcinfo, const char *function);
static void item_copy_from_row(const TagsTarget *target, Datum key,
							   TagsItemCopy *item);
static bool keys_equal(const TagsTarget *target, Datum a, Datum b);
static bool tenants_equal(const TagsTarget *target, HeapTuple a, HeapTuple b,
						  TupleDesc desc);
static char *row_tenant(Relation rel, HeapTuple tuple, const char *function);
static void check_item_of_tenant(const TagsTarget *target, Datum key);
static void check_untagged_before_move(const TagsTarget *target,
									   Datum old_tenant, Datum old_key);

/*
 * How many times an item's change was copied into its associations
 * (item_changed()) in this backend.  A writer's copy of its item
 * (TagsItemCopy) is used only while this has not moved since the writer
 * read it: user code that a writer's statements fire may change the item.
 */
static uint64 item_changes = 0;

/*
 * Set *item from the row of the target that the last statement returned
 * as its first column (stmt_item_lock, stmt_item_row): its visibility and sort
 * value, in the current memory context.
 */
static void
item_copy_from_row(const TagsTarget *target, Datum key, TagsItemCopy *item)
{
	tags_item_copy_from_row(target, key, SPI_tuptable, 0, item);
}

/* item_copy_from_row() from row row of rows */
void
tags_item_copy_from_row(const TagsTarget *target, Datum key,
						SPITupleTable *rows, uint64 row, TagsItemCopy *item)
{
	HeapTupleHeader header;
	HeapTupleData tuple;
	TupleDesc	desc;
	bool		isnull;
	Datum		sort;
	int16		typlen;
	bool		typbyval;

	header = DatumGetHeapTupleHeader(SPI_getbinval(rows->vals[row],
												   rows->tupdesc, 1,
												   &isnull));
	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(header),
								  HeapTupleHeaderGetTypMod(header));
	tuple.t_len = HeapTupleHeaderGetDatumLength(header);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = header;
	item->target = target->relid;
	item->assoc = target->assoc;
	item->key = key;
	item->key_eq = &lookup_type_cache(target->key_type,
									  TYPECACHE_EQ_OPR_FINFO)->eq_opr_finfo;
	item->visible = tags_item_visible(target, &tuple, desc);
	sort = heap_getattr(&tuple, target->sort_att, desc, &isnull);
	get_typlenbyval(target->sort_type, &typlen, &typbyval);
	/* a row without a sort value sorts after those with one */
	item->sort = isnull ? tags_lowest_sort(target) :
		datumCopy(sort, typbyval, typlen);
	ReleaseTupleDesc(desc);
	item->tenant = target->has_tenant ? tags_tenant_text(target) : NULL;
	item->changes = item_changes;
}

/* What a writer of ours read of the item it just locked (stmt_item_lock) */
void
tags_read_item_copy(const TagsTarget *target, Datum key, TagsItemCopy *item)
{
	item_copy_from_row(target, key, item);
}

/* Whether two keys of a target are equal, by the key type's equality */
static bool
keys_equal(const TagsTarget *target, Datum a, Datum b)
{
	TypeCacheEntry *type = lookup_type_cache(target->key_type,
											 TYPECACHE_EQ_OPR_FINFO);

	return DatumGetBool(FunctionCall2Coll(&type->eq_opr_finfo,
										  C_COLLATION_OID, a, b));
}

/* Whether two rows of a tenant target have the same tenant */
static bool
tenants_equal(const TagsTarget *target, HeapTuple a, HeapTuple b,
			  TupleDesc desc)
{
	Form_pg_attribute attr = TupleDescAttr(desc, target->tenant_att - 1);
	bool		a_null;
	bool		b_null;
	Datum		a_tenant = heap_getattr(a, target->tenant_att, desc, &a_null);
	Datum		b_tenant = heap_getattr(b, target->tenant_att, desc, &b_null);

	if (a_null || b_null)
		return a_null == b_null;
	return datumIsEqual(a_tenant, b_tenant, attr->attbyval, attr->attlen);
}

/*
 * The tenant of a row of a tenant target's association table, as text (to
 * compare with a writer's, TagsItemCopy's tenant)
 */
static char *
row_tenant(Relation rel, HeapTuple tuple, const char *function)
{
	int			att = tags_trigger_column(rel, "tenant", function);
	Oid			out_func;
	bool		is_varlena;
	bool		isnull;
	Datum		tenant = heap_getattr(tuple, att, RelationGetDescr(rel),
									  &isnull);

	if (isnull)
		return "";
	getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid,
					  &out_func, &is_varlena);
	return OidOutputFunctionCall(out_func, tenant);
}

/* Whether the item $1 exists, of any tenant */
static const TagsStatement stmt_item_of_any_tenant = {
	"item_of_any_tenant",
	"SELECT FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * Raise 23503 if an association names an item of another tenant than its
 * own: a target whose key alone is its primary key has a foreign key on
 * the key alone, which would let it pass.  (A target whose key is
 * (tenant, key) needs no such look, whose foreign key sees the tenant.)
 */
static void
check_item_of_tenant(const TagsTarget *target, Datum key)
{
	if (tags_target_execute(target, &stmt_item_of_any_tenant, &key, NULL,
							true, false, 0) > 0)
		ereport(ERROR,
				errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				errmsg("item %s of table \"%s\" is not of tenant %s",
					   tags_item_text(target, key), get_rel_name(target->relid),
					   tags_tenant_text(target)),
				errdetail("An association's tenant must be its item's."));
}

/* Whether the item $1 (of the call's tenant) has an association */
static const TagsStatement stmt_item_has_tags = {
	"item_has_tags",
	"SELECT FROM @assoc@ a WHERE @tenant:a@ a.@item@ OPERATOR(pg_catalog.=) $1"
	" LIMIT 1",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * Raise 23503 if an item that moved to another tenant or key has tags
 * under its old tenant and key, in one of the target's lists: its tags are
 * its tenant's, which another tenant cannot have.
 */
static void
check_untagged_before_move(const TagsTarget *target, Datum old_tenant,
						   Datum old_key)
{
	int			nlists;
	TagsTarget *lists = tags_target_lists(target->relid, &nlists);
	int			i;

	for (i = 0; i < nlists; i++)
	{
		tags_set_tenant(&lists[i], old_tenant, target->vocab.tenant_type);
		if (tags_target_execute(&lists[i], &stmt_item_has_tags, &old_key, NULL,
								true, false, 0) > 0)
			ereport(ERROR,
					errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					errmsg("%s cannot move to another tenant or key while it has tags",
						   tags_item_name(&lists[i], old_key)),
					errhint("Remove its tags first."));
	}
}

/* The item $1, locked FOR KEY SHARE */
static const TagsStatement stmt_item_key_share = {
	"item_key_share",
	"SELECT FROM @target@ t"
	" WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) $1"
	" FOR KEY SHARE OF t",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/* The item $1 as a row */
static const TagsStatement stmt_item_row = {
	"item_row",
	"SELECT t FROM @target@ t"
	" WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) $1",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * What tags_copy_post() and tags_copy_item() do, function being the one
 * called, on posts' post_tags if builtin: set the row's copy of its item's
 * visibility and sort value from the item, locked FOR KEY SHARE and read in
 * a new snapshot (the lock is taken on the version the snapshot sees,
 * which may be older than a change committed since: doc/concurrency.md,
 * the copies_race spec), whatever the statement gave.  An association
 * whose item does not exist gets false and a placeholder, and its foreign
 * key reports it.
 */
static Datum
copy_item(FunctionCallInfo fcinfo, const char *function, bool builtin)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const TagsItemCopy *writing_item = tags_writer_item();
	Relation	rel;
	HeapTuple	tuple;
	int			columns[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	Datum		key;
	bool		isnull;
	TagsTarget	target;

	tags_check_before_row_trigger(fcinfo, function);
	rel = trigdata->tg_relation;
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	columns[0] = tags_trigger_column(rel, TAGS_VISIBLE_COLUMN(builtin),
									 function);
	columns[1] = tags_trigger_column(rel, TAGS_SORT_COLUMN(builtin), function);
	key = heap_getattr(tuple,
					   tags_trigger_column(rel, TAGS_ITEM_COLUMN(builtin),
										   function),
					   RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* for NOT NULL to reject */

	if (writing_item != NULL &&
		writing_item->assoc == RelationGetRelid(rel) &&
		writing_item->changes == item_changes &&
		DatumGetBool(FunctionCall2Coll(writing_item->key_eq, C_COLLATION_OID,
									   writing_item->key, key)) &&
		(writing_item->tenant == NULL ||
		 strcmp(writing_item->tenant, row_tenant(rel, tuple, function)) == 0))
	{
		/* a writer of ours has locked the item and read it, as it still is */
		values[0] = BoolGetDatum(writing_item->visible);
		values[1] = writing_item->sort;
	}
	else
	{
		TagsSavedUser saved;
		TagsItemCopy item;
		int16		typlen;
		bool		typbyval;

		tags_spi_connect(fcinfo);
		if (!tags_find_target_by_association(RelationGetRelid(rel), &target))
			ereport(ERROR,
					errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					errmsg("function \"%s\" must be fired on the association table of a tag target",
						   function));
		if (TAGS_HAS_TENANTS(&target))
		{
			Datum		tenant = heap_getattr(tuple,
											  tags_trigger_column(rel, "tenant",
																  function),
											  RelationGetDescr(rel), &isnull);

			if (isnull)
			{
				SPI_finish();
				return PointerGetDatum(tuple);	/* for NOT NULL to reject */
			}
			tags_set_tenant(&target, tenant, target.vocab.tenant_type);
		}
		get_typlenbyval(target.sort_type, &typlen, &typbyval);
		tags_become_target_owner(&target, &saved);
		tags_target_execute(&target, &stmt_item_key_share, &key, NULL, false, false,
							0);
		if (tags_target_execute(&target, &stmt_item_row, &key, NULL, true, false,
								0) == 1)
		{
			item_copy_from_row(&target, key, &item);
			values[0] = BoolGetDatum(item.visible);
			values[1] = SPI_datumTransfer(item.sort, typbyval, typlen);
		}
		else
		{
			/* the foreign key on the key alone would not see the tenant */
			if (target.has_tenant && !target.tenant_in_key)
				check_item_of_tenant(&target, key);
			values[0] = BoolGetDatum(false);
			values[1] = SPI_datumTransfer(tags_lowest_sort(&target), typbyval,
										  typlen);
		}
		tags_restore_user(&saved);
		SPI_finish();
	}
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple,
													 RelationGetDescr(rel),
													 2, columns, values,
													 nulls));
}

/*
 * tags_copy_post() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OF post_id, post_visible, post_created_at ON
 * post_tags FOR EACH ROW: copy_item() on posts, as 1.0 made it.
 */
Datum
tags_copy_post(PG_FUNCTION_ARGS)
{
	return copy_item(fcinfo, "tags_copy_post", true);
}

/*
 * tags_copy_item() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OF item_id, item_visible, item_sort ON a
 * target's association table FOR EACH ROW: copy_item().
 */
Datum
tags_copy_item(PG_FUNCTION_ARGS)
{
	return copy_item(fcinfo, "tags_copy_item", false);
}

/* The item $1, locked FOR UPDATE */
static const TagsStatement stmt_item_lock_all = {
	"item_lock_all",
	"SELECT FROM @target@ t"
	" WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) $1"
	" FOR UPDATE OF t",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * The item $1's associations whose copy differs from $2 (visible) and $3
 * (sort value) get them
 */
static const TagsStatement stmt_item_copy_to_tags = {
	"item_copy_to_tags",
	"UPDATE @assoc@ a SET @visible@ = $2, @sort@ = $3"
	" WHERE @tenant:a@ a.@item@ OPERATOR(pg_catalog.=) $1"
	"   AND (a.@visible@ OPERATOR(pg_catalog.<>) $2"
	"        OR a.@sort@ OPERATOR(pg_catalog.<>) $3)",
	3, {ITEM_KEY_TYPE, BOOLOID, ITEM_SORT_TYPE}, 0, SPI_OK_UPDATE
};

/* Whether one of them is left */
static const TagsStatement stmt_item_copy_stale = {
	"item_copy_stale",
	"SELECT FROM @assoc@ a"
	" WHERE @tenant:a@ a.@item@ OPERATOR(pg_catalog.=) $1"
	"   AND (a.@visible@ OPERATOR(pg_catalog.<>) $2"
	"        OR a.@sort@ OPERATOR(pg_catalog.<>) $3)"
	" LIMIT 1",
	3, {ITEM_KEY_TYPE, BOOLOID, ITEM_SORT_TYPE}, 0, SPI_OK_SELECT
};

/*
 * The associations of the items $1 whose copy differs from $2 (their
 * visibility) and $3 (their sort values), arrays side by side, get them;
 * the items run from $4 to $5, in key order, which bounds the scan of the
 * association table.  Planned at each run, for the batch's size.
 */
static const TagsStatement stmt_items_copy_to_tags = {
	"items_copy_to_tags",
	"UPDATE @assoc@ a SET @visible@ = v.visible, @sort@ = v.sort"
	" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
	"                 pg_catalog.unnest($3)) AS v(item, visible, sort)"
	" WHERE @tenant:a@ a.@item@ OPERATOR(pg_catalog.>=) $4"
	"   AND a.@item@ OPERATOR(pg_catalog.<=) $5"
	"   AND a.@item@ OPERATOR(pg_catalog.=) v.item"
	"   AND (a.@visible@ OPERATOR(pg_catalog.<>) v.visible"
	"        OR a.@sort@ OPERATOR(pg_catalog.<>) v.sort)",
	5, {ITEM_KEY_ARRAY_TYPE, BOOLARRAYOID, ITEM_SORT_ARRAY_TYPE,
	ITEM_KEY_TYPE, ITEM_KEY_TYPE},
	CURSOR_OPT_CUSTOM_PLAN, SPI_OK_UPDATE
};

/*
 * Copy items into their associations: params are $1 the items, in key
 * order, $2 their visibility, $3 their sort values, as arrays, $4 the
 * first item and $5 the last (for tags_rebuild()).  The caller must be
 * connected to SPI, as the target's owner.
 */
void
tags_copy_items_into_associations(const TagsTarget *target, Datum *params)
{
	tags_target_execute(target, &stmt_items_copy_to_tags, params, NULL, false,
						false, 0);
}

/*
 * What tags_post_changed() and tags_item_changed() do, function being the
 * one called, AFTER UPDATE of a target's row: evaluate the visibility and
 * read the sort value of the row before and after, and only if one
 * changed, or the key, copy them into the item's associations, after
 * waiting for the transactions that may be inserting one (see
 * doc/concurrency.md).
 */
static Datum
item_changed(FunctionCallInfo fcinfo, const char *function)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	TagsTarget	target;
	TagsSavedUser saved;
	Datum		params[3];
	bool		old_null;
	bool		new_null;
	Datum		old_sort;
	Datum		old_key;
	bool		visible;
	int16		typlen;
	bool		typbyval;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"%s\" must be fired AFTER UPDATE FOR EACH ROW",
					   function));

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	tags_spi_connect(fcinfo);
	if (!tags_find_target(RelationGetRelid(rel), &target))
	{
		Oid			table = tags_citus_table_of_shard(RelationGetRelid(rel));

		/*
		 * A shard of a table that Citus distributed after tags_enable(): its
		 * copies could not be kept
		 */
		if (OidIsValid(table))
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("tag target \"%s\" was distributed by Citus after tags_enable()",
						   get_rel_name(table)),
					errhint("Call tags_disable() and tags_enable() on the distributed table."));
		SPI_finish();			/* no longer a target */
		return PointerGetDatum(NULL);
	}
	get_typlenbyval(target.sort_type, &typlen, &typbyval);
	/* $1 item, $2 visible, $3 sort value */
	params[0] = heap_getattr(trigdata->tg_newtuple, target.key_att, desc,
							 &new_null);
	old_key = heap_getattr(trigdata->tg_trigtuple, target.key_att, desc,
						   &old_null);
	visible = tags_item_visible(&target, trigdata->tg_newtuple, desc);
	params[1] = BoolGetDatum(visible);
	params[2] = heap_getattr(trigdata->tg_newtuple, target.sort_att, desc,
							 &new_null);
	old_sort = heap_getattr(trigdata->tg_trigtuple, target.sort_att, desc,
							&old_null);
	if (new_null != old_null ||
		(!new_null && !datumIsEqual(params[2], old_sort, typbyval, typlen)) ||
		visible != tags_item_visible(&target, trigdata->tg_trigtuple, desc) ||
		!keys_equal(&target, params[0], old_key) ||
		(TAGS_HAS_TENANTS(&target) &&
		 !tenants_equal(&target, trigdata->tg_trigtuple,
						trigdata->tg_newtuple, desc)))
	{
		int			nlists;
		TagsTarget *lists;
		int			i;

		/* a row without a sort value sorts after those with one */
		if (new_null)
			params[2] = tags_lowest_sort(&target);
		item_changes++;
		tags_become_target_owner(&target, &saved);
		if (TAGS_HAS_TENANTS(&target))
		{
			bool		isnull;

			tags_set_tenant(&target,
							heap_getattr(trigdata->tg_newtuple,
										 target.tenant_att, desc, &isnull),
							target.vocab.tenant_type);
		}
		tags_target_execute(&target, &stmt_item_lock_all, params, NULL, false,
							false, 0);
		if (TAGS_HAS_TENANTS(&target))
		{
			bool		isnull;
			Datum		old_tenant = heap_getattr(trigdata->tg_trigtuple,
												  target.tenant_att, desc,
												  &isnull);

			/*
			 * after the lock, which waits for the transactions that may be
			 * inserting an association of the item: their rows are seen
			 */
			if (!isnull &&
				(!keys_equal(&target, params[0], old_key) ||
				 !tenants_equal(&target, trigdata->tg_trigtuple,
								trigdata->tg_newtuple, desc)))
				check_untagged_before_move(&target, old_tenant, old_key);
		}
		/* into the associations of each of the target's lists */
		lists = tags_target_lists(target.relid, &nlists);
		for (i = 0; i < nlists; i++)
		{
			lists[i].has_tenant = target.has_tenant;
			lists[i].tenant = target.tenant;
			tags_target_execute(&lists[i], &stmt_item_copy_to_tags, params,
								NULL, false, false, 0);
			if (IsolationUsesXactSnapshot() &&
				tags_target_execute(&lists[i], &stmt_item_copy_stale, params,
									NULL, true, false, 0) > 0)
				ereport(ERROR,
						errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						errmsg("could not serialize access due to concurrent update of the tags of %s",
							   tags_item_name(&lists[i], params[0])),
						errhint("Retry the transaction."));
		}
		tags_restore_user(&saved);
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * tags_post_changed() RETURNS trigger
 *
 * AFTER UPDATE OF status, deleted_at, created_at ON posts FOR EACH ROW,
 * when one of them changed: item_changed() on posts, as 1.0 made it.
 */
Datum
tags_post_changed(PG_FUNCTION_ARGS)
{
	return item_changed(fcinfo, "tags_post_changed");
}

/*
 * tags_item_changed() RETURNS trigger
 *
 * AFTER UPDATE ON a target FOR EACH ROW: item_changed().
 */
Datum
tags_item_changed(PG_FUNCTION_ARGS)
{
	return item_changed(fcinfo, "tags_item_changed");
}
