"""The bot's turn logic: continue the active flow or recognize an intent, then call its handler."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from bot.recognizer import Match, Recognizer
from bot.turn import Turn
from services.errors import DomainError

log = logging.getLogger("kkr.turn")

Handler = Callable[[Turn, Match], Awaitable[None]]
FlowStep = Callable[[Turn], Awaitable[None]]


class Core:
    """Routes one Turn: card submits by their ``intent``, then the active flow, then recognition."""

    def __init__(self, recognizer: Recognizer, handlers: Mapping[str, Handler], flows: Mapping[str, FlowStep]) -> None:
        self.recognizer = recognizer
        self.handlers = handlers
        self.flows = flows

    async def handle(self, turn: Turn, locale: str | None = None) -> None:
        started = time.perf_counter()
        try:
            await self._route(turn, locale)
        except DomainError as err:
            turn.replies.clear()
            turn.say("Errors", err.response_key, **err.variables)
        except Exception:
            # Never the message text, never str(error) in a reply: log with the activity id, apologise.
            log.exception("turn failed activity=%s intent=%s", turn.activity_id, turn.intent)
            turn.replies.clear()
            turn.end_flow()
            turn.say("Errors", "unexpected")
        finally:
            ms = round((time.perf_counter() - started) * 1000, 2)
            log.info(
                "turn activity=%s intent=%s lang=%s ms=%.1f", turn.activity_id, turn.intent, turn.lang, ms,
                extra={"fields": {"activity_id": turn.activity_id, "intent": turn.intent, "lang": turn.lang,
                                  "conversation_type": turn.conversation.type, "replies": len(turn.replies),
                                  "ms": ms}},
            )

    async def _route(self, turn: Turn, locale: str | None) -> None:
        card_lang = (turn.value or {}).get("lang")
        if not turn.text and card_lang in ("da", "en"):
            turn.lang = card_lang  # a card submit: answer in the language the card was shown in
        submitted = (turn.value or {}).get("intent")
        if isinstance(submitted, str) and submitted in self.handlers:
            turn.intent = submitted
            await self.handlers[submitted](turn, Match(submitted, turn.lang, {}))
            return
        match = self.recognizer.recognize(turn.text, locale) if turn.text else None
        if match is not None:
            turn.lang = match.lang
        flow = turn.flow
        if flow and flow.get("name") in self.flows:
            if match is not None and match.intent == "Cancel":
                turn.intent = "Cancel"
                await self.handlers["Cancel"](turn, match)
                return
            turn.intent = f"{flow['name']}:{flow.get('step')}"
            await self.flows[flow["name"]](turn)
            return
        if match is None:
            turn.intent = "Fallback"
            await self.handlers["Fallback"](turn, Match("Fallback", turn.lang))
            return
        turn.intent = match.intent
        await self.handlers.get(match.intent, self.handlers["Fallback"])(turn, match)
