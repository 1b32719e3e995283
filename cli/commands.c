/*
 * commands.c -- the commands of the tenancy command and how each maps onto
 * one SQL function: its arguments (positional and --options, in the
 * function's parameter order), the SQL call built from them, how the result
 * is printed, and the exit code (README "The tenancy command").
 *
 * Must not: interpret migrations or tenants beyond reading the status word
 * of fan-out rows for the exit code; the extension decides everything.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef enum arg_kind
{
	A_END = 0,
	A_POS,	   /* required positional */
	A_POS_OPT, /* optional positional */
	A_OPT,	   /* --name VALUE */
	A_FLAG	   /* --name: passes flag_value */
} arg_kind;

typedef struct cmd_arg
{
	arg_kind	kind;
	const char *name;	 /* "TARGET" or "--concurrency" */
	const char *metavar; /* A_OPT: "N" */
	cli_ptype	type;
	const char *flag_value; /* A_FLAG */
	const char *help;
} cmd_arg;

typedef struct command
{
	const char			*name;
	const char			*function; /* SQL function */
	const tn_result_def *def;	   /* table-valued: its columns; NULL: scalar */
	int					 number;   /* scalar result is a number */
	const char			*sentence; /* scalar: what is printed (one %s) */
	int					 fanout;   /* *-all: progress and cancel by tenant */
	const char			*summary;
	cmd_arg				 args[6];
} command;

#define TARGET_ARG(what)                                  \
	{                                                     \
		A_POS_OPT, "TARGET", NULL, CLI_P_TEXT, NULL, what \
	}
#define CONCURRENCY_ARG                                                                             \
	{                                                                                               \
		A_OPT, "--concurrency", "N", CLI_P_INT, NULL,                                               \
			"tenants worked on at once (default: SQLite 4, PostgreSQL min(8, max_connections / 4))" \
	}

static const command commands[] = {
	{ "load", "tenant_migrations_load_files", NULL, 1, "%s migrations added or changed\n", 0, "read a migration folder on this machine and send it to the database (the folder rules are applied there)", { { A_POS, "DIR", NULL, CLI_P_TEXT, NULL, "the migration folder (Flyway, golang-migrate, dbmate, dialect subfolders)" }, { A_FLAG, "--tenants", NULL, CLI_P_TEXT, "tenants", "load into the registry's tenant set (scope 'tenants') instead of this database's catalog" } } },
	{ "migrate", "tenant_migrate", NULL, 1, "%s migrations applied\n", 0, "apply every pending migration up to TARGET in one batch", { TARGET_ARG("newest version to apply (default: the newest)"), { A_FLAG, "--allow-out-of-order", NULL, CLI_P_BOOL, "true", "also apply pending versions older than the newest applied one" } } },
	{ "plan", "tenant_plan", &tn_def_plan, 0, NULL, 0, "what migrate would run, in order; changes nothing", { TARGET_ARG("newest version to plan for (default: the newest)") } },
	{ "dry-run", "tenant_dry_run", &tn_def_dry_run, 0, NULL, 0, "apply the pending migrations, report each, and roll everything back", { TARGET_ARG("newest version to try (default: the newest)") } },
	{ "status", "tenant_status", &tn_def_status, 0, NULL, 0, "one row per version known to the catalog or applied", { { A_END } } },
	{ "history", "tenant_history", &tn_def_history, 0, NULL, 0, "every action recorded, oldest first", { { A_END } } },
	{ "verify", "tenant_verify", &tn_def_verify, 0, NULL, 0, "only the problems: drifted, missing, out_of_order (exit code 1 when there are any)", { { A_END } } },
	{ "repair", "tenant_repair", NULL, 0, "repaired version %s\n", 0, "accept the catalog's current checksum for a drifted migration", { { A_POS, "VERSION", NULL, CLI_P_TEXT, NULL, "the drifted version" } } },
	{ "baseline", "tenant_baseline", NULL, 1, "%s migrations marked as applied\n", 0, "mark every catalog version up to VERSION as applied without running it", { { A_POS, "VERSION", NULL, CLI_P_TEXT, NULL, "the newest version the database already has" } } },
	{ "checkpoint", "tenant_checkpoint", NULL, 0, "checkpoint %s recorded\n", 0, "record a named checkpoint", { { A_POS_OPT, "NAME", NULL, CLI_P_TEXT, NULL, "checkpoint name (default: checkpoint_<UTC timestamp>)" }, { A_OPT, "--mode", "MODE", CLI_P_TEXT, NULL, "'marker' (default) or 'snapshot' (SQLite: also keep a full copy)" } } },
	{ "checkpoints", "tenant_checkpoints", &tn_def_checkpoints, 0, NULL, 0, "every checkpoint", { { A_END } } },
	{ "rollback", "tenant_rollback", NULL, 1, "%s migrations rolled back\n", 0, "undo every version applied after a checkpoint", { { A_POS_OPT, "CHECKPOINT", NULL, CLI_P_TEXT, NULL, "checkpoint to go back to (default: the newest automatic one, i.e. the last batch)" } } },
	{ "restore", "tenant_restore", NULL, 1, "%s migrations undone by the restore\n", 0, "bring back the data a snapshot checkpoint kept, even where downs exist (SQLite)", { { A_POS, "CHECKPOINT", NULL, CLI_P_TEXT, NULL, "a checkpoint taken with --mode snapshot" } } },
	{ "tenants", "tenants", &tn_def_tenants, 0, NULL, 0, "the registry's tenants with their state", { { A_END } } },
	{ "create", "tenant_create", NULL, 0, "tenant %s created\n", 0, "create a tenant from the template, at the newest version of the tenant set", { { A_POS, "NAME", NULL, CLI_P_TEXT, NULL, "tenant name (^[a-z][a-z0-9_]{0,62}$)" }, { A_OPT, "--location", "LOCATION", CLI_P_TEXT, NULL, "SQLite: file path relative to the registry (default NAME.db); PostgreSQL: libpq connection string without a password" }, { A_OPT, "--kind", "KIND", CLI_P_TEXT, NULL, "SQLite: 'file'; PostgreSQL: 'database' (default) or 'schema'" } } },
	{ "register", "tenant_register", NULL, 0, "tenant %s registered\n", 0, "adopt an existing database, file or schema as a tenant", { { A_POS, "NAME", NULL, CLI_P_TEXT, NULL, "tenant name" }, { A_POS, "LOCATION", NULL, CLI_P_TEXT, NULL, "where it is (as for create --location)" }, { A_OPT, "--kind", "KIND", CLI_P_TEXT, NULL, "as for create" } } },
	{ "drop", "tenant_drop", NULL, 0, "tenant %s dropped\n", 0, "unregister a tenant", { { A_POS, "NAME", NULL, CLI_P_TEXT, NULL, "tenant name" }, { A_OPT, "--mode", "MODE", CLI_P_TEXT, NULL, "'keep' (default: only unregister) or 'delete' (also remove the file, database or schema)" } } },
	{ "migrate-all", "tenant_migrate_all", &tn_def_migrate_all, 0, NULL, 1, "migrate every tenant; a failed tenant is rolled back and the others go on (exit code 1 when any failed)", { TARGET_ARG("newest version to apply (default: the newest of the tenant set)"), CONCURRENCY_ARG, { A_OPT, "--max-failures", "N", CLI_P_INT, NULL, "start no new tenant after N failed or unreachable ones (default: no limit)" } } },
	{ "migrate-all-atomic", "tenant_migrate_all_atomic", &tn_def_migrate_all_atomic, 0, NULL, 1, "migrate every tenant, all or none", { TARGET_ARG("newest version to apply (default: the newest of the tenant set)"), CONCURRENCY_ARG } },
	{ "dry-run-all", "tenant_dry_run_all", &tn_def_dry_run_all, 0, NULL, 1, "what migrate-all would do in each tenant; nothing changes anywhere", { TARGET_ARG("newest version to try (default: the newest of the tenant set)"), CONCURRENCY_ARG } },
	{ "verify-all", "tenant_verify_all", &tn_def_verify_all, 0, NULL, 1, "check every tenant's checksums against its catalog and the tenant set (exit code 1 on problems)", { CONCURRENCY_ARG } },
	{ "query-all", "tenant_query_all", &tn_def_query_all, 0, NULL, 1, "run one read-only statement in every tenant; each row as JSON", { { A_POS, "SQL", NULL, CLI_P_TEXT, NULL, "exactly one read-only statement" }, CONCURRENCY_ARG } },
	{ "runs", "tenant_runs", &tn_def_runs, 0, NULL, 0, "every fan-out run", { { A_END } } },
};

#define NCOMMANDS ((int) (sizeof(commands) / sizeof(commands[0])))

static const command *
find_command(const char *name)
{
	for (int i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
nargs_of(const command *cmd)
{
	int n = 0;

	while (n < 6 && cmd->args[n].kind != A_END)
		n++;
	return n;
}

static void
usage_line(FILE *f, const command *cmd)
{
	fprintf(f, "usage: tenancy %s", cmd->name);
	for (int i = 0; i < nargs_of(cmd); i++)
	{
		const cmd_arg *a = &cmd->args[i];

		if (a->kind == A_POS)
			fprintf(f, " %s", a->name);
		else if (a->kind == A_POS_OPT)
			fprintf(f, " [%s]", a->name);
		else if (a->kind == A_OPT)
			fprintf(f, " [%s %s]", a->name, a->metavar);
		else
			fprintf(f, " [%s]", a->name);
	}
	fprintf(f, " [-d URL] [--json]\n");
}

static void
command_help(const command *cmd)
{
	usage_line(stdout, cmd);
	printf("\n%c%s.\n", cmd->summary[0] - 'a' + 'A', cmd->summary + 1);
	printf("SQL: %s%s(", cmd->def != NULL ? "SELECT * FROM " : "SELECT ", cmd->function);
	if (strcmp(cmd->name, "load") == 0)
		printf("names, bodies [, scope]");
	else
		for (int i = 0, first = 1; i < nargs_of(cmd); i++, first = 0)
		{
			const char *n = cmd->args[i].name;

			while (*n == '-')
				n++;
			printf("%s", first ? "" : ", ");
			for (; *n; n++)
				putchar(*n == '-' ? '_' : (*n >= 'A' && *n <= 'Z') ? *n - 'A' + 'a'
																   : *n);
		}
	printf(")\n\narguments:\n");
	for (int i = 0; i < nargs_of(cmd); i++)
	{
		const cmd_arg *a = &cmd->args[i];
		char		   left[64];

		snprintf(left, sizeof(left), "%s%s%s", a->name, a->kind == A_OPT ? " " : "",
				 a->kind == A_OPT ? a->metavar : "");
		printf("  %-24s %s\n", left, a->help);
	}
	printf("  %-24s %s\n", "-d URL", "the database (default: TENANCY_DATABASE_URL, DATABASE_URL, sqlite:tenancy.db)");
	printf("  %-24s %s\n", "--json", "print one JSON document instead of a table");
}

void
cli_print_commands(void)
{
	printf("usage: tenancy [-d URL] [--json] COMMAND [ARGS]\n\n"
		   "The database is -d URL, else TENANCY_DATABASE_URL, else DATABASE_URL, else sqlite:tenancy.db.\n"
		   "URLs: postgres://..., postgresql://..., libpq key=value, sqlite:PATH, or a file path.\n\n"
		   "commands (each is one SQL function; tenancy COMMAND --help):\n");
	printf("  %-19s %s\n", "new", "write the next migration file(s) in the folder's style");
	for (int i = 0; i < NCOMMANDS; i++)
		printf("  %-19s %s\n", commands[i].name, commands[i].summary);
	printf("\nexit codes: 0 done, 1 some tenants failed or problems were found, 2 usage,\n"
		   "3 cannot connect, 4 refused (the database raised an error), 130 interrupted\n");
}

static int
usage_error(const command *cmd, const char *fmt, const char *what)
{
	fprintf(stderr, "tenancy %s: ", cmd->name);
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	usage_line(stderr, cmd);
	return CLI_EXIT_USAGE;
}

static int
is_integer_text(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Exit code of a finished call: 1 when its rows report failures. */
static int
result_exit_code(const command *cmd, const cli_result *r, int tenant_errors)
{
	int status_col = -1;

	if (strcmp(cmd->name, "verify") == 0)
		return r->nrows > 0 ? CLI_EXIT_FAILURES : CLI_EXIT_OK;
	if (strcmp(cmd->name, "query-all") == 0)
	{
		for (size_t i = 0; i < r->nrows; i++)
		{
			const char *row = r->cells[i * r->ncols + 1];

			if (row != NULL && strncmp(row, "{\"error\"", 8) == 0)
				return CLI_EXIT_FAILURES;
		}
		return tenant_errors > 0 ? CLI_EXIT_FAILURES : CLI_EXIT_OK;
	}
	if (!cmd->fanout)
		return CLI_EXIT_OK;
	for (int c = 0; c < r->ncols; c++)
		if (strcmp(r->colnames[c], "status") == 0)
			status_col = c;
	for (size_t i = 0; status_col >= 0 && i < r->nrows; i++)
	{
		const char *s = r->cells[i * r->ncols + status_col];

		if (s != NULL && (strcmp(s, "failed") == 0 || strcmp(s, "unreachable") == 0 ||
						  strcmp(s, "skipped") == 0 || strcmp(s, "rolled_back") == 0 ||
						  strcmp(s, "problems") == 0))
			return CLI_EXIT_FAILURES;
	}
	return CLI_EXIT_OK;
}

/* A hint for the common first mistakes: no extension, an old extension. */
static void
add_missing_function_hint(cli_result *r, const command *cmd)
{
	if (strcmp(r->err.sqlstate, "42883") != 0 && strstr(r->err.message, "no such function") == NULL &&
		strstr(r->err.message, "no such table") == NULL)
		return;
	if (strstr(r->err.message, cmd->function) == NULL)
		return;
	free(r->err.hint);
	r->err.hint = strdup(strcmp(cmd->name, "load") == 0
							 ? "The database's tenancy extension lacks tenant_migrations_load_files: update it (ALTER EXTENSION tenancy UPDATE)."
							 : "Is the tenancy extension installed in this database? (CREATE EXTENSION tenancy)");
}

/* Build the array argument of tenant_migrations_load_files: text[] on PostgreSQL, a JSON array on SQLite. */
static char *
array_literal(const cli_conn *conn, char **items, size_t n)
{
	tn_buf b = { 0 };

	tn_buf_append(&b, conn->engine == CLI_POSTGRES ? "{" : "[", 1);
	for (size_t i = 0; i < n; i++)
	{
		if (i > 0)
			tn_buf_append(&b, ",", 1);
		if (conn->engine == CLI_POSTGRES)
		{
			tn_buf_append(&b, "\"", 1);
			for (const char *p = items[i]; *p; p++)
			{
				if (*p == '"' || *p == '\\')
					tn_buf_append(&b, "\\", 1);
				tn_buf_append(&b, p, 1);
			}
			tn_buf_append(&b, "\"", 1);
		}
		else
			cli_json_string(&b, items[i]);
	}
	if (tn_buf_append(&b, conn->engine == CLI_POSTGRES ? "}" : "]", 1) != TN_OK)
	{
		tn_buf_free(&b);
		return NULL;
	}
	return b.data;
}

static int
open_database(const char *database, int json, cli_conn **out)
{
	cli_target	t;
	cli_result	err;
	const char *why = NULL;

	if (cli_resolve_target(database, &t, &why) != 0)
	{
		fprintf(stderr, "tenancy: %s\n", why);
		return CLI_EXIT_USAGE;
	}
	*out = cli_open(&t, &err);
	cli_target_free(&t);
	if (*out == NULL)
	{
		cli_print_error(&err.err, json);
		cli_result_free(&err);
		return CLI_EXIT_CONNECT;
	}
	return CLI_EXIT_OK;
}

int
cli_run_command(int argc, char **argv, const char *database, int json)
{
	const command *cmd;
	const char	  *values[6] = { NULL };
	int			   npos = 0;
	int			   n,
		last = -1,
		code;
	cli_param  params[6];
	cli_conn  *conn = NULL;
	cli_result r;
	tn_buf	   sql = { 0 };
	cli_files  files = { 0 };
	char	  *arrays[2] = { NULL, NULL };

	if (argc < 1)
	{
		cli_print_commands();
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[0], "new") == 0)
		return cli_new(argc, argv, json);
	if ((cmd = find_command(argv[0])) == NULL)
	{
		fprintf(stderr, "tenancy: unknown command \"%s\"\n", argv[0]);
		fprintf(stderr, "Run \"tenancy --help\" for the list of commands.\n");
		return CLI_EXIT_USAGE;
	}
	n = nargs_of(cmd);
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		int			matched = 0;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			command_help(cmd);
			return CLI_EXIT_OK;
		}
		if (strcmp(a, "--json") == 0)
		{
			json = 1;
			continue;
		}
		if (strcmp(a, "-d") == 0 || strcmp(a, "--database") == 0)
		{
			if (i + 1 >= argc)
				return usage_error(cmd, "option %s needs a value", a);
			database = argv[++i];
			continue;
		}
		if (strncmp(a, "--database=", 11) == 0)
		{
			database = a + 11;
			continue;
		}
		if (a[0] == '-' && a[1] == '-')
		{
			for (int k = 0; k < n && !matched; k++)
			{
				const cmd_arg *spec = &cmd->args[k];
				size_t		   len = strlen(spec->name);

				if (spec->kind == A_FLAG && strcmp(a, spec->name) == 0)
				{
					values[k] = spec->flag_value;
					matched = 1;
				}
				else if (spec->kind == A_OPT && strncmp(a, spec->name, len) == 0 &&
						 (a[len] == '\0' || a[len] == '='))
				{
					if (a[len] == '=')
						values[k] = a + len + 1;
					else if (i + 1 < argc)
						values[k] = argv[++i];
					else
						return usage_error(cmd, "option %s needs a value", spec->name);
					if (spec->type == CLI_P_INT && !is_integer_text(values[k]))
						return usage_error(cmd, "option %s needs an integer", spec->name);
					matched = 1;
				}
			}
			if (!matched)
				return usage_error(cmd, "unknown option \"%s\"", a);
			continue;
		}
		/* a positional argument: the next positional slot */
		for (int k = 0, seen = 0; k < n && !matched; k++)
			if (cmd->args[k].kind == A_POS || cmd->args[k].kind == A_POS_OPT)
			{
				if (seen++ == npos)
				{
					values[k] = a;
					matched = 1;
				}
			}
		if (!matched)
			return usage_error(cmd, "unexpected argument \"%s\"", a);
		npos++;
	}
	for (int k = 0; k < n; k++)
		if (cmd->args[k].kind == A_POS && values[k] == NULL)
			return usage_error(cmd, "missing argument %s", cmd->args[k].name);

	if ((code = open_database(database, json, &conn)) != CLI_EXIT_OK)
		return code;

	/* load: the folder is read here and sent as two arrays */
	if (strcmp(cmd->name, "load") == 0)
	{
		char msg[1024];

		if (cli_read_folder(values[0], &files, msg, sizeof(msg)) != 0)
		{
			cli_error e = { "58030", msg, NULL, NULL };

			cli_print_error(&e, json);
			conn->close(conn);
			return CLI_EXIT_REFUSED;
		}
		arrays[0] = array_literal(conn, files.names, files.count);
		arrays[1] = array_literal(conn, files.bodies, files.count);
		params[0] = (cli_param){ CLI_P_TEXT, arrays[0] };
		params[1] = (cli_param){ CLI_P_TEXT, arrays[1] };
		params[2] = (cli_param){ CLI_P_TEXT, values[1] };
		last = values[1] != NULL ? 2 : 1;
	}
	else
	{
		for (int k = 0; k < n; k++)
		{
			params[k].type = cmd->args[k].type;
			params[k].text = values[k];
			if (values[k] != NULL)
				last = k;
		}
	}
	tn_buf_printf(&sql, cmd->def != NULL ? "SELECT * FROM %s(" : "SELECT %s(", cmd->function);
	for (int k = 0; k <= last; k++)
	{
		char ph[16];

		cli_placeholder(conn, k + 1, ph, sizeof(ph));
		tn_buf_printf(&sql, "%s%s", k > 0 ? ", " : "", ph);
	}
	tn_buf_append(&sql, ")", 1);

	conn->fanout = cmd->fanout;
	if (cmd->fanout)
		conn->progress = cli_progress_start(cmd->name);
	cli_set_interruptible(conn);
	conn->query(conn, sql.data, last + 1, params, &r);
	cli_set_interruptible(NULL);
	cli_progress_end(conn->progress);
	conn->progress = NULL;

	if (!r.ok)
	{
		add_missing_function_hint(&r, cmd);
		cli_print_error(&r.err, json);
		code = cli_was_interrupted()												? CLI_EXIT_INTERRUPTED
			   : strcmp(r.err.sqlstate, "08006") == 0 && conn->engine == CLI_SQLITE ? CLI_EXIT_CONNECT
																					: CLI_EXIT_REFUSED;
	}
	else
	{
		if (cmd->def != NULL)
			cli_print_table(&r, cmd->def, json);
		else
			cli_print_scalar(&r, cmd->function, cmd->number, cmd->sentence, json);
		code = cli_was_interrupted() ? CLI_EXIT_INTERRUPTED : result_exit_code(cmd, &r, conn->tenant_errors);
	}
	cli_result_free(&r);
	tn_buf_free(&sql);
	free(arrays[0]);
	free(arrays[1]);
	cli_files_free(&files);
	conn->close(conn);
	return code;
}
