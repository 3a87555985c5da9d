"""Alembic environment: runs on the connection handed over by services.db.Database.migrate()."""
from alembic import context

import services.models  # noqa: F401  (registers every table on Base.metadata)
from services.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `python app.py migrate`.")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
