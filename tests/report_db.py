"""A faster ``db`` for the report tests: SQLite fresh per test; one migrated PostgreSQL database per test
session, emptied (TRUNCATE, audit trigger re-enabled) before each test instead of created and migrated
each time. Test modules define ``db`` as ``async with report_db.database(request.param, tmp_path)``."""
from __future__ import annotations

import asyncio
import atexit
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from services.db import Database
from tests.conftest import PG_AVAILABLE, PG_HOST, _pg_admin

TABLES = "report_audit, report_messages, report_identities, report_cases, tasks, task_deliveries"
PARAMS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
_pg: dict[str, str] = {}


def _in_thread(coro) -> None:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


async def _create(url: str, name: str) -> None:
    await _pg_admin(f'CREATE DATABASE "{name}"')
    database = Database(url)
    await database.migrate()
    await database.dispose()


def _pg_url() -> str:
    if not PG_AVAILABLE:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432; CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL is not running")
    if "url" not in _pg:
        name = "kkr_report_" + uuid.uuid4().hex[:12]
        url = f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
        _in_thread(_create(url, name))
        _pg["url"] = url
        atexit.register(lambda: asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
    return _pg["url"]


@asynccontextmanager
async def database(kind: str, tmp_path):  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        await db.migrate()
    else:
        db = Database(_pg_url())
        async with db.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE report_audit ENABLE TRIGGER report_audit_append_only"))
            await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    try:
        yield db
    finally:
        await db.dispose()


async def data_files(db: Database) -> list[bytes]:
    """The database's own files as bytes (SQLite: the file and its WAL; PostgreSQL: base/<oid>/* after a
    CHECKPOINT), or [] when they cannot be read by this user."""
    from pathlib import Path

    if db.is_sqlite:
        path = Path(db.url.split(":///", 1)[1])
        return [p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)]
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("CHECKPOINT"))
        data_dir = (await conn.execute(text("SHOW data_directory"))).scalar_one()
        oid = (await conn.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()"))).scalar_one()
    base = Path(data_dir) / "base" / str(oid)
    if not os.access(base, os.R_OK):
        return []
    return [p.read_bytes() for p in base.iterdir() if p.is_file()]
