"""Provenance of the curated facts: each quote occurs in the lines it cites, each figure of an answer too."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import ROOT
from services.facts import load_facts
from services.passages import Passage, load_passages

KNOWLEDGE = ROOT / "knowledge"
PASSAGES = load_passages(KNOWLEDGE / "passages")
FACTS = load_facts(KNOWLEDGE / "facts.yaml", PASSAGES)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def normal(text: str) -> str:
    """Compare text without case, spaces, punctuation or the extraction's hyphens."""
    return re.sub(r"[^0-9a-zæøåéü]", "", text.casefold().replace("´", "'"))


def source_text(first: int, last: int, passages: list[Passage] = PASSAGES) -> str:
    """The cleaned text of bundle lines first..last, cut from the passages by their line spans."""
    parts = []
    for p in passages:
        if p.lines[1] < first or p.lines[0] > last:
            continue
        spans = list(p.spans) + [(len(p.text), 10**9)]
        for (offset, line), (next_offset, _) in zip(spans, spans[1:], strict=False):
            if first <= line <= last:
                parts.append(p.text[offset:next_offset])
    return " ".join(parts)


def numbers(text: str) -> set[str]:
    return {re.sub(r"[.,]", "", n).lstrip("0") or "0" for n in _NUMBER.findall(text)}


@pytest.mark.parametrize("fact", FACTS, ids=[f.id for f in FACTS])
def test_quote_occurs_in_cited_lines(fact) -> None:
    assert normal(fact.quote) in normal(source_text(*fact.lines)), (
        f"{fact.id}: the quote is not in lines {fact.lines[0]}-{fact.lines[1]}")


@pytest.mark.parametrize("fact", FACTS, ids=[f.id for f in FACTS])
def test_every_figure_of_the_answer_is_in_the_source(fact) -> None:
    source = numbers(source_text(*fact.lines))
    for lang, text in fact.answer.items():
        invented = numbers(text) - source
        assert not invented, f"{fact.id} ({lang}): figures {sorted(invented)} are not in lines {fact.lines}"


def test_every_fact_has_questions_in_both_languages_and_distinct_ids() -> None:
    assert len({f.id for f in FACTS}) == len(FACTS)
    for fact in FACTS:
        assert fact.ask, fact.id
        assert fact.answer["da"] != fact.answer["en"], fact.id


def test_the_figures_check_catches_an_invented_number(tmp_path: Path) -> None:
    fact = FACTS[0]
    assert numbers("betaler 99.999 kr.") - numbers(source_text(*fact.lines)) == {"99999"}
