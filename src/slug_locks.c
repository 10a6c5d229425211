/*-------------------------------------------------------------------------
 *
 * slug_locks.c
 *	  Slug choice, and every advisory lock the extension takes.
 *
 * A missing tag gets the first free slug among base, base-2, base-3 ...,
 * where base is the slug of its name (normalize.c).  The choice is safe
 * against another session choosing the same slug because of the advisory
 * locks below, all transaction-level; their keys are all here:
 *	("tags", hash of a slug root)	held while picking slugs from that root
 *	("tagd", 0)						the lock of direct writes: shared by
 *									get-or-create, exclusive for a direct
 *									write to tags and for tag care
 *	("tagc", 0 or a target's oid)	the folding lock of the counters of
 *									posts, or of a target
 * In a tenant vocabulary (1.3) each tenant has locks of its own: their
 * second keys are hashes of the vocabulary, the tenant and, for a root,
 * the root; a target's folding lock is per tenant the same way.  Before a
 * tenant's locks comes the lock of the whole vocabulary, ("tagd", hash of
 * the vocabulary), shared; a transaction that has locked more than
 * TAGS_MAX_TENANT_LOCKS tenants of it takes it exclusively instead of any
 * more, so that a restore or a bulk load of many tenants fits in the lock
 * table.  A global vocabulary (Citus) has locks of its own the same way,
 * as if it were one tenant; its new tags take its lock of direct writes
 * exclusively, which its targets' writers hold shared.  The
 * shared tags keep the keys of 1.0, so that a backend still running an
 * older library takes the same locks.  Locking rules: the lock of direct
 * writes first, then root locks in key order; the taken slugs are read in
 * a snapshot taken after the locks.  See doc/concurrency.md for why this
 * never deadlocks one call with another.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "tags.h"

/*
 * First keys of the advisory locks: "tags", "tagd" and "tagc" in ASCII
 */
#define TAGS_SLUG_LOCK_SPACE 0x74616773
#define TAGS_DIRECT_LOCK_SPACE 0x74616764
#define TAGS_FOLD_LOCK_SPACE 0x74616763

/* Most root locks get-or-create takes; past it, one exclusive lock */
#define TAGS_MAX_ROOT_LOCKS 32

/*
 * Most tenants of one vocabulary whose locks a transaction takes; past it,
 * it locks the whole vocabulary exclusively instead
 */
#define TAGS_MAX_TENANT_LOCKS 64

/* A tenant of a vocabulary whose locks this transaction took */
typedef struct LockedTenant
{
	Oid			vocabulary;
	uint32		tenant;			/* tenant_key() */
} LockedTenant;

/* A vocabulary, with how many of its tenants' locks this transaction took */
typedef struct LockedVocabulary
{
	Oid			vocabulary;
	int			ntenants;
} LockedVocabulary;

/*
 * The tenants (and vocabularies) whose locks the current transaction took,
 * in TopTransactionContext; NULL until it takes one, and again once it ends
 * (forget_locked_tenants()).  A subtransaction that aborts releases its
 * locks but stays counted: a transaction may lock its whole vocabulary
 * sooner than it had to, never later.
 */
static HTAB *locked_tenants = NULL;
static HTAB *locked_vocabularies = NULL;
static bool forget_registered = false;

/* A slug some tag holds, as the number it takes among its base's slugs */
typedef struct TakenSlug
{
	int			group;			/* index of its base among the bases */
	uint64		n;				/* 1 for the base itself, N for "base-N" */
} TakenSlug;

static int	compare_cstring_ptr(const void *a, const void *b);
static int	compare_taken(const void *a, const void *b);
static uint64 slug_number(const char *base, const char *slug);
static uint32 tenant_key(const TagsTarget *target, Oid relid);
static int32 slug_lock_key(uint32 tenant, const char *base);
static int	compare_int32(const void *a, const void *b);
static void forget_locked_tenants(XactEvent event, void *arg);
static int	count_locked_tenant(Oid vocabulary, uint32 tenant);
static bool lock_vocabulary(Oid vocabulary, uint32 tenant);
static void lock_slug_roots(Oid vocabulary, uint32 tenant, int32 *keys,
							int nkeys, bool direct);

/* bsearch() comparator for an array of C strings */
static int
compare_cstring_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Order taken slugs by base, then by suffix number */
static int
compare_taken(const void *a, const void *b)
{
	const TakenSlug *ta = a;
	const TakenSlug *tb = b;

	if (ta->group != tb->group)
		return (ta->group > tb->group) - (ta->group < tb->group);
	return (ta->n > tb->n) - (ta->n < tb->n);
}

/*
 * The number a slug takes among base, base-2, base-3 ...: 1 for base
 * itself, N for "base-N", 0 for any other slug (such as "base-02").
 */
static uint64
slug_number(const char *base, const char *slug)
{
	size_t		baselen = strlen(base);
	const char *suffix;
	char	   *end;
	uint64		n;

	if (strcmp(slug, base) == 0)
		return 1;
	if (strncmp(slug, base, baselen) != 0 || slug[baselen] != '-')
		return 0;
	suffix = slug + baselen + 1;
	if (suffix[0] < '1' || suffix[0] > '9')
		return 0;
	n = strtou64(suffix, &end, 10);
	return (*end == '\0' && n >= 2) ? n : 0;
}

/*
 * The part of the second keys that stands for the call's tenant of target
 * and relid (its vocabulary, or itself): 0 without tenants, where the keys
 * are those of 1.0, else a hash of both that is not 0; in a global
 * vocabulary, a hash of relid that is not 0.
 */
static uint32
tenant_key(const TagsTarget *target, Oid relid)
{
	char	   *tenant;
	uint32		key;

	/*
	 * a global vocabulary's locks are its own, as a tenant's are; not the
	 * key of the whole vocabulary (lock_vocabulary()), which is taken
	 * shared first
	 */
	if (target->vocab.global)
	{
		key = hash_combine(hash_bytes((const unsigned char *) &relid,
									  sizeof(Oid)),
						   TAGS_DIRECT_LOCK_SPACE);
		return key != 0 ? key : 1;
	}
	if (!TAGS_HAS_TENANTS(target))
		return 0;
	tenant = tags_tenant_text(target);
	key = hash_combine(hash_bytes((const unsigned char *) &relid,
								  sizeof(Oid)),
					   hash_bytes((const unsigned char *) tenant,
								  strlen(tenant)));
	return key != 0 ? key : 1;
}

/*
 * The advisory lock key of a base slug: a hash of its root, the base without
 * any trailing "-<digits>" parts, and of the tenant (tenant_key()).  Every
 * slug made from a base ("cafe", "cafe-2") has the root of the base, so two
 * bases whose slugs could collide ("cafe" and "cafe-2") share a lock.
 */
static int32
slug_lock_key(uint32 tenant, const char *base)
{
	size_t		len = strlen(base);

	for (;;)
	{
		size_t		hyphen = len;

		while (hyphen > 0 && isdigit((unsigned char) base[hyphen - 1]))
			hyphen--;
		if (hyphen == len || hyphen < 2 || base[hyphen - 1] != '-')
			break;
		len = hyphen - 1;
	}
	if (tenant == 0)
		return (int32) hash_bytes((const unsigned char *) base, len);
	return (int32) hash_combine(tenant,
								hash_bytes((const unsigned char *) base, len));
}

/* Order int32 values */
static int
compare_int32(const void *a, const void *b)
{
	int32		ia = *(const int32 *) a;
	int32		ib = *(const int32 *) b;

	return (ia > ib) - (ia < ib);
}

/* At the end of a transaction: it holds no lock of ours any more */
static void
forget_locked_tenants(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* their memory goes with TopTransactionContext */
			locked_tenants = NULL;
			locked_vocabularies = NULL;
			break;
		default:
			break;
	}
}

/*
 * Note that the current transaction takes the locks of this tenant of
 * vocabulary; returns how many tenants of it it has locked.
 */
static int
count_locked_tenant(Oid vocabulary, uint32 tenant)
{
	LockedTenant key;
	LockedVocabulary *counted;
	bool		found;

	if (!forget_registered)
	{
		RegisterXactCallback(forget_locked_tenants, NULL);
		forget_registered = true;
	}
	if (locked_tenants == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(LockedTenant);
		ctl.entrysize = sizeof(LockedTenant);
		ctl.hcxt = TopTransactionContext;
		locked_tenants = hash_create("tags locked tenants", 64, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(LockedVocabulary);
		locked_vocabularies = hash_create("tags locked vocabularies", 4, &ctl,
										  HASH_ELEM | HASH_BLOBS |
										  HASH_CONTEXT);
	}
	counted = hash_search(locked_vocabularies, &vocabulary, HASH_ENTER,
						  &found);
	if (!found)
		counted->ntenants = 0;
	memset(&key, 0, sizeof(key));
	key.vocabulary = vocabulary;
	key.tenant = tenant;
	hash_search(locked_tenants, &key, HASH_ENTER, &found);
	if (!found)
		counted->ntenants++;
	return counted->ntenants;
}

/*
 * In a tenant vocabulary, before any lock of a tenant: take the lock of
 * the whole vocabulary ("tagd", a hash of its oid), shared; or, once the
 * transaction has taken the locks of more than TAGS_MAX_TENANT_LOCKS
 * tenants of it (a restore, a bulk load), exclusively, and no lock of a
 * tenant after it, so that the lock table holds a transaction that writes
 * the tags of any number of tenants.  Returns whether it took it
 * exclusively.
 */
static bool
lock_vocabulary(Oid vocabulary, uint32 tenant)
{
	uint32		key = hash_bytes((const unsigned char *) &vocabulary,
								 sizeof(Oid));
	bool		exclusive = count_locked_tenant(vocabulary, tenant) >
		TAGS_MAX_TENANT_LOCKS;

	DirectFunctionCall2(exclusive ? pg_advisory_xact_lock_int4 :
						pg_advisory_xact_lock_shared_int4,
						Int32GetDatum(TAGS_DIRECT_LOCK_SPACE),
						Int32GetDatum((int32) (key != 0 ? key : 1)));
	return exclusive;
}

/*
 * Take the advisory locks that let a session pick slugs from these roots
 * (keys) of the tenant's vocabulary (tenant, of tenant_key()), to the end
 * of the transaction: the lock of direct writes shared, then each root's in
 * key order; or, for a direct write to tags (direct) or more than
 * TAGS_MAX_ROOT_LOCKS roots, the lock of direct writes exclusively and no
 * root lock.  In a tenant vocabulary, the lock of the whole vocabulary
 * comes first (lock_vocabulary()), and may stand for them all.
 * doc/concurrency.md says why.
 */
static void
lock_slug_roots(Oid vocabulary, uint32 tenant, int32 *keys, int nkeys,
				bool direct)
{
	int			nlocks = 0;
	int			i;

	if (nkeys > 0)
		qsort(keys, nkeys, sizeof(int32), compare_int32);
	for (i = 0; i < nkeys; i++)
		if (i == 0 || keys[i] != keys[i - 1])
			keys[nlocks++] = keys[i];
	if (nlocks > TAGS_MAX_ROOT_LOCKS)
		direct = true;
	if (tenant != 0 && lock_vocabulary(vocabulary, tenant))
		return;

	DirectFunctionCall2(direct ? pg_advisory_xact_lock_int4 :
						pg_advisory_xact_lock_shared_int4,
						Int32GetDatum(TAGS_DIRECT_LOCK_SPACE),
						Int32GetDatum((int32) tenant));
	if (direct)
		return;
	for (i = 0; i < nlocks; i++)
		DirectFunctionCall2(pg_advisory_xact_lock_int4,
							Int32GetDatum(TAGS_SLUG_LOCK_SPACE),
							Int32GetDatum(keys[i]));
}

/*
 * Take the lock of direct writes of target's vocabulary (and tenant)
 * exclusively (see lock_slug_roots()): no other session creates a tag,
 * picks a slug or changes a synonym there until the transaction ends.
 */
void
tags_lock_direct_writes(const TagsTarget *target)
{
	lock_slug_roots(target->vocab.tags,
					tenant_key(target, target->vocab.tags), NULL, 0, true);
}

/*
 * Take the lock of direct writes of target's vocabulary shared, to the
 * end of the transaction: what a writer of ours on a target distributed by
 * its key takes on the coordinator, so that a merge or a prune in its
 * global vocabulary, which takes it exclusively (tags_lock_direct_writes()),
 * waits for the writes in flight and keeps new ones out; it cannot lock the
 * items of a tag on every shard, as it does elsewhere (doc/citus.md)
 */
void
tags_lock_writes(const TagsTarget *target)
{
	lock_slug_roots(target->vocab.tags,
					tenant_key(target, target->vocab.tags), NULL, 0, false);
}

/*
 * Take the folding lock of the counters of a target's list, of the call's
 * tenant (or of the whole list, for the upkeep that folds every tenant's),
 * to the end of the transaction; if not wait, only if no other transaction
 * holds it.  posts' is the lock of 1.0, which had no target.  Returns
 * whether it was taken.
 */
bool
tags_lock_folding(const TagsTarget *target, bool wait)
{
	Datum		key1 = Int32GetDatum(TAGS_FOLD_LOCK_SPACE);
	Datum		key2;

	if (target->has_tenant)
		key2 = Int32GetDatum((int32) tenant_key(target, target->assoc));
	else
		key2 = Int32GetDatum(target->builtin ? 0 : (int32) target->assoc);

	if (!wait)
		return DatumGetBool(DirectFunctionCall2(pg_try_advisory_xact_lock_int4,
												key1, key2));
	DirectFunctionCall2(pg_advisory_xact_lock_int4, key1, key2);
	return true;
}

/*
 * The slugs "b" and "b-..." for each base b in $1, held by a tag or an
 * alias other than those of tag $2.  In the C collation those sort in
 * [b, b.), one range of the index of slugs: a slug holds only [a-z0-9-]
 * (the CHECK constraints), and '-' is the only one of those that sorts
 * before '.'; slug_number() picks the numbered ones.  One index range scan
 * per base, in a LATERAL subquery, at every size (see doc/plans.md).
 */
static const TagsStatement stmt_slugs_taken = {
	"slugs_taken",
	"SELECT b.base, t.slug"
	" FROM pg_catalog.unnest($1) AS b(base)"
	" CROSS JOIN LATERAL (SELECT t.slug FROM @tags@ t"
	"                     WHERE @tenant:t@ (t.slug OPERATOR(pg_catalog.>=) b.base"
	" AND t.slug OPERATOR(pg_catalog.<) (b.base OPERATOR(pg_catalog.||) '.'))"
	"                       AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.<>) $2)"
	"                     OFFSET 0) t"
	" UNION ALL"
	" SELECT b.base, a.slug"
	" FROM pg_catalog.unnest($1) AS b(base)"
	" CROSS JOIN LATERAL (SELECT a.slug FROM @aliases@ a"
	"                     WHERE @tenant:a@ (a.slug OPERATOR(pg_catalog.>=) b.base"
	" AND a.slug OPERATOR(pg_catalog.<) (b.base OPERATOR(pg_catalog.||) '.'))"
	"                       AND ($2 IS NULL OR a.tag_id OPERATOR(pg_catalog.<>) $2)"
	"                     OFFSET 0) a",
	2, {TEXTARRAYOID, INT4OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
	/* at version 1.0 */
	"SELECT b.base, t.slug"
	" FROM pg_catalog.unnest($1) AS b(base)"
	" CROSS JOIN LATERAL (SELECT t.slug FROM @extschema@.tags t"
	"                     WHERE (t.slug OPERATOR(pg_catalog.>=) b.base"
	" AND t.slug OPERATOR(pg_catalog.<) (b.base OPERATOR(pg_catalog.||) '.'))"
	"                       AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.<>) $2)"
	"                     OFFSET 0) t"
};

/*
 * stmt_slugs_taken for one base: what the trigger on tags runs for each
 * row a direct INSERT writes, where the start-up of the plan for an array
 * cost more than the scans
 */
static const TagsStatement stmt_slugs_of_base = {
	"slugs_of_base",
	"SELECT $1 AS base, t.slug FROM @tags@ t"
	" WHERE @tenant:t@ t.slug OPERATOR(pg_catalog.>=) $1"
	"   AND t.slug OPERATOR(pg_catalog.<) ($1 OPERATOR(pg_catalog.||) '.')"
	"   AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.<>) $2)"
	" UNION ALL"
	" SELECT $1, a.slug FROM @aliases@ a"
	" WHERE @tenant:a@ a.slug OPERATOR(pg_catalog.>=) $1"
	"   AND a.slug OPERATOR(pg_catalog.<) ($1 OPERATOR(pg_catalog.||) '.')"
	"   AND ($2 IS NULL OR a.tag_id OPERATOR(pg_catalog.<>) $2)",
	2, {TEXTOID, INT4OID}, CURSOR_OPT_GENERIC_PLAN, SPI_OK_SELECT,
	/* at version 1.0 */
	"SELECT $1 AS base, t.slug FROM @extschema@.tags t"
	" WHERE t.slug OPERATOR(pg_catalog.>=) $1"
	"   AND t.slug OPERATOR(pg_catalog.<) ($1 OPERATOR(pg_catalog.||) '.')"
	"   AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.<>) $2)"
};

/*
 * Give each of count entries, sorted by base slug, the first free slug among
 * base, base-2, base-3 ...: free of every tag of target's vocabulary (of
 * the call's tenant), and of the slugs given to the entries before it.  entry->slug holds the base on entry, the slug on
 * return.  A tag with id own_id (if has_own_id) does not hold its own slug.
 *
 * The taken slugs are read in one statement, in a snapshot taken after the
 * roots' locks (lock_slug_roots(); direct as there), even under REPEATABLE
 * READ: see doc/concurrency.md.  The caller must be connected to SPI.
 */
void
tags_assign_slugs(const TagsTarget *target, TagEntry **entries, int count,
				  bool direct, bool has_own_id, int32 own_id)
{
	uint32		tenant = tenant_key(target, target->vocab.tags);
	const char **bases = palloc(count * sizeof(char *));
	int		   *group_start = palloc((count + 1) * sizeof(int));
	int32	   *keys = palloc(count * sizeof(int32));
	int			ngroups = 0;
	Datum		params[2];
	uint64		nrows;
	TakenSlug  *taken;
	int			ntaken = 0;
	int			next = 0;
	HASHCTL		ctl;
	HTAB	   *given;
	uint64		row;
	int			g;
	int			i;

	for (i = 0; i < count; i++)
	{
		if (ngroups > 0 && strcmp(entries[i]->slug, bases[ngroups - 1]) == 0)
			continue;
		bases[ngroups] = entries[i]->slug;
		keys[ngroups] = slug_lock_key(tenant, entries[i]->slug);
		group_start[ngroups++] = i;
	}
	group_start[ngroups] = count;

	/*
	 * A global vocabulary's new tags wait for every write of its targets
	 * in flight, and keep new ones out (tags_lock_writes()): Citus locks
	 * its reference table, then the shards of every table with a foreign
	 * key to it, for a write of tags, and the other way round for a write
	 * of associations, which would deadlock
	 */
	lock_slug_roots(target->vocab.tags, tenant, keys, ngroups,
					direct || target->vocab.global);

	/* $1 the bases (or the one base), $2 the tag whose slugs are its own */
	params[0] = ngroups == 1 ? CStringGetTextDatum(bases[0]) :
		tags_text_array(bases, ngroups);
	params[1] = Int32GetDatum(own_id);
	nrows = tags_vocabulary_execute(target,
									ngroups == 1 ? &stmt_slugs_of_base :
									&stmt_slugs_taken,
									params, has_own_id ? "  " : " n", true,
									false, 0);

	taken = palloc((nrows + 1) * sizeof(TakenSlug));
	for (row = 0; row < nrows; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		char	   *base = SPI_getvalue(tuple, SPI_tuptable->tupdesc, 1);
		char	   *slug = SPI_getvalue(tuple, SPI_tuptable->tupdesc, 2);
		const char **found = bsearch(&base, bases, ngroups, sizeof(char *),
									 compare_cstring_ptr);
		uint64		n = slug_number(base, slug);

		if (found == NULL)
			elog(ERROR, "base slug \"%s\" was not asked for", base);
		if (n == 0)
			continue;
		taken[ntaken].group = found - bases;
		taken[ntaken].n = n;
		ntaken++;
	}
	qsort(taken, ntaken, sizeof(TakenSlug), compare_taken);

	/* the slugs given so far in this call ("cafe-2" to "café", say) */
	ctl.keysize = TAGS_SLUG_MAX_BYTES;
	ctl.entrysize = TAGS_SLUG_MAX_BYTES;
	ctl.hcxt = CurrentMemoryContext;
	given = hash_create("tags given slugs", count, &ctl,
						HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	/* walk each base's entries and its taken numbers side by side */
	for (g = 0; g < ngroups; g++)
	{
		uint64		candidate = 1;

		for (i = group_start[g]; i < group_start[g + 1]; i++)
		{
			char	   *slug;
			bool		clash;

			CHECK_FOR_INTERRUPTS();
			do
			{
				while (next < ntaken && (taken[next].group < g ||
										 (taken[next].group == g &&
										  taken[next].n <= candidate)))
				{
					if (taken[next].group == g && taken[next].n == candidate)
						candidate++;
					next++;
				}
				slug = candidate == 1 ? pstrdup(bases[g]) :
					psprintf("%s-" UINT64_FORMAT, bases[g], candidate);
				hash_search(given, slug, HASH_ENTER, &clash);
				candidate++;
			} while (clash);
			entries[i]->slug = slug;
		}
	}
}
