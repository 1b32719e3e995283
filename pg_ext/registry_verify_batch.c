/*
 * registry_verify_batch.c -- tenant_verify_all's refresh of the registry's
 * cached state (tenancy.tenants: state, version, pending, last_error,
 * last_checked), written a slice of tenants at a time (issue 14).
 *
 * The refresh was one UPDATE per tenant, each parsed and planned in the
 * caller's backend while the tenants' answers waited.  Every refresh goes
 * into the caller's transaction either way (none is seen before it
 * commits, and an error or a cancel takes them all back), so writing them
 * together changes nothing but the cost: the rows are kept here and
 * written by one UPDATE ... FROM unnest() when VERIFY_BATCH_ROWS have
 * gathered, when a tenant comes twice, and when the fan-out ends.
 *
 * Must not: decide a tenant's state (the core's verify row does), or keep
 * rows past the call (they live in the caller's transaction).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"

#include "registry_internal.h"

/* tenants refreshed by one statement */
#define VERIFY_BATCH_ROWS 50

struct reg_verify_batch
{
	MemoryContext cxt;
	int			  n;
	char		 *vals[REG_VERIFY_COLS][VERIFY_BATCH_ROWS];
};

#define VERIFY_BATCH_FROM                                                                                  \
	" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])," \
	"   pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.text[]),"               \
	"   pg_catalog.unnest($5::pg_catalog.text[]), pg_catalog.unnest($6::pg_catalog.text[]))"               \
	"   AS v(name, state, version, version_key, pending, last_error)"                                      \
	" WHERE t.name OPERATOR(pg_catalog.=) v.name"

#define VERIFY_BATCH_SET                                                                                   \
	"UPDATE tenancy.tenants t SET state = v.state,"                                                        \
	" version = CASE WHEN v.state OPERATOR(pg_catalog.=) 'unreachable' THEN t.version ELSE v.version END," \
	" version_key = CASE WHEN v.state OPERATOR(pg_catalog.=) 'unreachable' THEN t.version_key"             \
	"   ELSE v.version_key END,"                                                                           \
	" pending = COALESCE(v.pending::pg_catalog.int8, t.pending), last_error = v.last_error"

void
reg_verify_flush(reg_run *run)
{
	struct reg_verify_batch *b = run->verify_batch;
	const char				*p[REG_VERIFY_COLS];

	if (b == NULL || b->n == 0)
		return;
	for (int c = 0; c < REG_VERIFY_COLS; c++)
		p[c] = reg_text_array_literal(b->vals[c], b->n);
	b->n = 0;
	MemoryContextReset(b->cxt);
	/* as the extension's owner, as the one-row UPDATE was (registry_spi.c) */
	reg_spi_write(run->has_last_checked ? VERIFY_BATCH_SET ", last_checked = pg_catalog.clock_timestamp()" VERIFY_BATCH_FROM
										: VERIFY_BATCH_SET VERIFY_BATCH_FROM,
				  REG_VERIFY_COLS, p);
}

void
reg_verify_later(reg_run *run, const char *const *v)
{
	struct reg_verify_batch *b = run->verify_batch;
	MemoryContext			 old;

	if (b == NULL)
	{
		/* outlives the fan-out's turns (each turn's context is reset) */
		b = MemoryContextAllocZero(TopTransactionContext, sizeof(*b));
		b->cxt = AllocSetContextCreate(TopTransactionContext, "tenancy verify rows", ALLOCSET_SMALL_SIZES);
		run->verify_batch = b;
	}
	/* one row per tenant and statement: a tenant named twice flushes the first */
	for (int r = 0; r < b->n; r++)
		if (strcmp(b->vals[0][r], v[0]) == 0)
		{
			reg_verify_flush(run);
			break;
		}
	old = MemoryContextSwitchTo(b->cxt);
	for (int c = 0; c < REG_VERIFY_COLS; c++)
		b->vals[c][b->n] = v[c] ? pstrdup(v[c]) : NULL;
	MemoryContextSwitchTo(old);
	b->n++;
	if (b->n == VERIFY_BATCH_ROWS)
		reg_verify_flush(run);
}
