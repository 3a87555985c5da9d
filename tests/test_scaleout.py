"""Scaled out: two bot processes and two workers on one PostgreSQL database, behind one nginx address.

A conversation's turns land on alternating processes (nginx round-robin), a multi-turn flow started on one
finishes on the other, queued notices are delivered once by the two workers, and killing a bot process in
the middle of a load loses no accepted turn's effect.
"""
from __future__ import annotations

import asyncio
import base64
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.settings import ROOT
from tests.conftest import PG_AVAILABLE, PG_HOST, Connector, _pg_admin, activity, reply_texts
from tests.e2e.harness import stop, wait_http

PORTS = range(3991, 4000)
NGINX_PORTS = range(8090, 8100)
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def wait_instance(url: str, name: str, timeout: float, proc: subprocess.Popen) -> None:
    """Wait until ``url`` answers as the instance ``name`` (our process), not merely until something answers."""
    import json
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bot exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback
                if json.loads(resp.read()).get("instance") == name:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer as {name} within {timeout} s (another server on the port?)")


def free_ports(candidates: range, count: int) -> list[int]:
    import socket

    found = []
    for port in random.sample(list(candidates), len(candidates)):  # two runs at once rarely pick the same
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"fewer than {count} free ports in {candidates}")


NGINX_CONF = """
worker_processes 1;
daemon off;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format turns '$status $upstream_addr $upstream_status $request_time';
    access_log {tmp}/nginx-access.log turns;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream bots {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://bots;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # A POST is passed to the other process only when it never reached the first (connection
            # refused): a turn that reached a process that then died is not run twice.
            proxy_next_upstream error timeout;
            proxy_connect_timeout 5s;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


class ThreadedConnector:
    """The stand-in Bot Framework connector (tests.conftest.Connector), served from a thread."""

    def __init__(self, port: int) -> None:
        self.stand_in = Connector()
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(self.stand_in.app(), access_log=None)
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())

    def start(self) -> None:
        self.thread.start()
        self._ready.wait(10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def sent(self, conversation: str) -> list[dict]:
        return list(self.stand_in.sent.get(conversation, []))

    def all_sent(self) -> list[dict]:
        return [a for acts in list(self.stand_in.sent.values()) for a in list(acts)]


class Cluster:
    """Two bots and two workers as real processes on one PostgreSQL database, nginx in front."""

    def __init__(self, tmp: Path, db_url: str) -> None:
        self.tmp, self.db_url = tmp, db_url
        self.bots: dict[int, subprocess.Popen] = {}  # port -> process
        self.workers: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None
        bot_a, bot_b, connector = free_ports(PORTS, 3)
        self.bot_ports = [bot_a, bot_b]
        self.connector = ThreadedConnector(connector)
        self.port = free_ports(NGINX_PORTS, 1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        # every process must hold the same report master key, or one cannot open what another sealed
        self.master_keys = "scaleout1:" + base64.b64encode(os.urandom(32)).decode()
        self.run_id = uuid.uuid4().hex[:8]

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("Microsoft")}
        env.update({"DATABASE_URL": self.db_url, "RUN_WORKER_IN_PROCESS": "0", "LOG_LEVEL": "WARNING",
                    "HOST": "127.0.0.1", "REPORT_MASTER_KEYS": self.master_keys})
        env.update(extra)
        return env

    def _spawn(self, name: str, args: list[str], **extra: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self.env(**extra), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def start(self, workers: bool = True) -> None:
        self.connector.start()
        migrate = subprocess.run([sys.executable, "app.py", "migrate"], cwd=ROOT, env=self.env(),
                                 capture_output=True, text=True, timeout=120)
        assert migrate.returncode == 0, migrate.stderr[-2000:]
        for port in self.bot_ports:
            self.bots[port] = self._spawn(f"bot-{port}", ["-m", "tests.scaleout_bot", "run"], PORT=str(port),
                                          INSTANCE_NAME=self.instance(port))
        if workers:
            for n in range(2):
                self.workers.append(self._spawn(f"worker-{n}", ["app.py", "worker"]))
        for port, proc in self.bots.items():
            wait_instance(f"http://127.0.0.1:{port}/healthz", self.instance(port), 60, proc)
        self._start_nginx()

    def instance(self, port: int) -> str:
        """The name each bot reports in /healthz: a server left on the port by someone else has another."""
        return f"scaleout-{self.run_id}-{port}"

    def _start_nginx(self) -> None:
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in self.bot_ports)
        user = "user root;" if os.geteuid() == 0 else ""
        conf = NGINX_CONF.format(tmp=self.tmp, servers=servers, port=self.port, user=user)
        (self.tmp / "nginx.conf").write_text(conf)
        log = open(self.tmp / "nginx.out", "ab")  # noqa: SIM115
        self.nginx = subprocess.Popen([nginx_binary(), "-p", str(self.tmp), "-e", str(self.tmp / "nginx-error.log"),
                                       "-c", str(self.tmp / "nginx.conf")], stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        wait_http(self.url + "/healthz", 20, self.nginx)
        time.sleep(0.1)  # its access log line follows the response
        if self.nginx.poll() is not None or not (self.tmp / "nginx-access.log").read_text().strip():
            raise RuntimeError(f"another server answered on port {self.port}: "
                               + (self.tmp / "nginx-error.log").read_text()[-1000:])
        (self.tmp / "nginx-access.log").write_text("")  # count turns only

    def upstreams(self) -> Counter:
        """How many requests nginx passed to each bot process (from its access log)."""
        lines = (self.tmp / "nginx-access.log").read_text().splitlines()
        return Counter(addr for line in lines for addr in re.findall(r"127\.0\.0\.1:(\d+)", line.split(" ", 1)[1]))

    def kill_bot(self, port: int) -> None:
        self.bots[port].send_signal(signal.SIGKILL)
        self.bots[port].wait()

    def stop(self) -> None:
        if self.nginx is not None:
            stop(self.nginx)
        for proc in [*self.bots.values(), *self.workers]:
            stop(proc)
        self.connector.close()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}" for p in sorted(self.tmp.glob("*.log")))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not PG_AVAILABLE:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432; CI must run the scale-out test")
        pytest.skip("PostgreSQL is not running")
    if not nginx_binary():
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (bash scripts/run-tests installs it)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    name = "kkr_scaleout_" + uuid.uuid4().hex[:10]
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    tmp = tmp_path_factory.mktemp("scaleout")
    cluster = Cluster(tmp, f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}")
    try:
        cluster.start()
        yield cluster
    except Exception:
        print(cluster.logs())
        raise
    finally:
        cluster.stop()
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def post(session: aiohttp.ClientSession, cluster: Cluster, text: str = "", **kwargs) -> int:
    body = activity(text, service_url=cluster.connector.url, **kwargs)
    async with session.post(cluster.url + "/api/messages", json=body) as resp:
        await resp.read()
        return resp.status


def pid_of(reply: str) -> int:
    return int(re.search(r"pid=(\d+)", reply).group(1))


async def test_a_flow_started_on_one_process_finishes_on_the_other(cluster):
    conversation = "scaleout-flow-" + uuid.uuid4().hex[:8]
    before = cluster.upstreams()
    async with aiohttp.ClientSession() as session:
        statuses = [await post(session, cluster, conversation=conversation, value={"intent": "ScaleoutTally"})]
        for n in range(1, 5):
            statuses.append(await post(session, cluster, f"t{n}", conversation=conversation))
        statuses.append(await post(session, cluster, "finish", conversation=conversation))
    assert set(statuses) <= {200, 201}, f"{statuses}\n{cluster.logs()}"
    replies = [reply_texts([a]) for a in cluster.connector.sent(conversation)]
    assert len(replies) == 6, f"{replies}\n{cluster.logs()}"
    pids = [pid_of(r) for r in replies]
    bot_pids = {p.pid for p in cluster.bots.values()}
    assert set(pids) == bot_pids, f"turns should land on both processes: {pids}"
    assert all(a != b for a, b in zip(pids, pids[1:], strict=False)), f"round-robin alternates processes: {pids}"
    started_by = int(re.search(r"started-by=(\d+)", replies[-1]).group(1))
    assert started_by == pids[0] != pids[-1], "the flow finished on the other process than it started on"
    assert "tally finished with 4" in replies[-1] and "seen=t1 t2 t3 t4" in replies[-1]
    for _ in range(50):  # nginx writes its access log line just after the response
        used = cluster.upstreams() - before
        if sum(used.values()) >= 6:
            break
        time.sleep(0.05)
    assert sorted(used.values()) == [3, 3], used
    print(f"\nflow turns per process: {dict(used)}")


async def test_a_report_started_on_one_process_is_submitted_on_the_other(cluster):
    """The real multi-turn report: the municipality on one process, the form's submit on the other."""
    conversation = "scaleout-report-" + uuid.uuid4().hex[:8]
    user = "reporter-" + uuid.uuid4().hex[:8]
    before = cluster.upstreams()
    async with aiohttp.ClientSession() as session:
        for text, value in (("jeg vil indberette sexisme", None), ("Hjørring", None),
                            ("", {"intent": "ReportSubmit", "anonymous": "yes", "what": "En kommentar på et møde.",
                                  "where": "council", "conversation": "no"})):
            assert await post(session, cluster, text, conversation=conversation, user=user, value=value) in (200, 201)
    last = reply_texts(cluster.connector.sent(conversation)[-1:])
    assert "Din indberetning er sendt til modtagerne i Hjørring Kommune" in last, last
    time.sleep(0.2)  # nginx's access log line follows the response
    used = cluster.upstreams() - before
    assert len(used) == 2, f"the three turns alternate between the two processes: {dict(used)}"


async def wait_until_delivered(db_url: str, keys: set[str], timeout: float = 90) -> dict[str, int]:
    from sqlalchemy import func, select

    from services.db import Database
    from services.tasks import Task

    database = Database(db_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            async with database.sessions() as session:
                rows = (await session.execute(select(Task.status, func.count()).where(Task.idempotency_key.in_(keys))
                                              .group_by(Task.status))).all()
            statuses = {status: n for status, n in rows}
            if statuses.get("done", 0) + statuses.get("dead", 0) >= len(keys) or time.monotonic() > deadline:
                return statuses
            await asyncio.sleep(0.2)
    finally:
        await database.dispose()


async def test_every_queued_notice_is_delivered_once_by_two_workers(cluster):
    from services.db import Database
    from services.tasks import enqueue

    users = [f"notice-user-{n}-{uuid.uuid4().hex[:6]}" for n in range(10)]
    async with aiohttp.ClientSession() as session:
        for user in users:  # each person talks to the bot once, so a proactive reference is stored
            assert await post(session, cluster, "hjælp", conversation=f"conv-{user}", user=user) in (200, 201)
    per_user, keys = 20, set()
    database = Database(cluster.db_url)
    started = time.monotonic()
    try:
        async with database.sessions() as db_session, db_session.begin():
            for user in users:
                for n in range(per_user):
                    key = f"scaleout:{user}:{n}"
                    keys.add(key)
                    enqueue(db_session, "notify", {"recipient": {"aad_id": user}, "template": ["Notices", "test_message"],
                                                   "vars": {"ref": f"{user}/{n}"}, "lang": "da"},
                            subject=f"scaleout:{user}", idempotency_key=key)
    finally:
        await database.dispose()
    statuses = await wait_until_delivered(cluster.db_url, keys)
    elapsed = time.monotonic() - started
    assert statuses == {"done": len(keys)}, statuses
    texts = Counter(re.search(r"\((notice-user-[^)]+)\)", a.get("text") or "").group(1)
                    for a in cluster.connector.all_sent() if "notice-user-" in (a.get("text") or ""))
    assert len(texts) == len(keys), "every notice arrived"
    assert set(texts.values()) == {1}, [t for t, n in texts.items() if n > 1][:5]
    print(f"\n{len(keys)} notices delivered once each by two workers in {elapsed:.1f} s "
          f"({len(keys) / elapsed:.0f}/s end to end)")


async def test_killing_a_bot_process_mid_load_loses_no_accepted_turn(cluster):
    conversations = [f"scaleout-load-{n}-{uuid.uuid4().hex[:6]}" for n in range(16)]
    turns_each = 12
    victim = cluster.bot_ports[0]
    results: dict[str, list[tuple[str, int]]] = {c: [] for c in conversations}
    done = 0
    killed_at: int | None = None

    async def converse(session: aiohttp.ClientSession, conversation: str) -> None:
        nonlocal done, killed_at
        for n in range(1, turns_each + 1):
            text = f"t{n}"
            try:
                status = await post(session, cluster, text, conversation=conversation)
            except aiohttp.ClientError:
                status = 0
            results[conversation].append((text, status))
            done += 1
            if killed_at is None and done >= len(conversations) * turns_each // 3:
                killed_at = done
                cluster.kill_bot(victim)  # SIGKILL: no goodbye, requests in flight are cut

    async with aiohttp.ClientSession() as session:
        for conversation in conversations:
            assert await post(session, cluster, conversation=conversation, value={"intent": "ScaleoutTally"}) in (200, 201)
        started = time.monotonic()
        await asyncio.gather(*(converse(session, c) for c in conversations))
        elapsed = time.monotonic() - started
        finals = {}
        for conversation in conversations:
            assert await post(session, cluster, "finish", conversation=conversation) in (200, 201)
            finals[conversation] = reply_texts(cluster.connector.sent(conversation)[-1:])
    accepted = {c: [t for t, status in r if 200 <= status < 300] for c, r in results.items()}
    failed = sum(1 for r in results.values() for _, status in r if not 200 <= status < 300)
    total = len(conversations) * turns_each
    for conversation, texts in accepted.items():
        seen = re.search(r"seen=(.*)$", finals[conversation]).group(1).split()
        missing = [t for t in texts if t not in seen]
        assert not missing, f"{conversation}: accepted turns without their effect: {missing}"
        replied = reply_texts(cluster.connector.sent(conversation))
        assert all(f"tally {t} count=" in replied for t in texts), "every accepted turn was answered"
        assert seen == sorted(seen, key=lambda t: int(t[1:])), "turns kept their order"
    assert failed <= len(conversations), f"only turns in flight on the killed process may fail, not {failed}"
    assert cluster.upstreams()[str(cluster.bot_ports[1])] > 0
    print(f"\nkill test: {total} turns in {elapsed:.1f} s over {len(conversations)} conversations, "
          f"bot on :{victim} killed after {killed_at}; {total - failed} accepted, {failed} cut in flight, "
          "0 accepted turns lost")
