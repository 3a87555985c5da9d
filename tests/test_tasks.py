"""Task backend: outbox in the caller's transaction, delivery in Teams or by e-mail, retries, backoff,
dead letters, scheduled reminders on a frozen clock, idempotency across workers, and the in-process
worker of the bot. Real SQLite/PostgreSQL, a real SMTP server (aiosmtpd), a stand-in connector."""
from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.proactive import TaskBackend, parse_retry_after
from bot.render import Renderer
from bot.settings import ROOT
from services import tasks
from services.conversation_refs import ConversationRefs
from services.db import Database
from services.tasks import Delivery, Task, as_utc, cancel, enqueue, reschedule
from services.worker import Worker, WorkerConfig, backoff_delay
from tests.conftest import make_settings
from tests.tasks_support import FlakyConnector, FrozenClock, Mailbox, free_port, notify_payload, reference

RENDERER = Renderer(ROOT / "knowledge" / "responses")


@pytest.fixture
async def flaky(aiohttp_server):
    stand_in = FlakyConnector()
    server = await aiohttp_server(stand_in.app())
    stand_in.url = str(server.make_url("")).rstrip("/")
    yield stand_in
    stand_in.release.set()


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox(port=free_port())
    controller = Controller(box, hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def backend(db, clock, mailbox):
    settings = make_settings(db.url, smtp_host=mailbox.host, smtp_port=mailbox.port)
    b = TaskBackend(settings, db, RENDERER, clock=clock, config=WorkerConfig(backoff_base=10.0))
    yield b
    await b.stop()


async def add(db: Database, payload: dict, **kwargs) -> None:
    async with db.sessions() as session, session.begin():
        enqueue(session, "notify", payload, **kwargs)


async def admin(*args: str, database_url: str) -> str:
    """`python app.py ...` as an administrator runs it."""
    import os
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "app.py"), *args, cwd=str(ROOT), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"})
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def task_rows(db: Database) -> list[Task]:
    async with db.sessions() as session:
        return list((await session.execute(select(Task).order_by(Task.id))).scalars())


async def test_notice_commits_or_rolls_back_with_the_change(db):
    async with db.sessions() as session:
        async with session.begin():
            enqueue(session, "notify", notify_payload("u1"), idempotency_key="k1")
            await session.flush()
            await session.rollback()  # the change that caused it failed: no notice either
    assert await task_rows(db) == []
    await add(db, notify_payload("u1"), idempotency_key="k1", subject="report:1")
    rows = await task_rows(db)
    assert [(r.idempotency_key, r.status, r.subject) for r in rows] == [("k1", "pending", "report:1")]


async def test_notice_reaches_the_person_in_teams_in_their_language(db, backend, flaky, clock):
    await backend.refs.remember(reference("anna", service_url=flaky.url, lang="en"))
    await add(db, notify_payload("anna", ref="r1", lang="da"), run_at=clock.now)
    assert await backend.worker.run_until_idle() == 1
    [activity] = flaky.sent["a:anna"]
    assert activity["text"] == "This is a test message (r1) from KKR Nordjylland's Teams bot."
    assert activity["recipient"]["id"] == "29:anna"
    assert flaky.auth_headers == [None]  # no MicrosoftAppId: no token locally
    [row] = await task_rows(db)
    assert row.status == "done" and row.attempts == 1
    async with db.sessions() as session:
        delivery = await session.get(Delivery, row.idempotency_key)
    assert delivery.status == "sent" and delivery.channel == "teams" and delivery.remote_id


async def test_reference_is_stored_only_for_1to1_chats_and_not_rewritten_when_unchanged(db, flaky):
    refs = ConversationRefs(db)
    ref = reference("bo", service_url=flaky.url)
    assert await refs.remember(ref) is True
    for _ in range(5):
        assert await refs.remember(ref) is False
    assert refs.writes == 1
    fresh = ConversationRefs(db)  # another process: reads once, sees it unchanged, does not write
    assert await fresh.remember(ref) is False and fresh.writes == 0
    moved = {**ref, "serviceUrl": flaky.url + "/emea"}
    assert await refs.remember(moved) is True
    assert (await refs.find(aad_id="bo")).service_url.endswith("/emea")
    assert (await refs.find(user_id="29:bo")).conversation_id == "a:bo"
    english = {**moved, "lang": "en"}  # the person now writes English: notices follow
    assert await refs.remember(english) is True and await ConversationRefs(db).remember(english) is False
    assert (await ConversationRefs(db).find(aad_id="bo")).lang == "en"
    group = reference("carl", service_url=flaky.url, conversation="19:group", conversation_type="groupChat")
    assert await refs.remember(group) is False
    assert await refs.find(aad_id="carl") is None  # a notice must never land in a group chat


async def test_429_honours_retry_after_and_5xx_backs_off_then_delivers_once(db, backend, flaky, clock):
    await backend.refs.remember(reference("dina", service_url=flaky.url))
    flaky.fail_next = [(429, {"Retry-After": "120"}), 503, 502]
    await add(db, notify_payload("dina", ref="r2"), run_at=clock.now)
    await backend.worker.run_until_idle()
    [row] = await task_rows(db)
    assert row.status == "pending" and "429" in row.last_error
    assert as_utc(row.run_at) - clock.now >= timedelta(seconds=120)
    clock.advance(seconds=119)
    assert await backend.worker.run_until_idle() == 0  # not before the connector said so
    clock.advance(seconds=2)
    await backend.worker.run_until_idle()
    [row] = await task_rows(db)
    assert "503" in row.last_error
    delay = (as_utc(row.run_at) - clock.now).total_seconds()
    assert 10.0 <= delay <= 20.0  # attempt 2: base 10 s doubled, with jitter in [half, full]
    clock.advance(seconds=delay)
    await backend.worker.run_until_idle()
    [row] = await task_rows(db)
    assert "502" in row.last_error and row.attempts == 3
    clock.advance(hours=1)
    await backend.worker.run_until_idle()
    [row] = await task_rows(db)
    assert row.status == "done" and row.attempts == 4
    assert flaky.texts() == ["Dette er en testbesked (r2) fra KKR Nordjyllands Teams-bot."]


def test_backoff_is_exponential_with_jitter_and_capped():
    config = WorkerConfig(backoff_base=10, backoff_cap=300)
    rng = random.Random(7)
    for attempt, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 300), (12, 300)]:
        delays = {backoff_delay(attempt, config, rng) for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays) and len(delays) > 1
    assert backoff_delay(1, config, rng, retry_after=900) == 900
    assert parse_retry_after("30") == 30.0 and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: now


async def test_last_failure_dead_letters_with_the_error_and_the_admin_sees_it(db, backend, flaky, clock):
    await backend.refs.remember(reference("emil", service_url=flaky.url))
    flaky.fail_always = 503
    await add(db, notify_payload("emil"), run_at=clock.now, max_attempts=3, subject="agenda:9")
    for _ in range(3):
        await backend.worker.run_until_idle()
        clock.advance(hours=2)
    [row] = await task_rows(db)
    assert row.status == "dead" and row.attempts == 3 and "HTTP 503" in row.last_error
    assert flaky.requests == 3

    out = await admin("tasks", "dead", database_url=db.url)
    assert f"#{row.id} notify subject=agenda:9 attempts=3/3" in out and "HTTP 503" in out
    assert "queued 1" in await admin("tasks", "retry", str(row.id), database_url=db.url)
    flaky.fail_always = None
    backend.worker.clock = lambda: clock.now + timedelta(days=1)
    await backend.worker.run_until_idle()
    [row] = await task_rows(db)
    assert row.status == "done" and len(flaky.texts()) == 1


async def test_bad_notice_dead_letters_at_once_with_a_clear_error(db, backend, flaky, clock):
    await add(db, notify_payload("fie", template=("NoSuchNotices", "x")), run_at=clock.now)
    await add(db, {"recipient": {"aad_id": "fie"}, "template": "not a pair"}, run_at=clock.now)
    await backend.worker.run_until_idle()
    errors = [(r.status, r.attempts, r.last_error) for r in await task_rows(db)]
    assert errors == [("dead", 1, "unknown template NoSuchNotices/x"),
                      ("dead", 1, "payload.template must be [intent, key]")]


async def test_a_notice_for_someone_the_bot_cannot_reach_yet_waits_for_them(db, backend, flaky, clock):
    await add(db, notify_payload("newcomer", ref="welcome"), run_at=clock.now, max_attempts=4)
    await add(db, notify_payload("stranger", ref="never"), run_at=clock.now, max_attempts=4)
    await backend.worker.run_until_idle()
    rows = await task_rows(db)
    assert [r.status for r in rows] == ["pending", "pending"]
    assert rows[0].last_error == "the recipient cannot be reached yet: no Teams conversation and no e-mail address"
    await backend.refs.remember(reference("newcomer", service_url=flaky.url))  # writes to the bot at last
    for _ in range(4):
        clock.advance(hours=2)
        await backend.worker.run_until_idle()
    assert flaky.texts() == ["Dette er en testbesked (welcome) fra KKR Nordjyllands Teams-bot."]
    assert [(r.status, r.attempts) for r in await task_rows(db)] == [("done", 2), ("dead", 4)]


async def test_reminders_fire_on_time_can_be_moved_and_are_cancelled_when_the_item_closes(db, backend, flaky, clock):
    await backend.refs.remember(reference("gry", service_url=flaky.url))
    t0 = clock.now
    async with db.sessions() as session, session.begin():
        enqueue(session, "notify", notify_payload("gry", ref="ack"), subject="report:42",
                run_at=t0 + timedelta(days=7), idempotency_key="report:42:ack")
        enqueue(session, "notify", notify_payload("gry", ref="feedback"), subject="report:42",
                run_at=t0 + timedelta(days=90), idempotency_key="report:42:feedback")
        enqueue(session, "notify", notify_payload("gry", ref="agenda"), subject="agenda:7",
                run_at=t0 + timedelta(days=3), idempotency_key="agenda:7:deadline")
    clock.advance(days=3, seconds=-1)
    assert await backend.worker.run_until_idle() == 0
    async with db.sessions() as session, session.begin():  # the agenda deadline moved two days later
        assert await reschedule(session, "agenda:7", t0 + timedelta(days=5)) == 1
    clock.advance(seconds=1)
    assert await backend.worker.run_until_idle() == 0  # not at the old time
    clock.now = t0 + timedelta(days=5)
    await backend.worker.run_until_idle()
    assert flaky.texts() == ["Dette er en testbesked (agenda) fra KKR Nordjyllands Teams-bot."]
    clock.now = t0 + timedelta(days=7)
    await backend.worker.run_until_idle()
    assert flaky.texts()[-1] == "Dette er en testbesked (ack) fra KKR Nordjyllands Teams-bot."
    async with db.sessions() as session, session.begin():  # the report closed: no feedback reminder
        assert [t.idempotency_key for t in await tasks.pending(session, "report:42")] == ["report:42:feedback"]
        assert await cancel(session, "report:42") == 1
    clock.now = t0 + timedelta(days=120)
    assert await backend.worker.run_until_idle() == 0
    assert len(flaky.texts()) == 2
    statuses = {r.idempotency_key: r.status for r in await task_rows(db)}
    assert statuses == {"report:42:ack": "done", "report:42:feedback": "cancelled", "agenda:7:deadline": "done"}


async def test_a_scheduled_reminder_survives_a_restart(sqlite_url, flaky, clock):
    db = Database(sqlite_url)
    await db.migrate()
    backend = TaskBackend(make_settings(sqlite_url), db, RENDERER, clock=clock)
    await backend.refs.remember(reference("hans", service_url=flaky.url))
    await add(db, notify_payload("hans", ref="later"), run_at=clock.now + timedelta(days=1))
    await backend.worker.run_until_idle()
    await backend.stop()
    await db.dispose()  # the process stops

    db = Database(sqlite_url)
    await db.migrate()
    clock.advance(days=1)
    backend = TaskBackend(make_settings(sqlite_url), db, RENDERER, clock=clock)
    assert await backend.worker.run_until_idle() == 1
    assert flaky.texts() == ["Dette er en testbesked (later) fra KKR Nordjyllands Teams-bot."]
    await backend.stop()
    await db.dispose()


async def test_a_person_not_reachable_in_teams_gets_an_email(db, backend, flaky, clock, mailbox):
    await add(db, notify_payload(email="ida@kommune.dk", ref="no-teams"), run_at=clock.now)  # never talked
    await backend.refs.remember(reference("jon", service_url=flaky.url, lang="en"))
    flaky.fail_next = [403]  # the bot was blocked or removed in Teams
    await add(db, notify_payload("jon", email="jon@kommune.dk", ref="blocked"), run_at=clock.now)
    await backend.worker.run_until_idle()
    assert [r.status for r in await task_rows(db)] == ["done", "done"]
    by_to = {m["To"]: m for m in mailbox.messages}
    assert set(by_to) == {"ida@kommune.dk", "jon@kommune.dk"}
    ida, jon = by_to["ida@kommune.dk"], by_to["jon@kommune.dk"]
    assert ida["Subject"] == "Besked fra KKR Nordjyllands Teams-bot"
    assert "Dette er en testbesked (no-teams)" in ida.get_payload(decode=True).decode()
    assert jon["Subject"] == "A message from KKR Nordjylland's Teams bot"  # his language, from Teams
    assert "This is a test message (blocked)" in jon.get_payload(decode=True).decode()
    assert flaky.texts() == []
    async with db.sessions() as session:
        channels = sorted(d.channel for d in (await session.execute(select(Delivery))).scalars())
    assert channels == ["email", "email"]


async def test_smtp_down_is_retried_not_lost(db, clock, flaky):
    settings = make_settings(db.url, smtp_host="127.0.0.1", smtp_port=free_port())  # nobody listens
    backend = TaskBackend(settings, db, RENDERER, clock=clock)
    await add(db, notify_payload(email="kim@kommune.dk"), run_at=clock.now)
    await backend.worker.run_until_idle()
    [row] = await task_rows(db)
    assert row.status == "pending" and "SMTP unavailable" in row.last_error
    await backend.stop()


async def test_a_task_whose_worker_died_is_retried_after_its_lease(db, backend, flaky, clock):
    await backend.refs.remember(reference("lis", service_url=flaky.url))
    await add(db, notify_payload("lis", ref="lease"), run_at=clock.now)
    crashed = Worker(db, {"notify": backend.notify}, clock=clock)
    assert len(await crashed.claim()) == 1  # claimed, then the worker "dies" before doing anything
    assert await backend.worker.run_until_idle() == 0  # leased to the dead worker
    clock.advance(seconds=121)
    assert await backend.worker.run_until_idle() == 1
    assert flaky.texts() == ["Dette er en testbesked (lease) fra KKR Nordjyllands Teams-bot."]
    [row] = await task_rows(db)
    assert row.status == "done" and row.attempts == 2


async def test_a_slow_attempt_is_not_duplicated_by_a_worker_that_takes_over(db, flaky, clock):
    """Worker A stalls in the connector past its lease; B takes the task over but must not send it
    again while A's attempt may still be in flight, and finds it delivered afterwards."""
    config = WorkerConfig(lease=timedelta(seconds=10), send_timeout=timedelta(seconds=60))
    a = TaskBackend(make_settings(db.url), db, RENDERER, clock=clock, config=config)
    later = FrozenClock(clock.now + timedelta(seconds=11))
    b = TaskBackend(make_settings(db.url), db, RENDERER, clock=later, config=config)
    await a.refs.remember(reference("mia", service_url=flaky.url))
    await add(db, notify_payload("mia", ref="slow"), run_at=clock.now)
    flaky.hold_request = 1
    [claimed] = await a.worker.claim()
    a_task = asyncio.create_task(a.worker.process(claimed))
    await asyncio.wait_for(flaky.held.wait(), 10)
    assert await b.worker.run_until_idle() == 1  # B claims it (lease expired) ...
    [row] = await task_rows(db)
    assert row.status == "pending" and as_utc(row.run_at) == clock.now + timedelta(seconds=60)  # ... and waits
    assert flaky.requests == 1
    flaky.hold_then_deliver = True
    flaky.release.set()
    assert await a_task == "done"  # A's request finally went through and A recorded the delivery
    later.advance(seconds=60)
    assert await b.worker.run_until_idle() == 1  # B looks again, finds it delivered, sends nothing
    assert flaky.texts() == ["Dette er en testbesked (slow) fra KKR Nordjyllands Teams-bot."]
    assert flaky.requests == 1
    [row] = await task_rows(db)
    assert row.status == "done"
    await a.stop()
    await b.stop()


async def test_the_bot_stores_the_reference_and_its_own_worker_delivers(aiohttp_client, sqlite_url, flaky):
    from app import create_app
    from tests.conftest import activity

    app = create_app(make_settings(sqlite_url))
    client = await aiohttp_client(app)
    resp = await client.post("/api/messages", json=activity("hjælp", user="nina", conversation="a:nina",
                                                              service_url=flaky.url))
    assert resp.status in (200, 201)
    replies = len(flaky.sent["a:nina"])
    assert replies >= 1
    from bot.web import SERVICES

    backend = app[SERVICES].extra["tasks"]
    async with backend.db.sessions() as session, session.begin():
        enqueue(session, "notify", notify_payload("nina", ref="in-process"), idempotency_key="nina:1")
    backend.worker.wake()
    for _ in range(600):  # the in-process worker polls once a second; a busy machine may be slower
        if len(flaky.sent["a:nina"]) > replies:
            break
        await asyncio.sleep(0.05)
    assert flaky.sent["a:nina"][-1]["text"] == "Dette er en testbesked (in-process) fra KKR Nordjyllands Teams-bot."


class _Credentials:
    """Stands in for MSAL's client-credentials call to Entra ID, which this machine cannot reach."""

    calls = 0

    def get_access_token(self, force_refresh: bool = False) -> str:
        _Credentials.calls += 1
        return "token-123"


async def test_with_an_app_id_the_connector_gets_a_bot_framework_token(sqlite_db, flaky, clock):
    settings = make_settings(sqlite_db.url, app_id="00000000-0000-0000-0000-0000000000aa", app_password="x")
    backend = TaskBackend(settings, sqlite_db, RENDERER, clock=clock)
    backend.sender._credentials = _Credentials()
    await backend.refs.remember(reference("ole", service_url=flaky.url))
    await backend.refs.remember(reference("per", service_url="http://connector.example.net"))
    await add(sqlite_db, notify_payload("ole"), run_at=clock.now)
    await add(sqlite_db, notify_payload("per"), run_at=clock.now)
    await backend.worker.run_until_idle()
    assert flaky.auth_headers == ["Bearer token-123"]
    rows = await task_rows(sqlite_db)
    assert [r.status for r in rows] == ["done", "dead"]
    assert rows[1].last_error == "refusing to send a Bot Framework token to a non-https service URL"
    await backend.stop()


async def test_a_worker_leaves_kinds_it_cannot_run_and_runs_registered_kinds(sqlite_db, clock, monkeypatch):
    from services import worker as worker_module

    async with sqlite_db.sessions() as session, session.begin():
        enqueue(session, "test_cleanup", {"ref": "R1"}, run_at=clock.now, subject="report:R1:retention")
    assert await Worker(sqlite_db, {}, clock=clock).run_until_idle() == 0  # stays queued, not dead
    assert [r.status for r in await task_rows(sqlite_db)] == ["pending"]
    seen = []

    async def cleanup(ctx):
        seen.append(ctx.payload["ref"])

    monkeypatch.setitem(worker_module.REGISTERED, "test_cleanup", cleanup)
    assert await Worker(sqlite_db, {}, clock=clock).run_until_idle() == 1
    assert seen == ["R1"] and [r.status for r in await task_rows(sqlite_db)] == ["done"]


async def test_purge_deletes_only_old_finished_tasks(db, backend, flaky, clock):
    await backend.refs.remember(reference("pia", service_url=flaky.url))
    for i in range(3):
        await add(db, notify_payload("pia", ref=str(i)), run_at=clock.now, subject=f"s:{i}")
    await backend.worker.run_until_idle()
    await add(db, notify_payload("pia"), run_at=clock.now + timedelta(days=1), subject="later")
    async with db.sessions() as session, session.begin():
        await cancel(session, "later")
    await add(db, notify_payload("pia"), run_at=clock.now + timedelta(days=2), subject="upcoming")
    async with db.sessions() as session, session.begin():
        assert await tasks.purge(session, tasks.utcnow() + timedelta(seconds=1)) == 4
    assert [r.subject for r in await task_rows(db)] == ["upcoming"]
    async with db.sessions() as session:
        assert (await session.execute(select(Delivery))).scalars().all() == []
