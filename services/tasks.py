"""Durable task outbox: tasks are written in the caller's transaction and delivered by workers."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String, Text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str | None] = mapped_column(String(200), index=True)  # e.g. "report:42", to cancel/move
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict,
    *,
    run_at: datetime | None = None,
    subject: str | None = None,
    idempotency_key: str | None = None,
    max_attempts: int = 8,
) -> Task:
    """Add a task to the caller's session: it commits, or rolls back, with the change that caused it."""
    now = utcnow()
    task = Task(
        kind=kind,
        payload=json.dumps(payload, ensure_ascii=False),
        idempotency_key=idempotency_key or uuid.uuid4().hex,
        subject=subject,
        status="pending",
        run_at=run_at or now,
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
    )
    session.add(task)
    return task


async def cancel(session: AsyncSession, subject: str, kind: str | None = None) -> int:
    """Cancel the pending tasks about ``subject`` (e.g. reminders for a case that closed)."""
    stmt = update(Task).where(Task.subject == subject, Task.status == "pending")
    if kind:
        stmt = stmt.where(Task.kind == kind)
    result = await session.execute(stmt.values(status="cancelled"))
    return result.rowcount or 0
