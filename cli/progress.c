/*
 * progress.c -- progress of a fan-out run on stderr.  On a terminal: one bar
 * redrawn in place (tenants done / total, failures, rate, ETA).  Otherwise
 * one plain line per finished tenant, "[n/N] tenant: status", the same on
 * both engines (PostgreSQL's NOTICE lines are parsed into it; SQLite's come
 * from the extension's fan-out observer).
 *
 * Must not: write to stdout (results and --json go there) or decide
 * anything about the run.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct cli_progress
{
	const char *what;
	int			tty;
	double		started;
	double		last_draw;
	long long	done;
	long long	total;
	long long	failed;
	int			drawn;
};

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

cli_progress *
cli_progress_start(const char *what)
{
	cli_progress *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->what = what;
	p->tty = isatty(STDERR_FILENO);
	p->started = now_seconds();
	return p;
}

static int
is_failure(const char *status)
{
	return strcmp(status, "failed") == 0 || strcmp(status, "unreachable") == 0 ||
		   strcmp(status, "problems") == 0 || strcmp(status, "rolled_back") == 0;
}

static void
draw_bar(cli_progress *p)
{
	char	  bar[31];
	double	  elapsed = now_seconds() - p->started;
	double	  rate = elapsed > 0 ? (double) p->done / elapsed : 0;
	int		  fill = p->total > 0 ? (int) (30 * p->done / p->total) : 0;
	long long eta = rate > 0 ? (long long) ((double) (p->total - p->done) / rate + 0.5) : 0;

	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r\033[K%s [%s] %lld/%lld tenants, %lld failed, %.1f/s, ETA %lld:%02lld",
			p->what, bar, p->done, p->total, p->failed, rate, eta / 60, eta % 60);
	fflush(stderr);
	p->drawn = 1;
	p->last_draw = now_seconds();
}

void
cli_progress_tenant(cli_progress *p, long long done, long long total,
					const char *tenant, const char *status, const char *line)
{
	(void) line;
	if (p == NULL)
		return;
	p->done = done;
	p->total = total;
	if (is_failure(status))
		p->failed++;
	if (!p->tty)
	{
		fprintf(stderr, "[%lld/%lld] %s: %s\n", done, total, tenant, status);
		fflush(stderr);
	}
	else if (done == total || now_seconds() - p->last_draw >= 0.1)
		draw_bar(p);
}

/*
 * The server's NOTICE (tn_fanout_progress): "[n/N] tenant: applied 3 in 14 ms",
 * "[n/N] tenant: up to date (5 ms)", "[n/N] tenant: failed in 3 ms: ...".
 */
void
cli_progress_notice(cli_progress *p, const char *notice)
{
	long long done,
		total;
	int			used = 0;
	char		tenant[128];
	char		word[32];
	const char *rest;

	if (p == NULL || sscanf(notice, "[%lld/%lld] %n", &done, &total, &used) != 2 || used == 0)
		return;
	rest = strstr(notice + used, ": ");
	if (rest == NULL || (size_t) (rest - (notice + used)) >= sizeof(tenant))
		return;
	memcpy(tenant, notice + used, (size_t) (rest - (notice + used)));
	tenant[rest - (notice + used)] = '\0';
	rest += 2;
	if (strncmp(rest, "up to date", 10) == 0)
		snprintf(word, sizeof(word), "up_to_date");
	else
	{
		size_t n = strcspn(rest, " :");

		snprintf(word, sizeof(word), "%.*s", (int) (n < sizeof(word) ? n : sizeof(word) - 1), rest);
	}
	cli_progress_tenant(p, done, total, tenant, word, notice);
}

void
cli_progress_end(cli_progress *p)
{
	if (p == NULL)
		return;
	if (p->tty && p->drawn)
	{
		draw_bar(p);
		fputc('\n', stderr);
	}
	free(p);
}
