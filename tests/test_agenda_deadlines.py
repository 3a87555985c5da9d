"""Deadlines in Europe/Copenhagen on a frozen clock (also across daylight-saving changes), late submissions,
the comment window, per-meeting changes by the secretariat, and council files validated at start-up."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.agenda import error_text
from services.agenda import AgendaError, CouncilConfigError, Member, load_councils
from services.agenda import deadlines as dl
from services.agenda.config import load_council
from services.tasks import Task
from tests.agenda_support import (
    CHAIR,
    KKR,
    KNOWLEDGE,
    OUTSIDER,
    REGION,
    SEC,
    fields,
    insert_item,
    make_service,
    turn_for,
    utc,
)

COUNCIL = load_councils(KNOWLEDGE / "councils")["nordjylland"]


def test_default_offsets_give_local_calendar_days():
    d = dl.compute(COUNCIL, COUNCIL.meeting("2027-04-07"))
    assert d.dates == {"submission": date(2027, 3, 10), "comments_open": date(2027, 3, 17),
                       "comments_close": date(2027, 3, 24), "publication": date(2027, 3, 31),
                       "minutes": date(2027, 4, 21), "feedback": date(2027, 5, 19)}
    assert d.meeting_start == utc(2027, 4, 7, 14)  # 16:00 summer time (UTC+2)
    # Before the 28 March change the day ends at 23:00 UTC, after it at 22:00 UTC.
    assert d.instant("submission") == utc(2027, 3, 10, 23)
    assert d.instant("comments_open") == utc(2027, 3, 16, 23)
    assert d.instant("publication") == utc(2027, 3, 31, 22)


def test_autumn_change_moves_the_utc_offset_the_other_way():
    d = dl.compute(COUNCIL, COUNCIL.meeting("2027-11-24"))
    assert d.meeting_start == utc(2027, 11, 24, 15)  # 16:00 winter time (UTC+1)
    assert d.dates["submission"] == date(2027, 10, 27)
    assert d.instant("submission") == utc(2027, 10, 27, 22)  # still summer time that day


def test_a_window_across_the_spring_change_closes_at_local_midnight():
    """28 March 2027 has 23 hours in Copenhagen; the window ends at 00:00 local on the 29th, not 24 h later."""
    d = dl.compute(COUNCIL, COUNCIL.meeting("2027-04-07"), {"comments_open": date(2027, 3, 27),
                                                            "comments_close": date(2027, 3, 28)})
    assert d.comments_open(utc(2027, 3, 26, 23))  # 00:00 CET on the 27th
    assert not d.comments_open(utc(2027, 3, 26, 22, 59))
    assert d.comments_open(utc(2027, 3, 28, 21, 30))  # 23:30 CEST on the 28th
    assert not d.comments_open(utc(2027, 3, 28, 22))  # 00:00 CEST on the 29th
    assert d.instant("comments_close") - d.instant("comments_open") == (utc(2027, 3, 28, 22) - utc(2027, 3, 26, 23))
    assert (d.instant("comments_close") - d.instant("comments_open")).total_seconds() == 47 * 3600


async def test_late_submission_is_accepted_but_marked_late(sqlite_db):
    svc, clock = make_service(sqlite_db, utc(2027, 3, 10, 22, 59))  # 23:59 local on the deadline day
    on_time = await svc.create("nordjylland", KKR, fields(), submit=True)
    clock.at = utc(2027, 3, 10, 23, 0)  # 00:00 local the day after
    late = await svc.create("nordjylland", KKR, fields(title="Sent punkt"), submit=True)
    assert (on_time.meeting_key, on_time.late) == ("2027-04-07", False)
    assert (late.meeting_key, late.state, late.late) == ("2027-04-07", "submitted", True)
    assert (await svc.history(late.id))[-1].reason == "late"


async def test_comments_outside_the_window_are_refused_with_the_dates(sqlite_db):
    svc, clock = make_service(sqlite_db, utc(2027, 3, 16, 22, 59))  # 23:59 local, the day before it opens
    item_id = await insert_item(sqlite_db, "accepted")
    with pytest.raises(AgendaError) as refused:
        await svc.act(item_id, "comment", REGION, text="For tidligt")
    refused.value.variables["text"] = "For tidligt"
    message = error_text(turn_for(REGION), refused.value)
    assert "17.03.2027" in message and "24.03.2027" in message and "For tidligt" in message
    clock.at = utc(2027, 3, 16, 23)  # 00:00 local: open
    await svc.act(item_id, "comment", REGION, text="Nu er vinduet åbent")
    clock.at = utc(2027, 3, 24, 23)  # 00:00 local on the 25th: closed
    with pytest.raises(AgendaError) as late:
        await svc.act(item_id, "comment", KKR, text="For sent")
    assert late.value.response_key == "comments_closed"
    assert [c.text for c in await svc.comments(item_id)] == ["Nu er vinduet åbent"]


async def test_the_secretariat_moves_a_meetings_deadlines_and_the_notices_follow(sqlite_db):
    svc, clock = make_service(sqlite_db, utc(2027, 2, 1, 12))
    item_id = await insert_item(sqlite_db, "submitted", position=None)
    await svc.act(item_id, "accept", SEC, meeting_key="2027-04-07", position=1)
    for who in (CHAIR, KKR, OUTSIDER):
        with pytest.raises(AgendaError) as refused:
            await svc.set_deadlines("nordjylland", "2027-04-07", who, {"comments_close": date(2027, 3, 28)})
        assert refused.value.response_key == "not_your_role"
    with pytest.raises(AgendaError) as wrong:
        await svc.set_deadlines("nordjylland", "2027-04-07", SEC, {"publication": date(2027, 4, 8)})
    assert wrong.value.response_key == "deadline_order"
    moved = await svc.set_deadlines("nordjylland", "2027-04-07", SEC,
                                    {"comments_open": date(2027, 3, 20), "comments_close": date(2027, 3, 28)})
    assert moved.dates["comments_close"] == date(2027, 3, 28) and moved.dates["submission"] == date(2027, 3, 10)
    again = await svc.deadlines(COUNCIL, COUNCIL.meeting("2027-04-07"))
    assert again.dates == moved.dates
    async with sqlite_db.sessions() as session:
        tasks = list((await session.execute(select(Task).where(Task.subject == "agenda:meeting:nordjylland:2027-04-07"))).scalars())
    pending = [t for t in tasks if t.status == "pending"]
    assert {t.status for t in tasks} == {"pending", "cancelled"}
    assert len(pending) == len(COUNCIL.members)
    assert all(t.run_at.replace(tzinfo=None) == datetime(2027, 3, 19, 23) for t in pending)  # 00:00 CET 20 March
    assert {json.loads(t.payload)["vars"]["closes"] for t in pending} == {"28.03.2027"}


async def test_the_secretariat_manages_the_follow_up_group(sqlite_db):
    svc, _ = make_service(sqlite_db, utc(2026, 12, 1, 9))
    newcomer = Member("b0000000-0000-4000-8000-0000000000aa", "Nina Ny", "Region Nordjylland", "member")
    with pytest.raises(AgendaError):
        await svc.create("nordjylland", OUTSIDER, fields())
    with pytest.raises(AgendaError) as refused:
        await svc.set_member("nordjylland", KKR, newcomer)
    assert refused.value.response_key == "not_your_role"
    await svc.set_member("nordjylland", SEC, newcomer)
    from services.agenda import Actor

    item = await svc.create("nordjylland", Actor(newcomer.aad_id, "Nina"), fields(), submit=True)
    assert item.submitter_party == "Region Nordjylland"
    await svc.set_member("nordjylland", SEC, newcomer, active=False)
    with pytest.raises(AgendaError) as gone:
        await svc.create("nordjylland", Actor(newcomer.aad_id, "Nina"), fields())
    assert gone.value.response_key == "not_a_member"
    with pytest.raises(AgendaError) as bad_party:
        await svc.set_member("nordjylland", SEC, Member(newcomer.aad_id, "Nina", "Ukendt part", "member"))
    assert bad_party.value.response_key == "unknown_party"
    with pytest.raises(AgendaError):
        await svc.set_member("nordjylland", SEC, Member(SEC.aad_id, "Sara", "Passagerpulsen", "member"))


GOOD = (KNOWLEDGE / "councils" / "nordjylland.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("change, field", [
    (("timezone: Europe/Copenhagen", "timezone: Europe/Kbh"), "timezone"),
    (('"a0000000-0000-4000-8000-000000000003"', '"karen"'), "aad_id"),
    (("party: DSB, role: member", "party: Arriva, role: member"), "party"),
    (("role: chairperson", "role: boss"), "role"),
    (("submission: -28", "submission: -10"), "deadline_offsets_days"),
    (('starts: "2027-06-09T16:00"', 'starts: "9. juni"'), "starts"),
    (("role: secretariat", "role: member"), "members"),
])
def test_a_broken_council_file_names_the_file_and_the_field(tmp_path: Path, change, field):
    broken = tmp_path / "nordjylland.yaml"
    old, new = change
    assert old in GOOD
    broken.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CouncilConfigError) as err:
        load_council(broken)
    assert str(broken) in str(err.value) and field in str(err.value)


def test_the_shipped_council_files_load():
    councils = load_councils(KNOWLEDGE / "councils")
    assert councils["nordjylland"].name == "Passagerråd Nordjylland"
    assert {m.role for m in councils["nordjylland"].members} == {"secretariat", "chairperson", "member"}
    assert datetime(2027, 1, 20, 16, 0) == councils["nordjylland"].meetings[0].starts
    assert UTC  # the council's meetings are local wall-clock times, converted with zoneinfo


def test_a_broken_council_file_stops_start_up(tmp_path: Path):
    import shutil

    from app import build_runtime
    from bot.settings import Settings

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    broken = knowledge / "councils" / "nordjylland.yaml"
    broken.write_text(GOOD.replace("role: chairperson", "role: formand", 1), encoding="utf-8")
    with pytest.raises(CouncilConfigError) as err:
        build_runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", knowledge_dir=knowledge))
    assert "nordjylland.yaml" in str(err.value) and "'role'" in str(err.value)
