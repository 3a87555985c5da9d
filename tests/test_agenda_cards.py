"""Every Adaptive Card the agenda handlers send stays within Teams' limits: schema 1.5, a label on every
input, unique input ids, at most six actions, under 40 KB even with long texts and many items."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from bot.recognizer import Match
from handlers import agenda as h
from services.agenda import STATES
from tests.agenda_support import (
    CHAIR,
    DSB,
    KKR,
    NT,
    OUTSIDER,
    REGION,
    SEC,
    insert_item,
    make_service,
    turn_for,
    utc,
)

LIMIT = 40 * 1024


def check_card(card: dict) -> None:
    raw = json.dumps(card, ensure_ascii=False).encode()
    assert len(raw) < LIMIT, len(raw)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert len(card.get("actions", [])) <= 6
    ids: list[str] = []

    def walk(node, top: bool) -> None:
        if isinstance(node, dict):
            kind = node.get("type", "")
            if kind.startswith("Input."):
                assert node.get("label"), node
                assert node.get("id"), node
                ids.append(node["id"])
                if kind == "Input.Toggle":
                    assert node.get("title")
            if kind == "AdaptiveCard" and not top:
                assert len(node.get("actions", [])) <= 6
            for value in node.values():
                walk(value, False)
        elif isinstance(node, list):
            for value in node:
                walk(value, False)
    walk(card, True)
    assert len(ids) == len(set(ids)), ids


async def _cards(handler, turn, slots=None) -> list[dict]:
    await handler(turn, Match("x", turn.lang, slots or {}))
    assert turn.replies, "no reply"
    return [r.card for r in turn.replies if r.card]


@pytest.fixture
async def svc(sqlite_db):
    service, clock = make_service(sqlite_db, utc(2027, 1, 2, 10))
    return SimpleNamespace(agenda=service, clock=clock, db=sqlite_db)


@pytest.mark.parametrize("lang", ["da", "en"])
async def test_submission_card(svc, lang):
    cards = await _cards(h.submit_start, turn_for(KKR, lang, svc))
    check_card(cards[0])
    labels = [i["label"] for i in cards[0]["body"] if i["type"].startswith("Input.")]
    assert len(labels) == 7  # title, description, ask, responsible party, decision date, meeting, closed part


async def test_item_cards_in_every_state_for_every_role(svc):
    long = "Lang tekst. " * 400
    for state in STATES:
        item_id = await insert_item(svc.db, state, meeting_key="2027-01-20", position=None)
        async with svc.db.sessions() as session:
            from services.agenda.models import AgendaComment, AgendaItem

            item = await session.get(AgendaItem, item_id)
            item.description, item.outcome, item.feedback = long[:4000], long[:4000], long[:4000]
            for n in range(15):
                session.add(AgendaComment(item_id=item_id, author_aad=REGION.aad_id, author_name="Rasmus",
                                          author_party="Region Nordjylland", text=long[:2000],
                                          created_at=utc(2027, 1, 1, n)))
            await session.commit()
        for person in (KKR, REGION, NT, SEC, CHAIR, OUTSIDER):
            turn = turn_for(person, "da", svc)
            await h.show_item(turn, Match("AgendaItem", "da", {"agenda_item": f"{item_id}.0"}))
            for card in [r.card for r in turn.replies if r.card]:
                check_card(card)


async def test_lists_with_many_items_stay_small(svc):
    for n in range(150):
        await insert_item(svc.db, "submitted" if n % 2 else "accepted", meeting_key="2027-01-20",
                          position=None if n % 2 else n // 2 + 1, title=f"Punkt nummer {n} " + "x" * 180)
    for handler, person in ((h.mine, KKR), (h.review, SEC), (h.next_agenda, SEC), (h.next_agenda, OUTSIDER),
                            (h.deadlines, SEC), (h.deadlines, DSB), (h.members, SEC), (h.members, KKR)):
        for card in await _cards(handler, turn_for(person, "da", svc)):
            check_card(card)


async def test_outcome_and_feedback_forms(svc):
    svc.clock.at = utc(2027, 1, 21, 9)
    for n in range(12):
        await insert_item(svc.db, "on_agenda", meeting_key="2027-01-20", position=n + 1)
        await insert_item(svc.db, "awaiting_feedback", meeting_key="2027-01-20", position=n + 20)
    for handler, person in ((h.outcomes, SEC), (h.feedback, NT)):
        cards = await _cards(handler, turn_for(person, "en", svc))
        check_card(cards[0])
        assert any(b.get("type") == "ActionSet" for b in cards[0]["body"])


async def test_closed_items_are_stubs_in_group_chats(svc):
    item_id = await insert_item(svc.db, "accepted", meeting_key="2027-01-20", closed=True, title="Hemmelig sag")
    group = turn_for(KKR, "da", svc, personal=False)
    await h.mine(group, Match("AgendaMine", "da", {}))
    await h.show_item(group, Match("AgendaItem", "da", {"agenda_item": str(item_id)}))
    assert "Hemmelig sag" not in json.dumps([r.card for r in group.replies], ensure_ascii=False)
    personal = turn_for(KKR, "da", svc)
    await h.show_item(personal, Match("AgendaItem", "da", {"agenda_item": str(item_id)}))
    assert "Hemmelig sag" in json.dumps([r.card for r in personal.replies], ensure_ascii=False)
