"""The citable passages of the document bundle (knowledge/passages/*.yaml): loading, validation, search.

A search returns passages with a score and the query coverage, and ``quote`` picks the few sentences of
a passage that answer the question, with the bundle lines they come from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.textsearch import BM25, Analyzer, Hit, Term


class KnowledgeError(ValueError):
    """A knowledge file is broken; the message names the file and the field."""


@dataclass(frozen=True)
class Passage:
    id: str
    section: str
    title: str
    lines: tuple[int, int]
    text: str
    spans: tuple[tuple[int, int], ...]  # (offset in text, bundle line), ascending

    def line_at(self, offset: int) -> int:
        line = self.spans[0][1]
        for start, no in self.spans:
            if start > offset:
                break
            line = no
        return line


@dataclass(frozen=True)
class Quote:
    passage: Passage
    text: str
    lines: tuple[int, int]
    coverage: float

    @property
    def title(self) -> str:
        return self.passage.title

    @property
    def where(self) -> str:
        a, b = self.lines
        return f"{a}" if a == b else f"{a}-{b}"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ\d•\-–\"”])|\s+(?=•)|\s+(?=\d\.\d?\s)")


def _require(doc: dict, key: str, kind: type, where: str) -> object:
    if key not in doc:
        raise KnowledgeError(f"{where}: missing field '{key}'")
    value = doc[key]
    if not isinstance(value, kind):
        raise KnowledgeError(f"{where}: field '{key}' must be {kind.__name__}")
    return value


def load_passages(directory: Path) -> list[Passage]:
    """Read and validate every passages file; a broken file raises KnowledgeError naming file and field."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise KnowledgeError(f"{directory}: no passage files (run: python -m knowledge.build)")
    out: list[Passage] = []
    seen: set[str] = set()
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise KnowledgeError(f"{path.name}: not valid YAML ({error.__class__.__name__})") from None
        if not isinstance(doc, dict):
            raise KnowledgeError(f"{path.name}: expected a mapping with 'section', 'title', 'passages'")
        section = str(_require(doc, "section", str, path.name))
        title = str(_require(doc, "title", str, path.name))
        for n, item in enumerate(_require(doc, "passages", list, path.name)):  # type: ignore[arg-type]
            where = f"{path.name}: passages[{n}]"
            if not isinstance(item, dict):
                raise KnowledgeError(f"{where}: expected a mapping")
            pid = str(_require(item, "id", str, where))
            text = str(_require(item, "text", str, where))
            lines = _require(item, "lines", list, where)
            spans = _require(item, "spans", list, where)
            if len(lines) != 2 or not all(isinstance(x, int) and x > 0 for x in lines) or lines[0] > lines[1]:  # type: ignore[arg-type]
                raise KnowledgeError(f"{where}: field 'lines' must be [first, last] 1-based line numbers")
            if not spans or not all(isinstance(s, list) and len(s) == 2 for s in spans):  # type: ignore[union-attr]
                raise KnowledgeError(f"{where}: field 'spans' must be a list of [offset, line] pairs")
            if not text.strip():
                raise KnowledgeError(f"{where}: field 'text' is empty")
            if pid in seen:
                raise KnowledgeError(f"{where}: field 'id' repeats {pid!r}")
            seen.add(pid)
            out.append(Passage(pid, section, title, (lines[0], lines[1]), text,  # type: ignore[index]
                               tuple((int(a), int(b)) for a, b in spans)))  # type: ignore[union-attr]
    return out


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences (and bullet items) of a passage."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > start:
            out.append((start, match.start()))
        start = match.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


class PassageIndex:
    """BM25 over passages; built once at start-up."""

    def __init__(self, passages: list[Passage], analyzer: Analyzer) -> None:
        self.passages = passages
        self.by_id = {p.id: i for i, p in enumerate(passages)}
        self.analyzer = analyzer
        self.bm25 = BM25([analyzer.document_terms(p.title.split("–")[-1] + " " + p.text) for p in passages])

    def search(self, query: list[Term], limit: int = 8) -> list[Hit]:
        return self.bm25.search(query, limit)

    def quote(self, index: int, query: list[Term], max_chars: int = 380) -> Quote:
        """The sentences of a passage that best match the query (one, or two short neighbours)."""
        passage = self.passages[index]
        spans = sentences(passage.text)
        scored = []
        for n, (a, b) in enumerate(spans):
            terms = set(self.analyzer.document_terms(passage.text[a:b]))
            hit = 0.0
            for term in query:
                if any(t in terms for t in term.alts):
                    hit += self.bm25.weight_of(term)
                elif term.parts and all(t in terms for t in term.parts):
                    hit += 0.8 * self.bm25.weight_of(term)
            scored.append((hit, -n, n))
        total = sum(self.bm25.weight_of(t) for t in query) or 1.0
        best = max(scored)[2] if scored else 0
        first, last = best, best
        # widen to neighbours while the quote is short or they also match
        while True:
            size = spans[last][1] - spans[first][0]
            grown = False
            for cand in (last + 1, first - 1):
                if 0 <= cand < len(spans):
                    extra = spans[cand][1] - spans[cand][0]
                    useful = scored[cand][0] > 0 or size < 90
                    if useful and size + extra <= max_chars:
                        first, last = min(first, cand), max(last, cand)
                        grown = True
                        break
            if not grown or size >= 200:
                break
        a, b = spans[first][0], spans[last][1]
        text = passage.text[a:b].strip()
        if len(text) > max_chars + 120:
            text = text[:max_chars].rsplit(" ", 1)[0] + " …"
        coverage = sum(s[0] for s in scored[first:last + 1]) / total
        return Quote(passage, text, (passage.line_at(a), passage.line_at(max(a, b - 1))), min(1.0, coverage))
