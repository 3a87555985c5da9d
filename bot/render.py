"""Replies as Jinja2 templates per intent and language: knowledge/responses/{lang}/{Intent}.yaml."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template

from services.numbers import fmt_number

LANGS = ("da", "en")


class Renderer:
    """Loads and compiles every response template once; render() picks intent, key and language."""

    def __init__(self, responses_dir: Path) -> None:
        self.env = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.templates: dict[tuple[str, str, str], Template] = {}
        for lang in LANGS:
            for path in sorted((responses_dir / lang).glob("*.yaml")):
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
                    raise ValueError(f"{path}: expected a mapping from reply key to template text")
                for key, source in data.items():
                    self.templates[(path.stem, key, lang)] = self.env.from_string(source)

    def has(self, intent: str, key: str, lang: str) -> bool:
        return (intent, key, lang) in self.templates

    def render(self, intent: str, key: str, lang: str, **variables: Any) -> str:
        template = self.templates.get((intent, key, lang)) or self.templates[(intent, key, "da")]
        return template.render(lang=lang, num=lambda v, d=None: fmt_number(v, lang, d), **variables).strip()
