"""Benchmark: "notify" tasks delivered per second by one and by two `python app.py worker` processes on
one PostgreSQL queue, against a stand-in Bot Framework connector on loopback.

    .venv/bin/python tests/bench/bench_tasks.py [--tasks 2000] [--concurrency 10]

Needs the PostgreSQL server at 127.0.0.1:5432 (user postgres, trust auth); creates and drops its own
database. Workers are started and warmed up first; the clock runs from the commit that queues the tasks
until the last one is done. Prints one line per run and the ratio; asserts nothing about speed.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from aiohttp import web  # noqa: E402

from services import tasks  # noqa: E402
from services.conversation_refs import ConversationRefs  # noqa: E402
from services.db import Database  # noqa: E402
from services.tasks import enqueue  # noqa: E402
from tests.tasks_support import FlakyConnector, free_port, notify_payload, reference  # noqa: E402

ADMIN = os.environ.get("PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def run(n_tasks: int, n_workers: int, concurrency: int, connector: FlakyConnector, logs: Path) -> float:
    name = "kkr_bench_" + uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    db = Database(url)
    procs = []
    try:
        await db.migrate()
        refs = ConversationRefs(db)
        for p in range(100):
            await refs.remember(reference(f"p{p}", service_url=connector.url))
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "INFO", "LOG_FORMAT": "text",
               "REPORT_MASTER_KEYS": "b1:" + base64.b64encode(os.urandom(32)).decode()}  # PostgreSQL wants real keys
        for i in range(n_workers):
            log = open(logs / f"w{n_workers}-{i}.log", "wb")  # noqa: SIM115
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "app.py"), "worker", "--poll", "0.05", "--concurrency", str(concurrency),
                cwd=str(ROOT), env=env, stdout=log, stderr=log))
            log.close()
        while not all("started" in (logs / f"w{n_workers}-{i}.log").read_text(errors="replace")
                      for i in range(n_workers)):
            await asyncio.sleep(0.1)
        before = sum(len(v) for v in connector.sent.values())
        async with db.sessions() as session, session.begin():
            for i in range(n_tasks):
                enqueue(session, "notify", notify_payload(f"p{i % 100}", ref=f"{n_workers}:{i}"),
                        idempotency_key=f"bench:{n_workers}:{i}")
        start = time.perf_counter()
        while True:
            async with db.sessions() as session:
                stats = await tasks.counts(session)
            if stats.get("done", 0) >= n_tasks:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
        sent = [a["text"] for acts in connector.sent.values() for a in acts][before:]
        dupes = sum(c - 1 for c in Counter(sent).values() if c > 1)
        rate = n_tasks / elapsed
        print(f"{n_workers} worker(s): {n_tasks} tasks delivered in {elapsed:.2f} s = {rate:.0f} tasks/s "
              f"(concurrency {concurrency} each; duplicates: {dupes})", flush=True)
        return rate
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            await p.wait()
        await db.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    connector = FlakyConnector()
    runner = web.AppRunner(connector.app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    connector.url = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as logs:
            one = await run(args.tasks, 1, args.concurrency, connector, Path(logs))
            two = await run(args.tasks, 2, args.concurrency, connector, Path(logs))
        print(f"two workers / one worker: {two / one:.2f}x (2 cores shared with PostgreSQL and the stand-in)")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
