"""Imports every module that defines tables, so Alembic and tests see the whole schema."""
from services import conversation_refs, handover, state, tasks  # noqa: F401
