"""python_load.py -- the extension loads into Python's stdlib sqlite3 module
and migrates.  Usage: python3 python_load.py PATH/TO/sqlite_ext/tenancy
(run in an empty folder).  Exit 0 on success, 1 with a message on failure."""
import sqlite3
import sys


def main():
    ext = sys.argv[1]
    con = sqlite3.connect("py.db", isolation_level=None)
    if not hasattr(con, "enable_load_extension"):
        print("this python3 was built without extension loading")
        return 1
    con.enable_load_extension(True)
    con.load_extension(ext)
    con.enable_load_extension(False)
    names = {r[0] for r in con.execute("SELECT name FROM pragma_function_list WHERE name LIKE 'tenant%'")}
    assert {"tenant_migrate", "tenant_migration_add"} <= names, names
    con.execute("SELECT tenant_migration_add('1', 'create_t', 'CREATE TABLE t (a)', 'DROP TABLE t')")
    con.execute("SELECT tenant_migration_add('2', 'fill', 'INSERT INTO t VALUES (1), (2)')")
    applied = con.execute("SELECT tenant_migrate()").fetchone()[0]
    assert applied == 2, applied
    rows = con.execute("SELECT version, state FROM tenant_status()").fetchall()
    assert rows == [("1", "applied"), ("2", "applied")], rows
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    # errors arrive as sqlite3 exceptions with the core's message
    try:
        con.execute("SELECT tenant_migrate('99')")
    except sqlite3.OperationalError as e:
        assert 'target version "99" is not in the catalog' in str(e), str(e)
    else:
        raise AssertionError("unknown target did not raise")
    # inside a Python-managed transaction the unit is a savepoint
    con.execute("BEGIN")
    con.execute("SELECT tenant_migration_add('3', 'three', 'CREATE TABLE t3 (a)')")
    assert con.execute("SELECT tenant_migrate()").fetchone()[0] == 1
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM tenancy_catalog WHERE version = '3'").fetchone()[0] == 0
    con.close()
    print("python: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
