"""The agenda item state machine: every state x action x role, required reasons, version conflicts,
all-or-nothing publication and the recorded history."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select

from handlers.agenda import error_text, label
from services.agenda import ACTIONS, STATES, AgendaError, AgendaService
from services.agenda.models import AgendaItem, AgendaTransition
from services.tasks import Task
from tests.agenda_support import (
    CHAIR,
    KKR,
    NT,
    PEOPLE,
    REGION,
    SEC,
    fields,
    insert_item,
    make_service,
    turn_for,
    utc,
)

R = frozenset({"secretariat", "chairperson"})
S = frozenset({"submitter"})
GROUP = frozenset({"submitter", "member", "responsible", "secretariat", "chairperson"})
# Written out by hand from the issue, independently of services/agenda/workflow.py.
EXPECTED: dict[str, dict[str, tuple[frozenset[str], str]]] = {
    "draft": {"edit": (S, "draft"), "submit": (S, "submitted"), "withdraw": (S, "withdrawn")},
    "submitted": {"request_changes": (R, "needs_changes"), "accept": (R, "accepted"), "decline": (R, "declined"),
                  "defer": (R, "deferred"), "withdraw": (S, "withdrawn")},
    "needs_changes": {"edit": (S, "needs_changes"), "submit": (S, "submitted"), "withdraw": (S, "withdrawn")},
    "accepted": {"defer": (R, "deferred"), "withdraw": (S, "withdrawn"), "comment": (GROUP, "accepted")},
    "declined": {},
    "deferred": {"accept": (R, "accepted"), "decline": (R, "declined"), "withdraw": (S, "withdrawn")},
    "withdrawn": {},
    "on_agenda": {"defer": (R, "deferred"), "record_outcome": (R, "treated")},
    "treated": {"request_feedback": (R, "awaiting_feedback"), "close": (R, "closed")},
    "awaiting_feedback": {"give_feedback": (frozenset({"responsible", "secretariat"}), "feedback_given")},
    "feedback_given": {"close": (R, "closed")},
    "closed": {},
}
PARAMS = {"edit": {"fields": fields()}, "request_changes": {"reason": "Uddyb venligst"},
          "decline": {"reason": "Hører under en anden myndighed"},
          "accept": {"meeting_key": "2027-04-07", "position": 2}, "comment": {"text": "God idé"},
          "record_outcome": {"outcome": "Rådet anbefaler flere afgange"},
          "give_feedback": {"feedback": "Indgår i køreplan 2028"}}


def test_the_table_covers_every_state():
    assert set(EXPECTED) == set(STATES)


@pytest.mark.parametrize("state", STATES)
async def test_every_action_by_every_role(sqlite_db, state):
    """Allowed moves succeed and are recorded; everything else is refused, naming what *is* allowed."""
    svc, _clock = make_service(sqlite_db, utc(2027, 3, 20, 12))  # inside the comment window of 7 April
    meeting = "2027-01-20" if state == "on_agenda" else "2027-04-07"  # outcomes only after the meeting
    cases = 0
    for action in ACTIONS:
        for role, person in PEOPLE.items():
            item_id = await insert_item(sqlite_db, state, meeting_key=meeting, position=None)
            params = dict(PARAMS.get(action, {}))
            if action == "accept":
                params["position"] = item_id % 99 + 1  # a free position for every case
            may, target = EXPECTED[state].get(action, (frozenset(), ""))
            allowed_here = [a for a, (who, _t) in EXPECTED[state].items() if role in who]
            if role in may:
                item = await svc.act(item_id, action, person, expected_version=1, **params)
                assert item.state == target, (state, action, role)
                if action != "comment":
                    last = (await svc.history(item_id))[-1]
                    assert (last.from_state, last.to_state, last.actor_aad, last.action) == \
                        (state, target, person.aad_id, action)
            else:
                with pytest.raises(AgendaError) as refused:
                    await svc.act(item_id, action, person, expected_version=1, **params)
                err = refused.value
                assert err.response_key in ("not_in_state", "not_your_role"), (state, action, role, err.response_key)
                assert sorted(err.variables["allowed"]) == sorted(allowed_here), (state, action, role)
                message = error_text(turn_for(person), err)
                for allowed in allowed_here:
                    assert label(turn_for(person), "action", allowed) in message, message
                if not allowed_here:
                    assert "Du kan nu: ingen" in message or "Kun " in message
                async with sqlite_db.sessions() as session:
                    unchanged = await session.get(AgendaItem, item_id)
                    assert (unchanged.state, unchanged.version) == (state, 1)
            cases += 1
    assert cases == len(ACTIONS) * len(PEOPLE)


async def test_refusal_reads_clearly_in_both_languages(sqlite_db):
    svc, _ = make_service(sqlite_db)
    item_id = await insert_item(sqlite_db, "submitted")
    with pytest.raises(AgendaError) as refused:
        await svc.act(item_id, "accept", KKR, meeting_key="2027-04-07", position=1)
    da = error_text(turn_for(KKR), refused.value)
    en = error_text(turn_for(KKR, "en"), refused.value)
    assert da == "Kun sekretariatet (Passagerpulsen) eller forpersonen kan godkende. Du kan nu: trække tilbage."
    assert en == "Only the secretariat (Passagerpulsen) or the chairperson can accept. What you can do now: withdraw."


@pytest.mark.parametrize("action", ["decline", "request_changes"])
async def test_a_reason_is_required(sqlite_db, action):
    svc, _ = make_service(sqlite_db)
    item_id = await insert_item(sqlite_db, "submitted")
    for blank in (None, "", "   "):
        with pytest.raises(AgendaError) as refused:
            await svc.act(item_id, action, SEC, reason=blank)
        assert refused.value.response_key == "required" and refused.value.variables["field"] == "reason"
        assert "Begrundelse" in error_text(turn_for(SEC), refused.value)
    item = await svc.act(item_id, action, SEC, reason="Mangler data fra NT")
    assert (await svc.history(item.id))[-1].reason == "Mangler data fra NT"


async def test_accept_needs_a_free_position_and_an_upcoming_meeting(sqlite_db):
    svc, _ = make_service(sqlite_db)
    await insert_item(sqlite_db, "accepted", position=1)
    item_id = await insert_item(sqlite_db, "submitted", position=None)
    for params, key in (({"meeting_key": "2027-04-07"}, "position_required"),
                        ({"meeting_key": "2027-04-07", "position": 1}, "position_taken"),
                        ({"meeting_key": "2027-01-20", "position": 2}, "meeting_passed")):
        with pytest.raises(AgendaError) as refused:
            await svc.act(item_id, "accept", SEC, **params)
        assert refused.value.response_key == key
    item = await svc.act(item_id, "accept", CHAIR, meeting_key="2027-04-07", position=2)
    assert (item.state, item.meeting_key, item.position) == ("accepted", "2027-04-07", 2)


async def test_the_whole_history_is_recorded_with_who_when_from_to_and_reason(sqlite_db):
    svc, clock = make_service(sqlite_db, utc(2026, 12, 1, 9))
    item = await svc.create("nordjylland", KKR, fields(), submit=True)
    item = await svc.act(item.id, "request_changes", SEC, reason="Tilføj passagertal")
    item = await svc.act(item.id, "submit", KKR, fields=fields(title="Busser til lufthavnen, med passagertal"))
    item = await svc.act(item.id, "accept", CHAIR, meeting_key="2027-01-20", position=1)
    rows = [(h.action, h.from_state, h.to_state, h.actor_aad, h.actor_role, h.reason) for h in await svc.history(item.id)]
    assert rows == [
        ("create", None, "draft", KKR.aad_id, "member", None),
        ("submit", "draft", "submitted", KKR.aad_id, "member", None),
        ("request_changes", "submitted", "needs_changes", SEC.aad_id, "secretariat", "Tilføj passagertal"),
        ("submit", "needs_changes", "submitted", KKR.aad_id, "member", None),
        ("accept", "submitted", "accepted", CHAIR.aad_id, "chairperson", "2027-01-20 #1"),
    ]
    assert all(h.at.replace(tzinfo=None) == datetime(2026, 12, 1, 9) for h in await svc.history(item.id))
    assert item.title == "Busser til lufthavnen, med passagertal"


async def test_the_submitter_is_told_each_time_through_the_task_backend(sqlite_db):
    svc, _ = make_service(sqlite_db, utc(2026, 12, 1, 9))
    item = await svc.create("nordjylland", KKR, fields(), submit=True)
    await svc.act(item.id, "decline", SEC, reason="Uden for rådets område")
    async with sqlite_db.sessions() as session:
        tasks = list((await session.execute(select(Task).where(Task.kind == "notify"))).scalars())
    import json

    payloads = [json.loads(t.payload) for t in tasks]
    to_kkr = [p for p in payloads if p["recipient"]["aad_id"] == KKR.aad_id]
    assert [p["template"] for p in to_kkr] == [["AgendaNotices", "declined"]]
    assert to_kkr[0]["vars"]["reason"] == "Uden for rådets område"
    reviewers = {p["recipient"]["aad_id"] for p in payloads if p["template"] == ["AgendaNotices", "submitted"]}
    assert reviewers == {SEC.aad_id, CHAIR.aad_id}


class RacingService(AgendaService):
    """Lets two requests both read the item before either writes: the moment a version check exists for."""

    barrier: asyncio.Barrier

    async def _apply(self, session, council, item, action, actor, now, **params):  # type: ignore[no-untyped-def]
        await self.barrier.wait()
        await super()._apply(session, council, item, action, actor, now, **params)


async def test_two_people_acting_at_once_cannot_both_win(db):
    """Runs on SQLite and on PostgreSQL (the `db` fixture)."""
    from services.agenda import load_councils
    from tests.agenda_support import KNOWLEDGE, Clock

    svc = RacingService(db, load_councils(KNOWLEDGE / "councils"), clock=Clock(utc(2027, 3, 1, 12)))
    for first, second in ((("accept", SEC, {"meeting_key": "2027-04-07", "position": 3}),
                           ("decline", CHAIR, {"reason": "Samme emne som punkt 2"})),
                          (("withdraw", KKR, {}), ("accept", CHAIR, {"meeting_key": "2027-04-07", "position": 4}))):
        svc.barrier = asyncio.Barrier(2)
        item_id = await insert_item(db, "submitted", position=None)
        results = await asyncio.gather(
            *(svc.act(item_id, action, who, expected_version=1, **params) for action, who, params in (first, second)),
            return_exceptions=True)
        wins = [r for r in results if isinstance(r, AgendaItem)]
        losses = [r for r in results if isinstance(r, Exception)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert isinstance(losses[0], AgendaError) and losses[0].response_key == "stale"
        assert losses[0].variables == {"item": item_id, "state": wins[0].state}  # the loser learns what happened
        async with db.sessions() as session:
            item = await session.get(AgendaItem, item_id)
            moves = (await session.execute(select(func.count()).select_from(AgendaTransition)
                                           .where(AgendaTransition.item_id == item_id))).scalar_one()
        assert item.state == wins[0].state and moves == 1


async def test_a_stale_card_is_refused(sqlite_db):
    svc, _ = make_service(sqlite_db)
    item_id = await insert_item(sqlite_db, "submitted", position=None)
    await svc.act(item_id, "defer", SEC, expected_version=1)
    with pytest.raises(AgendaError) as refused:
        await svc.act(item_id, "accept", CHAIR, expected_version=1, meeting_key="2027-04-07", position=5)
    assert refused.value.response_key == "stale"
    assert "udsat" in error_text(turn_for(CHAIR), refused.value)


async def test_publication_is_all_or_nothing(db):
    svc, _ = make_service(db, utc(2027, 3, 26, 12))
    ids = [await insert_item(db, "accepted", position=p) for p in (1, 2, 3)]
    other_meeting = await insert_item(db, "accepted", meeting_key="2027-06-09", position=1)
    snapshot = {i: 1 for i in ids}
    await svc.act(ids[1], "defer", CHAIR)  # somebody changes the draft after the publisher looked at it
    with pytest.raises(AgendaError) as refused:
        await svc.publish("nordjylland", "2027-04-07", SEC, expected=snapshot)
    assert refused.value.response_key == "publish_stale"
    async with db.sessions() as session:
        states = {i: (await session.get(AgendaItem, i)).state for i in ids}
    assert states == {ids[0]: "accepted", ids[1]: "deferred", ids[2]: "accepted"}
    assert await svc.meeting_state("nordjylland", "2027-04-07") is None or \
        (await svc.meeting_state("nordjylland", "2027-04-07")).published_at is None

    # A conflicting write in the middle of publishing rolls the whole publication back.
    class Interrupted(AgendaService):
        def _notify_submitter(self, session, council, item, key, now, **v):  # type: ignore[no-untyped-def]
            if item.id == ids[2]:
                raise AgendaError("stale", item=item.id, state=item.state)
            super()._notify_submitter(session, council, item, key, now, **v)

    broken = Interrupted(db, svc.councils, clock=svc.clock)
    with pytest.raises(AgendaError):
        await broken.publish("nordjylland", "2027-04-07", SEC)
    async with db.sessions() as session:
        assert (await session.get(AgendaItem, ids[0])).state == "accepted"

    published = await svc.publish("nordjylland", "2027-04-07", SEC, expected={ids[0]: 1, ids[2]: 1})
    assert sorted(i.id for i in published) == [ids[0], ids[2]]
    async with db.sessions() as session:
        assert (await session.get(AgendaItem, other_meeting)).state == "accepted"  # another meeting: untouched
        assert {(await session.get(AgendaItem, i)).state for i in (ids[0], ids[2])} == {"on_agenda"}
    with pytest.raises(AgendaError) as again:
        await svc.publish("nordjylland", "2027-04-07", SEC)
    assert again.value.response_key == "nothing_to_publish"
    with pytest.raises(AgendaError) as member:
        await svc.publish("nordjylland", "2027-06-09", REGION)
    assert member.value.response_key == "not_your_role"


async def test_withdraw_is_possible_until_publication_only(sqlite_db):
    svc, _ = make_service(sqlite_db, utc(2027, 3, 26, 12))
    item_id = await insert_item(sqlite_db, "accepted")
    await svc.publish("nordjylland", "2027-04-07", CHAIR)
    with pytest.raises(AgendaError) as refused:
        await svc.act(item_id, "withdraw", KKR)
    assert refused.value.response_key == "not_in_state"
    assert "trække tilbage" in error_text(turn_for(KKR), refused.value)


async def test_feedback_comes_from_the_responsible_party_and_cancels_the_reminder(sqlite_db):
    svc, clock = make_service(sqlite_db, utc(2027, 1, 21, 9))
    item_id = await insert_item(sqlite_db, "on_agenda", meeting_key="2027-01-20")
    await svc.record_outcome(item_id, SEC, "Rådet anbefaler natbus")
    async with sqlite_db.sessions() as session:
        pending = list((await session.execute(select(Task).where(Task.subject == f"agenda:item:{item_id}",
                                                                  Task.status == "pending"))).scalars())
    reminder = [t for t in pending if '"feedback_reminder"' in t.payload]
    assert len(reminder) == 1  # NT's one member, 09:00 seven days before 3 March 2027 (42 days after the meeting)
    assert reminder[0].run_at.replace(tzinfo=None) == datetime(2027, 2, 24, 8)
    with pytest.raises(AgendaError):
        await svc.act(item_id, "give_feedback", REGION, feedback="Ikke vores")
    item = await svc.act(item_id, "give_feedback", NT, feedback="Natbussen indgår i køreplan 2028")
    assert item.state == "feedback_given" and item.feedback_by == "Niels NT (Nordjyllands Trafikselskab)"
    async with sqlite_db.sessions() as session:
        statuses = {t.status for t in (await session.execute(select(Task).where(Task.id.in_([r.id for r in reminder])))).scalars()}
    assert statuses == {"cancelled"}
