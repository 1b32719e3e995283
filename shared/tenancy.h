/*
 * tenancy.h -- the one public header of the tenancy core.
 *
 * The core is plain C99 + libc + libcrypto. It decides everything about
 * migrations: file-name rules, ordering, checksums, planning (applied /
 * pending / drifted / missing / out_of_order), batches, checkpoints,
 * rollback, tenant-name validation, the words every SQL function accepts,
 * the state of a tenant, and the text of every error.
 *
 * It must never include a host header (PostgreSQL, SQLite or libpq),
 * never longjmp, and never keep memory alive across a return to the host:
 * every call either fills a caller-owned structure (freed by the matching
 * *_free function, which uses free()) or nothing.  Errors come back as a
 * tn_error value; each host raises it in exactly one place.
 *
 * The core reaches a database only through tn_adapter (below).  SQLite,
 * PostgreSQL SPI and libpq each implement it once; the helpers that run
 * SQL through an adapter are in tn_sql.h.
 *
 * One section per core file, in the order a reader meets them, in four
 * family headers that this one includes (tn_base.h, tn_migrations.h,
 * tn_database.h, tn_fleet.h; hosts include only tenancy.h):
 *   errors (tn_error.c), owned strings (tn_buf.c), text (tn_text.c),
 *   clocks (tn_clock.c), result tables (tn_results.c), versions
 *   (tn_version.c), names (tn_names.c), checksums (tn_checksum.c), bodies
 *   (tn_body.c), migrations (tn_migration.c), migration sets (tn_set.c),
 *   file names (tn_filename.c), folders (tn_folder.c), word arguments
 *   (tn_args.c), the adapter and tracking tables (implemented by hosts;
 *   tn_sql.h runs SQL through an adapter),
 *   catalog (tn_catalog.c), migrate and plan (tn_migrate.c), checkpoints
 *   and rollback (tn_checkpoint.c), status / verify / repair / baseline
 *   (tn_report.c), history (tn_history.c), registry rules (tn_registry.c),
 *   fan-out (tn_fanout.c), tenant_verify_all rows (tn_verify_all.c),
 *   atomic runs (tn_atomic.c); storage faults (tn_storage_error.c, in
 *   tn_base.h after the errors).
 */
#ifndef TENANCY_H
#define TENANCY_H

#include <stddef.h>

#define TN_VERSION_STRING "1.0"

/* The core's declarations, one header per family, in this order. */
#include "tn_base.h"
#include "tn_migrations.h"
#include "tn_database.h"
#include "tn_fleet.h"

/* ================================================================== */

/* SQLite fallback of a PostgreSQL tenant: type mapping, order, conflicts. */
#include "tn_fallback.h"

/* Schema tenants on Citus: placement, distribution state, refusals. */
#include "tn_citus.h"

#endif /* TENANCY_H */
