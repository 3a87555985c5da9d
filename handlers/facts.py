"""Free questions answered from the curated facts and document passages, always with the source.

Proposes a Candidate to handlers.question: a curated fact (0.62-0.96; the overview of a subject or the
meeting's agenda items 0.9), a quoted passage (0.45-0.65), or an honest "the documents don't cover that"
(0.31) that says what the documents do cover and who to ask. Greetings and gibberish get no candidate, so
they reach the general fallback. A curated "Ja." / "No," lead is dropped when the question was not yes/no.
"""
from __future__ import annotations

import logging
from typing import Any

from bot.turn import Turn
from handlers.question import Candidate
from services.facts import Answer, Fact, drop_yes_no_lead, is_yes_no

log = logging.getLogger(__name__)

INTENT = "FactLookup"
STATE_KEY = "facts"  # conversation state: the last answered question's stems, for follow-ups
MAX_CONTEXT_TERMS = 6


async def answer(turn: Turn, question: str) -> Candidate | None:
    kb = getattr(turn.services, "facts", None)
    if kb is None or not question.strip():
        return None
    # The context lives for one turn: if another answer wins this turn, the conversation has moved on.
    previous = turn.state.pop(STATE_KEY, None) or {}
    context = tuple(str(t) for t in previous.get("terms", ()))[:MAX_CONTEXT_TERMS]
    found = kb.lookup(question, turn.lang, context, refusal_details=False)
    if found is None:
        return None

    async def emit() -> None:
        result = (kb.lookup(question, turn.lang, context) or found) if found.deferred else found
        turn.reply(render(turn, result, question))
        if result.kind != "refusal":
            turn.state[STATE_KEY] = {"terms": list(result.terms[:MAX_CONTEXT_TERMS])}
        elif context:  # keep the topic so the user can rephrase
            turn.state[STATE_KEY] = {"terms": list(context)}

    return Candidate(found.score, emit, source=f"facts:{found.kind}")


def render(turn: Turn, result: Answer, question: str) -> str:
    yes_no = is_yes_no(question)

    def said(fact: Fact) -> str:  # "Ja. ..." answers a yes/no question, not "hvad er ...?"
        text = fact.answer.get(turn.lang) or fact.answer["da"]
        return text if yes_no else drop_yes_no_lead(text)

    if result.kind == "fact" and result.fact is not None:
        fact = result.fact
        return turn.t(INTENT, "fact", answer=said(fact), quote=fact.quote, title=fact.title,
                      lines=fact.where) + hints(turn, (fact,))
    if result.kind == "facts" and result.fact is not None:
        items = [{"answer": said(f), "title": f.title, "lines": f.where} for f in (result.fact, *result.others)]
        return turn.t(INTENT, "facts", items=items) + hints(turn, (result.fact, *result.others))
    if result.kind == "agenda":
        items = [{"answer": said(f), "lines": f.where} for f in result.others]
        return turn.t(INTENT, "agenda", items=items)
    if result.kind == "passage" and result.quote is not None:
        quote = result.quote
        return turn.t(INTENT, "passage", quote=quote.text, title=quote.title, lines=quote.where)
    nearest = result.nearest
    if result.fact is not None:  # what the documents do say on the topic, without the date/name asked for
        fact = result.fact
        return turn.t(INTENT, "refusal", absent="", nearest=fact.quote,
                      nearest_title=fact.title, nearest_lines=fact.where, contact=suggest_contact(turn, question),
                      missing=turn.t(INTENT, f"missing_{result.missing}") if result.missing else "")
    return turn.t(INTENT, "refusal", absent=", ".join(result.absent),
                  missing=turn.t(INTENT, f"missing_{result.missing}") if result.missing else "",
                  nearest=nearest.text if nearest else "", nearest_title=nearest.title if nearest else "",
                  nearest_lines=nearest.where if nearest else "", contact=suggest_contact(turn, question))


def hints(turn: Turn, facts: tuple[Fact, ...]) -> str:
    """What the bot itself offers on the answer's subject (a fact's ``hint``: "report" points to the
    confidential sexism report), once each."""
    kinds = dict.fromkeys(f.hint for f in facts if f.hint)
    return "".join("\n\n" + turn.t(INTENT, f"hint_{kind}").strip() for kind in kinds)


def suggest_contact(turn: Turn, question: str) -> str:
    """Who to ask, from the contact directory when it is there (services.contacts.Directory.route)."""
    directory = getattr(turn.services, "contacts", None)
    route = getattr(directory, "route", None)
    if route is None:
        return ""
    try:
        matches = route(question, turn.lang)
    except Exception:  # a directory problem must not lose the honest answer
        log.exception("contact routing failed")
        return ""
    return describe(matches[0]) if matches else ""


def describe(match: Any) -> str:
    """'Name (role, organisation, e-mail)' from a ContactMatch, tolerant of its exact shape."""
    target = getattr(match, "person", None) or getattr(match, "organisation", None) or match
    name = _attr(target, "name") or _attr(match, "name")
    details = [d for d in (_attr(match, "role") or _attr(target, "role"),
                           _attr(match, "organisation_name") or _attr(target, "organisation"),
                           _attr(match, "email") or _attr(target, "email"),
                           _attr(match, "phone") or _attr(target, "phone")) if d and d != name]
    return f"{name} ({', '.join(details)})" if name and details else name


def _attr(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
    if value is None:
        return ""
    if not isinstance(value, str):
        value = _attr(value, "name") if hasattr(value, "name") else str(value)
    return value.strip()
