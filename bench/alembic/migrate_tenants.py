#!/usr/bin/python3
"""Migrate N tenant databases with Alembic, tenant by tenant, in one process.

The common multi-tenant practice: one Alembic project, a loop over the tenant
databases, sqlalchemy.url set per tenant, alembic.command.upgrade(cfg, "head")
for each.  Used by bench/pg_fanout.sh as the "alembic loop" baseline.

    /usr/bin/python3 bench/alembic/migrate_tenants.py --host /tmp/sock --port 55470 \
        --user postgres --prefix a --count 200

Prints on stdout the wall time of the loop in milliseconds (after the imports
and the Config are set up; the interpreter start is not counted) and, with
--verbose, one line per tenant on stderr.  Exits non-zero at the first tenant
that fails.
"""
import argparse
import logging
import os
import sys
import time
from urllib.parse import quote

from alembic import command
from alembic.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))


def tenant_url(args, dbname):
    # Unix socket directory (or host name) and port as query parameters of the URL.
    return "postgresql+psycopg2://%s@/%s?host=%s&port=%d" % (
        quote(args.user, safe=""), quote(dbname, safe=""), quote(args.host, safe=""), args.port)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", required=True, help="socket directory or host name")
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--user", default="postgres")
    p.add_argument("--prefix", required=True, help="tenant databases are <prefix>0 .. <prefix>(count-1)")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    # Logging once for the whole process (env.py would reconfigure it per tenant).
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s [%(name)s] %(message)s")
    cfg = Config(os.path.join(HERE, "alembic.ini"))
    cfg.attributes["configure_logger"] = False

    t0 = time.monotonic()
    for i in range(args.count):
        dbname = "%s%d" % (args.prefix, i)
        t = time.monotonic()
        # "%" is ConfigParser interpolation syntax: escape it in the URL.
        cfg.set_main_option("sqlalchemy.url", tenant_url(args, dbname).replace("%", "%%"))
        try:
            command.upgrade(cfg, "head")
        except Exception as e:
            print("migrate_tenants: %s: %s: %s" % (dbname, type(e).__name__, str(e).strip().splitlines()[0]
                                                  if str(e).strip() else ""), file=sys.stderr)
            return 1
        if args.verbose:
            print("%s %.1f ms" % (dbname, (time.monotonic() - t) * 1000), file=sys.stderr)
    print("%.1f" % ((time.monotonic() - t0) * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
