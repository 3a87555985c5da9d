"""The bot with one extra, test-only multi-turn flow, for the scale-out test: `python -m tests.scaleout_bot run`.

The "tally" flow keeps every message of a conversation in the conversation state, so a test can tell
afterwards whether each accepted turn left its effect, whichever process handled it. Each reply names the
process that produced it.
"""
from __future__ import annotations

import os
import sys

from bot.recognizer import Match
from bot.turn import Turn


async def start_tally(turn: Turn, match: Match) -> None:
    turn.start_flow("scaleout_tally", "counting", {"seen": [], "pids": [os.getpid()]})
    turn.reply(f"tally started pid={os.getpid()}")


async def continue_tally(turn: Turn) -> None:
    data = turn.flow["data"]
    if turn.text == "finish":
        turn.end_flow()
        turn.reply(f"tally finished with {len(data['seen'])} pid={os.getpid()} "
                   f"started-by={data['pids'][0]} seen={' '.join(data['seen'])}")
        return
    data["seen"].append(turn.text)
    data["pids"].append(os.getpid())
    turn.reply(f"tally {turn.text} count={len(data['seen'])} pid={os.getpid()}")


def register() -> None:
    from handlers import FLOWS, HANDLERS

    HANDLERS["ScaleoutTally"] = start_tally
    FLOWS["scaleout_tally"] = continue_tally


if __name__ == "__main__":
    register()
    import app

    app.main(sys.argv[1:])
