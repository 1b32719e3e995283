"""V3: default rows (bench/workload/postgres/V3__default_rows.sql)

Revision ID: v3
Revises: v2
"""
from alembic import op
import sqlalchemy as sa

from workload import sql

revision = "v3"
down_revision = "v2"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(sql("V3__default_rows.sql")))


def downgrade():
    raise NotImplementedError("the bench workload has no down migrations")
