/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  The guard of the built-in tables: refuses the changes to the
 *	  extension's tables that a dump and restore would lose.
 *
 * pg_dump dumps the rows of the extension's tables and the privileges on
 * them, not their definition, so the event trigger tags_guard_builtin_tables
 * refuses (0A000) a column, index, constraint, trigger, policy, rule,
 * comment, storage parameter or owner given to them, or an index or
 * trigger of theirs dropped.  At ddl_command_end it reads the statement's
 * commands and finds the table each changes; at ddl_command_start it looks
 * up, by name, the index or trigger a DROP INDEX or DROP TRIGGER names,
 * which leaves no command to read.  Allowed: GRANT and REVOKE, ENABLE and
 * DISABLE TRIGGER, what brings a table back to its install state,
 * everything while the extension's scripts run, and objects of the
 * application's own that only refer to the tables.  It only reads the
 * catalogs, takes no locks of its own, and calls no other file.  See
 * doc/tables.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_trigger.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/deparse_utility.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(tags_guard_builtin_tables);

static void guard_commands(Oid extension);
static void guard_drop(DropStmt *stmt, CommandTag tag, Oid extension);
static void guard_relation(Oid relid, const char *command, Oid extension);
static bool allowed_subcommand(AlterTableType subtype);
static Oid	table_of_object(Oid classid, Oid objid);
static Oid	catalog_column_oid(Oid classid, Oid objid, AttrNumber oidcol,
							   AttrNumber column);

/*
 * The commands of the statement, one row each.  command is the
 * CollectedCommand itself (type pg_ddl_command), valid until the event
 * trigger returns.
 */
static const char guard_commands_sql[] =
"SELECT command FROM pg_catalog.pg_event_trigger_ddl_commands()";

/* The plan of guard_commands_sql, prepared once per backend */
static SPIPlanPtr guard_commands_plan = NULL;

/*
 * tags_guard_builtin_tables() returns event_trigger
 *
 * The event trigger of ddl_command_end (the statements that may change a
 * table) and of ddl_command_start (DROP INDEX, DROP TRIGGER): refuses, with
 * 0A000, a change to a table of this extension that a dump and restore
 * would not keep (see doc/tables.md for what is allowed).
 */
Datum
tags_guard_builtin_tables(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Oid			extension;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"tags_guard_builtin_tables\" was not called by the event trigger manager"));
	trigdata = (EventTriggerData *) fcinfo->context;

	/* the extension's own scripts make and change its tables */
	if (creating_extension)
		PG_RETURN_VOID();

	/* the tables guarded are the members of this function's extension */
	extension = getExtensionOfObject(ProcedureRelationId,
									 fcinfo->flinfo->fn_oid);
	if (!OidIsValid(extension))
		PG_RETURN_VOID();

	if (strcmp(trigdata->event, "ddl_command_end") == 0)
		guard_commands(extension);
	else if (strcmp(trigdata->event, "ddl_command_start") == 0 &&
			 IsA(trigdata->parsetree, DropStmt))
		guard_drop((DropStmt *) trigdata->parsetree, trigdata->tag,
				   extension);

	PG_RETURN_VOID();
}

/*
 * Refuse the statement if one of its commands changes a table of the
 * extension in a way a dump would not keep.
 *
 * The query string is:
 *	SELECT command FROM pg_catalog.pg_event_trigger_ddl_commands()
 */
static void
guard_commands(Oid extension)
{
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (guard_commands_plan == NULL || !SPI_plan_is_valid(guard_commands_plan))
	{
		SPIPlanPtr	plan = SPI_prepare(guard_commands_sql, 0, NULL);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 guard_commands_sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		if (guard_commands_plan != NULL)
			SPI_freeplan(guard_commands_plan);
		guard_commands_plan = plan;
	}

	rc = SPI_execute_plan(guard_commands_plan, NULL, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s",
			 guard_commands_sql, SPI_result_code_string(rc));

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d;
		CollectedCommand *cmd;
		const char *command;
		ListCell   *lc;

		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1,
						  &isnull);
		if (isnull)
			continue;
		cmd = (CollectedCommand *) DatumGetPointer(d);
		command = CreateCommandName(cmd->parsetree);

		switch (cmd->type)
		{
			case SCT_Simple:
				/* CREATE INDEX, CREATE TRIGGER, COMMENT, ALTER ... RENAME */
				guard_relation(table_of_object(cmd->d.simple.address.classId,
											   cmd->d.simple.address.objectId),
							   command, extension);
				break;

			case SCT_AlterTable:
				/* ALTER TABLE, ALTER INDEX: each subcommand on its own */
				foreach(lc, cmd->d.alterTable.subcmds)
				{
					CollectedATSubcmd *sub = lfirst(lc);
					AlterTableCmd *atcmd = (AlterTableCmd *) sub->parsetree;

					if (IsA(atcmd, AlterTableCmd) &&
						allowed_subcommand(atcmd->subtype))
						continue;
					guard_relation(table_of_object(cmd->d.alterTable.classId,
												   cmd->d.alterTable.objectId),
								   command, extension);
				}
				break;

			case SCT_Grant:
				/* privileges are dumped, the extension members' too */
				break;

			case SCT_AlterOpFamily:
			case SCT_AlterDefaultPrivileges:
			case SCT_CreateOpClass:
			case SCT_AlterTSConfig:
				/* not about a table */
				break;
		}
	}

	SPI_finish();
}

/*
 * Refuse DROP INDEX of an index of the extension's tables, and DROP
 * TRIGGER of a trigger on them that runs a function of the extension.  At
 * ddl_command_start the objects are looked up by name, as DROP will look
 * them up, without a lock: one that does not exist is DROP's to report.
 */
static void
guard_drop(DropStmt *stmt, CommandTag tag, Oid extension)
{
	ListCell   *lc;

	foreach(lc, stmt->objects)
	{
		List	   *names = castNode(List, lfirst(lc));
		Oid			relid;

		if (stmt->removeType == OBJECT_INDEX)
		{
			relid = RangeVarGetRelid(makeRangeVarFromNameList(names),
									 NoLock, true);
			if (OidIsValid(relid))
				guard_relation(table_of_object(RelationRelationId, relid),
							   GetCommandTagName(tag), extension);
		}
		else if (stmt->removeType == OBJECT_TRIGGER &&
				 list_length(names) >= 2)
		{
			List	   *relnames = list_copy_head(names,
												  list_length(names) - 1);
			Oid			trigger;
			Oid			function;

			relid = RangeVarGetRelid(makeRangeVarFromNameList(relnames),
									 NoLock, true);
			if (!OidIsValid(relid))
				continue;
			trigger = get_trigger_oid(relid, strVal(llast(names)), true);
			if (!OidIsValid(trigger))
				continue;
			function = catalog_column_oid(TriggerRelationId, trigger,
										  Anum_pg_trigger_oid,
										  Anum_pg_trigger_tgfoid);
			if (getExtensionOfObject(ProcedureRelationId, function) ==
				extension)
				guard_relation(relid, GetCommandTagName(tag), extension);
		}
	}
}

/*
 * Refuse a command that changes relid, if relid is a table or sequence of
 * the extension.  InvalidOid: the command changes no table.
 */
static void
guard_relation(Oid relid, const char *command, Oid extension)
{
	if (!OidIsValid(relid) ||
		getExtensionOfObject(RelationRelationId, relid) != extension)
		return;

	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			errmsg("%s \"%s\" of extension \"%s\" cannot be changed by %s",
				   get_rel_relkind(relid) == RELKIND_SEQUENCE ?
				   "sequence" : "table",
				   get_rel_name(relid), get_extension_name(extension),
				   command),
			errdetail("pg_dump dumps the rows of the extension's tables and the privileges on them, not their definition: a dump and restore would not keep this change."),
			errhint("Privileges may be granted and revoked. For columns, indexes, constraints, triggers or policies of your own, keep the rows in a table of the application's own and make it taggable with tags_enable()."));
}

/*
 * Whether a subcommand of ALTER TABLE may change a table of the extension:
 * it switches triggers on or off (a data-only restore with
 * --disable-triggers does; a restore enables them), or brings the table
 * back to its install state.
 */
static bool
allowed_subcommand(AlterTableType subtype)
{
	switch (subtype)
	{
		case AT_EnableTrig:
		case AT_EnableTrigAll:
		case AT_EnableTrigUser:
		case AT_DisableTrig:
		case AT_DisableTrigAll:
		case AT_DisableTrigUser:
		case AT_DisableRowSecurity:
		case AT_NoForceRowSecurity:
		case AT_ResetRelOptions:
			return true;
		default:
			return false;
	}
}

/*
 * The table that an object belongs to: a relation itself (an index: its
 * table), or the table of a trigger, constraint, policy, rule or
 * statistics object.  InvalidOid for any other object.
 */
static Oid
table_of_object(Oid classid, Oid objid)
{
	switch (classid)
	{
		case RelationRelationId:
			switch (get_rel_relkind(objid))
			{
				case RELKIND_INDEX:
				case RELKIND_PARTITIONED_INDEX:
					return IndexGetRelation(objid, true);
				default:
					return objid;
			}
		case TriggerRelationId:
			return catalog_column_oid(classid, objid, Anum_pg_trigger_oid,
									  Anum_pg_trigger_tgrelid);
		case ConstraintRelationId:
			return catalog_column_oid(classid, objid, Anum_pg_constraint_oid,
									  Anum_pg_constraint_conrelid);
		case PolicyRelationId:
			return catalog_column_oid(classid, objid, Anum_pg_policy_oid,
									  Anum_pg_policy_polrelid);
		case RewriteRelationId:
			return catalog_column_oid(classid, objid, Anum_pg_rewrite_oid,
									  Anum_pg_rewrite_ev_class);
		case StatisticExtRelationId:
			return catalog_column_oid(classid, objid,
									  Anum_pg_statistic_ext_oid,
									  Anum_pg_statistic_ext_stxrelid);
		default:
			return InvalidOid;
	}
}

/*
 * The oid in column of the row objid of catalog classid (whose oid column
 * is oidcol), or InvalidOid if there is no such row.
 */
static Oid
catalog_column_oid(Oid classid, Oid objid, AttrNumber oidcol,
				   AttrNumber column)
{
	Relation	catalog;
	HeapTuple	tuple;
	Oid			result = InvalidOid;

	catalog = table_open(classid, AccessShareLock);
	tuple = get_catalog_object_by_oid(catalog, oidcol, objid);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, column, RelationGetDescr(catalog),
									 &isnull);

		if (!isnull)
			result = DatumGetObjectId(d);
	}
	table_close(catalog, AccessShareLock);
	return result;
}
