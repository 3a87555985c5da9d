"""Provenance of the structured tables: every figure occurs in the lines it cites, and the tables add up
(or the file records where the bundle's own arithmetic does not)."""
from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from bot.settings import Settings
from knowledge.tables import DEFAULT_DIR, TableError, check_arithmetic, line_ranges, load_table, load_tables
from services.municipalities import fold

BUNDLE = Settings.__dataclass_fields__["documents_path"].default
TABLES = load_tables(DEFAULT_DIR)
# Danish numbers as printed: 1.579.705, 17,037, -135, 5000. A footnote marker glued on after the last
# thousands group ("1.729.7421") is left over as a separate token by the first alternative.
NUMBER = re.compile(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?|-?\d+(?:,\d+)?")


def bundle_lines() -> list[str]:
    if not Path(BUNDLE).exists():
        pytest.skip("the document bundle is not available")
    return Path(BUNDLE).read_text(encoding="utf-8").splitlines()


def cited_text(lines: tuple[int, ...]) -> str:
    doc = bundle_lines()
    return "\n".join("\n".join(doc[a - 1:b]) for a, b in line_ranges(lines))


def numbers_in(text: str) -> set[Decimal]:
    text = text.replace("\u2212", "-").replace("–", "-")
    found = set()
    for token in NUMBER.findall(text):
        value = Decimal(token.replace(".", "").replace(",", "."))
        found.add(value)
        found.add(abs(value))  # "-" may be a dash in running text ("fra 2019 - 2020")
    return found


def glued(text: str) -> str:
    """Folded and without spaces, so split ligatures ("Mariagerf jord") and hyphenation still match."""
    return re.sub(r"[\s\-]+", "", fold(text))


CASES = [(t.id, r.key) for t in TABLES for r in t.rows]


@pytest.mark.parametrize("table_id,row_key", CASES)
def test_every_figure_occurs_in_its_cited_lines(table_id: str, row_key: str) -> None:
    table = TABLES.get(table_id)
    row = table.row(row_key)
    assert row is not None
    text = cited_text(row.lines)
    present = numbers_in(text)
    for column, value in row.values.items():
        assert Decimal(str(value)) in present, f"{table_id}/{row_key}.{column}={value} not in lines {row.lines}"
    if row.municipality:
        assert glued(row.municipality)[:6] in glued(text), f"{row.municipality} not in lines {row.lines}"


@pytest.mark.parametrize("table_id", [t.id for t in TABLES])
def test_row_lines_lie_inside_the_bundle_and_the_notes_cite_real_figures(table_id: str) -> None:
    doc = bundle_lines()
    table = TABLES.get(table_id)
    for a, b in line_ranges(table.lines):
        assert 1 <= a <= b <= len(doc)
    whole = "\n".join("\n".join(doc[a - 1:b]) for a, b in line_ranges(table.lines))
    present = numbers_in(whole)
    for row in table.rows:
        for a, b in line_ranges(row.lines):
            assert 1 <= a <= b <= len(doc)
        if row.note:
            # figures in a note (other than line references) come from the table's section
            text = re.sub(r"\((linje|lines?) [\d\-, ]+\)", "", row.note["da"])
            for token in NUMBER.findall(text):
                assert Decimal(token.replace(".", "").replace(",", ".")) in present, (row.key, token)


@pytest.mark.parametrize("table_id", [t.id for t in TABLES])
def test_tables_add_up_or_record_the_discrepancy(table_id: str) -> None:
    table = TABLES.get(table_id)
    failing = {r.cell: r for r in check_arithmetic(table) if not r.ok}
    assert set(failing) == set(table.discrepancies)
    for cell, d in table.discrepancies.items():
        assert d.printed == table.cell(cell) and d.computed == failing[cell].computed
        # the note states both figures, so the bot can say which is printed and what the rows add up to
        for lang in ("da", "en"):
            digits = re.sub(r"(?<=\d)[.,](?=\d{3})", "", d.note[lang])
            assert str(abs(d.printed)) in digits and str(abs(d.computed)) in digits, (cell, lang)


def test_known_discrepancies_of_the_bundle() -> None:
    found = {(t.id, cell): (d.printed, d.computed) for t in TABLES for cell, d in t.discrepancies.items()}
    assert found == {
        ("erhvervshus_basisbevilling_2021", "total.amount_2021"): (17037, 17039),
        ("boernehus_objektiv_finansiering", "total.objektiv_2021"): (4402800, 4402802),
        ("boernehus_objektiv_finansiering", "total.objektiv_2020"): (4249800, 4249801),
        ("boernehus_objektiv_finansiering", "total.objektiv_change"): (153002, 153000),
        ("boernehus_objektiv_finansiering", "frederikshavn.objektiv_change"): (11265, 11264),
        ("boernehus_objektiv_finansiering", "læsø.objektiv_change"): (-24, -23),
        ("boernehus_objektiv_finansiering", "thisted.objektiv_change"): (9410, 9411),
        ("socialaftale_sekretariat_2020_2021", "resultat.r20_res"): (370426, 370427),
    }


def test_the_required_tables_exist() -> None:
    ids = {t.id for t in TABLES}
    assert {"erhvervshus_basisbevilling_2021", "boernehus_objektiv_finansiering", "boernehus_budget_2021",
            "sundhedssekretariat_2020_2021", "socialaftale_sekretariat_2020_2021",
            "paedagog_dimensionering", "erhvervshus_maal_2021"} <= ids


def _broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    target = tmp_path / name
    shutil.copy(DEFAULT_DIR / name, target)
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_a_changed_figure_that_breaks_a_total_stops_loading_naming_file_and_field(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "erhvervshus_basisbevilling_2021.yaml", "amount_2021: 1862", "amount_2021: 1863")
    with pytest.raises(TableError) as error:
        load_table(path)
    assert "erhvervshus_basisbevilling_2021.yaml" in str(error.value) and "discrepancies" in str(error.value)


def test_a_missing_field_stops_loading_naming_file_and_field(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "boernehus_budget_2021.yaml", "{key: sager, role: info,", "{key: sager, role: infoo,")
    with pytest.raises(TableError) as error:
        load_table(path)
    assert "boernehus_budget_2021.yaml" in str(error.value) and "role" in str(error.value)
    path = _broken_copy(tmp_path, "sundhedssekretariat_2020_2021.yaml", "lines: [8129]", "lines: [8129, 8100]")
    with pytest.raises(TableError) as error:
        load_table(path)
    assert "sundhedssekretariat_2020_2021.yaml: rows[2].lines" in str(error.value)
