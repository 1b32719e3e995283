/*
 * main.c -- the tenancy command's entry point: global options (-d URL,
 * --json, --help, --version), the command dispatch, and Ctrl-C: the first
 * SIGINT asks the running call to stop (PostgreSQL: a cancel request;
 * SQLite: no new tenant starts, or the statement is interrupted), a second
 * one exits at once.
 *
 * Must not: talk to a database itself; commands.c and the connections do.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static cli_conn *volatile interruptible;
static volatile sig_atomic_t interrupts;

static void
on_sigint(int sig)
{
	static const char msg[] = "\ncancelling: tenants already finished stay recorded (Ctrl-C again to quit at once)\n";
	cli_conn		 *c = interruptible;

	(void) sig;
	if (interrupts++ > 0 || c == NULL)
		_exit(CLI_EXIT_INTERRUPTED);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		(void) 0;
	c->cancel(c);
}

void
cli_set_interruptible(cli_conn *c)
{
	interruptible = c;
}

int
cli_was_interrupted(void)
{
	return interrupts > 0;
}

int
main(int argc, char **argv)
{
	const char		*database = NULL;
	int				 json = 0;
	int				 i = 1;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);

	for (; i < argc && argv[i][0] == '-'; i++)
	{
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
		{
			cli_print_commands();
			return CLI_EXIT_OK;
		}
		else if (strcmp(argv[i], "--version") == 0)
		{
			printf("tenancy %s\n", TN_VERSION_STRING);
			return CLI_EXIT_OK;
		}
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if ((strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--database") == 0) && i + 1 < argc)
			database = argv[++i];
		else if (strncmp(argv[i], "--database=", 11) == 0)
			database = argv[i] + 11;
		else
		{
			fprintf(stderr, "tenancy: unknown option \"%s\"\n", argv[i]);
			fprintf(stderr, "Run \"tenancy --help\" for usage.\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (i < argc && strcmp(argv[i], "help") == 0)
	{
		if (i + 1 < argc)
		{
			char *help_argv[] = { argv[i + 1], "--help", NULL };

			return cli_run_command(2, help_argv, database, json);
		}
		cli_print_commands();
		return CLI_EXIT_OK;
	}
	if (i >= argc)
	{
		cli_print_commands();
		return CLI_EXIT_USAGE;
	}
	return cli_run_command(argc - i, argv + i, database, json);
}
