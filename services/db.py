"""Database engine, session factory and Alembic migrations (SQLite by default, PostgreSQL in production)."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)


_UNSET = object()


class Base(DeclarativeBase):
    """Declarative base for every table; models are imported in services/models.py."""


class Database:
    """One async engine and its session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite and ":///" in url and ":memory:" not in url:
            Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error must not carry report text or identities into a log or traceback
        kwargs: dict = {"echo": echo, "hide_parameters": True}
        if not self.is_sqlite:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=False)
        else:
            kwargs.update(connect_args={"timeout": 30})
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        self._dispose_hooks: list[Callable[[], Awaitable[None]]] = []
        self._fast: Any = _UNSET

    @property
    def fast(self) -> Any:
        """The driver-level fast path for this database (services/state_fast.py), shared, or None."""
        if self._fast is _UNSET:
            from services.state_fast import fast_backend

            self._fast = fast_backend(self.url)
            if self._fast is not None:
                self.on_dispose(self._fast.close)
        return self._fast

    def on_dispose(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Close something that holds its own connections (e.g. the state fast path) in dispose()."""
        self._dispose_hooks.append(hook)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # the health check reports, it does not raise
            log.warning("database ping failed", exc_info=True)
            return False

    async def migrate(self) -> None:
        """Apply every Alembic migration (all heads); safe to run from several processes at once."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
            await conn.run_sync(_upgrade)

    async def dispose(self) -> None:
        for hook in self._dispose_hooks:
            await hook()
        await self.engine.dispose()


def _upgrade(connection) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows (a report past retention) are zeroed, not left in free pages
    cursor.close()
