"""A person in the Microsoft 365 Agents Playground (Teams, offline) talking to the bot, in headless Chromium."""
from __future__ import annotations


def test_help_in_personal_chat(chat):
    reply = chat.say("hjælp")
    chat.shot("00-help")
    assert "Find kontakt" in reply
