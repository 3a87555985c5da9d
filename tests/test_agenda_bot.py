"""The whole path through the bot in-process with several Teams users: submit -> review -> comment ->
publish -> public page and calendar -> outcome -> feedback, plus "mine punkter" and the public view."""
from __future__ import annotations

import json

from icalendar import Calendar
from sqlalchemy import select

from bot.web import SERVICES
from services.tasks import Task
from tests.agenda_support import CHAIR, DSB, KKR, NT, OUTSIDER, REGION, RENDERER, SEC, Clock, utc


def _cards(bot, conversation: str, since: int) -> list[dict]:
    return [att["content"] for act in bot.connector.sent[conversation][since:] for att in act.get("attachments") or []]


def _actions(node, title: str | None = None) -> list[dict]:
    """Every Action.Submit in a card; one inside a ShowCard answers to the ShowCard's title too."""
    found: list[dict] = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Submit":
            found.append({**node, "title": f"{title} / {node.get('title')}" if title else node.get("title", "")})
        if node.get("type") == "Action.ShowCard":
            return _actions(node.get("card"), node.get("title"))
        for value in node.values():
            found += _actions(value, title)
    elif isinstance(node, list):
        for value in node:
            found += _actions(value, title)
    return found


class Person:
    """One Teams user in their own 1:1 chat with the bot."""

    def __init__(self, bot, actor, locale: str = "da-DK") -> None:
        self.bot, self.actor, self.locale = bot, actor, locale
        self.conversation = "chat-" + actor.aad_id[-4:]
        self.last_cards: list[dict] = []

    async def say(self, text: str, value: dict | None = None, conversation: str | None = None,
                  conversation_type: str = "personal") -> str:
        conv = conversation or self.conversation
        before = len(self.bot.connector.sent[conv])
        reply = await self.bot.say(text, user=self.actor.aad_id, name=self.actor.name, conversation=conv,
                                   locale=self.locale, value=value, conversation_type=conversation_type)
        self.last_cards = _cards(self.bot, conv, before) or self.last_cards  # earlier cards stay in the chat
        return reply

    async def click(self, title_part: str, **inputs) -> str:
        """Press the button whose title contains ``title_part`` on the last card, with these inputs filled in."""
        matches = [a for card in self.last_cards for a in _actions(card) if title_part in a.get("title", "")
                   and "intent" in a.get("data", {})]
        assert matches, f"no button {title_part!r} in {[a.get('title') for c in self.last_cards for a in _actions(c)]}"
        return await self.say("", value={**matches[0]["data"], **inputs})


def _submission(title: str, closed: bool = False, party: str = "Nordjyllands Trafikselskab", **extra) -> dict:
    return {"intent": "AgendaSubmitCard", "council": "nordjylland", "submit": True, "title": title,
            "description": "Passagererne oplever lange skift.", "ask": "advice", "responsible_party": party,
            "decision_date": "2027-02-15", "meeting": "2027-01-20", "closed_session": "true" if closed else "false",
            **extra}


async def _tasks_for(services, aad_id: str) -> list[dict]:
    async with services.db.sessions() as session:
        rows = (await session.execute(select(Task).where(Task.kind == "notify"))).scalars()
        payloads = [json.loads(t.payload) for t in rows]
    return [p for p in payloads if p["recipient"].get("aad_id") == aad_id]


async def test_submitter_secretariat_comment_publish_outcome_feedback(bot):
    services = bot.client.app[SERVICES]
    clock = Clock(utc(2026, 12, 1, 9))
    services.agenda.clock = clock
    kkr, sec, chair = Person(bot, KKR), Person(bot, SEC), Person(bot, CHAIR)
    region, nt, dsb, olga = Person(bot, REGION), Person(bot, NT), Person(bot, DSB, "en-GB"), Person(bot, OUTSIDER)

    # 1. A party member opens the submission card and sends it; a missing title loses nothing.
    text = await kkr.say("nyt dagsordenspunkt")
    assert "Titel" in text and "Hvad beder I rådet om?" in text and "23.12.2026" in text
    text = await kkr.say("", value=_submission("  "))
    assert "Feltet «Titel» skal udfyldes" in text
    refilled = [i for c in kkr.last_cards for i in c["body"] if i.get("id") == "description"]
    assert refilled and refilled[0]["value"] == "Passagererne oplever lange skift."
    text = await kkr.say("", value=_submission("Bedre busforbindelser til Aalborg Lufthavn"))
    assert "er indsendt til sekretariatet til mødet 20.01.2027" in text
    text = await dsb.say("", value=_submission("Confidential: timetable negotiations", closed=True, party="DSB"))
    assert "is submitted to the secretariat" in text
    text = await olga.say("nyt dagsordenspunkt")
    assert "ikke med i følgegruppen" in text
    text = await region.say("", value=_submission("Lukket sag om takster", closed=True), conversation="team-chat",
                            conversation_type="groupChat")
    assert "er indsendt" in text and "Lukket punkt" in text and "takster" not in text  # nothing leaks into a group
    mine = await services.agenda.mine(KKR.aad_id)
    open_id = mine[0].id
    closed_id = (await services.agenda.mine(DSB.aad_id))[0].id

    # 2. The secretariat reviews: a member cannot, a reason is required, then accept with meeting + position.
    text = await region.say("punkter til behandling")
    assert "Kun sekretariatet (Passagerpulsen) eller forpersonen" in text
    text = await sec.say("punkter til behandling")
    assert "Bedre busforbindelser til Aalborg Lufthavn" in text and "Confidential: timetable negotiations" in text
    await sec.say(f"punkt {open_id}")
    text = await sec.click("Bed om rettelser", reason_request_changes="")
    assert "Feltet «Begrundelse» skal udfyldes" in text
    text = await sec.click("Bed om rettelser", reason_request_changes="Tilføj passagertal, tak")
    assert "nu skal rettes" in text
    text = await kkr.say(f"punkt {open_id}")
    assert "Tilføj passagertal, tak" in text  # the history shows the reason
    text = await kkr.click("Ret og indsend igen")
    text = await kkr.click("Indsend", **{k: v for k, v in _submission(
        "Bedre busforbindelser til Aalborg Lufthavn (med passagertal)").items() if k not in ("intent", "submit")})
    assert "er indsendt" in text
    await sec.say(f"punkt {open_id}")
    stale_card = sec.last_cards
    text = await sec.click("Godkend", meeting_accept="2027-01-20", position="1")
    assert "godkende – nu godkendt til dagsordenen" in text
    sec.last_cards = stale_card  # the same (now old) card pressed again: the version check refuses it
    text = await sec.click("Afvis", reason_decline="dobbelt")
    assert "har lige ændret punkt" in text or "kan man ikke afvise" in text
    await chair.say(f"punkt {closed_id}")
    text = await chair.click("Godkend", meeting_accept="2027-01-20", position="1")
    assert "Nummer 1 er allerede brugt" in text
    text = await chair.click("Godkend", meeting_accept="2027-01-20", position="2")
    assert "nu godkendt til dagsordenen" in text

    # 3. Comments: refused before the window with its dates, accepted inside it.
    await region.say(f"punkt {open_id}")
    text = await region.click("Kommentér", text="NT bør høres først")
    assert "30.12.2026" in text and "06.01.2027" in text and "NT bør høres først" in text
    clock.at = utc(2027, 1, 2, 10)
    text = await region.click("Kommentér", text="NT bør høres først")
    assert "Din kommentar til punkt" in text
    text = await kkr.say("mine punkter")
    assert "Bedre busforbindelser til Aalborg Lufthavn (med passagertal) – godkendt til dagsordenen" in text

    # 4. The draft agenda: group members see it in 1:1; in a group chat and for the public only what is public.
    text = await kkr.say("dagsorden for næste møde")
    assert "Udkast til dagsorden" in text and "Confidential: timetable negotiations" in text
    text = await kkr.say("dagsorden for næste møde", conversation="team-chat", conversation_type="groupChat")
    assert "Confidential" not in text and "ikke offentliggjort endnu" in text
    assert (await bot.client.get("/passagerraad/nordjylland/2027-01-20")).status == 404

    # 5. Publication: all accepted items at once, by the secretariat, from the draft agenda card.
    clock.at = utc(2027, 1, 12, 10)
    text = await sec.say("offentliggør dagsordenen")
    assert "Offentliggør dagsordenen (2 punkter)" in text
    text = await sec.click("Offentliggør dagsordenen")
    assert "er offentliggjort med 2 nye punkter" in text and "/passagerraad/nordjylland/2027-01-20" in text
    page = await bot.client.get("/passagerraad/nordjylland/2027-01-20")
    html = await page.text()
    assert page.status == 200 and '<html lang="da">' in html
    assert "Bedre busforbindelser til Aalborg Lufthavn (med passagertal)" in html
    assert "Lukket punkt" in html and "Confidential" not in html and "timetable" not in html
    ics = await bot.client.get("/passagerraad/nordjylland/2027-01-20.ics")
    event = Calendar.from_ical(await ics.read()).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 0 and "Confidential" not in str(event["DESCRIPTION"])
    text = await olga.say("dagsorden for næste møde")
    assert "Dagsordenen er offentliggjort" in text and "Lukket punkt" in text and "Confidential" not in text
    text = await kkr.say(f"punkt {open_id}")
    assert "Træk tilbage" not in text  # withdrawal ends at publication

    # 6. After the meeting: the outcome, and the responsible party is asked for feedback.
    clock.at = utc(2027, 1, 21, 9)
    text = await sec.say("registrer udfald")
    assert "mangler udfald" in text
    text = await sec.click("Registrér udfald", outcome="Rådet anbefaler en direkte linje hver halve time.")
    assert "Den ansvarlige part (Nordjyllands Trafikselskab) er bedt om tilbagemelding senest 03.03.2027" in text
    text = await region.say("giv tilbagemelding")
    assert "Der er ingen punkter" in text
    text = await nt.say("giv tilbagemelding")
    assert "venter på jeres tilbagemelding" in text
    text = await nt.click("Giv tilbagemelding", feedback="Linjen indgår i NT's køreplan fra august 2027.")
    assert "tilbagemeldingen på punkt" in text

    # 7. The submitter and the follow-up group see the outcome and the feedback; the public sees the outcome.
    text = await kkr.say(f"punkt {open_id}")
    assert "Rådet anbefaler en direkte linje" in text and "Linjen indgår i NT's køreplan" in text
    assert "tilbagemelding givet" in text
    html = await (await bot.client.get("/passagerraad/nordjylland/2027-01-20")).text()
    assert "Rådet anbefaler en direkte linje" in html and "Linjen indgår" not in html
    notices = [p["template"][1] for p in await _tasks_for(services, KKR.aad_id)]
    assert {"changes_requested", "accepted", "on_agenda", "outcome", "feedback_given"} <= set(notices)
    dsb_notices = await _tasks_for(services, DSB.aad_id)
    assert all("Confidential" not in json.dumps(p) for p in dsb_notices)  # closed items keep titles out of tasks
    async with services.db.sessions() as session:
        every = [json.loads(t.payload) for t in (await session.execute(select(Task).where(Task.kind == "notify"))).scalars()]
    kinds = set()
    for payload in every:  # every notice renders in both languages with exactly the variables it carries
        intent, key = payload["template"]
        kinds.add(key)
        for lang in ("da", "en"):
            assert RENDERER.render(intent, key, lang, **payload["vars"]).strip()
    assert kinds >= {"submitted", "changes_requested", "accepted", "comments_open", "on_agenda", "published",
                     "outcome", "feedback_requested", "feedback_reminder", "feedback_given"}
    history = await services.agenda.history(open_id)
    assert [h.to_state for h in history] == ["draft", "submitted", "needs_changes", "submitted", "accepted",
                                             "on_agenda", "treated", "awaiting_feedback", "feedback_given"]
    assert {h.actor_aad for h in history} == {KKR.aad_id, SEC.aad_id, NT.aad_id}


async def test_english_user_and_unknown_item(bot):
    services = bot.client.app[SERVICES]
    services.agenda.clock = Clock(utc(2026, 12, 1, 9))
    dsb = Person(bot, DSB, "en-GB")
    text = await dsb.say("my agenda items")
    assert "You have not submitted any items yet" in text
    text = await dsb.say("item 999")
    assert "I cannot find item 999" in text
    text = await dsb.say("show the follow-up group")
    assert "Sara Sekretær – Passagerpulsen (the secretariat (Passagerpulsen))" in text
    text = await dsb.say("change deadlines")
    assert "Item deadline: 23.12.2026" in text and "Change deadlines" not in text  # only the secretariat edits


async def test_the_secretariat_changes_deadlines_and_members_through_the_bot(bot):
    services = bot.client.app[SERVICES]
    services.agenda.clock = Clock(utc(2026, 12, 1, 9))
    sec, kkr = Person(bot, SEC), Person(bot, KKR)
    text = await sec.say("skift frister")
    assert "Frist for punkter: 23.12.2026" in text
    text = await sec.click("Skift frister for mødet 20.01.2027", **{"2027-01-20_submission": "2027-01-02"})
    assert "Intet er ændret" in text  # 2 January is after the comment window opens (30 December)
    text = await sec.click("Skift frister for mødet 20.01.2027", **{"2027-01-20_submission": "2026-12-16"})
    assert "er ændret" in text
    assert "16.12.2026" in await sec.say("frister")
    text = await kkr.say("", value={"intent": "AgendaDeadlinesCard", "council": "nordjylland",
                                    "meeting": "2027-01-20", "2027-01-20_submission": "2026-12-10"})
    assert "Kun sekretariatet" in text
    await sec.say("vis følgegruppen")
    text = await sec.click("Gem medlem", aad_id="c0000000-0000-4000-8000-0000000000cc", name="Mette Mariagerfjord",
                           party="KKR Nordjylland", role="member", email="")
    assert "Mette Mariagerfjord er gemt som medlem af følgegruppen for KKR Nordjylland" in text
    mette = Person(bot, type(KKR)("c0000000-0000-4000-8000-0000000000cc", "Mette Mariagerfjord"))
    assert "Titel" in await mette.say("nyt dagsordenspunkt")
    await sec.say("vis følgegruppen")
    text = await sec.click("Fjern medlem", remove="c0000000-0000-4000-8000-0000000000cc")
    assert "er fjernet" in text
    assert "ikke med i følgegruppen" in await mette.say("nyt dagsordenspunkt")
