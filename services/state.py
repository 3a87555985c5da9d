"""Conversation and user state rows with optimistic concurrency on an eTag."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, Database
from services.errors import ConcurrencyConflict
from services.state_fast import Busy


class StateRow(Base):
    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    etag: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StateStore:
    """Reads and writes JSON documents by key; a write with a stale eTag raises ConcurrencyConflict."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # The same statements straight on the driver (services/state_fast.py); the ORM path below stays
        # for SQLite when another writer holds the lock, and for databases the fast path does not know.
        self._fast = db.fast

    async def read(self, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        if self._fast is not None:
            try:
                return await self._fast.read(list(keys))
            except Busy:
                pass
        async with self.db.sessions() as session:
            rows = (await session.execute(select(StateRow).where(StateRow.key.in_(keys)))).scalars()
            out = {}
            for row in rows:
                doc = json.loads(row.data)
                doc["e_tag"] = row.etag
                out[row.key] = doc
            return out

    async def write(self, changes: dict[str, dict]) -> dict[str, str]:
        """Write each document; '*' or a missing e_tag overwrites, any other e_tag must match."""
        if self._fast is not None and changes:
            try:
                return await self._fast.write(changes)
            except Busy:
                pass
        new_tags: dict[str, str] = {}
        async with self.db.sessions() as session, session.begin():
            for key, doc in changes.items():
                expected = doc.get("e_tag")
                body = json.dumps({k: v for k, v in doc.items() if k != "e_tag"}, ensure_ascii=False)
                tag = uuid.uuid4().hex
                now = datetime.now(UTC)
                if expected and expected != "*":
                    result = await session.execute(
                        update(StateRow)
                        .where(StateRow.key == key, StateRow.etag == expected)
                        .values(etag=tag, data=body, updated_at=now)
                    )
                    if result.rowcount != 1:
                        raise ConcurrencyConflict(key)
                else:
                    existing = await session.get(StateRow, key)
                    if existing is None and expected is None:
                        session.add(StateRow(key=key, etag=tag, data=body, updated_at=now))
                        try:
                            await session.flush()
                        except IntegrityError as exc:  # somebody created it first
                            raise ConcurrencyConflict(key) from exc
                    elif existing is None:
                        session.add(StateRow(key=key, etag=tag, data=body, updated_at=now))
                    else:
                        existing.etag, existing.data, existing.updated_at = tag, body, now
                new_tags[key] = tag
        return new_tags

    async def delete(self, keys: list[str]) -> None:
        from sqlalchemy import delete

        async with self.db.sessions() as session, session.begin():
            await session.execute(delete(StateRow).where(StateRow.key.in_(keys)))
