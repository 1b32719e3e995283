"""V5: audit log (bench/workload/postgres/V5__audit_log.sql)

Revision ID: v5
Revises: v4
"""
from alembic import op
import sqlalchemy as sa

from workload import sql

revision = "v5"
down_revision = "v4"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(sql("V5__audit_log.sql")))


def downgrade():
    raise NotImplementedError("the bench workload has no down migrations")
