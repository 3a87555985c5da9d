"""Durable task outbox: tasks are written in the caller's transaction and delivered by workers.

Statuses: ``pending`` (due at ``run_at``), ``running`` (claimed by a worker until ``locked_until``; a
worker that dies leaves the lease to expire and the task is claimed again), ``done``, ``dead`` (the last
try failed; ``last_error`` says why), ``cancelled``. ``deliveries`` records, per idempotency key, that a
task's one outside effect (a Teams message, an e-mail) is in flight or has happened, so a retried task
does not reach the person twice. Worker-side claiming lives in services/worker.py.
"""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base

OPEN = ("pending",)  # what cancel/reschedule may touch: a running task is already being delivered


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC; SQLite hands timestamps back naive (they are stored as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_status_run_at", "status", "run_at"),)

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
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)  # fences a stale worker out


class Delivery(Base):
    """One row per idempotency key: 'sending' while an attempt may be in flight, then 'sent'."""

    __tablename__ = "task_deliveries"

    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    task_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(16))  # sending | sent
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)  # teams | email
    remote_id: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the connector's activity id
    claim_token: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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
    """Add a task to the caller's session: it commits, or rolls back, with the change that caused it.

    ``idempotency_key`` must be unique across all tasks (a second task with the same key fails the
    caller's flush); derive it from what the notice is about, e.g. ``"report:42:received:<aad>"``.
    """
    now = utcnow()
    task = Task(
        kind=kind,
        payload=json.dumps(payload, ensure_ascii=False),
        idempotency_key=idempotency_key or uuid.uuid4().hex,
        subject=subject,
        status="pending",
        run_at=as_utc(run_at) or now,
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
    )
    session.add(task)
    return task


async def cancel(session: AsyncSession, subject: str, kind: str | None = None) -> int:
    """Cancel the pending tasks about ``subject`` (e.g. reminders for a case that closed)."""
    stmt = update(Task).where(Task.subject == subject, Task.status.in_(OPEN))
    if kind:
        stmt = stmt.where(Task.kind == kind)
    result = await session.execute(stmt.values(status="cancelled", locked_until=None))
    return result.rowcount or 0


async def reschedule(session: AsyncSession, subject: str, run_at: datetime, *, kind: str | None = None,
                     idempotency_key: str | None = None) -> int:
    """Move the pending tasks about ``subject`` (or only the one with ``idempotency_key``) to ``run_at``.

    Use it when the underlying date changes (a deadline moved); returns how many tasks moved.
    """
    stmt = update(Task).where(Task.subject == subject, Task.status.in_(OPEN))
    if kind:
        stmt = stmt.where(Task.kind == kind)
    if idempotency_key:
        stmt = stmt.where(Task.idempotency_key == idempotency_key)
    result = await session.execute(stmt.values(run_at=as_utc(run_at)))
    return result.rowcount or 0


move = reschedule


async def pending(session: AsyncSession, subject: str) -> list[Task]:
    """The pending tasks about ``subject``, earliest first (e.g. to show upcoming reminders)."""
    rows = await session.execute(
        select(Task).where(Task.subject == subject, Task.status.in_(OPEN)).order_by(Task.run_at, Task.id))
    return list(rows.scalars())


async def dead(session: AsyncSession, limit: int = 100) -> list[Task]:
    """Dead-lettered tasks, newest first: the administrator's view."""
    rows = await session.execute(select(Task).where(Task.status == "dead").order_by(Task.id.desc()).limit(limit))
    return list(rows.scalars())


async def retry_dead(session: AsyncSession, task_id: int | None = None, *, now: datetime | None = None) -> int:
    """Put dead tasks (one, or all) back in the queue with a fresh set of attempts."""
    stmt = update(Task).where(Task.status == "dead")
    if task_id is not None:
        stmt = stmt.where(Task.id == task_id)
    result = await session.execute(stmt.values(status="pending", attempts=0, run_at=now or utcnow(),
                                               locked_until=None, claim_token=None))
    return result.rowcount or 0


async def purge(session: AsyncSession, older_than: datetime) -> int:
    """Delete finished tasks (done, cancelled) and their delivery records from before ``older_than``.

    Dead tasks stay until an administrator has looked at them (retry, or delete by hand).
    """
    from sqlalchemy import delete

    finished = select(Task.id).where(Task.status.in_(("done", "cancelled")),
                                     Task.created_at < as_utc(older_than))
    ids = list((await session.execute(finished)).scalars())
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        await session.execute(delete(Delivery).where(Delivery.task_id.in_(chunk)))
        await session.execute(delete(Task).where(Task.id.in_(chunk)))
    return len(ids)


async def counts(session: AsyncSession) -> dict[str, int]:
    from sqlalchemy import func

    rows = await session.execute(select(Task.status, func.count()).group_by(Task.status))
    return {status: n for status, n in rows.all()}
