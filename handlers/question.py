"""Free questions: ask each answerer for a candidate answer and give the best one."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.recognizer import Match
from bot.turn import Turn
from handlers import general

log = logging.getLogger(__name__)


@dataclass
class Candidate:
    """A possible answer: ``score`` 0..1 (1 = exact structured match), ``emit`` adds the replies."""

    score: float
    emit: Callable[[], Awaitable[None]]
    source: str = ""


Answerer = Callable[[Turn, str], Awaitable[Candidate | None]]

# Filled by the knowledge, contact and other handler modules (see handlers/__init__.py).
ANSWERERS: list[Answerer] = []
MIN_SCORE = 0.3


async def answer(turn: Turn, match: Match) -> None:
    question = match.slots.get("text") or turn.text
    candidates = [c for a in ANSWERERS if (c := await _propose(a, turn, question)) is not None and c.score >= MIN_SCORE]
    if not candidates:
        await general.fallback(turn, match)
        return
    best = max(candidates, key=lambda c: c.score)
    turn.intent = f"Question:{best.source}" if best.source else "Question"
    await best.emit()


async def _propose(answerer: Answerer, turn: Turn, question: str) -> Candidate | None:
    """One answerer's candidate; a failing answerer is logged (never the text) and the others still answer."""
    try:
        return await answerer(turn, question)
    except Exception:
        log.exception("answerer %s failed", getattr(answerer, "__module__", answerer))
        return None
