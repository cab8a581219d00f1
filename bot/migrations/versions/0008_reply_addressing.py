"""channel_settings.every_reply, threads.recap_spoke_last

Revision ID: 0008
Revises: 0007

Replies in a digest thread are answered when they are addressed to recap: a mention, or a question
right after recap's own message. A thread remembers whether recap spoke last in it, and a channel
may choose to have every reply answered, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_settings") as batch:
        batch.add_column(sa.Column("every_reply", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("threads") as batch:
        # Threads from before: their digest was recap's message, and nobody's reply is known since.
        batch.add_column(sa.Column("recap_spoke_last", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("threads") as batch:
        batch.drop_column("recap_spoke_last")
    with op.batch_alter_table("channel_settings") as batch:
        batch.drop_column("every_reply")
