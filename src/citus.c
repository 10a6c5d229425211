/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  Everything the extension knows of Citus, in one place: how Citus
 *	  holds a table, distributing a target's tables with it, telling the
 *	  workers, and which shard of a table a worker holds.
 *
 * tags does not link to Citus and builds without it.  What it asks Citus
 * is asked in SQL, of Citus' catalog tables and functions in pg_catalog
 * (pg_dist_partition, pg_dist_shard, create_distributed_table(),
 * shard_name()), only once the citus extension is found in the database;
 * the one thing SQL cannot do, sending a statement to the workers within
 * the transaction (so that it commits or aborts with it, as Citus sends its
 * own metadata), is Citus' function SendCommandToWorkersWithMetadata(),
 * looked up in citus.so when it is first needed.
 *
 * A tenant target distributed by its tenant column (doc/citus.md) has its
 * association tables, counters and tenant vocabulary distributed by their
 * tenant column, colocated with it.  On the coordinator the statements of
 * a call name those tables and the tenant, and Citus' router sends each to
 * the one shard group that holds the tenant.  A trigger on such a table
 * fires on a worker, on a shard: there the target is found through the
 * shard's table, and its statements are made for the shards of the same
 * group on that node, so that they run there, on local tables, as on a
 * single server (targets.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "tags.h"

/* Citus' function that sends a statement to the workers in the transaction */
typedef void (*SendToWorkersFunc) (const char *command);

static SendToWorkersFunc send_to_workers = NULL;

static int64 shard_id_of(const char *relname);

/*
 * Whether the citus extension is in the database (then the coordinator's
 * or a worker's catalog has pg_dist_partition and pg_dist_shard)
 */
bool
tags_citus_installed(void)
{
	return OidIsValid(get_extension_oid("citus", true));
}

/* Whether this node is Citus' coordinator */
static const TagsStatement stmt_citus_is_coordinator = {
	"citus_is_coordinator",
	"SELECT pg_catalog.citus_is_coordinator()",
	0, {InvalidOid}, 0, SPI_OK_SELECT
};

/*
 * Whether this node is a worker of a Citus cluster: Citus is installed,
 * and the node is not the coordinator.  Runs in SPI.
 */
bool
tags_citus_on_worker(void)
{
	bool		isnull;

	if (!tags_citus_installed() ||
		tags_execute(&stmt_citus_is_coordinator, NULL, NULL, true, 0) != 1)
		return false;
	return !DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * How Citus holds table $1: its distribution method ('h' hash, 'n' none:
 * a reference or Citus-local table), its replication model ('t' for a
 * reference table) and its distribution column's name, or no row
 */
static const TagsStatement stmt_citus_table = {
	"citus_table",
	"SELECT p.partmethod::pg_catalog.text, p.repmodel::pg_catalog.text,"
	"       CASE WHEN p.partkey IS NOT NULL"
	"            THEN pg_catalog.column_to_column_name(p.logicalrelid, p.partkey)"
	"       END"
	" FROM pg_catalog.pg_dist_partition p"
	" WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
	1, {OIDOID}, 0, SPI_OK_SELECT
};

/*
 * How Citus holds the table relid: TAGS_CITUS_NONE if Citus is not
 * installed or the table is not one of its tables, TAGS_CITUS_DISTRIBUTED
 * for a table distributed by hash (its distribution column's name in
 * *column), TAGS_CITUS_OTHER for any other (a reference table, a Citus
 * local table, a table distributed with no column).  Runs in SPI.
 */
TagsCitusKind
tags_citus_table_kind(Oid relid, char **column)
{
	Datum		param = ObjectIdGetDatum(relid);
	bool		isnull;
	char	   *method;
	Datum		name;

	if (column != NULL)
		*column = NULL;
	if (!tags_citus_installed())
		return TAGS_CITUS_NONE;
	if (tags_execute(&stmt_citus_table, &param, NULL, true, 0) == 0)
		return TAGS_CITUS_NONE;
	method = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1,
											   &isnull));
	name = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3,
						 &isnull);
	if (strcmp(method, "h") != 0 || isnull)
		return TAGS_CITUS_OTHER;
	if (column != NULL)
		*column = TextDatumGetCString(name);
	return TAGS_CITUS_DISTRIBUTED;
}

/*
 * Set Citus up for distributing a target's tables, until the caller's
 * AtEOXact_GUC().  Let it take tables with triggers, and triggers on its
 * tables: the triggers are ours, and fire on the workers' shards as they
 * are meant to (citus.enable_unsafe_triggers, without which Citus refuses
 * both).  For a target distributed by its key (by_key), let it also run
 * the commands on shards one connection a node
 * (citus.multi_shard_modify_mode): a foreign key to a reference table,
 * added once a table is distributed, cannot follow commands run over
 * several connections in the transaction.
 */
void
tags_citus_prepare_setup(bool by_key)
{
	(void) set_config_option("citus.enable_unsafe_triggers", "on",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	if (by_key)
		tags_citus_sequential();
}

/*
 * Let Citus run the commands on shards one connection a node, until the
 * caller's AtEOXact_GUC() (citus.multi_shard_modify_mode): a write to a
 * reference table that a distributed table has a foreign key to (a global
 * vocabulary) cannot follow, or be followed by, commands on that table's
 * shards run over several connections in the transaction.  Not when Citus
 * is not loaded.
 */
void
tags_citus_sequential(void)
{
	if (GetConfigOption("citus.multi_shard_modify_mode", true, false) != NULL)
		(void) set_config_option("citus.multi_shard_modify_mode", "sequential",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
}

/*
 * Whether Citus plans a query of one distributed table, filtered on its
 * distribution column, on its fast path (the setting
 * citus.enable_fast_path_router_planner, on unless a user turned it off),
 * where a generic plan finds its shard when it runs: the plan of a
 * statement made while it is off must be custom, as Citus' router plans
 * for the parameters' values.  Read when a plan is made: a generic plan
 * made before the setting was turned off is kept and runs.
 */
bool
tags_citus_fast_path(void)
{
	const char *on = GetConfigOption("citus.enable_fast_path_router_planner",
									 true, false);

	return on != NULL && strcmp(on, "on") == 0;
}

/* The tables distributed by hash */
static const TagsStatement stmt_citus_distributed_tables = {
	"citus_distributed_tables",
	"SELECT p.logicalrelid::pg_catalog.oid FROM pg_catalog.pg_dist_partition p"
	" WHERE p.partmethod OPERATOR(pg_catalog.=) 'h'",
	0, {InvalidOid}, 0, SPI_OK_SELECT
};

/*
 * The tables Citus distributes by hash, as an array allocated in cxt,
 * sorted; *count is set (0 without Citus).  Runs in SPI.
 */
Oid *
tags_citus_distributed_tables(MemoryContext cxt, int *count)
{
	Oid		   *oids;
	uint64		n;
	uint64		i;

	*count = 0;
	if (!tags_citus_installed())
		return NULL;
	n = tags_execute(&stmt_citus_distributed_tables, NULL, NULL, true, 0);
	oids = MemoryContextAlloc(cxt, (n + 1) * sizeof(Oid));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		oids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
												 SPI_tuptable->tupdesc, 1,
												 &isnull));
	}
	*count = (int) n;
	return oids;
}

/*
 * Distribute the table relid, which has no rows yet, by its column
 * column, colocated with the table colocate_with (its qualified name):
 * Citus makes its shards on the workers, with its foreign keys and
 * triggers (the caller allows them: tags_citus_prepare_setup()).  Runs in
 * SPI.
 */
void
tags_citus_distribute(Oid relid, const char *column,
					  const char *colocate_with)
{
	Oid			argtypes[3] = {OIDOID, TEXTOID, TEXTOID};
	Datum		values[3];
	int			rc;

	/* $1 the table, $2 its column, $3 the table it is colocated with */
	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(column);
	values[2] = CStringGetTextDatum(colocate_with);
	rc = SPI_execute_with_args("SELECT pg_catalog.create_distributed_table("
							   " $1::pg_catalog.regclass, $2,"
							   " colocate_with => $3)",
							   3, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args returned %s for create_distributed_table",
			 SPI_result_code_string(rc));
}

/*
 * Make the table relid, which has no rows yet, a reference table: Citus
 * copies it to every node, and sends each write to every copy.  Runs in
 * SPI.
 */
void
tags_citus_reference(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	int			rc;

	/* $1 the table */
	values[0] = ObjectIdGetDatum(relid);
	rc = SPI_execute_with_args("SELECT pg_catalog.create_reference_table("
							   " $1::pg_catalog.regclass)",
							   1, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args returned %s for create_reference_table",
			 SPI_result_code_string(rc));
}

/*
 * Run the statement sql, which names every table and value it uses by
 * itself, on every worker that has Citus' metadata, in the transaction:
 * it commits or aborts with it.  What a target's registration is sent
 * with: a trigger that fires on a worker's shard finds its target in the
 * worker's registry, whose rows name tables by name, which each node reads
 * as its own oids.
 */
void
tags_citus_run_on_workers(const char *sql)
{
	if (send_to_workers == NULL)
		send_to_workers = (SendToWorkersFunc)
			load_external_function("citus", "SendCommandToWorkersWithMetadata",
								   true, NULL);
	send_to_workers(sql);
}

/*
 * In a statement on pg_dist_shard x: the name of shard x, unquoted, without
 * its schema (shard_name() quotes it, and may qualify it)
 */
#define SHARD_NAME(x) \
	"(SELECT n[pg_catalog.array_upper(n, 1)]" \
	"  FROM pg_catalog.parse_ident(pg_catalog.shard_name(" x ".logicalrelid," \
	"                                                    " x ".shardid)) AS n)"

/*
 * The table the shard $1 (its shard id), named $2, is a shard of, if it is
 * one
 */
static const TagsStatement stmt_citus_shard_of = {
	"citus_shard_of",
	"SELECT s.logicalrelid::pg_catalog.oid"
	" FROM pg_catalog.pg_dist_shard s"
	" WHERE s.shardid OPERATOR(pg_catalog.=) $1"
	"   AND " SHARD_NAME("s") " OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, TEXTOID}, 0, SPI_OK_SELECT
};

/*
 * The shard id a relation's name ends with, "<table>_<shard id>" as Citus
 * names a shard; 0 if it ends with none
 */
static int64
shard_id_of(const char *relname)
{
	const char *suffix = strrchr(relname, '_');
	char	   *end;
	int64		shardid;

	if (suffix == NULL || suffix[1] == '\0')
		return 0;
	errno = 0;
	shardid = strtoll(suffix + 1, &end, 10);
	return errno == 0 && *end == '\0' && shardid > 0 ? shardid : 0;
}

/*
 * The table relid is a shard of: Citus names a shard after its table,
 * "<table>_<shard id>", in the table's schema.  InvalidOid if relid is no
 * shard of a table of Citus'.  Runs in SPI.
 */
Oid
tags_citus_table_of_shard(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	int64		shardid = relname != NULL ? shard_id_of(relname) : 0;
	Datum		params[2];
	bool		isnull;
	Oid			table;

	if (shardid <= 0 || !tags_citus_installed())
		return InvalidOid;
	/* $1 shard id, $2 the shard's name */
	params[0] = Int64GetDatum(shardid);
	params[1] = CStringGetTextDatum(relname);
	if (tags_execute(&stmt_citus_shard_of, params, NULL, true, 0) == 0)
		return InvalidOid;
	table = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull));
	/* a table of that name in another schema is not the shard */
	return get_rel_namespace(relid) == get_rel_namespace(table) ?
		table : InvalidOid;
}

/*
 * The shard of table $2 that is colocated with the shard $1 of another
 * table (the one of the same hash range, or the one shard of a table
 * with one), or the one shard of a reference table $2, by its name
 */
static const TagsStatement stmt_citus_colocated_shard = {
	"citus_colocated_shard",
	"SELECT " SHARD_NAME("o")
	" FROM pg_catalog.pg_dist_shard s"
	" JOIN pg_catalog.pg_dist_shard o"
	"   ON o.logicalrelid OPERATOR(pg_catalog.=) $2::pg_catalog.regclass"
	"  AND (o.shardminvalue IS NOT DISTINCT FROM s.shardminvalue"
	"       OR o.shardminvalue IS NULL)"
	" WHERE s.shardid OPERATOR(pg_catalog.=) $1",
	2, {INT8OID, OIDOID}, 0, SPI_OK_SELECT
};

/*
 * The shard on this node of table relid that is colocated with the shard
 * shard (of another table of the same colocation group), or the copy of a
 * reference table relid on this node; InvalidOid if this node has none
 * (or shard is no relation).  Runs in SPI.
 */
Oid
tags_citus_colocated_shard(Oid shard, Oid relid)
{
	char	   *shard_name = get_rel_name(shard);
	Datum		params[2];
	bool		isnull;
	char	   *name;

	if (shard_name == NULL)
		return InvalidOid;
	/* $1 the shard's id, $2 the other table */
	params[0] = Int64GetDatum(shard_id_of(shard_name));
	params[1] = ObjectIdGetDatum(relid);
	if (tags_execute(&stmt_citus_colocated_shard, params, NULL, true, 0) == 0)
		return InvalidOid;
	name = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1,
											 &isnull));
	/* a shard is in its table's schema */
	return get_relname_relid(name, get_rel_namespace(relid));
}

/*
 * The sequence of the identity column id of the tags table relid: what
 * the coordinator draws a new tag's id from on Citus, which serves the
 * sequence of an integer column on the coordinator alone.  PostgreSQL 17
 * takes the relation rather than its oid.
 */
Oid
tags_identity_sequence(Oid relid)
{
	AttrNumber	att = get_attnum(relid, "id");
#if PG_VERSION_NUM >= 170000
	Relation	rel = relation_open(relid, AccessShareLock);
	Oid			seq = getIdentitySequence(rel, att, false);

	relation_close(rel, AccessShareLock);
	return seq;
#else
	return getIdentitySequence(relid, att, false);
#endif
}
