/* pg_ext/tenancy--1.0--1.1.sql -- upgrade tenancy 1.0 to 1.1.
 *
 * 1.1 adds an index on history(at), for "what happened since ..." queries
 * on long histories, and comments on the tracking tables.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenancy UPDATE TO '1.1'" to load this file. \quit

CREATE INDEX history_at_idx ON tenancy.history (at);

COMMENT ON TABLE tenancy.catalog IS 'every known migration: version, name, up/down bodies, checksum';
COMMENT ON TABLE tenancy.applied IS 'migrations applied to this database, with checksum and batch';
COMMENT ON TABLE tenancy.history IS 'append-only log of tenancy actions';
COMMENT ON TABLE tenancy.checkpoints IS 'named points a rollback can return to';
