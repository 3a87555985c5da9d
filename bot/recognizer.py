"""Intent recognition from sentence templates (hassil), one YAML file per intent and language."""
from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from hassil import Intents, recognize
from hassil.expression import Alternative, Expression, Group, Permutation, RuleReference, TextChunk
from hassil.util import merge_dict, normalize_for_matching

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
        # What the first word of a text that can match any template of a language starts with (None: it
        # could be anything). A free question in Danish then skips the English templates without running
        # hassil (about half of recognition), with exactly the same result: no English template starts so.
        self._first_words = {lang: _first_word_prefixes(intents) for lang, intents in self.intents.items()}
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
        first = _first_word(cleaned)
        for candidate in (lang, *(other for other in self.intents if other != lang)):
            intents = self.intents.get(candidate)
            prefixes = self._first_words.get(candidate)
            if intents is None or (prefixes is not None and not first.startswith(prefixes)):
                continue
            result = recognize(cleaned, intents, language=candidate)
            if result is not None:
                slots = {name: str(entity.value) for name, entity in result.entities.items()}
                return Match(result.intent.name, candidate, slots)
        if self.free_text_memory > 0:
            self._free_text[digest] = None
            if len(self._free_text) > self.free_text_memory:
                self._free_text.popitem(last=False)
        return Match(QUESTION, lang, {"text": cleaned})


def _first_word(text: str) -> str:
    """The first word as hassil compares it (punctuation dropped, case folded)."""
    words = normalize_for_matching(text).text.casefold().split()
    return words[0] if words else ""


def _first_word_prefixes(intents: Intents) -> tuple[str, ...] | None:
    """Every start a matching text's first word can have, over all templates; None if not bounded
    (a template starting with a list, a wildcard or an optional part that can be empty at the start)."""
    if intents.skip_words:
        return None  # hassil drops skip words first: any word may come before a template
    found: set[str] = set()
    for intent in intents.intents.values():
        for data in intent.data:
            for sentence in data.sentences:
                starts, can_be_empty = _starts(sentence.expression, intents.expansion_rules)
                if starts is None or can_be_empty:
                    return None
                found |= starts
    return tuple(sorted(found))


def _starts(expr: Expression, rules: dict, depth: int = 0) -> tuple[set[str] | None, bool]:
    """(what the first word of a match of ``expr`` starts with, whether ``expr`` can match nothing)."""
    if depth > 30:
        return None, True
    if isinstance(expr, TextChunk):
        text = expr.text
        if not text.strip():
            return set(), True
        if text[0].isspace():
            return None, True  # a word boundary before the first word: not modelled, so not bounded
        return {text.split()[0].casefold()}, False
    if isinstance(expr, Alternative | Permutation):
        found: set[str] = set()
        empties = []
        for item in expr.items:
            starts, empty = _starts(item, rules, depth + 1)
            if starts is None:
                return None, True
            found |= starts
            empties.append(empty)
        if isinstance(expr, Permutation):
            return found, all(empties)
        return found, expr.is_optional or any(empties)
    if isinstance(expr, Group):  # a sequence: the first item that cannot be empty ends the search
        found = set()
        for item in expr.items:
            starts, empty = _starts(item, rules, depth + 1)
            if starts is None:
                return None, True
            found |= starts
            if not empty:
                return found, False
        return found, True
    if isinstance(expr, RuleReference) and expr.rule_name in rules:
        return _starts(rules[expr.rule_name].expression, rules, depth + 1)
    return None, True  # a list or wildcard reference: any word


def _clean(text: str) -> str:
    """Drop Teams mentions, markup and surplus whitespace; keep the words."""
    text = re.sub(r"<at>.*?</at>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())[:2000]
