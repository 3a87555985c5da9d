"""The passage build (python -m knowledge.build): extraction quirks handled, line ranges right, the checked-in
files match a fresh build, and a broken file stops loading with a message naming the file and the field."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.settings import ROOT
from knowledge import build
from services.passages import KnowledgeError, load_passages, sentences

KNOWLEDGE = ROOT / "knowledge"
BUNDLE = build.DEFAULT_BUNDLE
pytestmark = pytest.mark.skipif(not BUNDLE.is_file(), reason="the document bundle (../shared/documents) is not here")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("passages")
    assert build.main(["--bundle", str(BUNDLE), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def passages(built: Path):
    return load_passages(built)


def text_of(passages, first: int, last: int) -> str:
    return " ".join(p.text for p in passages if p.lines[0] <= last and p.lines[1] >= first)


def test_checked_in_passages_are_a_fresh_build(built: Path) -> None:
    fresh = {p.name: p.read_text(encoding="utf-8") for p in built.glob("*.yaml")}
    stored = {p.name: p.read_text(encoding="utf-8") for p in (KNOWLEDGE / "passages").glob("*.yaml")}
    assert fresh == stored, "knowledge/passages is stale: run python -m knowledge.build"


def test_every_section_of_the_bundle_is_covered_in_order(passages) -> None:
    sections = [s[0] for s in build.SECTIONS]
    assert [p.section for p in passages] == sorted((p.section for p in passages), key=sections.index)
    for sid, _title, first, last in build.SECTIONS:
        own = [p for p in passages if p.section == sid]
        assert own, sid
        assert all(first <= p.lines[0] <= p.lines[1] <= last for p in own), sid


def test_words_hyphenated_across_lines_are_joined(passages) -> None:
    letter = text_of(passages, 1, 60)
    assert "beskæftigelsesindsats" in letter  # "beskæftigelses-" / "indsats" (line 53-55)
    assert "nedlukningen af 7 kommuner" in letter  # "nedluknin-" / "gen af 7 kommuner" (17-19)
    assert "be- skæftigelse" not in letter


def test_hyphen_kept_before_og_and_in_names(passages) -> None:
    assert "Social- og Indenrigsminister" in text_of(passages, 229, 237)
    assert "Ben-Yedidia" in text_of(passages, 354, 356)


def test_split_ligatures_are_rejoined(passages) -> None:
    contract = text_of(passages, 4017, 4030)
    assert "er en aftale mellem de 11 nordjyske kommuner" in contract  # "af tale" in the extraction
    assert "af tale" not in contract
    assert "filial på Mors" in text_of(passages, 4069, 4069)  # "f ilial"


def test_words_broken_in_narrow_columns_are_rejoined(passages) -> None:
    assert "kender ikke kommunegrænser" in text_of(passages, 982, 986)  # "kom" / "munegrænser"


def test_headings_that_follow_their_attachment_title_it(passages) -> None:
    contract = next(p for p in passages if p.lines[0] <= 4069 <= p.lines[1])
    assert contract.title.startswith("3.4")  # the resultatkontrakt comes before its "3.4" heading (5948)
    budget_sheet = next(p for p in passages if p.lines[0] <= 8269 <= p.lines[1])
    assert budget_sheet.title.startswith("3.8")  # the Børnehus Nord budget sheet comes before "3.8" (8293)


def test_spans_cite_the_lines_a_sentence_comes_from(passages) -> None:
    wetlands = next(p for p in passages if "5.000 ha vådområder" in p.text)
    offset = wetlands.text.index("5.000 ha vådområder")
    assert wetlands.line_at(offset) == 1312
    agenda = next(p for p in passages if "Alle Parter kan stille forslag" in p.text)
    assert agenda.line_at(agenda.text.index("Alle Parter kan stille forslag")) == 8400


def test_passages_are_short_and_sentences_split(passages) -> None:
    assert max(len(p.text) for p in passages) <= build.MAX_CHARS + 200
    spans = sentences("Første sætning. Anden sætning! • punkt et • punkt to")
    assert len(spans) == 4


def test_no_url_lines_in_passages(passages) -> None:
    assert not any("https://" in p.text for p in passages)


def test_broken_passage_file_names_file_and_field(tmp_path: Path) -> None:
    good = sorted((KNOWLEDGE / "passages").glob("*.yaml"))[0]
    doc = yaml.safe_load(good.read_text(encoding="utf-8"))
    del doc["passages"][0]["lines"]
    (tmp_path / "01_broken.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"01_broken\.yaml: passages\[0\]: missing field 'lines'"):
        load_passages(tmp_path)


def test_unparsable_passage_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "02_bad.yaml").write_text("section: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"02_bad\.yaml: not valid YAML"):
        load_passages(tmp_path)


def test_no_passage_files_tells_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="python -m knowledge.build"):
        load_passages(tmp_path)
