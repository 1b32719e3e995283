"""V1: create accounts and users (bench/workload/postgres/V1__create_accounts_and_users.sql)

Revision ID: v1
Revises: 
"""
from alembic import op
import sqlalchemy as sa

from workload import sql

revision = "v1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(sql("V1__create_accounts_and_users.sql")))


def downgrade():
    raise NotImplementedError("the bench workload has no down migrations")
