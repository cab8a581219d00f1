"""forget unlisted Vimeo videos stored under their public key

Revision ID: 0005
Revises: 0004

Until 0005 an unlisted Vimeo video (vimeo.com/ID/HASH) was stored as `vimeo:ID`, so a plain
vimeo.com/ID link served its digest, transcript and secret URL to anyone. Now such videos are
keyed `vimeo:ID:HASH`. Rows from before cannot be re-keyed with certainty, so they are deleted
with everything that refers to them; the next link to the video fetches it again.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The stored URL of an unlisted video carries its hash in the path or as ?h=.
_UNLISTED = re.compile(r"vimeo\.com/(?:[^?#]*/)?\d+/[0-9a-f]{8,}|[?&]h=[0-9A-Za-z]+")


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT key, url FROM videos WHERE key LIKE 'vimeo:%'")).all()
    leaked = [key for key, url in rows if key.count(":") == 1 and _UNLISTED.search(url or "")]
    for key in leaked:
        params = {"key": key}
        connection.execute(
            sa.text("DELETE FROM turns WHERE conversation_id IN (SELECT id FROM conversations WHERE video_key = :key)"),
            params,
        )
        for table in ("conversations", "threads", "digests", "transcripts"):
            connection.execute(sa.text(f"DELETE FROM {table} WHERE video_key = :key"), params)
        connection.execute(sa.text("DELETE FROM videos WHERE key = :key"), params)


def downgrade() -> None:
    pass  # what was deleted stays deleted: it should never have been served
