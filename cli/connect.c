/*
 * connect.c -- open the database a command names, on the engine its URL
 * says, and the one engine difference commands see: how a parameter is
 * written in SQL text.
 *
 * Must not: run SQL; the engines' files do that.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>

#include "cli.h"

cli_conn *
cli_open(const cli_target *t, cli_result *err)
{
	return t->engine == CLI_POSTGRES ? cli_connect_pg(t->conninfo, err)
									 : cli_connect_sqlite(t->conninfo, err);
}

void
cli_placeholder(const cli_conn *c, int n, char *buf, size_t size)
{
	snprintf(buf, size, c->engine == CLI_POSTGRES ? "$%d" : "?%d", n);
}
