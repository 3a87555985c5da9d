"""Wiring shared by the bot process and a separate worker process: the service and its task kind."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from services.db import Database
from services.reports.crypto import MasterKeys
from services.reports.policy import load_policies
from services.reports.service import RETENTION_KIND, ReportService, run_retention

log = logging.getLogger("kkr.reports")


def build_service(settings: Any, db: Database) -> ReportService:
    """Policies (validated) and master keys; without configured keys only SQLite gets a local dev key file."""
    dev_file = None
    if db.is_sqlite and ":///" in db.url and ":memory:" not in db.url:
        dev_file = Path(db.url.split(":///", 1)[1]).parent / "report-master.key"
    if not (settings.report_master_keys or settings.report_key_file):
        log.warning("REPORT_MASTER_KEYS/REPORT_KEY_FILE not set: using a local development key file")
    keys = MasterKeys.from_settings(settings.report_master_keys, settings.report_key_file, dev_file=dev_file)
    return ReportService(db, load_policies(settings.knowledge_dir / "policies"), keys)


def register_tasks(backend: Any, db: Database) -> None:
    """Closed reports are deleted on their retention day by a ``report_retention`` task (no key needed)."""

    async def report_retention(ctx):  # type: ignore[no-untyped-def]
        await run_retention(db, ctx.now)

    backend.add_handler(RETENTION_KIND, report_retention)
