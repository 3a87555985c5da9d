"""Sentence cases in YAML (knowledge/tests/{lang}/<Intent>.yaml) run against the real templates."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.recognizer import Recognizer

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
RECOGNIZER = Recognizer(KNOWLEDGE / "sentences")


def _cases():
    for path in sorted((KNOWLEDGE / "tests").glob("*/*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            yield pytest.param(path.parent.name, case, id=f"{path.parent.name}/{path.stem}:{case['text'][:40]}")


@pytest.mark.parametrize("lang, case", list(_cases()))
def test_sentence_is_recognized_as_its_intent(lang, case):
    match = RECOGNIZER.recognize(case["text"], "da-DK" if lang == "da" else "en-US")
    assert match is not None
    assert match.intent == case["intent"]
    assert match.lang == lang
    for slot, value in (case.get("slots") or {}).items():
        assert match.slots.get(slot) == value


def test_every_intent_has_sentences_in_both_languages():
    da = {p.stem for p in (KNOWLEDGE / "sentences" / "da").glob("*.yaml")}
    en = {p.stem for p in (KNOWLEDGE / "sentences" / "en").glob("*.yaml")}
    assert da == en
