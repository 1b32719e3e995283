"""The SQL of the bench workload, read from bench/workload/postgres/ (not duplicated here)."""
import os

WORKLOAD_DIR = os.environ.get(
    "TENANCY_WORKLOAD_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "workload", "postgres"),
)


def sql(filename):
    with open(os.path.join(WORKLOAD_DIR, filename), encoding="utf-8") as f:
        return f.read()
