"""One structured line per turn, with intent and timing, and never the message text."""
from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter


async def test_turn_log_has_intent_and_timing_but_not_the_text(bot, caplog):
    caplog.set_level(logging.DEBUG)
    marker = "MARKER-7f3a9c hemmelig tekst"
    await bot.say(marker)
    await bot.say("hjælp")
    assert marker not in caplog.text and "7f3a9c" not in caplog.text
    turns = [r for r in caplog.records if r.name == "kkr.turn"]
    assert [r.fields["intent"] for r in turns][-1] == "Help"
    line = json.loads(JsonFormatter().format(turns[-1]))
    assert line["intent"] == "Help" and line["activity_id"] and isinstance(line["ms"], float)
