"""jobs: platform, owner and lease

Revision ID: 0007
Revises: 0006

Several processes may share one database (`recap slack` and `recap discord` on the default SQLite
file, or replicas on PostgreSQL). A job now says which platform it replies on, which process owns
it, and until when: a process resumes only its own platforms' jobs, and only those whose owner is
itself or whose lease ran out (the owner died).
"""

import json

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch.add_column(sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.create_index("ix_jobs_status_platform", ["status", "platform"])
    connection = op.get_bind()
    # Jobs from before carry their platform only in the payload: the ones still owed need it now.
    owed = connection.execute(sa.text("SELECT id, payload_json FROM jobs WHERE status IN ('pending', 'running')"))
    for job_id, payload in owed.all():
        platform = (json.loads(payload).get("place") or {}).get("platform", "")
        connection.execute(sa.text("UPDATE jobs SET platform = :p WHERE id = :id"), {"p": platform, "id": job_id})


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_status_platform")
        batch.drop_column("lease_until")
        batch.drop_column("owner")
        batch.drop_column("platform")
