"""Small builders for Adaptive Cards (schema 1.5) as plain dicts."""
from __future__ import annotations

import json
from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_BYTES = 40_000  # Teams refuses cards above ~40 KB


def card(body: list[dict], actions: list[dict] | None = None) -> dict:
    doc: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body}
    if actions:
        doc["actions"] = actions
    if len(json.dumps(doc, ensure_ascii=False).encode()) > MAX_BYTES:
        raise ValueError("adaptive card over Teams' size limit")
    return doc


def text(value: str, *, weight: str | None = None, size: str | None = None, subtle: bool = False,
         wrap: bool = True) -> dict:
    block: dict[str, Any] = {"type": "TextBlock", "text": value, "wrap": wrap}
    if weight:
        block["weight"] = weight
    if size:
        block["size"] = size
    if subtle:
        block["isSubtle"] = True
    return block


def facts(pairs: list[tuple[str, str]]) -> dict:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def submit(title: str, data: dict[str, Any]) -> dict:
    """A button that sends ``data`` back to the bot as the activity's value."""
    return {"type": "Action.Submit", "title": title, "data": data}


def ask(title: str, utterance: str) -> dict:
    """A button that posts ``utterance`` as if the user typed it (Teams imBack)."""
    return {"type": "Action.Submit", "title": title, "data": {"msteams": {"type": "imBack", "value": utterance}}}


def open_url(title: str, url: str) -> dict:
    return {"type": "Action.OpenUrl", "title": title, "url": url}
