"""Structured tables from the document bundle: load knowledge/tables/*.yaml, validate, check the arithmetic.

Each file is one table (see any file for the shape). ``lines`` everywhere are 1-based line numbers of
the bundle: ``[n]`` is one line, ``[a, b]`` a range, ``[a, b, c, d]`` two ranges. A broken file stops
start-up with a ``TableError`` naming the file and the field. The loader also recomputes every sum
and difference the table implies (group subtotals, totals, change columns, the file's own ``checks``)
and requires the file's ``discrepancies`` to list exactly the cells where the bundle's printed figure
differs from the recomputed one, so the bot can say so when it gives such a figure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from services import yamlfast
from services.municipalities import ALL as MUNICIPALITIES

KINDS = ("municipalities", "lines", "series", "targets", "categories")
ROLES = ("item", "subtotal", "total", "info")
Number = int | float


class TableError(ValueError):
    """A table file is broken; the message names the file and the field."""

    def __init__(self, path: Path | str, field_name: str, problem: str) -> None:
        self.path, self.field, self.problem = str(path), field_name, problem
        super().__init__(f"{Path(self.path).name}: {field_name}: {problem}")


@dataclass(frozen=True)
class Column:
    key: str
    measure: str
    label: dict[str, str]
    unit: dict[str, str]
    year: int | None = None
    period: str | None = None
    change_of: tuple[str, str] | None = None  # (newer column, older column): value = newer - older
    verb: dict[str, str] | None = None


@dataclass(frozen=True)
class Row:
    key: str
    label: dict[str, str]
    lines: tuple[int, ...]
    values: dict[str, Number]
    role: str = "item"
    municipality: str | None = None
    group: str | None = None
    keywords: tuple[str, ...] = ()
    note: dict[str, str] | None = None
    unit: dict[str, str] | None = None
    period: str | None = None
    years: tuple[int, ...] = ()
    category: str | None = None
    goal: int | None = None
    source: dict[str, str] | None = None  # when the row comes from another section than the table


@dataclass(frozen=True)
class Discrepancy:
    cell: str  # "row.column"
    printed: Number
    computed: Number
    note: dict[str, str]


@dataclass(frozen=True)
class CheckResult:
    cell: str
    rule: str  # sum | difference | check
    printed: Number
    computed: Number

    @property
    def ok(self) -> bool:
        return Decimal(str(self.printed)) == Decimal(str(self.computed))


@dataclass
class Table:
    id: str
    kind: str
    title: dict[str, str]
    source: dict[str, str]
    lines: tuple[int, ...]
    keywords: tuple[str, ...]
    columns: dict[str, Column]
    rows: list[Row]
    discrepancies: dict[str, Discrepancy] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, str] | None = None
    categories: dict[str, dict[str, str]] = field(default_factory=dict)
    secretariat: bool = False
    name: dict[str, str] | None = None  # a short name for answers ("Børnehus Nord")
    path: str = ""

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)

    def municipality_row(self, name: str) -> Row | None:
        return next((r for r in self.rows if r.municipality == name), None)

    def items(self) -> list[Row]:
        return [r for r in self.rows if r.role == "item"]

    def total_row(self) -> Row | None:
        return next((r for r in self.rows if r.role == "total"), None)

    def cell(self, ref: str) -> Number:
        row_key, _, column = ref.rpartition(".")
        row = self.row(row_key)
        if row is None or column not in row.values:
            raise KeyError(ref)
        return row.values[column]


@dataclass
class Tables:
    """All tables, by id, in file order."""

    tables: dict[str, Table]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.tables.values())

    def __len__(self) -> int:
        return len(self.tables)

    def get(self, table_id: str) -> Table:
        return self.tables[table_id]


# ---------------------------------------------------------------------------------------------------------
# Loading and validation


def _text_pair(path: Path, name: str, value: Any, required: bool = True) -> dict[str, str] | None:
    if value is None and not required:
        return None
    if isinstance(value, str):
        value = {"da": value, "en": value}
    if not isinstance(value, dict) or not all(isinstance(value.get(lang), str) and value[lang].strip()
                                               for lang in ("da", "en")):
        raise TableError(path, name, "expected a mapping with non-empty 'da' and 'en' texts")
    return {"da": value["da"], "en": value["en"]}


def _lines(path: Path, name: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, int):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(n, int) and n > 0 for n in value):
        raise TableError(path, name, "expected a list of positive 1-based line numbers")
    if len(value) > 1 and len(value) % 2:
        raise TableError(path, name, "expected [line], [start, end] or [start, end, start, end, ...]")
    for start, end in zip(value[::2], value[1::2], strict=False):  # [n] has no pairs
        if start > end:
            raise TableError(path, name, f"range {start}-{end} runs backwards")
    return tuple(value)


def line_ranges(lines: tuple[int, ...]) -> list[tuple[int, int]]:
    """[n] -> [(n, n)]; [a, b, c, d] -> [(a, b), (c, d)]."""
    if len(lines) == 1:
        return [(lines[0], lines[0])]
    return list(zip(lines[::2], lines[1::2], strict=True))


def format_lines(lines: tuple[int, ...]) -> str:
    """'8320', '8136-8138', '7818-7840, 8063-8069'."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in line_ranges(lines))


def _str_list(path: Path, name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TableError(path, name, "expected a list of non-empty strings")
    return tuple(v.lower() for v in value)


def _number(path: Path, name: str, value: Any) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TableError(path, name, f"expected a number, got {value!r}")
    return value


def _column(path: Path, i: int, raw: Any) -> Column:
    where = f"columns[{i}]"
    if not isinstance(raw, dict):
        raise TableError(path, where, "expected a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        raise TableError(path, f"{where}.key", "missing")
    measure = raw.get("measure")
    if not isinstance(measure, str) or not measure:
        raise TableError(path, f"{where}.measure", "missing")
    year = raw.get("year")
    if year is not None and not isinstance(year, int):
        raise TableError(path, f"{where}.year", "expected a year")
    change_of = raw.get("change_of")
    if change_of is not None:
        if not (isinstance(change_of, list) and len(change_of) == 2 and all(isinstance(c, str) for c in change_of)):
            raise TableError(path, f"{where}.change_of", "expected [newer column, older column]")
        change_of = (change_of[0], change_of[1])
    return Column(key=key, measure=measure, label=_text_pair(path, f"{where}.label", raw.get("label")),  # type: ignore[arg-type]
                  unit=_text_pair(path, f"{where}.unit", raw.get("unit")), year=year,  # type: ignore[arg-type]
                  period=raw.get("period"), change_of=change_of,
                  verb=_text_pair(path, f"{where}.verb", raw.get("verb"), required=False))


def _row(path: Path, i: int, raw: Any, columns: dict[str, Column], categories: dict) -> Row:
    where = f"rows[{i}]"
    if not isinstance(raw, dict):
        raise TableError(path, where, "expected a mapping")
    municipality = raw.get("municipality")
    if municipality is not None and municipality not in MUNICIPALITIES:
        raise TableError(path, f"{where}.municipality", f"{municipality!r} is not one of the 11 municipalities")
    key = raw.get("key") or (municipality.lower() if municipality else None)
    if not isinstance(key, str) or not key:
        raise TableError(path, f"{where}.key", "missing (give a key or a municipality)")
    label = raw.get("label") or municipality
    role = raw.get("role", "item")
    if role not in ROLES:
        raise TableError(path, f"{where}.role", f"expected one of {', '.join(ROLES)}")
    values_raw = raw.get("values") or {}
    if not isinstance(values_raw, dict):
        raise TableError(path, f"{where}.values", "expected a mapping from column to number")
    values: dict[str, Number] = {}
    for column, value in values_raw.items():
        if column not in columns:
            raise TableError(path, f"{where}.values.{column}", "no such column")
        values[column] = _number(path, f"{where}.values.{column}", value)
    category = raw.get("category")
    if categories and category not in categories:
        raise TableError(path, f"{where}.category", f"expected one of {', '.join(categories)}")
    if not categories and not values:
        raise TableError(path, f"{where}.values", "a row needs at least one value")
    years = raw.get("years") or []
    if not isinstance(years, list) or not all(isinstance(y, int) for y in years):
        raise TableError(path, f"{where}.years", "expected a list of years")
    goal = raw.get("goal")
    if goal is not None and not isinstance(goal, int):
        raise TableError(path, f"{where}.goal", "expected a goal number")
    return Row(key=key, label=_text_pair(path, f"{where}.label", label),  # type: ignore[arg-type]
               lines=_lines(path, f"{where}.lines", raw.get("lines")), values=values, role=role,
               municipality=municipality, group=raw.get("group"),
               keywords=_str_list(path, f"{where}.keywords", raw.get("keywords")),
               note=_text_pair(path, f"{where}.note", raw.get("note"), required=False),
               unit=_text_pair(path, f"{where}.unit", raw.get("unit"), required=False),
               period=str(raw["period"]) if raw.get("period") is not None else None,
               years=tuple(years), category=category, goal=goal,
               source=_text_pair(path, f"{where}.source", raw.get("source"), required=False))


def load_table(path: Path) -> Table:
    try:
        raw = yamlfast.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise TableError(path, "(file)", f"not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise TableError(path, "(file)", "expected a mapping")
    table_id = raw.get("id")
    if table_id != path.stem:
        raise TableError(path, "id", f"must equal the file name {path.stem!r}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise TableError(path, "kind", f"expected one of {', '.join(KINDS)}")
    categories_raw = raw.get("categories") or {}
    if kind == "categories" and not categories_raw:
        raise TableError(path, "categories", "a categories table needs its categories")
    categories = {k: _text_pair(path, f"categories.{k}", v) for k, v in categories_raw.items()}
    columns: dict[str, Column] = {}
    for i, raw_col in enumerate(raw.get("columns") or []):
        column = _column(path, i, raw_col)
        if column.key in columns:
            raise TableError(path, f"columns[{i}].key", f"duplicate column {column.key!r}")
        columns[column.key] = column
    for column in columns.values():
        for ref in column.change_of or ():
            if ref not in columns:
                raise TableError(path, f"columns.{column.key}.change_of", f"no such column {ref!r}")
    if kind != "categories" and not columns:
        raise TableError(path, "columns", "missing")
    rows_raw = raw.get("rows")
    if not isinstance(rows_raw, list) or not rows_raw:
        raise TableError(path, "rows", "expected a non-empty list")
    rows = [_row(path, i, r, columns, categories) for i, r in enumerate(rows_raw)]
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.key in seen:
            raise TableError(path, f"rows[{i}].key", f"duplicate row {row.key!r}")
        seen.add(row.key)
    if kind in ("municipalities", "categories"):
        named = sorted(r.municipality for r in rows if r.municipality)
        if named != sorted(MUNICIPALITIES):
            raise TableError(path, "rows", "a per-municipality table needs each of the 11 municipalities once")
    table = Table(id=table_id, kind=kind, title=_text_pair(path, "title", raw.get("title")),  # type: ignore[arg-type]
                  source=_text_pair(path, "source", raw.get("source")),  # type: ignore[arg-type]
                  lines=_lines(path, "lines", raw.get("lines")),
                  keywords=_str_list(path, "keywords", raw.get("keywords")), columns=columns, rows=rows,
                  checks=list(raw.get("checks") or []),
                  notes=_text_pair(path, "notes", raw.get("notes"), required=False),
                  categories=categories, secretariat=bool(raw.get("secretariat")), path=str(path),
                  name=_text_pair(path, "name", raw.get("name"), required=False))
    for i, check in enumerate(table.checks):
        if not isinstance(check, dict) or "cell" not in check or not ({"sum", "ratio"} & set(check)):
            raise TableError(path, f"checks[{i}]", "expected {cell: row.column, sum: [...]} or {cell, ratio: [a, b]}")
        for ref in [check["cell"], *check.get("sum", []), *check.get("ratio", [])]:
            try:
                table.cell(ref.lstrip("-"))
            except KeyError:
                raise TableError(path, f"checks[{i}]", f"no such cell {ref!r}") from None
    table.discrepancies = _discrepancies(path, table, raw.get("discrepancies") or [])
    return table


def _discrepancies(path: Path, table: Table, raw: Any) -> dict[str, Discrepancy]:
    if not isinstance(raw, list):
        raise TableError(path, "discrepancies", "expected a list")
    recorded: dict[str, Discrepancy] = {}
    for i, item in enumerate(raw):
        where = f"discrepancies[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("cell"), str):
            raise TableError(path, f"{where}.cell", "expected row.column")
        try:
            value = table.cell(item["cell"])
        except KeyError:
            raise TableError(path, f"{where}.cell", f"no such cell {item['cell']!r}") from None
        printed = _number(path, f"{where}.printed", item.get("printed"))
        if printed != value:
            raise TableError(path, f"{where}.printed", f"{printed} is not the table's value {value}")
        recorded[item["cell"]] = Discrepancy(item["cell"], printed,
                                             _number(path, f"{where}.computed", item.get("computed")),
                                             _text_pair(path, f"{where}.note", item.get("note")))  # type: ignore[arg-type]
    failing: dict[str, set[Decimal]] = {}
    for result in check_arithmetic(table):
        if not result.ok:
            failing.setdefault(result.cell, set()).add(Decimal(str(result.computed)))
    for cell, computed in failing.items():
        if cell not in recorded:
            raise TableError(path, "discrepancies", f"{cell} is printed as {table.cell(cell)} but computes to "
                             f"{', '.join(str(c) for c in sorted(computed))}; record it")
        if Decimal(str(recorded[cell].computed)) not in computed:
            raise TableError(path, "discrepancies", f"{cell}: computed is {', '.join(map(str, sorted(computed)))}")
    for cell in recorded:
        if cell not in failing:
            raise TableError(path, "discrepancies", f"{cell} does add up; remove it")
    return recorded


def check_arithmetic(table: Table) -> list[CheckResult]:
    """Every sum and difference the table implies, with the printed and the recomputed value."""
    results: list[CheckResult] = []
    for column in table.columns.values():
        if column.change_of:
            newer, older = column.change_of
            for row in table.rows:
                if column.key in row.values and newer in row.values and older in row.values:
                    results.append(CheckResult(f"{row.key}.{column.key}", "difference", row.values[column.key],
                                               row.values[newer] - row.values[older]))
    if table.kind in ("municipalities", "lines"):
        subtotal_groups = {r.group for r in table.rows if r.role == "subtotal"}
        for sub in (r for r in table.rows if r.role == "subtotal"):
            members = [r for r in table.rows if r.role == "item" and r.group == sub.group]
            results += _sum_checks(sub, members)
        total = table.total_row()
        if total is not None:
            parts = [r for r in table.rows if r.role == "subtotal"
                     or (r.role == "item" and r.group not in subtotal_groups)]
            results += _sum_checks(total, parts)
    for check in table.checks:
        if "sum" in check:
            computed: Number = sum(-table.cell(ref[1:]) if ref.startswith("-") else table.cell(ref)
                                   for ref in check["sum"])
        else:
            a, b = (Decimal(str(table.cell(ref))) for ref in check["ratio"])
            computed = int((a / b).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        results.append(CheckResult(check["cell"], "check", table.cell(check["cell"]), computed))
    return results


def _sum_checks(target: Row, parts: list[Row]) -> list[CheckResult]:
    results = []
    for column, printed in target.values.items():
        present = [r.values[column] for r in parts if column in r.values]
        if present:
            results.append(CheckResult(f"{target.key}.{column}", "sum", printed, sum(present)))
    return results


def load_tables(directory: Path) -> Tables:
    """Load and validate every knowledge/tables/*.yaml; raises TableError naming the file and field."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise TableError(directory, "(directory)", "no table files found")
    tables: dict[str, Table] = {}
    for path in paths:
        table = load_table(path)
        tables[table.id] = table
    return Tables(tables)


DEFAULT_DIR = Path(__file__).resolve().parent / "tables"
