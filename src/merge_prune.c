/*-------------------------------------------------------------------------
 *
 * merge_prune.c
 *	  Tag care of the tags themselves: merging one into another, and
 *	  pruning the tags on no post nor item.
 *
 * Locks are taken in the order the writers take them, so that neither
 * deadlocks with a writer: items (posts first, then every other target's),
 * then tags, then the lock of direct writes (slug_locks.c).  Once they
 * hold their locks, both read and write in a new snapshot, so that under
 * REPEATABLE READ too they act on what committed before the locks were
 * granted.  Each runs a fixed number of statements per target, whatever
 * the number of items.  Both act on one vocabulary, and on a tenant
 * vocabulary (1.3) within one tenant: every statement they run names it.
 * In a global vocabulary (Citus), whose targets' items are on every shard,
 * the lock of direct writes comes first instead, then the association
 * tables IN SHARE MODE, then the tags (lock_global_care()), and the
 * statements over every shard group are their own (the _by_key ones,
 * prune_by_key()).  See doc/concurrency.md and doc/citus.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "tags.h"

PG_FUNCTION_INFO_V1(tag_merge);
PG_FUNCTION_INFO_V1(tags_prune);

static TagsTarget *vocabulary_lists(const TagsTarget *scope, int *count);
static void lock_global_care(const TagsTarget *scope,
							 const TagsTarget *targets, int ntargets);
static uint64 prune_by_key(const TagsTarget *scope, const TagsTarget *targets,
						   int ntargets, Datum min_age);
static uint64 execute_on_lists(const TagsTarget *targets, int ntargets,
							   const TagsStatement *stmt, Datum *params);
static int	keep_unused_by_targets(const TagsTarget *targets, int ntargets,
								   Datum *ids, int count);

/*
 * The items of the tag $1, locked FOR UPDATE, not the writers' FOR NO KEY
 * UPDATE: it also waits for, and keeps out, a plain INSERT into the
 * association table, whose foreign-key check locks the item FOR KEY SHARE
 */
static const TagsStatement stmt_item_tag_items_lock = {
	"item_tag_items_lock",
	"SELECT FROM @target@ t"
	" WHERE @target_tenant:t@ t.@key@ OPERATOR(pg_catalog.=) ANY (ARRAY("
	"     SELECT a.@item@ FROM @assoc@ a"
	"     WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1))"
	" ORDER BY t.@key@"
	" FOR UPDATE OF t",
	1, {INT4OID}, 0, SPI_OK_SELECT
};

/*
 * Every list of every target that takes its tags from scope's vocabulary,
 * told scope's tenant, as a palloc'd array; *count is set
 */
static TagsTarget *
vocabulary_lists(const TagsTarget *scope, int *count)
{
	TagsTarget *lists = tags_all_targets(scope->vocab.tags, count);
	int			i;

	for (i = 0; i < *count; i++)
	{
		lists[i].has_tenant = scope->has_tenant;
		lists[i].tenant = scope->tenant;
	}
	return lists;
}

/*
 * Run stmt with params in every list of targets, in a new snapshot, as
 * their owners; returns the rows it processed in all
 */
static uint64
execute_on_lists(const TagsTarget *targets, int ntargets,
				 const TagsStatement *stmt, Datum *params)
{
	uint64		nrows = 0;
	int			i;

	for (i = 0; i < ntargets; i++)
	{
		TagsSavedUser saved;

		tags_become_target_owner(&targets[i], &saved);
		nrows += tags_target_execute(&targets[i], stmt, params, NULL, true,
									 false, 0);
		tags_restore_user(&saved);
	}
	return nrows;
}

/* The tags $1 and $2, locked FOR UPDATE in id order */
static const TagsStatement stmt_tags_lock_pair = {
	"tags_lock_pair",
	"SELECT t.id FROM @tags@ t"
	" WHERE @tenant:t@ (t.id OPERATOR(pg_catalog.=) $1"
	"                   OR t.id OPERATOR(pg_catalog.=) $2)"
	" ORDER BY t.id"
	" FOR UPDATE OF t",
	2, {INT4OID, INT4OID}, 0, SPI_OK_SELECT
};

/*
 * The tag $1's associations go to the tag $2: an item that has both keeps
 * $2's, at the first of the two positions; the others are moved with their
 * positions.  Returns those moved.
 */
static const TagsStatement stmt_item_merge_move = {
	"item_merge_move",
	"WITH both_tags AS ("
	"    DELETE FROM @assoc@ f"
	"    USING @assoc@ i"
	"    WHERE @tenant:f@ @tenant:i@ f.tag_id OPERATOR(pg_catalog.=) $1"
	"      AND i.tag_id OPERATOR(pg_catalog.=) $2"
	"      AND i.@item@ OPERATOR(pg_catalog.=) f.@item@"
	"    RETURNING f.@item@ AS item, f.position"
	"), first_position AS ("
	"    UPDATE @assoc@ i SET position = b.position"
	"    FROM both_tags b"
	"    WHERE @tenant:i@ i.@item@ OPERATOR(pg_catalog.=) b.item"
	"      AND i.tag_id OPERATOR(pg_catalog.=) $2"
	"      AND (b.position OPERATOR(pg_catalog.<) i.position"
	"           OR (i.position IS NULL AND b.position IS NOT NULL))"
	")"
	" UPDATE @assoc@ f SET tag_id = $2"
	" WHERE @tenant:f@ f.tag_id OPERATOR(pg_catalog.=) $1"
	"   AND NOT EXISTS (SELECT FROM @assoc@ i"
	"                   WHERE @tenant:i@ i.@item@ OPERATOR(pg_catalog.=) f.@item@"
	"                     AND i.tag_id OPERATOR(pg_catalog.=) $2)",
	2, {INT4OID, INT4OID}, 0, SPI_OK_UPDATE
};

/* The tag $1's synonyms and aliases become $2's */
static const TagsStatement stmt_merge_repoint = {
	"merge_repoint",
	"WITH synonyms AS ("
	"    UPDATE @synonyms@ s SET tag_id = $2"
	"    WHERE @tenant:s@ s.tag_id OPERATOR(pg_catalog.=) $1"
	")"
	" UPDATE @aliases@ a SET tag_id = $2"
	" WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) $1",
	2, {INT4OID, INT4OID}, 0, SPI_OK_UPDATE
};

/*
 * The tag $1 is deleted, and becomes a synonym and an alias of the tag $2;
 * its synonyms and aliases are $2's already, so the delete cascades to
 * nothing else
 */
static const TagsStatement stmt_merge_finish = {
	"merge_finish",
	"WITH gone AS ("
	"    DELETE FROM @tags@ t"
	"    WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) $1"
	"    RETURNING t.name, t.slug"
	"), synonym AS ("
	"    INSERT INTO @synonyms@ (@tenant_column@name, tag_id)"
	"    SELECT @tenant_value@g.name, $2 FROM gone g"
	")"
	" INSERT INTO @aliases@ (@tenant_column@slug, tag_id)"
	" SELECT @tenant_value@g.slug, $2 FROM gone g",
	2, {INT4OID, INT4OID}, 0, SPI_OK_INSERT
};

/* Lock a list's association table against every write but ours */
static const TagsStatement stmt_item_assoc_lock = {
	"item_assoc_lock",
	"LOCK TABLE @assoc@ IN SHARE MODE",
	0, {InvalidOid}, 0, SPI_OK_UTILITY
};

/*
 * The locks of tag care in a global vocabulary, whose targets are
 * distributed by their key and whose items it cannot lock on every shard:
 * its lock of direct writes, exclusively, which waits for our writers of
 * its targets in flight (they hold it shared, tags_lock_writes()) and
 * keeps new ones out; then each list's association table IN SHARE MODE,
 * which Citus takes on every shard: it waits for the application's own
 * writes of associations in flight, whose foreign-key checks lock the tag
 * FOR KEY SHARE on the copy of their node, where Citus would not lock it
 * FOR UPDATE, and keeps new ones out to the end of the transaction.
 */
static void
lock_global_care(const TagsTarget *scope, const TagsTarget *targets,
				 int ntargets)
{
	tags_lock_direct_writes(scope);
	execute_on_lists(targets, ntargets, &stmt_item_assoc_lock, NULL);
}

/*
 * Lock the tags from and into (params) FOR UPDATE, or raise P0002 if
 * either is gone
 */
static void
lock_pair(const TagsTarget *scope, Datum *params, const char *from_slug,
		  const char *into_slug)
{
	if (tags_vocabulary_execute(scope, &stmt_tags_lock_pair, params, NULL,
								true, false, 0) < 2)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("tag \"%s\" or tag \"%s\" no longer exists",
					   from_slug, into_slug),
				errdetail("It was deleted or merged while the merge waited for it."));
}

/*
 * On a target distributed by its key, stmt_item_merge_move as three
 * statements, each of which Citus runs on every shard group (a modifying
 * WITH it runs on one shard only): an item that has both tags keeps the
 * first of the two positions, then loses from; the others' from becomes
 * into.  The last returns those moved.
 */
static const TagsStatement stmt_item_merge_position_by_key = {
	"item_merge_position_by_key",
	"UPDATE @assoc@ i SET position = f.position"
	" FROM @assoc@ f"
	" WHERE f.tag_id OPERATOR(pg_catalog.=) $1"
	"   AND i.tag_id OPERATOR(pg_catalog.=) $2"
	"   AND i.@item@ OPERATOR(pg_catalog.=) f.@item@"
	"   AND (f.position OPERATOR(pg_catalog.<) i.position"
	"        OR (i.position IS NULL AND f.position IS NOT NULL))",
	2, {INT4OID, INT4OID}, 0, SPI_OK_UPDATE
};

static const TagsStatement stmt_item_merge_both_by_key = {
	"item_merge_both_by_key",
	"DELETE FROM @assoc@ f"
	" USING @assoc@ i"
	" WHERE f.tag_id OPERATOR(pg_catalog.=) $1"
	"   AND i.tag_id OPERATOR(pg_catalog.=) $2"
	"   AND i.@item@ OPERATOR(pg_catalog.=) f.@item@",
	2, {INT4OID, INT4OID}, 0, SPI_OK_DELETE
};

static const TagsStatement stmt_item_merge_move_by_key = {
	"item_merge_move_by_key",
	"UPDATE @assoc@ f SET tag_id = $2"
	" WHERE f.tag_id OPERATOR(pg_catalog.=) $1",
	2, {INT4OID, INT4OID}, 0, SPI_OK_UPDATE
};


/*
 * tag_merge(from_slug text, into_slug text, target regclass,
 *			 tenant tag_tenant) RETURNS bigint
 *
 * In the target's vocabulary (of the tenant), or the shared tags: every
 * item of every target that takes its tags from there (posts, and every
 * target of 1.2) of from ends up tagged into exactly once: an association with from moves to into with its
 * position, and a post that had both keeps the first of the two positions.
 * Then from is deleted; its name becomes a synonym of into, its slug an
 * alias, and its own synonyms and aliases are into's.  Returns the number
 * of associations moved (those of posts that had both are not).  The
 * counters follow through their triggers.
 *
 * Locks, in the writers' order: the items of from FOR UPDATE, then from and
 * into, then the items of from again (a writer may have committed one
 * meanwhile), then the lock of direct writes.  See
 * doc/concurrency.md for the deadlock (40P01) this can still meet.  In a
 * global vocabulary, whose targets are distributed by their key, the items
 * of a tag are on every shard, where Citus locks none: lock_global_care()
 * comes first, then from and into.
 */
Datum
tag_merge(PG_FUNCTION_ARGS)
{
	const char *from_slug = tags_text_arg(fcinfo, 0, "from slug");
	const char *into_slug = tags_text_arg(fcinfo, 1, "into slug");
	TagsTarget	scope;
	int32		from;
	int32		into;
	Datum		params[2];
	uint64		moved;
	TagsTarget *targets;
	int			ntargets;
	int			nestlevel;

	tags_spi_connect(fcinfo);
	tags_vocabulary_args(fcinfo, 2, 3, -1, &scope);
	nestlevel = NewGUCNestLevel();
	from = tags_tag_id_by_slug_latest(&scope, from_slug);
	into = tags_tag_id_by_slug_latest(&scope, into_slug);
	if (from == into)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("cannot merge tag \"%s\" into itself", into_slug),
				strcmp(from_slug, into_slug) != 0 ?
				errdetail("\"%s\" and \"%s\" are slugs of the same tag.",
						  from_slug, into_slug) : 0);

	/* $1 from, $2 into, in every statement of the merge */
	params[0] = Int32GetDatum(from);
	params[1] = Int32GetDatum(into);
	targets = vocabulary_lists(&scope, &ntargets);
	if (scope.vocab.global)
	{
		tags_citus_sequential();
		lock_global_care(&scope, targets, ntargets);
		lock_pair(&scope, params, from_slug, into_slug);
		/* the moves of stmt_item_merge_move, over every shard group */
		execute_on_lists(targets, ntargets, &stmt_item_merge_position_by_key,
						 params);
		execute_on_lists(targets, ntargets, &stmt_item_merge_both_by_key,
						 params);
		moved = execute_on_lists(targets, ntargets,
								 &stmt_item_merge_move_by_key, params);
	}
	else
	{
		/* the items of from FOR UPDATE, before and after the tags */
		execute_on_lists(targets, ntargets, &stmt_item_tag_items_lock, params);
		lock_pair(&scope, params, from_slug, into_slug);
		execute_on_lists(targets, ntargets, &stmt_item_tag_items_lock, params);
		tags_lock_direct_writes(&scope);
		moved = execute_on_lists(targets, ntargets, &stmt_item_merge_move,
								 params);
	}
	tags_vocabulary_execute(&scope, &stmt_merge_repoint, params, NULL, true,
							false, 0);
	tags_vocabulary_execute(&scope, &stmt_merge_finish, params, NULL, true,
							false, 0);
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
	PG_RETURN_INT64((int64) moved);
}

/* Those of the tags $1 that have an item */
static const TagsStatement stmt_item_tags_in_use = {
	"item_tags_in_use",
	"SELECT u.id FROM pg_catalog.unnest($1) AS u(id)"
	" WHERE EXISTS (SELECT FROM @assoc@ a"
	"               WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) u.id)",
	1, {INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT
};

/*
 * The same on a target distributed by its key: a correlated EXISTS on its
 * association table, read on every shard, Citus does not run
 */
static const TagsStatement stmt_item_tags_in_use_by_key = {
	"item_tags_in_use_by_key",
	"SELECT DISTINCT a.tag_id FROM @assoc@ a"
	" WHERE a.tag_id OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT4ARRAYOID}, 0, SPI_OK_SELECT
};

/*
 * Keep those of the tag ids that no item of the lists of targets has,
 * judged in a new snapshot as their owners, whom row-level security on an
 * association table hides nothing from; returns how many are kept.
 */
static int
keep_unused_by_targets(const TagsTarget *targets, int ntargets, Datum *ids,
					   int count)
{
	int			t;

	for (t = 0; t < ntargets && count > 0; t++)
	{
		TagsSavedUser saved;
		Datum		param;
		uint64		nused;
		uint64		row;
		int			kept = 0;
		int			i;

		param = PointerGetDatum(construct_array(ids, count, INT4OID,
												sizeof(int32), true,
												TYPALIGN_INT));
		tags_become_target_owner(&targets[t], &saved);
		nused = tags_target_execute(&targets[t],
									TAGS_DISTRIBUTED_BY_KEY(&targets[t]) ?
									&stmt_item_tags_in_use_by_key :
									&stmt_item_tags_in_use,
									&param, NULL, true, false, 0);
		tags_restore_user(&saved);
		for (i = 0; i < count; i++)
		{
			for (row = 0; row < nused; row++)
			{
				bool		isnull;

				if (DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[row],
												SPI_tuptable->tupdesc, 1,
												&isnull)) ==
					DatumGetInt32(ids[i]))
					break;
			}
			if (row == nused)
				ids[kept++] = ids[i];
		}
		count = kept;
	}
	return count;
}

/*
 * The tags on no item of the list, created at least $1 ago, locked FOR
 * UPDATE; a tag a writer is attaching is locked FOR KEY SHARE by it, and
 * skipped.  Run on the first list of the vocabulary (posts', for the
 * shared tags), as the caller, it only narrows the candidates: whether a
 * tag is on no item of any list is judged after the lock, as the lists'
 * owners (keep_unused_by_targets()), and again by stmt_prune_delete.
 */
static const TagsStatement stmt_prune_candidates = {
	"prune_candidates",
	"SELECT t.id FROM @tags@ t"
	" WHERE @tenant:t@ t.created_at OPERATOR(pg_catalog.<=)"
	"       (pg_catalog.now() OPERATOR(pg_catalog.-) $1)"
	"   AND NOT EXISTS (SELECT FROM @assoc@ a"
	"                   WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) t.id)"
	" ORDER BY t.id"
	" FOR UPDATE OF t SKIP LOCKED",
	1, {INTERVALOID}, 0, SPI_OK_SELECT
};

/* Delete those of the tags $1 that are on no item of the list */
static const TagsStatement stmt_prune_delete = {
	"prune_delete",
	"DELETE FROM @tags@ t"
	" WHERE @tenant:t@ t.id OPERATOR(pg_catalog.=) ANY ($1)"
	"   AND NOT EXISTS (SELECT FROM @assoc@ a"
	"                   WHERE @tenant:a@ a.tag_id OPERATOR(pg_catalog.=) t.id)",
	1, {INT4ARRAYOID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_DELETE
};

/*
 * In a global vocabulary: its tags created at least $1 ago, not locked
 * (the candidates are judged first: a lock of every such tag would hold up
 * every plain INSERT of one)
 */
static const TagsStatement stmt_prune_old_tags = {
	"prune_old_tags",
	"SELECT t.id FROM @tags@ t"
	" WHERE t.created_at OPERATOR(pg_catalog.<=)"
	"       (pg_catalog.now() OPERATOR(pg_catalog.-) $1)"
	" ORDER BY t.id",
	1, {INTERVALOID}, 0, SPI_OK_SELECT
};

/* The tags $1 that still exist, locked FOR UPDATE in id order */
static const TagsStatement stmt_prune_lock = {
	"prune_lock",
	"SELECT t.id FROM @tags@ t"
	" WHERE t.id OPERATOR(pg_catalog.=) ANY ($1)"
	" ORDER BY t.id"
	" FOR UPDATE OF t",
	1, {INT4ARRAYOID}, 0, SPI_OK_SELECT
};

/* Delete the tags $1, judged on no item under their locks */
static const TagsStatement stmt_prune_delete_locked = {
	"prune_delete_locked",
	"DELETE FROM @tags@ t WHERE t.id OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT4ARRAYOID}, 0, SPI_OK_DELETE
};

/*
 * tags_prune() in a global vocabulary, whose targets are distributed by
 * their key: under its care locks (lock_global_care()), the tags old
 * enough on no item of any list, locked FOR UPDATE, then deleted.
 * Returns how many.
 */
static uint64
prune_by_key(const TagsTarget *scope, const TagsTarget *targets,
			 int ntargets, Datum min_age)
{
	Datum	   *ids;
	uint64		count;
	Datum		param;

	lock_global_care(scope, targets, ntargets);
	tags_vocabulary_execute(scope, &stmt_prune_old_tags, &min_age, NULL,
							true, false, 0);
	ids = tags_spi_first_column(&count);
	count = keep_unused_by_targets(targets, ntargets, ids, (int) count);
	if (count == 0)
		return 0;
	param = PointerGetDatum(construct_array(ids, (int) count, INT4OID,
											sizeof(int32), true,
											TYPALIGN_INT));
	tags_vocabulary_execute(scope, &stmt_prune_lock, &param, NULL, true,
							false, 0);
	ids = tags_spi_first_column(&count);
	if (count == 0)
		return 0;
	param = PointerGetDatum(construct_array(ids, (int) count, INT4OID,
											sizeof(int32), true,
											TYPALIGN_INT));
	return tags_vocabulary_execute(scope, &stmt_prune_delete_locked, &param,
								   NULL, true, false, 0);
}

/*
 * tags_prune(min_age interval, target regclass, tenant tag_tenant)
 *		RETURNS bigint
 *
 * Deletes the tags of the target's vocabulary (of the tenant), or of the
 * shared tags, that are on no item of any target that takes its tags from
 * there, and were created at least min_age before the transaction began;
 * returns how many.  A tag a writer holds FOR KEY SHARE is skipped (SKIP
 * LOCKED); the others are locked FOR UPDATE, and whether each is on no
 * item is judged again in a snapshot taken after the locks, so that an
 * association committed meanwhile keeps its tag (doc/concurrency.md).
 */
Datum
tags_prune(PG_FUNCTION_ARGS)
{
	Interval	zero = {0};
	TagsTarget	scope;
	TagsTarget *targets;
	int			ntargets;
	Datum		param;
	uint64		ncandidates;
	Datum	   *ids;
	uint64		deleted;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("min_age must not be null"));
	if (DatumGetBool(DirectFunctionCall2(interval_lt, PG_GETARG_DATUM(0),
										 IntervalPGetDatum(&zero))))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("min_age must not be negative"));

	tags_spi_connect(fcinfo);
	tags_vocabulary_args(fcinfo, 1, 2, -1, &scope);
	targets = vocabulary_lists(&scope, &ntargets);
	if (ntargets == 0)
	{
		SPI_finish();			/* a registry whose posts was deleted */
		PG_RETURN_INT64(0);
	}
	if (scope.vocab.global)
	{
		int			nestlevel = NewGUCNestLevel();

		tags_citus_sequential();
		deleted = prune_by_key(&scope, targets, ntargets, PG_GETARG_DATUM(0));
		AtEOXact_GUC(true, nestlevel);
		SPI_finish();
		PG_RETURN_INT64((int64) deleted);
	}
	param = PG_GETARG_DATUM(0);
	ncandidates = tags_target_execute(&targets[0], &stmt_prune_candidates,
									  &param, NULL, true, false, 0);
	if (ncandidates == 0)
	{
		SPI_finish();
		PG_RETURN_INT64(0);
	}
	ids = tags_spi_first_column(&ncandidates);
	ncandidates = keep_unused_by_targets(targets, ntargets, ids,
										 (int) ncandidates);
	param = PointerGetDatum(construct_array(ids, (int) ncandidates, INT4OID,
											sizeof(int32), true,
											TYPALIGN_INT));
	deleted = tags_target_execute(&targets[0], &stmt_prune_delete, &param,
								  NULL, true, false, 0);
	SPI_finish();
	PG_RETURN_INT64((int64) deleted);
}
