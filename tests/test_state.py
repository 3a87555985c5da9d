"""Conversation state: eTag concurrency, restart survival, and two app instances on one database."""
from __future__ import annotations

import asyncio

import pytest

from services.db import Database
from services.errors import ConcurrencyConflict
from services.state import StateStore


async def test_write_then_read_round_trips_with_a_new_etag(db):
    store = StateStore(db)
    await store.write({"k": {"flow": {"name": "Report"}}})
    doc = (await store.read(["k"]))["k"]
    assert doc["flow"] == {"name": "Report"}
    assert doc["e_tag"]


async def test_stale_etag_loses_and_changes_nothing(db):
    store = StateStore(db)
    await store.write({"k": {"n": 1}})
    first = (await store.read(["k"]))["k"]
    second = (await store.read(["k"]))["k"]
    await store.write({"k": {**first, "n": 2}})
    with pytest.raises(ConcurrencyConflict):
        await store.write({"k": {**second, "n": 3}})
    assert (await store.read(["k"]))["k"]["n"] == 2


async def test_simultaneous_writes_to_one_conversation_one_wins(db):
    store = StateStore(db)
    await store.write({"k": {"n": 0}})
    seen = (await store.read(["k"]))["k"]
    results = await asyncio.gather(*(store.write({"k": {**seen, "n": i}}) for i in range(1, 6)),
                                   return_exceptions=True)
    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in results if isinstance(r, BaseException))


async def test_state_survives_restart_and_is_shared_by_two_instances(db_url):
    first, second = Database(db_url), Database(db_url)
    await first.migrate()
    await second.migrate()
    await StateStore(first).write({"conv": {"flow": {"name": "AgendaItem", "step": "title"}}})
    await first.dispose()  # instance one goes away
    doc = (await StateStore(second).read(["conv"]))["conv"]
    assert doc["flow"]["step"] == "title"
    await StateStore(second).write({"conv": {**doc, "flow": {"name": "AgendaItem", "step": "done"}}})
    restarted = Database(db_url)
    assert (await StateStore(restarted).read(["conv"]))["conv"]["flow"]["step"] == "done"
    await restarted.dispose()
    await second.dispose()


async def test_postgres_fast_path_keeps_to_its_connections_and_drops_one_a_cancelled_turn_used(pg_url):
    from services.state_fast import PostgresState

    database = Database(pg_url)
    await database.migrate()
    store = StateStore(database)
    fast = database.fast
    assert isinstance(fast, PostgresState)
    fast.SIZE = 3
    await store.write({f"k{i}": {"n": i} for i in range(10)})
    reads = await asyncio.gather(*(store.read([f"k{i % 10}"]) for i in range(60)))  # 60 turns at once, 3 connections
    assert [r[f"k{i % 10}"]["n"] for i, r in enumerate(reads)] == [i % 10 for i in range(60)]
    assert len(fast._connections._idle) <= 3

    idle = len(fast._connections._idle)
    slow = asyncio.create_task(fast.execute("SELECT pg_sleep(5)", ()))  # a turn cancelled mid-statement
    await asyncio.sleep(0.3)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert len(fast._connections._idle) == idle - 1  # the interrupted connection was closed, not put back
    assert (await store.read(["k7"]))["k7"]["n"] == 7  # and the next turn reads normally
    await database.dispose()
