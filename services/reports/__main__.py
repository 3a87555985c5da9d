"""Operator commands for reports: ``python -m services.reports rotate|verify-audit|retention``.

rotate        re-wrap every report key under the first key of REPORT_MASTER_KEYS / REPORT_KEY_FILE
              (list the new key first and the old ones after it; remove the old ones once this ran)
verify-audit  check the audit log's hash chain; exit status 1 when it is broken
retention     delete closed cases whose retention period has run out (the task backend does it daily)
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from bot.settings import Settings
from services.db import Database
from services.reports import audit
from services.reports.crypto import MasterKeys
from services.reports.policy import load_policies
from services.reports.service import ReportService


async def run(command: str, settings: Settings) -> int:
    db = Database(settings.db_url)
    try:
        await db.migrate()
        keys = MasterKeys.from_settings(settings.report_master_keys, settings.report_key_file)
        service = ReportService(db, load_policies(settings.knowledge_dir / "policies"), keys)
        if command == "rotate":
            print(f"re-wrapped {await service.rewrap(keys)} report keys under '{keys.active}'")
        elif command == "verify-audit":
            async with db.sessions() as session:
                result = await audit.verify(session)
            print(f"audit log {'intact' if result.ok else f'BROKEN at entry {result.broken_at}'} ({result.entries} entries)")
            return 0 if result.ok else 1
        elif command == "retention":
            print(f"deleted {await service.run_retention(datetime.now(UTC))} closed cases")
        return 0
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.reports", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["rotate", "verify-audit", "retention"])
    args = parser.parse_args(argv)
    try:
        return asyncio.run(run(args.command, Settings.from_env()))
    except ValueError as err:  # configuration: names the variable or file, never a key
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
