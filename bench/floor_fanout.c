/*
 * floor_fanout.c -- the floor tenant_migrate_all is compared with: the
 * least a fan-out over many PostgreSQL databases can do, with nothing a
 * migration tool adds (no tracking, no registry, no checksums).
 *
 *   floor_fanout apply CONNINFO DBPREFIX N CONCURRENCY SQLFILE
 *       databases DBPREFIX0 .. DBPREFIX<N-1>: at most CONCURRENCY at once,
 *       each connects (async, PQconnectStart/PQconnectPoll), sends
 *       "BEGIN; <SQLFILE>; COMMIT" as one simple query (one round trip),
 *       closes, and the slot takes the next database.
 *   floor_fanout noop CONNINFO DBPREFIX N CONCURRENCY
 *       the same, sending "SELECT 1": the floor of a no-op rerun (connect
 *       and one query per tenant).
 *   floor_fanout noop-reads CONNINFO DBPREFIX N CONCURRENCY SQL
 *       the same, sending SQL (one simple query, one round trip) and
 *       reading every row and COPY line it returns: with the text tenancy
 *       sends a database tenant in a no-op (its SET LOCAL, the COPY of
 *       pg_namespace and the two COPYs of its tracking tables), the floor
 *       of that read alone, which tells the cost of the read from the cost
 *       of the rest of tenancy.
 *
 * Prints the elapsed wall time in milliseconds (connections included: the
 * fan-out has to make them too).  Any failure: message on stderr, exit 1.
 * Must not: retry, or hide a failed database.
 */
#define _POSIX_C_SOURCE 200809L

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct slot
{
	PGconn					 *conn;
	int						  connecting; /* 1 until PQconnectPoll says OK */
	PostgresPollingStatusType poll;
} slot;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long  len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
	{
		perror(path);
		exit(1);
	}
	rewind(f);
	buf = malloc((size_t) len + 1);
	if (buf == NULL || fread(buf, 1, (size_t) len, f) != (size_t) len)
	{
		perror(path);
		exit(1);
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static void
die_conn(PGconn *conn, const char *what)
{
	fprintf(stderr, "floor_fanout: %s: %s", what, PQerrorMessage(conn));
	exit(1);
}

static void
start(slot *s, const char *conninfo, const char *prefix, int i)
{
	char		db[128];
	const char *keys[] = { "dbname", "dbname", NULL };
	const char *vals[] = { conninfo, db, NULL };

	snprintf(db, sizeof(db), "%s%d", prefix, i);
	/* expand the conninfo, then override its dbname */
	s->conn = PQconnectStartParams(keys, vals, 1);
	if (s->conn == NULL || PQstatus(s->conn) == CONNECTION_BAD)
		die_conn(s->conn, db);
	s->connecting = 1;
	s->poll = PGRES_POLLING_WRITING;
}

int
main(int argc, char **argv)
{
	const char	  *mode, *conninfo, *prefix;
	int			   n, c, next = 0, done = 0;
	char		  *sql;
	slot		  *slots;
	struct pollfd *fds;
	double		   t0;

	if (argc < 6 || ((strcmp(argv[1], "apply") == 0 || strcmp(argv[1], "noop-reads") == 0) && argc < 7))
	{
		fprintf(stderr, "usage: floor_fanout apply|noop|noop-reads CONNINFO DBPREFIX N CONCURRENCY [SQLFILE|SQL]\n");
		return 2;
	}
	mode = argv[1];
	conninfo = argv[2];
	prefix = argv[3];
	n = atoi(argv[4]);
	c = atoi(argv[5]);
	if (c > n)
		c = n;
	if (strcmp(mode, "apply") == 0)
	{
		char *body = read_file(argv[6]);

		sql = malloc(strlen(body) + 32);
		sprintf(sql, "BEGIN;\n%s\nCOMMIT;", body);
	}
	else if (strcmp(mode, "noop-reads") == 0)
		sql = argv[6];
	else
		sql = "SELECT 1";
	slots = calloc((size_t) c, sizeof(slot));
	fds = calloc((size_t) c, sizeof(struct pollfd));

	t0 = now_ms();
	for (int k = 0; k < c; k++)
		start(&slots[k], conninfo, prefix, next++);
	while (done < n)
	{
		for (int k = 0; k < c; k++)
		{
			fds[k].fd = slots[k].conn ? PQsocket(slots[k].conn) : -1;
			fds[k].events = slots[k].connecting && slots[k].poll == PGRES_POLLING_WRITING ? POLLOUT : POLLIN;
			fds[k].revents = 0;
		}
		if (poll(fds, (nfds_t) c, -1) < 0)
		{
			perror("poll");
			return 1;
		}
		for (int k = 0; k < c; k++)
		{
			slot *s = &slots[k];

			if (s->conn == NULL || fds[k].revents == 0)
				continue;
			if (s->connecting)
			{
				s->poll = PQconnectPoll(s->conn);
				if (s->poll == PGRES_POLLING_FAILED)
					die_conn(s->conn, "connect");
				if (s->poll == PGRES_POLLING_OK)
				{
					s->connecting = 0;
					if (!PQsendQuery(s->conn, sql))
						die_conn(s->conn, "send");
				}
				continue;
			}
			if (!PQconsumeInput(s->conn))
				die_conn(s->conn, "read");
			while (!PQisBusy(s->conn))
			{
				PGresult *res = PQgetResult(s->conn);

				if (res == NULL)
				{
					/* this database is done: the slot takes the next one */
					PQfinish(s->conn);
					s->conn = NULL;
					done++;
					if (next < n)
						start(s, conninfo, prefix, next++);
					break;
				}
				if (PQresultStatus(res) == PGRES_COPY_OUT)
				{
					/* noop-reads: a COPY ... TO STDOUT's lines, read as they arrive */
					char *copy_line;
					int	  len;

					PQclear(res);
					while ((len = PQgetCopyData(s->conn, &copy_line, 1)) > 0)
						PQfreemem(copy_line);
					if (len == -2)
						die_conn(s->conn, "copy");
					if (len == 0)
						break; /* more lines to come: wait for the socket */
					continue;  /* the COPY ended: its result comes next */
				}
				if (PQresultStatus(res) == PGRES_FATAL_ERROR)
				{
					fprintf(stderr, "floor_fanout: %s", PQresultErrorMessage(res));
					return 1;
				}
				PQclear(res);
			}
		}
	}
	printf("%.3f\n", now_ms() - t0);
	return 0;
}
