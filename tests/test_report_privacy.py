"""An anonymous report end to end through the bot, with random markers as the reporter's identity and text.

Afterwards a dump of every table, the database files (SQLite's file and WAL; PostgreSQL's data files and
WAL after a CHECKPOINT) and every log record at DEBUG level must contain none of the identity markers and
not the text in clear. Runs on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import logging
import os
import re
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.web import SERVICES
from services.db import Database
from services.reports.crypto import new_master_key
from services.reports.service import RETENTION_KIND
from tests.conftest import activity, make_settings, reply_texts

MAYOR = "00000000-0000-0000-0860-000000000001"


def marker(kind: str) -> str:
    return f"{kind}{uuid.uuid4().hex[:16]}"


class Chat:
    """Posts Teams activities with a chosen identity; returns the text of the replies and the raw activities."""

    def __init__(self, client, connector, *, conversation: str, user_id: str, aad_id: str, name: str) -> None:
        self.client, self.connector = client, connector
        self.conversation, self.user_id, self.aad_id, self.name = conversation, user_id, aad_id, name

    async def say(self, message: str, value: dict | None = None, conversation_type: str = "personal") -> str:
        body = activity(message, conversation=self.conversation, user=self.aad_id, name=self.name,
                        service_url=self.connector.url, value=value, conversation_type=conversation_type)
        body["from"]["id"] = self.user_id
        before = len(self.connector.sent[self.conversation])
        resp = await self.client.post("/api/messages", json=body)
        assert resp.status in (200, 201, 202), await resp.text()
        return reply_texts(self.connector.sent[self.conversation][before:])


@pytest.fixture
async def app_under_test(aiohttp_client, connector, db_url):
    from app import create_app

    settings = make_settings(db_url, report_master_keys="t1:" + new_master_key(), run_worker_in_process=False)
    client = await aiohttp_client(create_app(settings))
    return client, connector, db_url


def captured_logs(caplog) -> str:
    """Every record, formatted with its traceback and extra fields; the stand-in connector's own access
    log is left out: it plays Microsoft's Bot Connector service, which knows the conversation anyway."""
    fmt = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(fmt.format(r) + " " + str(getattr(r, "fields", "")) for r in caplog.records
                     if not (r.name == "aiohttp.access" and "/v3/conversations" in r.getMessage()))


async def dump_tables(url: str) -> str:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            out = []
            for table in tables:
                for row in (await conn.execute(text(f'SELECT * FROM "{table}"'))).all():
                    for value in row:
                        out.append(bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value))
            return "\n".join(out)
    finally:
        await db.dispose()


async def database_files(url: str, started: float) -> list[Path]:
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("CHECKPOINT"))  # flush shared buffers to the data files
            data_dir = (await conn.execute(text("SHOW data_directory"))).scalar_one()
            oid = (await conn.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()"))).scalar_one()
    finally:
        await db.dispose()
    base = Path(data_dir) / "base" / str(oid)
    if not os.access(base, os.R_OK):
        pytest.skip("PostgreSQL's data directory is not readable by this user")
    wal = [p for p in (Path(data_dir) / "pg_wal").iterdir() if p.is_file() and p.stat().st_mtime >= started - 1]
    return [p for p in base.iterdir() if p.is_file()] + wal


async def test_reports_leave_no_identity_and_no_clear_text(app_under_test, caplog):
    caplog.set_level(logging.DEBUG)  # everything, SQLAlchemy's engine logger included
    started = time.time()
    client, connector, url = app_under_test
    assert RETENTION_KIND in client.server.app[SERVICES].extra["tasks"].worker.handlers  # deletion is wired
    ids = {k: marker(k) for k in ("USER", "NAME", "AAD", "CONV", "CONVB", "USERB", "AADB", "NAMEB")}
    what_marker, when_marker = marker("TEXT"), marker("WHEN")
    what = f"Under udvalgsmødet sagde han noget om min krop {what_marker} og grinede."
    when = f"tirsdag aften {when_marker}"
    reporter = Chat(client, connector, conversation="a:" + ids["CONV"], user_id="29:" + ids["USER"],
                    aad_id=ids["AAD"], name=ids["NAME"])

    assert "Hvilken kommune" in await reporter.say("jeg vil indberette sexisme")
    explained = await reporter.say("Hjørring")
    assert "Borgmester i Hjørring" in explained and "Microsoft" in explained and "112" in explained
    assert "Hvor skete det" in await reporter.say("anonym")
    assert "Hvornår" in await reporter.say("Udvalg")
    assert "Beskriv" in await reporter.say(when)
    assert "holdes udenfor" in await reporter.say(what)
    assert "samtale" in await reporter.say("ingen")
    confirm = await reporter.say("ja")
    assert what in confirm  # the reporter sees their own text before sending
    receipt = await reporter.say("send")
    ref = re.search(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt).group(0)
    code = re.search(r"Opfølgningskode:\*\*\s*([0-9A-Z-]{24})", receipt).group(1)

    # the recipient reads it; the reporter follows up from another chat with another identity
    mayor = Chat(client, connector, conversation="mayor-chat", user_id="29:mayor", aad_id=MAYOR, name="Borgmester")
    assert ref in await mayor.say("vis indberetninger")
    assert what_marker in await mayor.say("", value={"intent": "ReportOpen", "ref": ref})
    assert "Kvitteret" not in await mayor.say("", value={"intent": "ReportAct", "action": "acknowledge", "ref": ref})
    other = Chat(client, connector, conversation="a:" + ids["CONVB"], user_id="29:" + ids["USERB"],
                 aad_id=ids["AADB"], name=ids["NAMEB"])
    followed = await other.say(f"opfølgning {ref} {code}")
    assert "Kvitteret" in followed
    assert "tilføjet" in await other.say("", value={"intent": "ReportAddInfo", "ref": ref, "code": code,
                                                    "text": f"Mere: {what_marker}"})

    # a named report in the same database: the recipients see the name, the database holds it encrypted
    named = {k: marker(k) for k in ("NUSER", "NNAME", "NAAD", "NCONV")}
    named_text = marker("NTEXT")
    writer = Chat(client, connector, conversation="a:" + named["NCONV"], user_id="29:" + named["NUSER"],
                  aad_id=named["NAAD"], name=named["NNAME"])
    await writer.say("jeg vil indberette sexisme i Hjørring")
    second = await writer.say("", value={"intent": "ReportSubmit", "anonymous": "no", "what": f"Hændelse {named_text}",
                                         "when": "", "where": "group", "exclude": "", "conversation": "yes"})
    named_ref = re.search(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}", second).group(0)
    assert named["NNAME"] in await mayor.say("", value={"intent": "ReportOpen", "ref": named_ref})

    dump = await dump_tables(url)
    assert ref in dump  # the dump is real: the case and its audit entries are there
    assert "ReportNotices" in dump  # and the content-free notices to the recipients
    files = await database_files(url, started)
    assert files
    blobs = [p.read_bytes() for p in files]
    assert any(ref.encode() in blob for blob in blobs)  # the file scan sees what was written in clear
    logs = captured_logs(caplog)
    assert "turn activity=" in logs or any(r.name == "kkr.turn" for r in caplog.records)
    secrets = [*ids.values(), *named.values(), named_text, what_marker, when_marker, code, code.replace("-", ""),
               what, when]
    for secret in secrets:
        assert secret not in dump, secret
        assert secret not in logs, secret
        for path, blob in zip(files, blobs, strict=True):
            assert secret.encode() not in blob, (secret, path.name)
    assert "turn failed" not in logs


async def test_database_engine_does_not_log_or_leak_parameters(db):
    assert db.engine.echo is False
    assert db.engine.sync_engine.hide_parameters is True
    secret = marker("PARAM")
    with pytest.raises(Exception) as err:
        async with db.sessions() as s, s.begin():
            await s.execute(text("INSERT INTO report_audit (seq, day, actor, action, detail, prev_hash, hash) "
                                 "VALUES (1, NULL, :a, 'x', '', 'p', 'h')"), {"a": secret})
    assert secret not in str(err.value) and secret not in repr(err.value)
