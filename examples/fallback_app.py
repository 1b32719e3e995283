#!/usr/bin/env python3
"""fallback_app.py -- how an application uses a SQLite fallback of its PostgreSQL tenant.

Standard library only: sqlite3 (with tenancy loaded) for the fallback, psql via subprocess for the
primary.  Every write goes to the primary when it answers; when it does not, to the fallback, whose
triggers record the change.  When the primary answers again, the recorded changes are pushed first
(tenant_fallback_push), and only then does the application write to the primary again.

    fallback_app.py FALLBACK_DB PRIMARY_CONNINFO TENANCY_EXT pull
    fallback_app.py FALLBACK_DB PRIMARY_CONNINFO TENANCY_EXT add-note ID BODY   -> "primary" | "fallback"
    fallback_app.py FALLBACK_DB PRIMARY_CONNINFO TENANCY_EXT status

Must not: write to the primary while the fallback holds changes it has not pushed.
"""
import sqlite3
import subprocess
import sys


class TenantDB:
    def __init__(self, fallback_path, primary, extension):
        self.primary = primary
        self.con = sqlite3.connect(fallback_path, isolation_level=None)
        self.con.enable_load_extension(True)
        self.con.load_extension(extension)
        self.con.enable_load_extension(False)

    def _psql(self, sql, *params):
        """Run sql on the primary; None when the primary does not answer."""
        args = ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.primary + " connect_timeout=2"]
        for i, p in enumerate(params, 1):
            args += ["-v", "p%d=%s" % (i, p)]
        r = subprocess.run(args, input=sql, capture_output=True, text=True)
        if r.returncode == 2:          # psql: connection lost or never made
            return None
        if r.returncode != 0:
            raise RuntimeError(r.stderr.strip())
        return r.stdout

    def status(self):
        cols = [d[0] for d in self.con.execute(
            "SELECT * FROM tenant_fallback_status(?) LIMIT 0", (self.primary,)).description]
        row = self.con.execute("SELECT * FROM tenant_fallback_status(?)", (self.primary,)).fetchone()
        return dict(zip(cols, row))

    def pull(self):
        return self.con.execute("SELECT * FROM tenant_fallback_pull(?)", (self.primary,)).fetchall()

    def sync_back(self):
        """Push what the fallback recorded; True when nothing is left waiting."""
        st = self.status()
        if not st["primary_reachable"]:
            return False
        if st["changes_waiting"]:
            rows = self.con.execute("SELECT * FROM tenant_fallback_push(?)", (self.primary,)).fetchall()
            if any(r[3] == "conflict" for r in rows):
                raise RuntimeError("conflicts on push: %r" % [r for r in rows if r[3] == "conflict"])
        return self.status()["changes_waiting"] == 0

    def add_note(self, note_id, body):
        """Write to the primary if it answers and nothing waits in the fallback, else to the fallback."""
        if self.sync_back():
            out = self._psql("INSERT INTO notes(id, body) VALUES (:'p1'::int, :'p2')", note_id, body)
            if out is not None:
                return "primary"
        self.con.execute("INSERT INTO notes(id, body) VALUES (?, ?)", (int(note_id), body))
        return "fallback"


def main(argv):
    if len(argv) < 5:
        print(__doc__)
        return 2
    db = TenantDB(argv[1], argv[2], argv[3])
    cmd = argv[4]
    if cmd == "pull":
        for table, rows in db.pull():
            print("%s %d" % (table, rows))
    elif cmd == "add-note":
        print(db.add_note(argv[5], argv[6]))
    elif cmd == "status":
        st = db.status()
        print("reachable=%d waiting=%d" % (st["primary_reachable"], st["changes_waiting"]))
    else:
        print("unknown command %r" % cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
