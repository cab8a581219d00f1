"""usage: requests counted by the limits, shared by every process

Revision ID: 0006
Revises: 0005

Until 0006 the hourly limits were kept in each process's memory (forgotten on a restart, not
shared between processes) and the daily digest budget counted jobs. Counting starts afresh here.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_at"), ["at"], unique=False)
        batch_op.create_index("ix_usage_scope_at", ["scope", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_scope_at")
        batch_op.drop_index(batch_op.f("ix_usage_at"))

    op.drop_table("usage")
