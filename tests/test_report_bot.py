"""The whole reporting dialogue through the bot over HTTP: refusal in group chats, cancel, bad input,
the form, the recipients' commands and the reporter's follow-up."""
from __future__ import annotations

import re

from sqlalchemy import text

from services.db import Database

MAYOR = "00000000-0000-0000-0860-000000000001"
GROUP_CHAIR = "00000000-0000-0000-0860-000000000003"
ADMIN = "00000000-0000-0000-0860-000000000099"
NEWCOMER = "00000000-0000-0000-0860-000000000004"
REF = re.compile(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def count(url: str, table: str) -> int:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
    finally:
        await db.dispose()


def cards_of(sent: list[dict]) -> list[dict]:
    return [a["content"] for act in sent for a in act.get("attachments") or []]


def walk(node):  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


async def test_reporter_dialogue_refusal_cancel_bad_input_and_form(bot, sqlite_url):
    # a group chat or channel: write privately, and nothing is stored
    for kind in ("groupChat", "channel"):
        reply = await bot.say("jeg vil indberette sexisme", conversation=f"group-{kind}", conversation_type=kind)
        assert "privat" in reply and "Hvilken kommune" not in reply
        assert "privat" in await bot.say("opfølgning R-AAAA-BBBB", conversation=f"group-{kind}", conversation_type=kind)
    assert await count(sqlite_url, "bot_state") == 0 and await count(sqlite_url, "conversation_refs") == 0

    # explanation first, then the dialogue; "annuller" discards everything
    explained = await bot.say("jeg vil indberette sexisme i Hjørring", conversation="dm-1")
    for expected in ("Borgmester i Hjørring (eksempel) (borgmester)", "Kommunaldirektør i Hjørring",
                     "anonym", "Microsoft", "31 medlemmer", "112", "114", "HR-afdeling", "annuller"):
        assert expected in explained, expected
    assert "[Send indberetning]" in explained  # the form card
    assert await count(sqlite_url, "bot_state") == 1  # the draft, encrypted, while the dialogue runs
    assert "Hvor skete det" in await bot.say("anonym", conversation="dm-1")
    assert "Hvornår" in await bot.say("Udvalg", conversation="dm-1")
    assert "Beskriv" in await bot.say("sidste torsdag", conversation="dm-1")
    too_long = await bot.say("x" * 4001, conversation="dm-1")
    assert "4001 tegn" in too_long and "4000" in too_long  # a clear message; the draft is kept
    assert "holdes udenfor" in await bot.say("Han rørte ved mig uopfordret", conversation="dm-1")
    assert "Annulleret" in await bot.say("annuller", conversation="dm-1")
    assert await count(sqlite_url, "bot_state") == 0  # the encrypted draft is gone with its row
    assert await count(sqlite_url, "conversation_refs") == 0 and await count(sqlite_url, "report_cases") == 0

    # English, and a municipality asked for first
    assert "Which municipality" in await bot.say("report harassment", conversation="dm-en", locale="en-US")
    english = await bot.say("Aalborg", conversation="dm-en", locale="en-US")
    assert "Who receives it" in english and "Microsoft knows who sends" in english
    assert "cancel" in (await bot.say("nonsense answer", conversation="dm-en", locale="en-US")).lower()
    await bot.say("cancel", conversation="dm-en", locale="en-US")

    # the form: bad input keeps the flow, the submit shows reference and code once
    await bot.say("jeg vil indberette sexisme i Hjørring", conversation="dm-2")
    form = {"intent": "ReportSubmit", "anonymous": "yes", "when": "", "where": "group", "exclude": GROUP_CHAIR,
            "conversation": "yes"}
    assert "4001 tegn" in await bot.say("", conversation="dm-2", value={**form, "what": "y" * 4001})
    assert "Udfyld beskrivelsen" in await bot.say("", conversation="dm-2", value={**form, "what": " \x00\u202e "})
    hostile = "**fed** [klik](https://evil.example) <b>html</b> \u202eomvendt"
    receipt = await bot.say("", conversation="dm-2", value={**form, "what": hostile})
    ref = REF.search(receipt).group(0)
    code = re.search(r"Opfølgningskode:\*\*\s*([0-9A-Z-]{24})", receipt).group(1)
    assert "kun denne ene gang" in receipt
    assert await count(sqlite_url, "bot_state") == 0 and await count(sqlite_url, "conversation_refs") == 0
    assert "udløbet" in await bot.say("", conversation="dm-2", value={**form, "what": "igen"})  # no double submit

    # the recipients: the excluded one and an unknown reference get the same answer
    not_found = await bot.say(f"åbn indberetning {ref}", conversation="chair", user=GROUP_CHAIR)
    assert not_found == await bot.say("åbn indberetning R-0000-0000", conversation="mayor", user=MAYOR)
    assert "ingen indberetninger" in await bot.say("vis indberetninger", conversation="chair", user=GROUP_CHAIR)
    assert ref in await bot.say("vis indberetninger", conversation="mayor", user=MAYOR)
    assert "privat" in await bot.say("vis indberetninger", conversation="g", user=MAYOR, conversation_type="groupChat")
    before = len(bot.connector.sent["mayor"])
    opened = await bot.say("", conversation="mayor", user=MAYOR, value={"intent": "ReportOpen", "ref": ref})
    assert "Gruppeformand i Hjørring" in opened  # shown as left out by the reporter
    nodes = list(walk(cards_of(bot.connector.sent["mayor"][before:])))
    runs = [n for n in nodes if n.get("type") == "TextRun" and "fed" in n.get("text", "")]
    assert runs and runs[0]["text"] == "**fed** [klik](https://evil.example) <b>html</b> omvendt"  # literal, no bidi
    assert not any(n.get("type") == "TextBlock" and "evil.example" in n.get("text", "") for n in nodes)
    act = {"intent": "ReportAct", "ref": ref}
    assert "kvitteret" in await bot.say("", conversation="mayor", user=MAYOR, value={**act, "action": "acknowledge"})
    assert "gemt krypteret" in await bot.say("", conversation="mayor", user=MAYOR,
                                             value={**act, "action": "reply", "text": "Vi vil gerne tale med dig."})
    assert "Udfyld begrundelsen" in await bot.say("", conversation="mayor", user=MAYOR,
                                                  value={**act, "action": "status", "status": "closed", "reason": ""})
    assert "Under behandling" in await bot.say("", conversation="mayor", user=MAYOR,
                                               value={**act, "action": "status", "status": "in_progress"})
    assert not_found == await bot.say("", conversation="chair", user=GROUP_CHAIR, value={**act, "action": "acknowledge"})

    # the council adds a recipient after the report was made: access only by an audited grant
    from dataclasses import replace

    from bot.web import SERVICES
    from services.reports.policy import Policies, Recipient

    reports = bot.client.server.app[SERVICES].reports
    hj = reports.policies.get("Hjørring")
    reports.policies = Policies({**reports.policies.by_municipality, "Hjørring": replace(
        hj, version=2, recipients=(*hj.recipients, Recipient(NEWCOMER, "Ny HR-chef (eksempel)", "hr")))})
    assert not_found == await bot.say(f"åbn indberetning {ref}", conversation="new", user=NEWCOMER)
    before = len(bot.connector.sent["mayor"])
    await bot.say("", conversation="mayor", user=MAYOR, value={"intent": "ReportOpen", "ref": ref})
    choices = [n for n in walk(cards_of(bot.connector.sent["mayor"][before:])) if n.get("id") == "grant_to"]
    assert [c["value"] for c in choices[0]["choices"]] == [NEWCOMER]  # never the left-out group chair
    assert "revisionssporet" in await bot.say("", conversation="mayor", user=MAYOR,
                                              value={**act, "action": "grant", "grant_to": NEWCOMER})
    assert "Hvad skete der" in await bot.say(f"åbn indberetning {ref}", conversation="new", user=NEWCOMER)
    refused = await bot.say("", conversation="mayor", user=MAYOR, value={**act, "action": "grant", "grant_to": GROUP_CHAIR})
    assert "kan ikke få adgang" in refused

    # the reporter follows up from another chat: wrong code, then the right one
    refused = await bot.say(f"opfølgning {ref} AAAA-BBBB-CCCC-DDDD-EEEE", conversation="dm-3")
    assert "kan ikke åbne" in refused
    assert refused == await bot.say("opfølgning R-0000-0000 AAAA-BBBB-CCCC-DDDD-EEEE", conversation="dm-3")
    shown = await bot.say(f"opfølgning {ref} {code.lower()}", conversation="dm-3")
    assert "Under behandling" in shown and "Vi vil gerne tale med dig." in shown
    assert "Sagsnummer" in await bot.say("opfølgning", conversation="dm-3")  # asks for both in a form
    assert "tilføjet" in await bot.say("", conversation="dm-3", value={"intent": "ReportAddInfo", "ref": ref,
                                                                       "code": code, "text": "Der var vidner."})
    assert await count(sqlite_url, "conversation_refs") == 3  # the recipients', never the reporter's

    # the audit trail: administrators verify it, others cannot
    assert "intakt" in await bot.say("verificer revisionssporet", conversation="admin", user=ADMIN)
    assert "administratorer" in await bot.say("verificer revisionssporet", conversation="mayor", user=MAYOR)
