/*
 * spi_internal.h -- what the SPI adapter's two files share: the
 * subtransaction wrapper and statement helpers of spi_adapter.c, and the
 * exec_script callback of spi_script.c.
 *
 * Must not: be included outside spi_adapter.c and spi_script.c.
 */
#ifndef SPI_INTERNAL_H
#define SPI_INTERNAL_H

#include "postgres.h"

#include "executor/spi.h"

#include "spi_adapter.h"

#define CTX(v) ((tn_pg_adapter_ctx *) (v))

/* Last error position seen (edata->cursorpos), for exec_script. */
extern int spi_last_cursorpos;

typedef int (*protected_fn)(tn_pg_adapter_ctx *ctx, void *arg, tn_error *err);

/* spi_adapter.c: run fn in an internal subtransaction (errors come back as values) */
int spi_run_in_subxact(tn_pg_adapter_ctx *ctx, protected_fn fn, void *arg, tn_error *err);

/* spi_adapter.c: execute a prepared plan, on the latest snapshot once the lock is held */
int spi_execute_plan(tn_pg_adapter_ctx *ctx, SPIPlanPtr plan, Datum *values, const char *nulls);

/* spi_adapter.c: an SPI failure as a tn_error */
int spi_failure(tn_error *err, int spi_rc, const char *what);

/* spi_script.c: the adapter's exec_script */
int spi_exec_script(void *vctx, const char *script, long *failed_offset, tn_error *err);

#endif /* SPI_INTERNAL_H */
