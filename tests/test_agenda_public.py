"""Public output of a published agenda: accessible HTML, Markdown and iCalendar (read back with `icalendar`);
closed-session items appear only as stubs; the invitation keeps its UID and raises its SEQUENCE."""
from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from icalendar import Calendar

from bot.web import BOT, SERVICES
from handlers import agenda_web
from tests.agenda_support import CHAIR, RENDERER, SEC, insert_item, make_service, utc

SECRET = "Forhandling om kontrakt med hemmelig operatør"


@pytest.fixture
async def published(sqlite_db, aiohttp_client):
    svc, clock = make_service(sqlite_db, utc(2027, 3, 26, 12))
    open_id = await insert_item(sqlite_db, "accepted", position=1, title="Natbusser i weekenden <og> & \"mere\"")
    closed_id = await insert_item(sqlite_db, "accepted", position=2, closed=True, title=SECRET)
    await svc.publish("nordjylland", "2027-04-07", SEC)
    app = web.Application()
    app[SERVICES] = SimpleNamespace(agenda=svc)
    app[BOT] = SimpleNamespace(renderer=RENDERER)
    agenda_web.add_routes(app)
    client = await aiohttp_client(app)
    return SimpleNamespace(svc=svc, clock=clock, client=client, open_id=open_id, closed_id=closed_id, db=sqlite_db)


async def _ics(client) -> tuple[Calendar, object]:
    resp = await client.get("/passagerraad/nordjylland/2027-04-07.ics")
    assert resp.status == 200 and resp.content_type == "text/calendar"
    cal = Calendar.from_ical(await resp.read())
    return cal, cal.walk("VEVENT")[0]


async def test_html_page_is_accessible_and_keeps_closed_items_out(published):
    resp = await published.client.get("/passagerraad/nordjylland/2027-04-07")
    html = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    assert '<html lang="da">' in html and "<main" in html and "<title>Dagsorden – Passagerråd Nordjylland" in html
    assert re.search(r"<h1>Dagsorden for Passagerråd Nordjylland</h1>", html)
    assert '<time datetime="2027-04-07T16:00:00+02:00">' in html
    assert "Natbusser i weekenden &lt;og&gt; &amp; &#34;mere&#34;" in html  # escaped, not injected
    assert SECRET not in html and "hemmelig" not in html and "Lukket punkt" in html
    assert '<li value="2">' in html
    english = await (await published.client.get("/passagerraad/nordjylland/2027-04-07?lang=en")).text()
    assert '<html lang="en">' in english and "Closed item" in english and SECRET not in english


async def test_markdown_document(published):
    resp = await published.client.get("/passagerraad/nordjylland/2027-04-07.md")
    text = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/markdown"
    assert text.startswith("# Dagsorden for Passagerråd Nordjylland")
    assert "1. **Natbusser i weekenden \\<og\\> & \"mere\"**" in text
    assert "2. *Lukket punkt" in text and SECRET not in text


async def test_icalendar_reads_back_with_a_stable_uid_and_rising_sequence(published):
    cal, event = await _ics(published.client)
    assert str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "PUBLISH"
    assert cal.walk("VTIMEZONE") and str(cal.walk("VTIMEZONE")[0]["TZID"]) == "Europe/Copenhagen"
    uid = str(event["UID"])
    assert uid == "passagerraad-nordjylland-2027-04-07@kkr-nordjylland.dk"
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert start == datetime(2027, 4, 7, 16, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
    assert start.utcoffset().total_seconds() == 7200
    assert event.decoded("DTEND") - start == (datetime(2027, 1, 1, 2, 30) - datetime(2027, 1, 1))
    assert SECRET not in event.to_ical().decode() and "Lukket punkt" in str(event["DESCRIPTION"])
    assert str(event["URL"]).endswith("/passagerraad/nordjylland/2027-04-07")

    # The agenda changes twice: a published item is deferred, then a new item is published.
    await published.svc.act(published.open_id, "defer", CHAIR, reason="Afventer NT's analyse")
    _, changed = await _ics(published.client)
    assert str(changed["UID"]) == uid and changed["SEQUENCE"] == 1
    assert "Natbusser" not in str(changed["DESCRIPTION"])
    late = await insert_item(published.db, "accepted", position=3, title="Flextrafik til sygehuset")
    await published.svc.publish("nordjylland", "2027-04-07", SEC)
    _, again = await _ics(published.client)
    assert str(again["UID"]) == uid and again["SEQUENCE"] == 2 and "Flextrafik" in str(again["DESCRIPTION"])
    assert late


async def test_outcomes_appear_after_the_meeting_but_closed_outcomes_never(published):
    published.clock.at = utc(2027, 4, 8, 9)
    await published.svc.record_outcome(published.open_id, SEC, "Rådet anbefaler natbusser", request_feedback=False)
    await published.svc.record_outcome(published.closed_id, SEC, "Hemmeligt udfald", request_feedback=False)
    html = await (await published.client.get("/passagerraad/nordjylland/2027-04-07")).text()
    assert "Rådet anbefaler natbusser" in html and "Hemmeligt udfald" not in html


async def test_unpublished_and_unknown_agendas_are_not_found(published):
    for path in ("/passagerraad/nordjylland/2027-06-09", "/passagerraad/nordjylland/2027-06-09.ics",
                 "/passagerraad/nordjylland/1999-01-01", "/passagerraad/ukendt/2027-04-07",
                 "/passagerraad/ukendt"):
        assert (await published.client.get(path)).status == 404, path
    index = await (await published.client.get("/passagerraad/nordjylland")).text()
    assert "/passagerraad/nordjylland/2027-04-07" in index and "2027-06-09" not in index


async def test_unchanged_agenda_answers_not_modified(published):
    first = await published.client.get("/passagerraad/nordjylland/2027-04-07")
    etag = first.headers["ETag"]
    second = await published.client.get("/passagerraad/nordjylland/2027-04-07", headers={"If-None-Match": etag})
    assert second.status == 304
    published.clock.at = utc(2027, 4, 8, 9)
    await published.svc.record_outcome(published.open_id, SEC, "Anbefalet", request_feedback=False)
    third = await published.client.get("/passagerraad/nordjylland/2027-04-07", headers={"If-None-Match": etag})
    assert third.status == 200 and "Anbefalet" in await third.text()
