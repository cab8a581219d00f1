"""Alembic environment: recap runs migrations itself, on the connection `bot.store` hands over."""

from alembic import context
from sqlmodel import SQLModel

from bot import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes["connection"]
# render_as_batch: SQLite can only change a table by copying it; batch mode does that for us.
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
