"""Welcome, help, cancel and the polite fallback."""
from __future__ import annotations

from bot.recognizer import Match
from bot.turn import Turn
from handlers import cards

MAIN_TASKS = ("budget", "contact", "report", "agenda")


def help_card(turn: Turn) -> dict:
    t = lambda key: turn.t("Help", key)  # noqa: E731
    return cards.card(
        [cards.text(t("title"), weight="Bolder", size="Medium"), cards.text(t("intro"))]
        + [cards.text(f"• {t(task)}") for task in MAIN_TASKS],
        [cards.ask(t(f"{task}_button"), t(f"{task}_example")) for task in MAIN_TASKS],
    )


async def welcome(turn: Turn, match: Match) -> None:
    turn.reply(turn.t("Help", "welcome"), card=help_card(turn))


async def show_help(turn: Turn, match: Match) -> None:
    turn.reply(turn.t("Help", "help"), card=help_card(turn))


async def cancel(turn: Turn, match: Match) -> None:
    had_flow = turn.flow is not None
    turn.end_flow()
    turn.say("Help", "cancelled" if had_flow else "nothing_to_cancel")


async def fallback(turn: Turn, match: Match) -> None:
    turn.reply(turn.t("Help", "fallback"), suggestions=[turn.t("Help", f"{t}_example") for t in MAIN_TASKS])
