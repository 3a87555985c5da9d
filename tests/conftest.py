"""Shared fixtures: real SQLite and PostgreSQL databases, the app, and a stand-in Bot Framework connector."""
from __future__ import annotations

import asyncio
import os
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from aiohttp import web

from bot.settings import ROOT, Settings
from services.db import Database

PG_HOST = os.environ.get("PGHOST_TEST", "127.0.0.1")
PG_ADMIN_DSN = os.environ.get("PG_ADMIN_DSN", f"postgresql://postgres@{PG_HOST}:5432/postgres")
TENANT = "00000000-0000-0000-0000-00000000c0de"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_available() -> bool:
    try:
        asyncio.run(_pg_admin("SELECT 1"))
        return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()


@pytest.fixture
async def pg_url():
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    if not PG_AVAILABLE:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432; CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL is not running")
    name = "kkr_test_" + uuid.uuid4().hex[:12]
    await _pg_admin(f'CREATE DATABASE "{name}"')
    yield f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path: Path) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def db(db_url: str):
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_url: str):
    database = Database(sqlite_url)
    await database.migrate()
    yield database
    await database.dispose()


def make_settings(db_url: str, **overrides) -> Settings:
    return Settings(database_url=db_url, **overrides)


class Connector:
    """A stand-in for the Bot Framework connector service: records every activity the bot sends."""

    def __init__(self) -> None:
        self.sent: dict[str, list[dict]] = defaultdict(list)
        self.fail_next: list[int] = []  # HTTP statuses to answer with before succeeding
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._receive)
        app.router.add_post("/v3/conversations/{cid}/activities", self._receive)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._receive)
        app.router.add_post("/v3/conversations", self._create)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        if self.fail_next:
            return web.Response(status=self.fail_next.pop(0))
        body = await request.json()
        self.sent[request.match_info["cid"]].append(body)
        return web.json_response({"id": uuid.uuid4().hex})

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        cid = "proactive-" + uuid.uuid4().hex
        if body.get("activity"):
            self.sent[cid].append(body["activity"])
        return web.json_response({"id": cid, "activityId": uuid.uuid4().hex})


@pytest.fixture
async def connector(aiohttp_server):
    stand_in = Connector()
    server = await aiohttp_server(stand_in.app())
    stand_in.url = str(server.make_url("")).rstrip("/")
    return stand_in


def activity(text: str, *, conversation: str = "conv-1", user: str = "user-1", locale: str = "da-DK",
             service_url: str = "http://127.0.0.1:1", conversation_type: str = "personal",
             value: dict | None = None, name: str = "Test User", tenant: str = TENANT) -> dict:
    """A Teams message activity as the channel posts it."""
    body = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:" + user, "name": name, "aadObjectId": user},
        "conversation": {"id": conversation, "conversationType": conversation_type, "tenantId": tenant,
                         "isGroup": conversation_type != "personal"},
        "recipient": {"id": "28:bot", "name": "KKR bot"},
        "text": text,
        "locale": locale,
        "channelData": {"tenant": {"id": tenant}},
    }
    if value is not None:
        body["value"] = value
    return body


def reply_texts(sent: list[dict]) -> str:
    """All human-readable text in the activities the bot sent (text, cards, suggestions)."""
    from bot.cardtext import card_to_text

    parts = []
    for act in sent:
        parts.append(act.get("text") or "")
        for att in act.get("attachments") or []:
            parts.append(card_to_text(att.get("content")))
        for action in (act.get("suggestedActions") or {}).get("actions", []):
            parts.append(str(action.get("value")))
    return "\n".join(parts)


class BotClient:
    """Talks to the real app over HTTP, with replies collected by the stand-in connector."""

    def __init__(self, client, connector: Connector) -> None:
        self.client, self.connector = client, connector

    async def say(self, text: str, **kwargs) -> str:
        conversation = kwargs.setdefault("conversation", "conv-1")
        before = len(self.connector.sent[conversation])
        resp = await self.client.post("/api/messages", json=activity(text, service_url=self.connector.url, **kwargs))
        assert resp.status in (200, 201, 202), await resp.text()
        return reply_texts(self.connector.sent[conversation][before:])


@pytest.fixture
async def bot(aiohttp_client, connector, sqlite_url):
    """The whole app on SQLite, reachable over HTTP, replies captured by the stand-in connector."""
    from app import create_app

    client = await aiohttp_client(create_app(make_settings(sqlite_url)))
    return BotClient(client, connector)


@pytest.fixture
def knowledge_dir() -> Path:
    return ROOT / "knowledge"
