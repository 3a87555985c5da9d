"""CPU cost per question of each answerer over a corpus of real questions (not part of the test run).

    .venv/bin/python tests/bench/bench_answerers.py [--reps 3] [--only contacts] [--no-budget] [--no-facts]

Loads the knowledge as ``app.build_runtime`` does (without the lookup cache, so every call does the
work) and times each answerer with ``time.process_time_ns`` (CPU, not wall: the machine is shared).
Each question is asked ``--reps`` times per answerer and its cheapest run counts; the table gives the
mean, p50 and p99 over the questions, in microseconds. The corpus: every question and earlier turn in
``../shared/eval/dev.yaml`` (in its language), every sentence in ``knowledge/tests/{da,en}/*.yaml`` and
every line of ``tests/bench/questions.txt`` (in Danish and in English). ``facts.lookup+context`` asks
the same questions as the turn after a curated fact's answer, with that answer's terms as the context
(handlers/facts.py passes them on), as later turns of a conversation are asked.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from knowledge.tables import load_tables  # noqa: E402
from services.budget import BudgetBook  # noqa: E402
from services.contacts import Directory  # noqa: E402
from services.facts import KnowledgeBase  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.yaml"


def _texts(node: Any) -> list[str]:
    """The sentences of a knowledge/tests file: ``text``/``sentence`` fields and plain strings in lists."""
    if isinstance(node, dict):
        out = [v for k, v in node.items() if k in ("text", "sentence", "question") and isinstance(v, str)]
        return out + [t for v in node.values() if isinstance(v, (dict, list)) for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in ([v] if isinstance(v, str) else _texts(v))]
    return []


def corpus() -> list[tuple[str, str]]:
    """(question, language) pairs, without repeats."""
    pairs: list[tuple[str, str]] = []
    if DEV.exists():
        for item in yaml.safe_load(DEV.read_text(encoding="utf-8")) or []:
            lang = item.get("lang", "da")
            pairs += [(q, lang) for q in [item["question"], *(item.get("context") or [])]]
    for lang in ("da", "en"):
        for path in sorted((ROOT / "knowledge" / "tests" / lang).glob("*.yaml")):
            pairs += [(t, lang) for t in _texts(yaml.safe_load(path.read_text(encoding="utf-8")))]
    questions = ROOT / "tests" / "bench" / "questions.txt"
    if questions.exists():
        for line in questions.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                pairs += [(line.strip(), "da"), (line.strip(), "en")]
    return list(dict.fromkeys(pairs))


def answerers(args: argparse.Namespace) -> dict[str, Callable[[str, str], Any]]:
    knowledge = ROOT / "knowledge"
    out: dict[str, Callable[[str, str], Any]] = {}
    directory = Directory.load(knowledge / "directory")
    out["contacts.lookup"] = directory.lookup
    out["contacts.route"] = directory.route
    if not args.no_facts:
        facts = KnowledgeBase.load(knowledge)
        out["facts.lookup"] = lambda q, lang: facts.lookup(q, lang)
        before = facts.lookup("Hvilke kommuner er med i borgmesterpagten?", "da")
        context = tuple(before.terms[:6]) if before is not None else ()  # handlers.facts.MAX_CONTEXT_TERMS
        out["facts.lookup+context"] = lambda q, lang: facts.lookup(q, lang, context)
    if not args.no_budget:
        book = BudgetBook(load_tables(knowledge / "tables"))
        out["budget.answer"] = lambda q, lang: book.answer(q, lang)
    return {name: fn for name, fn in out.items() if not args.only or args.only in name}


def measure(fn: Callable[[str, str], Any], questions: list[tuple[str, str]], reps: int) -> list[int]:
    """The cheapest of ``reps`` runs per question, in CPU nanoseconds (repetitions interleaved)."""
    best = [1 << 62] * len(questions)
    clock = time.process_time_ns
    for _ in range(reps):
        for i, (q, lang) in enumerate(questions):
            t0 = clock()
            fn(q, lang)
            best[i] = min(best[i], clock() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="runs per question; the cheapest counts")
    parser.add_argument("--only", default="", help="only answerers whose name contains this")
    parser.add_argument("--no-facts", action="store_true")
    parser.add_argument("--no-budget", action="store_true")
    args = parser.parse_args()
    questions = corpus()
    print(f"{len(questions)} questions, {args.reps} runs each, CPU time (time.process_time_ns)")
    print(f"{'answerer':22s} {'mean us':>9s} {'p50 us':>9s} {'p99 us':>9s} {'max us':>9s}")
    for name, fn in answerers(args).items():
        for q, lang in questions[:20]:  # warm up: first-call costs (imports, lazily built indexes)
            fn(q, lang)
        ns = sorted(measure(fn, questions, args.reps))
        us = [n / 1000 for n in ns]
        print(f"{name:22s} {statistics.mean(us):9.1f} {us[len(us) // 2]:9.1f} "
              f"{us[min(len(us) - 1, int(len(us) * 0.99))]:9.1f} {us[-1]:9.1f}")


if __name__ == "__main__":
    main()
