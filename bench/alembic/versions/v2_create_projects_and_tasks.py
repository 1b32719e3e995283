"""V2: create projects and tasks (bench/workload/postgres/V2__create_projects_and_tasks.sql)

Revision ID: v2
Revises: v1
"""
from alembic import op
import sqlalchemy as sa

from workload import sql

revision = "v2"
down_revision = "v1"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(sql("V2__create_projects_and_tasks.sql")))


def downgrade():
    raise NotImplementedError("the bench workload has no down migrations")
