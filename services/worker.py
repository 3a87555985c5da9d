"""Task workers: claim due tasks, run their handler, retry with backoff, dead-letter the hopeless.

Claiming. PostgreSQL: ``WITH c AS (SELECT id ... FOR UPDATE SKIP LOCKED LIMIT n) UPDATE tasks ... FROM c
RETURNING ...``: concurrent workers lock disjoint rows and never wait for each other. SQLite: the same
statement without the lock clause; SQLite runs one writer at a time, so a single UPDATE ... RETURNING is
atomic (the in-process worker is the only consumer there). A claim sets ``status='running'``, a lease
(``locked_until``) and a fresh ``claim_token``; nothing stays locked while the handler runs. A worker
that dies leaves its lease to expire and the task is claimed again (``attempts`` counts claims, so a task
that kills its worker every time still ends in the dead-letter state).

Idempotency. Before a handler's outside effect a ``task_deliveries`` row keyed by the idempotency key is
committed as 'sending'; success marks it 'sent' together with the task 'done'. A retried task whose key
is 'sent' is finished without sending again; one whose key is 'sending' from an attempt that may still
be in flight waits until that attempt must have ended (``send_timeout``). Only a worker that died in the
middle of an HTTP request leaves a truly unknown outcome; that task is sent again (at-least-once), and the
log says so.

Time comes from an injectable ``clock`` so tests freeze it; nothing here sleeps until a deadline.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, text, update

from services.db import Database
from services.tasks import Delivery, Task, as_utc, utcnow

log = logging.getLogger("kkr.tasks")
Clock = Callable[[], datetime]


class RetryableError(Exception):
    """A failure worth another try later (HTTP 429/5xx, a network error, an SMTP 4xx)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """A failure no retry will fix (no way to reach the person, a broken template): dead-letter now."""


@dataclass(frozen=True)
class TaskContext:
    id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    subject: str | None
    attempt: int
    max_attempts: int
    now: datetime


@dataclass(frozen=True)
class Delivered:
    """What a handler reports after its outside effect: the channel used and the remote id, if any."""

    channel: str | None = None
    remote_id: str | None = None


Handler = Callable[[TaskContext], Awaitable[Delivered | None]]
REGISTERED: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """Register a handler for a task kind in every worker of this process (call it at import time)."""
    REGISTERED[kind] = handler


@dataclass
class WorkerConfig:
    lease: timedelta = timedelta(seconds=120)  # longer than any handler may run
    send_timeout: timedelta = timedelta(seconds=60)  # an attempt older than this has surely ended
    batch: int = 20
    concurrency: int = 10
    poll_seconds: float = 1.0
    backoff_base: float = 15.0  # seconds; doubles each attempt
    backoff_cap: float = 3600.0
    retry_after_cap: float = 86400.0


@dataclass
class _Claimed:
    id: int
    kind: str
    payload: str
    idempotency_key: str
    subject: str | None
    attempts: int
    max_attempts: int
    token: str
    state: str = "go"  # go | skipped | deferred


def backoff_delay(attempt: int, config: WorkerConfig, rng: random.Random, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter; never earlier than the server's Retry-After."""
    delay = min(config.backoff_cap, config.backoff_base * (2 ** max(0, attempt - 1)))
    delay = delay / 2 + rng.uniform(0, delay / 2)
    if retry_after is not None:
        delay = max(delay, min(max(retry_after, 0.0), config.retry_after_cap))
    return delay


@dataclass
class Worker:
    db: Database
    handlers: dict[str, Handler]
    clock: Clock = utcnow
    config: WorkerConfig = field(default_factory=WorkerConfig)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    rng: random.Random = field(default_factory=random.Random)
    processed: int = 0

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self.handlers = {**REGISTERED, **self.handlers}

    # -- claiming ---------------------------------------------------------------------------------
    async def claim(self, limit: int | None = None) -> list[_Claimed]:
        """Claim due tasks and, in the same transaction, mark their deliveries as starting.

        Each returned task has ``state``: 'go' (deliver it), 'skipped' (already delivered earlier: it was
        finished without sending) or 'deferred' (an earlier attempt may still be in flight: put back).
        """
        now = self.clock()
        token = uuid.uuid4().hex
        t = Task.__table__
        due = or_(and_(t.c.status == "pending", t.c.run_at <= now),
                  and_(t.c.status == "running", t.c.locked_until < now))
        # Only kinds this worker can run: a worker of an older release leaves newer kinds to the others.
        pick = (select(t.c.id).where(due, t.c.kind.in_(sorted(self.handlers)))
                .order_by(t.c.run_at, t.c.id).limit(limit or self.config.batch))
        if not self.db.is_sqlite:
            pick = pick.with_for_update(skip_locked=True)
        chosen = pick.cte("chosen")
        stmt = (update(t).where(t.c.id == chosen.c.id)
                .values(status="running", locked_until=now + self.config.lease, attempts=t.c.attempts + 1,
                        claim_token=token)
                .returning(t.c.id, t.c.kind, t.c.payload, t.c.idempotency_key, t.c.subject, t.c.attempts,
                           t.c.max_attempts))
        d = Delivery.__table__
        async with self.db.sessions() as session, session.begin():
            if not self.db.is_sqlite:
                # A claim lost in a database crash only means the task is claimed again: no need to wait
                # for its WAL flush. (Settling a task after its send stays a synchronous commit.)
                await session.execute(text("SET LOCAL synchronous_commit = off"))
            claimed = sorted((_Claimed(*row, token=token) for row in (await session.execute(stmt)).all()),
                             key=lambda c: c.id)
            if not claimed:
                return []
            look = select(d.c.idempotency_key, d.c.status, d.c.claim_token, d.c.started_at).where(
                d.c.idempotency_key.in_([c.idempotency_key for c in claimed]))
            if not self.db.is_sqlite:
                look = look.with_for_update()
            existing = {row[0]: row for row in (await session.execute(look)).all()}
            fresh = []
            for c in claimed:
                row = existing.get(c.idempotency_key)
                if row is None:
                    fresh.append({"idempotency_key": c.idempotency_key, "task_id": c.id, "status": "sending",
                                  "claim_token": token, "started_at": now})
                elif row.status == "sent":
                    c.state = "skipped"
                    await session.execute(update(t).where(t.c.id == c.id).values(
                        status="done", done_at=now, locked_until=None, last_error=None))
                    log.info("task %s already delivered; finished without sending again", c.id)
                elif as_utc(row.started_at) + self.config.send_timeout > now:  # may still be in flight
                    c.state = "deferred"
                    await session.execute(update(t).where(t.c.id == c.id).values(
                        status="pending", run_at=as_utc(row.started_at) + self.config.send_timeout,
                        attempts=t.c.attempts - 1, locked_until=None, claim_token=None))
                else:
                    log.warning("task %s: an earlier attempt stopped mid-send; its outcome is unknown, "
                                "sending again", c.id)
                    await session.execute(update(d).where(d.c.idempotency_key == c.idempotency_key).values(
                        claim_token=token, started_at=now, task_id=c.id))
            if fresh:
                await session.execute(insert(d), fresh)
        return claimed

    # -- one task -----------------------------------------------------------------------------------
    async def process(self, c: _Claimed) -> str:
        """Run one claimed task; returns what became of it: done, retry, dead, deferred or skipped."""
        if c.state != "go":
            return c.state
        now = self.clock()
        if c.attempts > c.max_attempts:
            await self._finish_failed(c, "the worker stopped during every attempt", dead=True)
            return "dead"
        handler = self.handlers.get(c.kind)
        if handler is None:
            await self._finish_failed(c, f"no handler for task kind {c.kind!r}", dead=True)
            return "dead"
        try:
            payload = json.loads(c.payload)
        except ValueError:
            await self._finish_failed(c, "payload is not JSON", dead=True)
            return "dead"
        ctx = TaskContext(c.id, c.kind, payload, c.idempotency_key, c.subject, c.attempts, c.max_attempts, now)
        try:
            result = await handler(ctx)
        except PermanentError as exc:
            await self._finish_failed(c, str(exc) or type(exc).__name__, dead=True)
            return "dead"
        except RetryableError as exc:
            return await self._retry_or_dead(c, str(exc) or type(exc).__name__, exc.retry_after)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an unexpected bug: retried, and dead-lettered if it persists
            log.exception("task %s kind=%s failed unexpectedly", c.id, c.kind)
            return await self._retry_or_dead(c, f"{type(exc).__name__}: {str(exc)[:300]}", None)
        await self._finish_done(c, result or Delivered())
        return "done"

    async def _finish_done(self, c: _Claimed, result: Delivered) -> None:
        now = self.clock()
        async with self.db.sessions() as session, session.begin():
            # Task row first, then the delivery: the order claim() locks them in, so no deadlock.
            await session.execute(update(Task).where(Task.id == c.id, Task.claim_token == c.token)
                                  .values(status="done", done_at=now, locked_until=None, last_error=None))
            await session.execute(
                update(Delivery).where(Delivery.idempotency_key == c.idempotency_key)
                .values(status="sent", channel=result.channel, remote_id=(result.remote_id or None)[:200]
                        if result.remote_id else None, sent_at=now, claim_token=c.token))
        self.processed += 1
        log.debug("task %s kind=%s delivered channel=%s", c.id, c.kind, result.channel)

    async def _retry_or_dead(self, c: _Claimed, error: str, retry_after: float | None) -> str:
        if c.attempts >= c.max_attempts:
            await self._finish_failed(c, error, dead=True)
            return "dead"
        delay = backoff_delay(c.attempts, self.config, self.rng, retry_after)
        await self._finish_failed(c, error, dead=False, delay=delay)
        log.warning("task %s kind=%s attempt %s/%s failed (%s); retry in %.0f s", c.id, c.kind, c.attempts,
                    c.max_attempts, error[:200], delay)
        return "retry"

    async def _finish_failed(self, c: _Claimed, error: str, *, dead: bool, delay: float = 0.0) -> None:
        now = self.clock()
        values: dict[str, Any] = {"last_error": error[:1000], "locked_until": None}
        if dead:
            values.update(status="dead", done_at=now)
        else:
            values.update(status="pending", run_at=now + timedelta(seconds=delay), claim_token=None)
        async with self.db.sessions() as session, session.begin():
            await session.execute(update(Task).where(Task.id == c.id, Task.claim_token == c.token).values(**values))
            # The attempt failed before reaching anyone: it no longer counts as possibly delivered.
            await session.execute(delete(Delivery).where(Delivery.idempotency_key == c.idempotency_key,
                                                         Delivery.claim_token == c.token,
                                                         Delivery.status == "sending"))
        if dead:
            log.error("task %s kind=%s dead after %s attempt(s): %s", c.id, c.kind, c.attempts, error[:200])

    # -- loops --------------------------------------------------------------------------------------
    async def _settle(self, c: _Claimed) -> None:
        try:
            await self.process(c)
        except asyncio.CancelledError:
            raise
        except Exception:  # the database went away mid-task: the lease brings it back
            log.exception("task %s could not be settled; it will be claimed again", c.id)

    async def run_once(self) -> int:
        """Claim one batch and process it; returns how many tasks were claimed."""
        claimed = await self.claim()
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self.config.concurrency)

        async def one(c: _Claimed) -> None:
            async with gate:
                await self._settle(c)

        await asyncio.gather(*(one(c) for c in claimed))
        return len(claimed)

    async def run_until_idle(self, max_batches: int = 10_000) -> int:
        """Process every task due now (by the clock); for tests and one-shot runs."""
        total = 0
        for _ in range(max_batches):
            n = await self.run_once()
            if not n:
                break
            total += n
        return total

    def wake(self) -> None:
        """Look for work now instead of at the next poll (e.g. right after enqueueing in-process)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Keep up to ``concurrency`` tasks in flight until ``stop`` is set; then finish those in flight."""
        log.info("task worker %s started", self.name)
        inflight: set[asyncio.Task] = set()
        failures = 0
        low_water = max(1, self.config.concurrency // 2)
        while not stop.is_set():
            free = self.config.concurrency - len(inflight)
            claimed = 0
            if free >= low_water or not inflight:
                try:
                    batch = await self.claim(min(free, self.config.batch))
                    failures = 0
                except asyncio.CancelledError:
                    raise
                except Exception:
                    failures += 1
                    log.warning("task worker could not reach the database (%s in a row)", failures, exc_info=True)
                    batch = []
                for c in batch:
                    job = asyncio.create_task(self._settle(c))
                    inflight.add(job)
                    job.add_done_callback(inflight.discard)
                claimed = len(batch)
            if claimed and claimed == free:
                continue  # the queue has more: claim again as soon as slots free up
            self._wake.clear()
            waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())}
            if self.config.concurrency - len(inflight) < low_water:
                waits |= set(inflight)  # busy: look again when enough work has finished
                timeout = None
            else:
                timeout = self.config.poll_seconds * min(2 ** failures, 30)
            try:
                await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    if w not in inflight:
                        w.cancel()
        if inflight:
            await asyncio.gather(*inflight, return_exceptions=True)
        log.info("task worker %s stopped", self.name)


# -- administrator view -----------------------------------------------------------------------------
async def dead_report(db: Database, limit: int = 100) -> str:
    """The dead-lettered tasks as text: id, kind, subject, attempts, when and the last error."""
    from services import tasks

    async with db.sessions() as session:
        rows = await tasks.dead(session, limit)
        stats = await tasks.counts(session)
    lines = ["tasks: " + (", ".join(f"{k}={v}" for k, v in sorted(stats.items())) or "none")]
    if not rows:
        lines.append("no dead tasks")
    for t in rows:
        when = as_utc(t.done_at).strftime("%Y-%m-%d %H:%M:%SZ") if t.done_at else "-"
        lines.append(f"#{t.id} {t.kind} subject={t.subject or '-'} attempts={t.attempts}/{t.max_attempts} "
                     f"dead_at={when} error={(t.last_error or '').splitlines()[0][:200] if t.last_error else '-'}")
    return "\n".join(lines)
