/*-------------------------------------------------------------------------
 *
 * copies.c
 *	  The triggers that keep each association's copy of its post's (or
 *	  item's) visibility and date (or sort value), which the index that
 *	  pages are read off holds.
 *
 * A BEFORE trigger on the association table sets the copy from the post,
 * locked FOR KEY SHARE and read in a new snapshot, on every INSERT (and
 * UPDATE that moves a row or touches the copy); a writer of ours hands it
 * the post it locked (counters.c) instead.  An AFTER trigger on posts (or
 * the target) copies a post's change into its associations, after locking
 * it FOR UPDATE, which waits for every transaction that may be inserting
 * an association with the old values.  Under REPEATABLE READ and
 * SERIALIZABLE it fails with 40001 if it finds an association it cannot
 * update.  The copies are written as the owner of the extension's tables,
 * or of the target.  See doc/tables.md and doc/concurrency.md.
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

static void read_post_copy(FunctionCallInfo fcinfo, Datum post_id,
						   Datum *values);
static void item_copy_from_row(const TagsTarget *target, Datum key,
							   TagsItemCopy *item);
static Oid	target_key_output(const TagsTarget *target);
static bool keys_equal(const TagsTarget *target, Datum a, Datum b);
static Datum placeholder_sort(const TagsTarget *target);

/*
 * How many times tags_post_changed() copied a post into its post_tags rows
 * in this backend.  A writer's copy of its post (TagsPostCopy) is used only
 * while this has not moved since the writer read it: user code that a
 * writer's statements fire may change the post.
 */
static uint64 post_changes = 0;

/* The same for the items of targets (tags_item_changed()) */
static uint64 item_changes = 0;

/*
 * tags_copy_post() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OF post_id, post_visible, post_created_at ON
 * post_tags FOR EACH ROW.  Sets the row's post_visible and post_created_at
 * from its post, whatever the statement gave.
 */
Datum
tags_copy_post(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const TagsPostCopy *writing_post = tags_writer_post();
	Relation	rel;
	HeapTuple	tuple;
	int			columns[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	Datum		post_id;
	bool		isnull;

	tags_check_before_row_trigger(fcinfo, "tags_copy_post");

	rel = trigdata->tg_relation;
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	columns[0] = tags_trigger_column(rel, "post_visible", "tags_copy_post");
	columns[1] = tags_trigger_column(rel, "post_created_at", "tags_copy_post");
	post_id = heap_getattr(tuple, tags_trigger_column(rel, "post_id", "tags_copy_post"),
						   RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* for NOT NULL to reject */

	if (writing_post != NULL && writing_post->id == DatumGetInt32(post_id) &&
		writing_post->changes == post_changes)
	{
		/* a writer of ours has locked the post and read it, as it still is */
		values[0] = writing_post->visible;
		values[1] = writing_post->created_at;
	}
	else
		read_post_copy(fcinfo, post_id, values);

	return PointerGetDatum(heap_modify_tuple_by_cols(tuple,
													 RelationGetDescr(rel),
													 2, columns, values,
													 nulls));
}

/* The post $1, locked FOR KEY SHARE, the lock of a foreign-key check */
static const TagsStatement stmt_post_key_share = {
	"post_key_share",
	"SELECT p.id FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) $1"
	" FOR KEY SHARE OF p",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* The post $1's visibility and date */
static const TagsStatement stmt_post_copy = {
	"post_copy",
	"SELECT (p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL), p.created_at FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) $1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * Set values to the visibility and the date of the post post_id, which it
 * locks FOR KEY SHARE; false and -infinity if there is no such post, which
 * the foreign key then reports.  The post is read again after the lock, in
 * a new snapshot: the lock is taken on the version the snapshot sees, which
 * may be older than a change committed since (doc/concurrency.md, the
 * copies_race spec).
 */
static void
read_post_copy(FunctionCallInfo fcinfo, Datum post_id, Datum *values)
{
	TagsSavedUser saved;
	bool		isnull;

	tags_spi_connect(fcinfo);
	tags_become_owner(&saved);
	tags_execute(&stmt_post_key_share, &post_id, NULL, false, 0);
	if (tags_execute_latest(&stmt_post_copy, &post_id, NULL) == 1)
	{
		HeapTuple	post = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		values[0] = SPI_getbinval(post, desc, 1, &isnull);
		/* out of SPI's memory, where timestamptz is passed by reference */
		values[1] = SPI_datumTransfer(SPI_getbinval(post, desc, 2, &isnull),
									  FLOAT8PASSBYVAL, sizeof(TimestampTz));
	}
	else
	{
		values[0] = BoolGetDatum(false);
		values[1] = TimestampTzGetDatum(DT_NOBEGIN);
	}
	tags_restore_user(&saved);
	SPI_finish();
}

/* The post $1, locked FOR UPDATE */
static const TagsStatement stmt_post_lock_all = {
	"post_lock_all",
	"SELECT p.id FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) $1"
	" FOR UPDATE OF p",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/* Copy the post $1 into those of its post_tags rows whose copy differs */
static const TagsStatement stmt_post_copy_to_tags = {
	"post_copy_to_tags",
	"UPDATE @extschema@.post_tags pt"
	" SET post_visible = (p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL), post_created_at = p.created_at"
	" FROM @extschema@.posts p"
	" WHERE p.id OPERATOR(pg_catalog.=) $1"
	"   AND pt.post_id OPERATOR(pg_catalog.=) p.id"
	" AND (pt.post_visible OPERATOR(pg_catalog.<>) (p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL)"
	"      OR pt.post_created_at OPERATOR(pg_catalog.<>) p.created_at)",
	1, {INT4OID}, 0, SPI_OK_UPDATE
};

/* Whether one of the post $1's post_tags rows is not its copy */
static const TagsStatement stmt_post_copy_stale = {
	"post_copy_stale",
	"SELECT FROM @extschema@.post_tags pt"
	" JOIN @extschema@.posts p ON p.id OPERATOR(pg_catalog.=) $1"
	" WHERE pt.post_id OPERATOR(pg_catalog.=) p.id"
	" AND (pt.post_visible OPERATOR(pg_catalog.<>) (p.status OPERATOR(pg_catalog.=) 'published' AND p.deleted_at IS NULL)"
	"      OR pt.post_created_at OPERATOR(pg_catalog.<>) p.created_at)"
	" LIMIT 1",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * tags_post_changed() RETURNS trigger
 *
 * AFTER UPDATE OF status, deleted_at, created_at ON posts FOR EACH ROW,
 * when one of them changed.  Copies the post into its post_tags rows, after
 * waiting for the transactions that may be inserting one (see
 * doc/concurrency.md).
 */
Datum
tags_post_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	Datum		post_id;
	bool		isnull;
	TagsSavedUser saved;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_post_changed\" must be fired AFTER UPDATE FOR EACH ROW"));

	rel = trigdata->tg_relation;
	post_id = heap_getattr(trigdata->tg_newtuple,
						   tags_trigger_column(rel, "id", "tags_post_changed"),
						   RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(NULL);

	post_changes++;
	tags_spi_connect(fcinfo);
	tags_become_owner(&saved);
	tags_execute(&stmt_post_lock_all, &post_id, NULL, false, 0);
	tags_execute(&stmt_post_copy_to_tags, &post_id, NULL, false, 0);
	if (IsolationUsesXactSnapshot() &&
		tags_execute_latest(&stmt_post_copy_stale, &post_id, NULL) > 0)
		ereport(ERROR,
				errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				errmsg("could not serialize access due to concurrent update of the tags of post %d",
					   DatumGetInt32(post_id)),
				errhint("Retry the transaction."));
	tags_restore_user(&saved);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * The number of post changes copied so far (see post_changes), which a
 * writer notes in its TagsPostCopy when it reads its post.
 */
uint64
tags_post_changes(void)
{
	return post_changes;
}

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
	item->sort = isnull ? (Datum) 0 : datumCopy(sort, typbyval, typlen);
	ReleaseTupleDesc(desc);
	item->changes = item_changes;
}

/* What a writer of ours read of the item it just locked (stmt_item_lock) */
void
tags_read_item_copy(const TagsTarget *target, Datum key, TagsItemCopy *item)
{
	item_copy_from_row(target, key, item);
}

/* The output function of a target's key type */
static Oid
target_key_output(const TagsTarget *target)
{
	Oid			out_func;
	bool		is_varlena;

	getTypeOutputInfo(target->key_type, &out_func, &is_varlena);
	return out_func;
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

/*
 * A value of the sort column's type for an association whose item does
 * not exist, which its foreign key then reports: its NOT NULL would
 * report it first otherwise.
 */
static Datum
placeholder_sort(const TagsTarget *target)
{
	Oid			in_func;
	Oid			ioparam;
	bool		time = target->sort_type == DATEOID ||
		target->sort_type == TIMESTAMPOID ||
		target->sort_type == TIMESTAMPTZOID;

	getTypeInputInfo(target->sort_type, &in_func, &ioparam);
	return OidInputFunctionCall(in_func, time ? "-infinity" : "0", ioparam, -1);
}

/* The item $1, locked FOR KEY SHARE */
static const TagsStatement stmt_item_key_share = {
	"item_key_share",
	"SELECT FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
	" FOR KEY SHARE OF t",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/* The item $1 as a row */
static const TagsStatement stmt_item_row = {
	"item_row",
	"SELECT t FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1",
	1, {ITEM_KEY_TYPE}, 0, SPI_OK_SELECT
};

/*
 * tags_copy_item() RETURNS trigger
 *
 * BEFORE INSERT OR UPDATE OF item_id, item_visible, item_sort ON a
 * target's association table FOR EACH ROW: tags_copy_post() for a target.
 * Sets the row's item_visible and item_sort from its item, locked FOR KEY
 * SHARE and read in a new snapshot (see read_post_copy()).
 */
Datum
tags_copy_item(PG_FUNCTION_ARGS)
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

	tags_check_before_row_trigger(fcinfo, "tags_copy_item");
	rel = trigdata->tg_relation;
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	columns[0] = tags_trigger_column(rel, "item_visible", "tags_copy_item");
	columns[1] = tags_trigger_column(rel, "item_sort", "tags_copy_item");
	key = heap_getattr(tuple, tags_trigger_column(rel, "item_id", "tags_copy_item"),
					   RelationGetDescr(rel), &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* for NOT NULL to reject */

	if (writing_item != NULL &&
		writing_item->assoc == RelationGetRelid(rel) &&
		writing_item->changes == item_changes &&
		DatumGetBool(FunctionCall2Coll(writing_item->key_eq, C_COLLATION_OID,
									   writing_item->key, key)))
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
					errmsg("function \"tags_copy_item\" must be fired on the association table of a tag target"));
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
			values[0] = BoolGetDatum(false);
			values[1] = SPI_datumTransfer(placeholder_sort(&target), typbyval,
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

/* The item $1, locked FOR UPDATE */
static const TagsStatement stmt_item_lock_all = {
	"item_lock_all",
	"SELECT FROM @target@ t WHERE t.@key@ OPERATOR(pg_catalog.=) $1"
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
	" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
	"   AND (a.@visible@ OPERATOR(pg_catalog.<>) $2"
	"        OR a.@sort@ OPERATOR(pg_catalog.<>) $3)",
	3, {ITEM_KEY_TYPE, BOOLOID, ITEM_SORT_TYPE}, 0, SPI_OK_UPDATE
};

/* Whether one of them is left */
static const TagsStatement stmt_item_copy_stale = {
	"item_copy_stale",
	"SELECT FROM @assoc@ a"
	" WHERE a.@item@ OPERATOR(pg_catalog.=) $1"
	"   AND (a.@visible@ OPERATOR(pg_catalog.<>) $2"
	"        OR a.@sort@ OPERATOR(pg_catalog.<>) $3)"
	" LIMIT 1",
	3, {ITEM_KEY_TYPE, BOOLOID, ITEM_SORT_TYPE}, 0, SPI_OK_SELECT
};

/*
 * Copy an item into its associations: params are $1 the item, $2 its
 * visibility, $3 its sort value (for tags_rebuild()).  The caller must be
 * connected to SPI, as the target's owner.
 */
void
tags_copy_item_into_associations(const TagsTarget *target, Datum *params)
{
	tags_target_execute(target, &stmt_item_copy_to_tags, params, NULL, false,
						false, 0);
}

/*
 * tags_item_changed() RETURNS trigger
 *
 * AFTER UPDATE ON a target FOR EACH ROW: tags_post_changed() for a target.
 * Evaluates the visibility and reads the sort value of the row before and
 * after, and only if one changed, or the key, copies them into the item's
 * associations.
 */
Datum
tags_item_changed(PG_FUNCTION_ARGS)
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
				errmsg("function \"tags_item_changed\" must be fired AFTER UPDATE FOR EACH ROW"));

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	tags_spi_connect(fcinfo);
	if (!tags_find_target(RelationGetRelid(rel), &target))
	{
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
		!keys_equal(&target, params[0], old_key))
	{
		item_changes++;
		tags_become_target_owner(&target, &saved);
		tags_target_execute(&target, &stmt_item_lock_all, params, NULL, false,
							false, 0);
		tags_target_execute(&target, &stmt_item_copy_to_tags, params, NULL, false,
							false, 0);
		if (IsolationUsesXactSnapshot() &&
			tags_target_execute(&target, &stmt_item_copy_stale, params, NULL, true,
								false, 0) > 0)
			ereport(ERROR,
					errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					errmsg("could not serialize access due to concurrent update of the tags of item %s of table \"%s\"",
						   OidOutputFunctionCall(target_key_output(&target),
												 params[0]),
						   RelationGetRelationName(rel)),
					errhint("Retry the transaction."));
		tags_restore_user(&saved);
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}
