-- settings.sql -- tenant_settings() (issue 9, "settings documented"): every
-- setting tenancy reads on either engine, with engine, default, unit and
-- meaning, the same list as on PostgreSQL; on SQLite the busy_timeout row
-- shows this connection's PRAGMA busy_timeout.
.headers on
.echo on
.load ./tenancy
SELECT name, engine, default_value, unit, current_value, length(meaning) > 20 AS has_meaning FROM tenant_settings();
PRAGMA busy_timeout = 1234;
SELECT name, current_value FROM tenant_settings() WHERE engine = 'sqlite';
