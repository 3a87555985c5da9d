"""Separate worker processes (`python app.py worker`) on one PostgreSQL queue: each task is delivered
exactly once with two and four workers, and a worker killed in the middle of a task loses nothing and
sends nothing twice."""
from __future__ import annotations

import asyncio
import base64
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.settings import ROOT
from services import tasks
from services.conversation_refs import ConversationRefs
from services.db import Database
from services.tasks import Delivery, Task, enqueue
from tests.tasks_support import FlakyConnector, notify_payload, reference

pytestmark = pytest.mark.postgres


@pytest.fixture
async def flaky(aiohttp_server):
    stand_in = FlakyConnector()
    server = await aiohttp_server(stand_in.app())
    stand_in.url = str(server.make_url("")).rstrip("/")
    yield stand_in
    stand_in.release.set()


@pytest.fixture
async def pg(pg_url):
    db = Database(pg_url)
    await db.migrate()
    yield db
    await db.dispose()


class Workers:
    """Worker subprocesses; each logs to its own file, all are stopped at the end."""

    def __init__(self, db_url: str, logs: Path) -> None:
        self.db_url, self.logs, self.procs = db_url, logs, []

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        log = open(self.logs / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        env = {**os.environ, "DATABASE_URL": self.db_url, "LOG_LEVEL": "WARNING", "RUN_WORKER_IN_PROCESS": "0",
               "REPORT_MASTER_KEYS": "t1:" + base64.b64encode(os.urandom(32)).decode()}  # PostgreSQL wants real keys
        proc = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "app.py"), "worker", "--poll", "0.1",
                                                    *args, cwd=str(ROOT), env=env, stdout=log, stderr=log)
        log.close()
        self.procs.append(proc)
        return proc

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("worker-*.log")))


@pytest.fixture
async def workers(pg_url, tmp_path):
    w = Workers(pg_url, tmp_path)
    yield w
    await w.stop()


async def fill(db: Database, connector: FlakyConnector, n: int, people: int = 50) -> None:
    refs = ConversationRefs(db)
    for p in range(people):
        await refs.remember(reference(f"p{p}", service_url=connector.url))
    async with db.sessions() as session, session.begin():
        for i in range(n):
            enqueue(session, "notify", notify_payload(f"p{i % people}", ref=f"n{i}"), idempotency_key=f"t:{i}")


async def wait_done(db: Database, n: int, workers: Workers, timeout: float = 150) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with db.sessions() as session:
            stats = await tasks.counts(session)
        if stats.get("done", 0) >= n or loop.time() > deadline:
            return stats
        if any(p.returncode not in (None, 0) for p in workers.procs if p not in getattr(workers, "killed", [])):
            raise AssertionError("a worker crashed:\n" + workers.log_text()[-3000:])
        await asyncio.sleep(0.1)


def per_person(connector: FlakyConnector) -> Counter:
    """(conversation, notice) -> how many times the person saw it."""
    return Counter((cid, a["text"]) for cid, acts in connector.sent.items() for a in acts)


@pytest.mark.parametrize("n_workers", [2, 4])
async def test_several_workers_deliver_each_task_exactly_once(pg, flaky, workers, n_workers):
    n = 1000
    await fill(pg, flaky, n)
    for _ in range(n_workers):
        await workers.start("--concurrency", "8")
    stats = await wait_done(pg, n, workers)
    assert stats == {"done": n}, workers.log_text()[-3000:]
    seen = per_person(flaky)
    assert len(seen) == n and set(seen.values()) == {1}  # every notice, each exactly once
    expected = {(f"a:p{i % 50}", f"Dette er en testbesked (n{i}) fra KKR Nordjyllands Teams-bot.") for i in range(n)}
    assert set(seen) == expected
    async with pg.sessions() as session:
        rows = (await session.execute(select(Task.attempts))).scalars().all()
    assert set(rows) == {1}  # no task was claimed by two workers


async def test_killing_a_worker_mid_task_loses_nothing_and_sends_nothing_twice(pg, flaky, workers):
    n = 30
    await fill(pg, flaky, n, people=3)
    flaky.hold_request = 7  # the 7th send hangs: the worker is in the middle of that task
    short = ("--concurrency", "1", "--batch", "5", "--lease", "1", "--send-timeout", "1")
    first = await workers.start(*short)
    try:
        await asyncio.wait_for(flaky.held.wait(), 120)
    except TimeoutError:
        raise AssertionError("the worker never reached the 7th send:\n" + workers.log_text()[-3000:]) from None
    first.send_signal(signal.SIGKILL)  # a crash: no clean-up of any kind
    await first.wait()
    workers.killed = [first]
    async with pg.sessions() as session:
        states = Counter((await session.execute(select(Task.status))).scalars().all())
        in_flight = (await session.execute(select(Delivery).where(Delivery.status == "sending"))).scalars().all()
    assert states == {"done": 6, "running": 1, "pending": 23}
    assert [d.idempotency_key for d in in_flight] == ["t:6"]  # the one on the wire when the worker died
    flaky.release.set()  # the held request ends without having reached anyone

    await workers.start(*short)
    stats = await wait_done(pg, n, workers)
    assert stats == {"done": n}, workers.log_text()[-3000:]
    seen = per_person(flaky)
    assert len(seen) == n and set(seen.values()) == {1}
    async with pg.sessions() as session:
        attempts = dict((await session.execute(select(Task.idempotency_key, Task.attempts))).all())
    assert {k for k, a in attempts.items() if a != 1} == {"t:6"}  # retried once its lease ran out
    assert "outcome is unknown, sending again" in workers.log_text()
