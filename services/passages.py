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


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when PyYAML has it: 10x faster
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
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
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
            spans = _parse_spans(str(_require(item, "spans", str, where)))
            if len(lines) != 2 or not all(isinstance(x, int) and x > 0 for x in lines) or lines[0] > lines[1]:  # type: ignore[arg-type]
                raise KnowledgeError(f"{where}: field 'lines' must be [first, last] 1-based line numbers")
            if not spans or spans[0][0] != 0:
                raise KnowledgeError(f"{where}: field 'spans' must be 'offset:line ...' starting at offset 0")
            if not text.strip():
                raise KnowledgeError(f"{where}: field 'text' is empty")
            if pid in seen:
                raise KnowledgeError(f"{where}: field 'id' repeats {pid!r}")
            seen.add(pid)
            out.append(Passage(pid, section, title, (lines[0], lines[1]), text, spans))  # type: ignore[index]
    return out


def _parse_spans(value: str) -> tuple[tuple[int, int], ...]:
    try:
        pairs = tuple((int(a), int(b)) for a, b in (item.split(":") for item in value.split()))
    except ValueError:
        return ()
    return pairs if all(x[0] <= y[0] for x, y in zip(pairs, pairs[1:], strict=False)) else ()


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
        self._sentences: dict[int, list[tuple[int, int, frozenset[str]]]] = {}  # filled on first quote

    def search(self, query: list[Term], limit: int = 8) -> list[Hit]:
        return self.bm25.search(query, limit)

    def quote(self, index: int, query: list[Term], max_chars: int = 420) -> Quote:
        """The sentences of a passage that best match the query (one, or two short neighbours)."""
        passage = self.passages[index]
        cut = self._sentences.get(index)
        if cut is None:
            cut = [(a, b, frozenset(self.analyzer.document_terms(passage.text[a:b])))
                   for a, b in sentences(passage.text)]
            self._sentences[index] = cut
        spans = [(a, b) for a, b, _ in cut]
        weights = [self.bm25.weight_of(term) for term in query]
        total = sum(weights) or 1.0
        found: list[dict[int, float]] = []  # per sentence: query word -> the weight it contributes
        words = list(enumerate(query))
        for _, _, terms in cut:
            hit: dict[int, float] = {}
            for k, term in words:
                alts = term.alts
                if (alts[0] in terms) if len(alts) == 1 else not terms.isdisjoint(alts):
                    hit[k] = weights[k]
                elif term.parts and not terms.isdisjoint(term.parts):
                    hit[k] = 0.8 * weights[k] * sum(t in terms for t in term.parts) / len(term.parts)
            found.append(hit)
        best = max(range(len(cut)), key=lambda n: (sum(found[n].values()), -n)) if cut else 0
        first, last = best, best
        have = dict(found[best]) if cut else {}
        # widen to a neighbour that adds a word of the question (or while the quote is very short)
        while True:
            size = spans[last][1] - spans[first][0]
            options = []
            for step in (-1, 1):  # the nearest sentence each way that adds a word, up to three away
                edge = first if step < 0 else last
                for cand in range(edge + step, edge + 4 * step, step):
                    if not 0 <= cand < len(spans):
                        break
                    lo, hi = min(first, cand), max(last, cand)
                    if spans[hi][1] - spans[lo][0] > max_chars:
                        break
                    gain = sum(w for k, w in found[cand].items() if w > have.get(k, 0.0))
                    if gain > 0 or (size < 90 and cand == edge + step):
                        options.append((gain, step > 0, cand))
                        break
            if not options:
                break
            _, _, cand = max(options)
            lo, hi = min(first, cand), max(last, cand)
            for n in range(lo, hi + 1):
                for k, w in found[n].items():
                    have[k] = max(w, have.get(k, 0.0))
            first, last = lo, hi
        a, b = spans[first][0], spans[last][1]
        text = passage.text[a:b].strip()
        if len(text) > max_chars + 120:
            text = text[:max_chars].rsplit(" ", 1)[0] + " …"
        # the question's most specific word elsewhere in the passage: add that sentence too, marked with "…"
        better = {k for hit in found for k, w in hit.items() if w > have.get(k, 0.0)}  # elsewhere, and more
        missing = [k for k in sorted(better, key=lambda k: (-weights[k], k))][:1]
        for k in missing:
            others = [n for n in range(len(cut))
                      if found[n].get(k, 0.0) > have.get(k, 0.0) and not first <= n <= last]
            if not others:
                continue
            n = min(others, key=lambda n: abs(n - best))
            extra = passage.text[spans[n][0]:spans[n][1]].strip()
            if len(text) + len(extra) > max_chars + 160:
                continue
            text = f"{extra} … {text}" if n < first else f"{text} … {extra}"
            a, b = min(a, spans[n][0]), max(b, spans[n][1])
            for key, w in found[n].items():
                have[key] = max(w, have.get(key, 0.0))
        coverage = sum(have.values()) / total
        return Quote(passage, text, (passage.line_at(a), passage.line_at(max(a, b - 1))), min(1.0, coverage))
