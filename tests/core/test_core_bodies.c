/*
 * test_core_bodies.c -- test_core's checks of checksums, body checks, flag detection and name rules.
 *
 * Linked into the test_core runner (test_core.c calls each test_*).
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "test_core.h"

/* ------------------------------------------------------------------ */

void
test_checksums(void)
{
	char	 a[TN_CHECKSUM_LEN];
	char	 b[TN_CHECKSUM_LEN];
	char	 c[TN_CHECKSUM_LEN];
	tn_error err;

	CHECK(tn_checksum("", 0, a, &err) == TN_OK &&
			  strcmp(a, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
		  "sha256 of empty string%s", NULL);
	CHECK(tn_checksum("abc", 3, a, &err) == TN_OK &&
			  strcmp(a, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
		  "sha256 of abc%s", NULL);
	CHECK(strlen(a) == TN_CHECKSUM_LEN - 1, "checksum length is 71%s", NULL);
	tn_checksum("\xEF\xBB\xBF"
				"abc",
				6, b, &err);
	CHECK(strcmp(a, b) == 0, "leading BOM ignored%s", NULL);
	tn_checksum("a\nb\nc\n", 6, a, &err);
	tn_checksum("a\r\nb\r\nc\r\n", 9, b, &err);
	tn_checksum("\xEF\xBB\xBF"
				"a\rb\r\nc\r",
				10, c, &err);
	CHECK(strcmp(a, b) == 0 && strcmp(a, c) == 0, "CRLF and CR normalized to LF%s", NULL);
	tn_checksum("a\n\nb", 4, b, &err);
	tn_checksum("a\r\rb", 4, c, &err);
	CHECK(strcmp(b, c) == 0, "two CRs are two newlines%s", NULL);
	tn_checksum("x\xEF\xBB\xBF", 4, b, &err);
	tn_checksum("x", 1, c, &err);
	CHECK(strcmp(b, c) != 0, "a BOM not at the start is content%s", NULL);
	CHECK(tn_checksum(NULL, 1, a, &err) == TN_ERR_NULL_ARGUMENT, "checksum NULL body%s", NULL);

	/* a body larger than the buffer, with CRLF across chunk borders */
	{
		size_t n = 100000;
		char  *lf = malloc(n);
		char  *crlf = malloc(2 * n);
		size_t i;
		size_t k = 0;

		for (i = 0; i < n; i++)
		{
			lf[i] = (i % 7 == 6) ? '\n' : 'x';
			if (lf[i] == '\n')
				crlf[k++] = '\r';
			crlf[k++] = lf[i];
		}
		tn_checksum(lf, n, a, &err);
		tn_checksum(crlf, k, b, &err);
		CHECK(strcmp(a, b) == 0, "CRLF normalized across chunk borders%s", NULL);
		free(lf);
		free(crlf);
	}

	/*
	 * tn_checksum against libcrypto's EVP digest, on every length around
	 * the 64-byte block and padding borders and on bodies past the 8 KB chunk.
	 */
	{
		static const size_t big[] = { 8191, 8192, 8193, 100003, 1048576 + 13 };
		size_t				max = 1048576 + 13;
		char			   *body = malloc(max);
		unsigned int		seed = 12345;
		int					same = 1;
		size_t				len;
		size_t				i;

		for (i = 0; i < max; i++)
		{
			seed = seed * 1103515245u + 12345u;
			body[i] = (char) ((seed >> 16) & 0xff);
			if (body[i] == '\r' || (i == 0 && (unsigned char) body[i] == 0xEF))
				body[i] = 'r'; /* no CR, no BOM: tn_checksum hashes the bytes as they are */
		}
		for (len = 0; len <= 300 + sizeof(big) / sizeof(big[0]); len++)
		{
			size_t		  n = len <= 300 ? len : big[len - 301];
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned int  mdlen = 0;
			char		  want[TN_CHECKSUM_LEN] = "sha256:";

			EVP_Digest(body, n, md, &mdlen, EVP_sha256(), NULL);
			for (i = 0; i < mdlen; i++)
				snprintf(want + 7 + 2 * i, 3, "%02x", md[i]);
			if (tn_checksum(body, n, a, &err) != TN_OK || strcmp(a, want) != 0)
			{
				same = 0;
				fprintf(stderr, "length %zu: %s, libcrypto %s\n", n, a, want);
			}
		}
		CHECK(same, "SHA-256 equals libcrypto's for lengths 0-300, 8 KB and 1 MB%s", NULL);
		free(body);
	}
}

/* ------------------------------------------------------------------ */

/* The checkpoint stamp's calendar arithmetic against the C library's gmtime_r. */
void
test_clock(void)
{
	static const long long fixed[] = { 0, -1, 86399, 86400, 951782400 /* 2000-02-29 */,
									   951868800, 4107542400LL /* 2100-03-01 */, -2208988800LL,
									   1795910625LL /* 2026-11-28 */, 253402300799LL /* 9999-12-31 */ };
	char				   got[64];
	char				   want[64];
	int					   same = 1;
	long long			   t;
	size_t				   i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 3000; i++)
	{
		struct tm tm;
		time_t	  tt;

		/* the fixed times, then one every 12 days and 7 hours or so from 1890 to 2200 */
		t = i < sizeof(fixed) / sizeof(fixed[0]) ? fixed[i]
												 : -2524521600LL + (long long) (i - 10) * 3280000LL;
		tt = (time_t) t;
		if (gmtime_r(&tt, &tm) == NULL)
			continue;
		snprintf(want, sizeof(want), "%04d%02d%02dT%02d%02d%02d.123456Z", tm.tm_year + 1900,
				 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		tn_utc_stamp_at(t, 123456789L, got, sizeof(got));
		if (strcmp(got, want) != 0)
		{
			same = 0;
			fprintf(stderr, "%lld: %s, gmtime_r %s\n", t, got, want);
		}
	}
	CHECK(same, "UTC stamps equal gmtime_r's from 1890 to 9999%s", NULL);
	tn_utc_stamp(got, sizeof(got));
	CHECK(strlen(got) == 23 && got[8] == 'T' && got[22] == 'Z', "the stamp of now has its shape%s", NULL);
}

/* ------------------------------------------------------------------ */

void
test_bodies(void)
{
	tn_error err;
	size_t	 big = 50u * 1024 * 1024;
	char	*body;

	CHECK(tn_body_validate("SELECT 1;", 9, "up body of 1", &err) == TN_OK, "simple body ok%s", NULL);
	CHECK(tn_body_validate(NULL, 0, "up body of 1", &err) == TN_ERR_NULL_ARGUMENT, "body NULL%s", NULL);
	CHECK(tn_body_validate("", 0, "up body of 3", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strcmp(err.message, "up body of 3 is empty") == 0,
		  "empty body%s", NULL);
	CHECK(tn_body_validate(" \n\t\r\n", 5, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.message, "is empty"),
		  "whitespace body%s", NULL);
	CHECK(tn_body_validate("-- a\n/* b /* nested */ */\n--c", 29, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.message, "is empty"),
		  "comment-only body%s", NULL);
	CHECK(tn_body_validate(";;", 2, "b", &err) == TN_ERR_INVALID_ARGUMENT, "semicolons only is empty%s", NULL);
	CHECK(tn_body_validate("'--'", 4, "b", &err) == TN_OK, "string with dashes is content%s", NULL);
	CHECK(tn_body_validate("SELECT '\xc3\xa9';", 12, "b", &err) == TN_OK, "UTF-8 accepted%s", NULL);
	CHECK(tn_body_validate("SELECT 1; \xc3\x28", 12, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.message, "UTF-8") && strstr(err.detail, "offset 10"),
		  "bad UTF-8 with offset%s", NULL);
	CHECK(tn_body_validate("\xed\xa0\x80", 3, "b", &err) == TN_ERR_INVALID_ARGUMENT, "surrogate rejected%s", NULL);
	CHECK(tn_body_validate("\xc0\xaf", 2, "b", &err) == TN_ERR_INVALID_ARGUMENT, "overlong rejected%s", NULL);
	CHECK(tn_body_validate("SELECT 1;\xe2\x82", 11, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.detail, "offset 9"),
		  "truncated sequence at end%s", NULL);
	CHECK(tn_body_validate("SELECT 1;\0DROP", 14, "b", &err) == TN_ERR_INVALID_ARGUMENT &&
			  strstr(err.message, "NUL"),
		  "NUL byte rejected%s", NULL);

	body = malloc(big);
	if (body)
	{
		memset(body, 'x', big);
		CHECK(tn_body_validate(body, big, "up body of 9", &err) == TN_ERR_TOO_LARGE &&
				  strstr(err.message, "too large") && strstr(err.detail, "52428800") &&
				  strstr(err.detail, "16777216"),
			  "50 MB body rejected with sizes%s", NULL);
		CHECK(tn_body_validate(body, TN_MAX_BODY_BYTES, "b", &err) == TN_OK,
			  "body of exactly the limit accepted%s", NULL);
		CHECK(tn_body_validate(body, (size_t) TN_MAX_BODY_BYTES + 1, "b", &err) == TN_ERR_TOO_LARGE,
			  "body one byte over the limit rejected%s", NULL);
		free(body);
	}
	else
		CHECK(0, "malloc 50 MB%s", NULL);
}

void
test_flags(void)
{
	static const struct
	{
		const char *body;
		unsigned	flags;
	} cases[] = {
		{ "CREATE TABLE a (id int);", 0 },
		{ "-- tenancy:no-transaction\nCREATE TABLE a (id int);", TN_MIG_NO_TRANSACTION },
		{ "SELECT 1;\n  --   TENANCY:NO-TRANSACTION  \r\n", TN_MIG_NO_TRANSACTION },
		{ "SELECT 1; -- tenancy:no-transaction\n", 0 },
		{ "SELECT '\n-- tenancy:no-transaction\n';", 0 },
		{ "-- tenancy:no-transaction-please\n", 0 },
		{ "CREATE INDEX CONCURRENTLY i ON t (a);", TN_MIG_NO_TRANSACTION },
		{ "create unique index concurrently i on t (a);", TN_MIG_NO_TRANSACTION },
		{ "CREATE INDEX i ON t (a);", 0 },
		{ "DROP INDEX CONCURRENTLY i;", TN_MIG_NO_TRANSACTION },
		{ "DROP INDEX i;", 0 },
		{ "REINDEX TABLE CONCURRENTLY t;", TN_MIG_NO_TRANSACTION },
		{ "REINDEX (VERBOSE) INDEX CONCURRENTLY i;", TN_MIG_NO_TRANSACTION },
		{ "REINDEX TABLE t;", 0 },
		{ "REINDEX DATABASE d;", TN_MIG_NO_TRANSACTION },
		{ "VACUUM;", TN_MIG_NO_TRANSACTION },
		{ "vacuum (verbose) t", TN_MIG_NO_TRANSACTION },
		{ "CREATE DATABASE d;", TN_MIG_NO_TRANSACTION },
		{ "ALTER SYSTEM SET work_mem = '1MB';", TN_MIG_NO_TRANSACTION },
		{ "ALTER TYPE mood ADD VALUE 'meh';", 0 },
		{ "SELECT 1; /* VACUUM; */ SELECT 2;", 0 },
		{ "-- VACUUM\nSELECT 1;", 0 },
		{ "SELECT 'VACUUM';", 0 },
		{ "SELECT \"vacuum\" FROM t;", 0 },
		{ "CREATE FUNCTION f() RETURNS void AS $$ VACUUM; $$ LANGUAGE sql;", 0 },
		{ "CREATE FUNCTION f() RETURNS void AS $body$ ; VACUUM; $body$ LANGUAGE sql;", 0 },
		{ "SELECT E'it\\'s; VACUUM';", 0 },
		{ "SELECT 'it''s'; VACUUM;", TN_MIG_NO_TRANSACTION },
		{ "UPDATE t SET vacuum = 1;", 0 },
		{ "SELECT 1;\nvacuum", TN_MIG_NO_TRANSACTION },
		{ "/* unterminated VACUUM", 0 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(tn_detect_flags(cases[i].body) == cases[i].flags, "flags of \"%s\"", cases[i].body);
	CHECK(tn_detect_flags(NULL) == 0, "flags of NULL%s", NULL);
}

/* ------------------------------------------------------------------ */

void
test_names(void)
{
	static const char *good[] = {
		"acme",
		"a",
		"t_1",
		"tenant_42",
		"a_",
		"selection",
		"tenants",
		"user1",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk",
	};
	static const struct
	{
		const char *name;
		const char *detail_part;
	} bad[] = {
		{ "Acme", "must start with a lowercase letter a-z" },
		{ "1abc", "must start with a lowercase letter a-z" },
		{ "_x", "must start with a lowercase letter a-z" },
		{ "aCme", "uppercase" },
		{ "a-b", "only lowercase letters" },
		{ "a b", "only lowercase letters" },
		{ "x\"; DROP TABLE y; --", "only lowercase letters" },
		{ "caf\xc3\xa9", "only lowercase letters" },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", "at most 63" },
		{ "select", "reserved in PostgreSQL and SQLite" },
		{ "table", "reserved" },
		{ "user", "reserved in PostgreSQL" },
		{ "concurrently", "reserved in PostgreSQL" },
		{ "vacuum", "reserved in SQLite" },
		{ "pragma", "reserved in SQLite" },
		{ "tenancy", "tenancy" },
		{ "tenancy_x", "tenancy" },
		{ "template0", "template" },
		{ "template1", "template" },
		{ "templates", "template" },
		{ "postgres", "postgres" },
		{ "pg_catalog", "pg_" },
		{ "sqlite_master", "sqlite_" },
		{ "public", "public" },
		{ "main", "main" },
		{ "temp", "reserved" },
	};
	char	 label[128];
	size_t	 i;
	tn_error err;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(tn_validate_tenant_name(good[i], &err) == TN_OK, "tenant name ok \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		int rc = tn_validate_tenant_name(bad[i].name, &err);

		snprintf(label, sizeof(label), "%.40s -> %s", bad[i].name, bad[i].detail_part);
		CHECK(rc == TN_ERR_INVALID_NAME && strncmp(err.message, "invalid tenant name \"", 21) == 0 &&
				  strstr(err.detail, bad[i].detail_part) != NULL,
			  "tenant name refused %s", label);
	}
	tn_validate_tenant_name("Acme", &err);
	CHECK(strcmp(err.message, "invalid tenant name \"Acme\"") == 0 &&
			  strcmp(err.detail, "Tenant names must start with a lowercase letter a-z.") == 0,
		  "exact wording for \"Acme\"%s", NULL);
	tn_validate_tenant_name("x\"; DROP TABLE y; --", &err);
	CHECK(strcmp(err.message, "invalid tenant name \"x\"; DROP TABLE y; --\"") == 0,
		  "injection attempt quoted verbatim in message%s", NULL);
	tn_validate_tenant_name("a\n\xff", &err);
	CHECK(strstr(err.message, "\\x0a\\xff") != NULL, "control and non-UTF-8 bytes escaped in message%s", NULL);
	CHECK(tn_validate_tenant_name(NULL, &err) == TN_ERR_NULL_ARGUMENT, "tenant name NULL%s", NULL);
	CHECK(tn_validate_tenant_name("", &err) == TN_ERR_INVALID_NAME, "tenant name empty%s", NULL);

	CHECK(tn_validate_checkpoint_name("pre_migration_20240101T000000.000000Z", &err) == TN_OK,
		  "checkpoint name automatic form ok%s", NULL);
	CHECK(tn_validate_checkpoint_name("Before-Release:1.2", &err) == TN_OK, "checkpoint name mixed ok%s", NULL);
	CHECK(tn_validate_checkpoint_name("", &err) == TN_ERR_INVALID_NAME, "checkpoint name empty%s", NULL);
	CHECK(tn_validate_checkpoint_name("a b", &err) == TN_ERR_INVALID_NAME &&
			  strncmp(err.message, "invalid checkpoint name", 23) == 0,
		  "checkpoint name with space%s", NULL);
	CHECK(tn_validate_checkpoint_name("a'; --", &err) == TN_ERR_INVALID_NAME, "checkpoint name with quote%s", NULL);
	{
		char n[102];

		memset(n, 'c', 100);
		n[100] = '\0';
		CHECK(tn_validate_checkpoint_name(n, &err) == TN_OK, "checkpoint name of 100 ok%s", NULL);
		n[100] = 'c';
		n[101] = '\0';
		CHECK(tn_validate_checkpoint_name(n, &err) == TN_ERR_INVALID_NAME &&
				  strstr(err.detail, "at most 100"),
			  "checkpoint name of 101 refused%s", NULL);
	}
	CHECK(tn_validate_checkpoint_name(NULL, &err) == TN_ERR_NULL_ARGUMENT, "checkpoint name NULL%s", NULL);
}
