"""videos.chapters_json

Revision ID: 0009
Revises: 0008

The author's chapters shape every writer's sections. A transcript read back from the store (a second
writer or language for the same video, a transcription handed over between workers) must keep them,
or the second digest's sections would not follow the chapters the first one did.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("chapters_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("chapters_json")
