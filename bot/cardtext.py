"""Plain-text rendering of an Adaptive Card, for the console mode and tests."""
from __future__ import annotations


def card_to_text(node: object) -> str:
    lines: list[str] = []
    _walk(node, lines)
    return "\n".join(lines)


def _walk(node: object, lines: list[str]) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind in ("TextBlock", "TextRun"):
            lines.append(str(node.get("text", "")))
        elif kind == "FactSet":
            lines.extend(f"{f.get('title')}: {f.get('value')}" for f in node.get("facts", []))
        elif isinstance(kind, str) and kind.startswith("Action."):
            lines.append(f"[{node.get('title')}]")
        elif isinstance(kind, str) and kind.startswith("Input."):
            lines.append(f"({node.get('label') or node.get('id')})")
        for key in ("body", "items", "columns", "actions", "inlines"):
            if key in node:
                _walk(node[key], lines)
    elif isinstance(node, list):
        for item in node:
            _walk(item, lines)
