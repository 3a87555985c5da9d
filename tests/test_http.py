"""The HTTP edge: welcome, help, fallback, authentication and bad bodies."""
from __future__ import annotations

import pytest

from app import create_app
from tests.conftest import activity, make_settings


async def test_help_in_danish_shows_the_main_tasks(bot):
    text = await bot.say("hjælp")
    assert "Find kontakt" in text and "Indberet" in text and "Nyt dagsordenspunkt" in text


async def test_help_in_english_answers_in_english(bot):
    text = await bot.say("help", locale="en-US")
    assert "Find contact" in text and "Report" in text


async def test_unknown_text_gets_a_polite_fallback_with_suggestions(bot):
    text = await bot.say("blablabla qwerty zxcv")
    assert "forstod jeg desværre ikke" in text
    assert "hvem skal jeg kontakte" in text  # a suggestion of what it can do


async def test_new_chat_gets_a_danish_welcome(bot):
    body = activity("", service_url=bot.connector.url)
    body.update(type="conversationUpdate", membersAdded=[{"id": "29:user-1"}], text=None)
    resp = await bot.client.post("/api/messages", json=body)
    assert resp.status in (200, 201)
    sent = bot.connector.sent["conv-1"]
    assert sent and "KKR Nordjyllands assistent" in sent[0]["text"]


async def test_healthz_reports_database(bot):
    resp = await bot.client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json()) == {"status": "ok", "database": True}


@pytest.mark.parametrize(
    "data, content_type",
    [
        (b"not json at all", "application/json"),
        (b'{"type": "message"}', "text/plain"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"type": "message", "text": "hi"}', "application/json"),
        (b'{"type": 5, "conversation": {"id": "c"}, "serviceUrl": "http://x"}', "application/json"),
        (b'{"type": "message", "conversation": {"id": "c"}, "serviceUrl": "http://x", "from": {"id": "u"}, "text": 7}',
         "application/json"),
        (b'{"type": "message", "conversation": {"id": "c"}, "serviceUrl": "http://x", "from": {"id": "u"}, "text": "'
         + b"a" * 5_000_000 + b'"}', "application/json"),
    ],
    ids=["not-json", "wrong-content-type", "array", "missing-fields", "bad-type", "text-not-string", "5MB"],
)
async def test_bad_bodies_get_4xx_and_the_bot_keeps_serving(bot, data, content_type):
    resp = await bot.client.post("/api/messages", data=data, headers={"Content-Type": content_type})
    assert 400 <= resp.status < 500
    assert "hjælp" not in (await resp.text()).lower()
    assert "Find kontakt" in await bot.say("hjælp")  # still serving


async def test_with_an_app_id_an_unauthenticated_request_gets_401(aiohttp_client, sqlite_url, connector):
    settings = make_settings(sqlite_url, app_id="00000000-0000-0000-0000-000000000001", app_password="secret",
                             app_type="SingleTenant", app_tenant_id="00000000-0000-0000-0000-0000000000aa")
    client = await aiohttp_client(create_app(settings))
    resp = await client.post("/api/messages", json=activity("hjælp", service_url=connector.url))
    assert resp.status == 401
    resp = await client.post("/api/messages", json=activity("hjælp", service_url=connector.url),
                             headers={"Authorization": "Bearer not-a-real-token"})
    assert resp.status == 401
    assert not connector.sent  # nothing was answered


async def test_tenant_allow_list_refuses_other_tenants(aiohttp_client, sqlite_url, connector, caplog):
    client = await aiohttp_client(create_app(make_settings(sqlite_url, allowed_tenants=frozenset({"t-ok"}))))
    resp = await client.post("/api/messages", json=activity("hemmelig besked", tenant="t-other",
                                                              service_url=connector.url))
    assert resp.status == 403
    assert "hemmelig" not in caplog.text
    resp = await client.post("/api/messages", json=activity("hjælp", tenant="t-ok", service_url=connector.url))
    assert resp.status in (200, 201)


def test_refuses_to_listen_remotely_without_app_id():
    from bot.settings import Settings

    with pytest.raises(SystemExit):
        Settings(host="0.0.0.0").check_listen_address()
    Settings(host="0.0.0.0", allow_unauthenticated_remote=True).check_listen_address()
    Settings(host="127.0.0.1").check_listen_address()


async def test_a_card_submit_is_answered_in_the_language_the_card_was_shown_in(bot):
    """The client's locale (en-US in the Playground) must not switch a Danish conversation to English."""
    await bot.say("hjælp")
    card = bot.connector.sent["conv-1"][-1]["attachments"][0]["content"]
    data = card["actions"][0]["data"]
    assert data["lang"] == "da"
    text = await bot.say("", locale="en-US", value={"intent": "Help", "lang": data["lang"]})
    assert "Her er hvad jeg kan hjælpe med" in text


def test_replies_render_as_teams_markdown_lists_and_paragraphs():
    from bot.teams import teams_markdown

    assert teams_markdown("Flere kan hjælpe:\n• A – x\n• B – y\nVil du?") == (
        "Flere kan hjælpe:\n\n- A – x\n- B – y\n\nVil du?")


async def test_the_same_question_again_leaves_the_state_row_alone_and_follow_ups_still_work(bot, sqlite_url):
    import sqlite3

    from sqlalchemy.engine import make_url

    path = make_url(sqlite_url).database

    def etags() -> list[str]:
        with sqlite3.connect(path) as conn:
            return [row[0] for row in conn.execute("SELECT etag FROM bot_state ORDER BY key")]

    first = await bot.say("hvad betaler Hjørring til Børnehus Nord i 2021?")
    assert "489.473" in first
    written = etags()
    assert await bot.say("hvad betaler Hjørring til Børnehus Nord i 2021?") == first
    assert etags() == written  # nothing changed, nothing written
    assert "1.527.364" in await bot.say("og Aalborg?")  # the follow-up reads the context the first turn stored
    assert etags() != written  # the new context is written
