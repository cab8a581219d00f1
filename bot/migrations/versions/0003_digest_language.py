"""digests: keyed by video, writer and output language

Revision ID: 0003
Revises: 0002

A French digest was served to a channel set to English: the stored digest was found by video and
writer only. Existing digests were written in each video's own language, which the new column
spells "" (a NULL would let a unique constraint hold the same key twice).
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW = "uq_digests_video_key_writer_language"
# SQLite reflects 0001's unnamed constraint with no name; batch mode names it by this convention
# so that it can be dropped while the table is copied.
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _unique_name(columns: list[str]) -> str:
    for unique in sa.inspect(op.get_bind()).get_unique_constraints("digests"):
        if unique["column_names"] == columns:
            return unique["name"] or f"uq_digests_{'_'.join(columns)}"
    raise LookupError(f"digests has no unique constraint on {columns}")


def upgrade() -> None:
    old = _unique_name(["video_key", "writer"])
    with op.batch_alter_table("digests", schema=None, naming_convention=CONVENTION) as batch_op:
        batch_op.add_column(
            sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="")
        )
        batch_op.drop_constraint(old, type_="unique")
        batch_op.create_unique_constraint(NEW, ["video_key", "writer", "language"])


def downgrade() -> None:
    # Only one digest per (video, writer) fits the old key: keep those in the video's language.
    op.execute(sa.text("DELETE FROM digests WHERE language <> ''"))
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_constraint(NEW, type_="unique")
        batch_op.drop_column("language")
        batch_op.create_unique_constraint("uq_digests_video_key_writer", ["video_key", "writer"])
