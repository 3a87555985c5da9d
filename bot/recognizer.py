"""Intent recognition from sentence templates (hassil), one YAML file per intent and language."""
from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from hassil import Intents, recognize
from hassil.util import merge_dict

from bot.language import detect_language

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the same result, much faster
FREE_TEXT_MEMORY = 4096  # texts remembered (as SHA-256 digests) as matching no template
QUESTION = "Question"  # free questions go to the knowledge base when no template matches


@dataclass(frozen=True)
class Match:
    intent: str
    lang: str
    slots: dict[str, str] = field(default_factory=dict)


class Recognizer:
    """Loads knowledge/sentences/{da,en}/*.yaml once; recognize() tries the user's language first."""

    def __init__(self, sentences_dir: Path, free_text_memory: int = FREE_TEXT_MEMORY) -> None:
        self.free_text_memory = free_text_memory  # 0: every text goes through hassil (LOOKUP_CACHE_SIZE=0)
        self.intents: dict[str, Intents] = {}
        for lang_dir in sorted(p for p in sentences_dir.iterdir() if p.is_dir()):
            merged: dict = {"language": lang_dir.name, "intents": {}}
            for path in sorted(lang_dir.glob("*.yaml")):
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
                merge_dict(merged, data)
            self.intents[lang_dir.name] = Intents.from_dict(merged)
        # Digests of texts no template matches in any language: a repeated free question skips hassil.
        # Only hashes are kept, never the text (it may be anything a user typed).
        self._free_text: OrderedDict[bytes, None] = OrderedDict()

    def recognize(self, text: str, locale: str | None = None) -> Match | None:
        cleaned = _clean(text)
        if not cleaned:
            return None
        lang = detect_language(cleaned, locale)
        digest = hashlib.sha256(cleaned.encode("utf-8")).digest()
        if digest in self._free_text:
            self._free_text.move_to_end(digest)
            return Match(QUESTION, lang, {"text": cleaned})
        for candidate in (lang, *(other for other in self.intents if other != lang)):
            intents = self.intents.get(candidate)
            result = recognize(cleaned, intents, language=candidate) if intents else None
            if result is not None:
                slots = {name: str(entity.value) for name, entity in result.entities.items()}
                return Match(result.intent.name, candidate, slots)
        if self.free_text_memory > 0:
            self._free_text[digest] = None
            if len(self._free_text) > self.free_text_memory:
                self._free_text.popitem(last=False)
        return Match(QUESTION, lang, {"text": cleaned})


def _clean(text: str) -> str:
    """Drop Teams mentions, markup and surplus whitespace; keep the words."""
    text = re.sub(r"<at>.*?</at>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())[:2000]
