"""V4: users and tasks columns (bench/workload/postgres/V4__users_and_tasks_columns.sql)

Revision ID: v4
Revises: v3
"""
from alembic import op
import sqlalchemy as sa

from workload import sql

revision = "v4"
down_revision = "v3"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(sql("V4__users_and_tasks_columns.sql")))


def downgrade():
    raise NotImplementedError("the bench workload has no down migrations")
