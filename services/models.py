"""Imports every module that defines tables, so Alembic and tests see the whole schema."""
from services import conversation_refs, handover, state, tasks  # noqa: F401
from services.agenda import models as agenda_models  # noqa: F401,E402
from services.reports import models as report_models  # noqa: F401,E402
