/*
 * floor_sqlite.c -- the floor the SQLite benchmarks compare tenancy with.
 *
 * The least work that still does the job: open a file, run the workload
 * in one transaction (BEGIN; ...; COMMIT), close.  No tracking tables, no
 * checksums, no registry.  SQLite defaults on purpose (journal_mode=DELETE,
 * synchronous=FULL), the same as the tenant files tenancy opens.  It must
 * never do less durable work than tenancy does, or the ratio would flatter
 * the floor.
 *
 *   floor_sqlite apply DIR N THREADS SQLFILE
 *       apply SQLFILE to DIR/t00000.db .. t<N-1>.db, THREADS worker threads
 *   floor_sqlite noop DIR N
 *       per file: open, one query (SELECT count(*) FROM sqlite_schema), close
 *   floor_sqlite query DB REPEAT SQL
 *       one connection, SQL run REPEAT times (reference for a no-op call)
 *
 * Prints the elapsed wall time in seconds on stdout; errors go to stderr
 * with exit status 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct job
{
	const char	   *dir;
	const char	   *script; /* "BEGIN;" workload "COMMIT;" or the query */
	int				n;
	int				next;
	int				failed;
	pthread_mutex_t lock;
} job;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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

/* open one file, run the script, close: the whole per-tenant floor */
static int
run_one(const char *dir, int i, const char *script)
{
	char	 path[4096];
	sqlite3 *db = NULL;
	char	*msg = NULL;
	int		 rc;

	snprintf(path, sizeof(path), "%s/t%05d.db", dir, i);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, script, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
	{
		fprintf(stderr, "%s: %s\n", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_close(db);
	return rc;
}

static void *
worker(void *arg)
{
	job *j = arg;

	for (;;)
	{
		int i;

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n)
			return NULL;
		if (run_one(j->dir, i, j->script) != SQLITE_OK)
		{
			pthread_mutex_lock(&j->lock);
			j->failed++;
			pthread_mutex_unlock(&j->lock);
		}
	}
}

static int
usage(void)
{
	fprintf(stderr, "usage: floor_sqlite apply DIR N THREADS SQLFILE\n"
					"       floor_sqlite noop DIR N\n"
					"       floor_sqlite query DB REPEAT SQL\n");
	return 2;
}

int
main(int argc, char **argv)
{
	job		  j;
	pthread_t threads[64];
	int		  nthreads = 1;
	double	  t0;

	memset(&j, 0, sizeof(j));
	pthread_mutex_init(&j.lock, NULL);
	if (argc == 6 && strcmp(argv[1], "apply") == 0)
	{
		char  *body = read_file(argv[5]);
		size_t len = strlen(body) + 32;
		char  *script = malloc(len);

		snprintf(script, len, "BEGIN;\n%s\nCOMMIT;", body);
		j.script = script;
		nthreads = atoi(argv[4]);
	}
	else if (argc == 4 && strcmp(argv[1], "noop") == 0)
		j.script = "SELECT count(*) FROM sqlite_schema";
	else if (argc == 5 && strcmp(argv[1], "query") == 0)
	{
		sqlite3 *db = NULL;
		int		 repeat = atoi(argv[3]);

		if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		{
			fprintf(stderr, "%s: %s\n", argv[2], sqlite3_errmsg(db));
			return 1;
		}
		t0 = now_s();
		for (int i = 0; i < repeat; i++)
			if (sqlite3_exec(db, argv[4], NULL, NULL, NULL) != SQLITE_OK)
			{
				fprintf(stderr, "%s\n", sqlite3_errmsg(db));
				return 1;
			}
		printf("%.6f\n", now_s() - t0);
		sqlite3_close(db);
		return 0;
	}
	else
		return usage();
	j.dir = argv[2];
	j.n = atoi(argv[3]);
	if (nthreads < 1 || nthreads > 64 || j.n < 1)
		return usage();

	t0 = now_s();
	if (nthreads == 1)
		worker(&j);
	else
	{
		for (int t = 0; t < nthreads; t++)
			if (pthread_create(&threads[t], NULL, worker, &j) != 0)
			{
				perror("pthread_create");
				return 1;
			}
		for (int t = 0; t < nthreads; t++)
			pthread_join(threads[t], NULL);
	}
	printf("%.6f\n", now_s() - t0);
	if (j.failed)
	{
		fprintf(stderr, "%d of %d files failed\n", j.failed, j.n);
		return 1;
	}
	return 0;
}
