"""Budget and table questions: propose an answer from the structured tables, with follow-ups.

The answerer (registered in handlers.question.ANSWERERS) reads the question with services.budget and
proposes a Candidate only when the question is about the tables (0.9+ for a clear table match), so fact
questions go to the passages answerer. Follow-up context lives in ``turn.state["budget"]``; it is only
used on the turn right after one of our own answers.
"""
from __future__ import annotations

import logging
import re

from bot.language import DA, EN
from bot.turn import Turn
from handlers.facts import suggest_contact  # one way to name the nearest contact
from handlers.question import Candidate

log = logging.getLogger(__name__)
_WORD = re.compile(r"[a-zæøåéü]+")

INTENT = "BudgetLookup"
STATE_KEY = "budget"
NOT_COVERED = ("not_covered_foreign", "not_covered_year", "not_covered_own_budget", "not_covered_other_budget",
               "not_covered_payee", "not_covered_pay")


async def answer(turn: Turn, question: str) -> Candidate | None:
    book = getattr(turn.services, "budget", None)
    if book is None or not question.strip():
        return None
    saved = turn.state.get(STATE_KEY) if isinstance(turn.state.get(STATE_KEY), dict) else None
    context = saved.get("context") if saved and saved.get("age", 1) == 0 else None
    if saved is not None:
        saved["age"] = saved.get("age", 0) + 1  # stale unless we answer this turn too
    lang = _follow_up_language(question, turn.lang, saved if context else None)
    result = book.answer(question, lang, context)
    if result is None:
        return None

    async def emit() -> None:
        text = tidy(turn.renderer.render(INTENT, result.key, lang, **result.vars))
        if result.key in NOT_COVERED:
            contact = suggest_contact(turn, question)
            if contact:
                text = f"{text}\n{turn.t(INTENT, 'contact', contact=contact)}"
        turn.reply(text, suggestions=result.suggestions)
        if result.context:
            turn.state[STATE_KEY] = {"context": result.context, "age": 0, "lang": lang}
        else:
            turn.state.pop(STATE_KEY, None)

    return Candidate(result.score, emit, source=f"budget:{result.key}")


def _follow_up_language(question: str, lang: str, saved: dict | None) -> str:
    """A short follow-up with no language of its own ("as a percentage?", "2020?") keeps the answer's language."""
    if not saved or saved.get("lang") not in ("da", "en"):
        return lang
    words = _WORD.findall(question.casefold())
    if sum(w in EN for w in words) == sum(w in DA for w in words) and not any(c in question.casefold() for c in "æøå"):
        return saved["lang"]
    return lang


def tidy(text: str) -> str:
    """Collapse the gaps that optional template parts leave ("kr.." -> "kr.", double spaces)."""
    text = re.sub(r"(?<!\.)\.\.(?!\.)", ".", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip()


