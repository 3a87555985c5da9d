"""The lookup cache: same question, same answer, computed once; callers never share a result object."""
from __future__ import annotations

from dataclasses import dataclass, field

from services.memo import memoize, memoize_methods


@dataclass
class _Result:
    items: list[str] = field(default_factory=list)


def test_a_repeated_lookup_is_computed_once_and_each_caller_gets_its_own_copy():
    calls = []

    def lookup(question: str, lang: str, context: tuple = ()) -> _Result:
        calls.append(question)
        return _Result([question, lang, *context])

    cached = memoize(lookup, size=2)
    first = cached("hvad betaler Hjørring?", "da", ("budget",))
    first.items.append("changed by the first caller")
    second = cached("hvad betaler Hjørring?", "da", ("budget",))
    assert second == _Result(["hvad betaler Hjørring?", "da", "budget"])
    second.items.clear()
    assert cached("hvad betaler Hjørring?", "da", ("budget",)).items == ["hvad betaler Hjørring?", "da", "budget"]
    assert calls == ["hvad betaler Hjørring?"]
    assert cached.cache_info()["hits"] == 2


def test_the_cache_is_bounded_and_other_arguments_are_other_entries():
    calls = []
    cached = memoize(lambda q, lang: calls.append(q) or q.upper(), size=2)
    for q in ("a", "b", "c", "a"):  # "a" was evicted by "c"
        assert cached(q, "da") == q.upper()
    assert cached("a", "en") == "A"
    assert calls == ["a", "b", "c", "a", "a"] and cached.cache_info()["size"] == 2


def test_arguments_that_are_not_plain_data_are_not_cached():
    calls = []
    cached = memoize(lambda obj: calls.append(obj) or 1)
    marker = object()
    cached(marker)
    cached(marker)
    assert len(calls) == 2


def test_memoize_methods_wraps_an_objects_lookups():
    class Book:
        def __init__(self) -> None:
            self.n = 0

        def answer(self, q: str) -> dict:
            self.n += 1
            return {"q": q}

    book = Book()
    memoize_methods(book, ("answer", "missing"))
    assert book.answer("x") == book.answer("x") == {"q": "x"}
    assert book.n == 1


async def test_the_budget_answer_is_the_same_when_it_comes_from_the_cache(bot):
    first = await bot.say("hvad betaler Hjørring til Børnehus Nord i 2021?", conversation="c1")
    second = await bot.say("hvad betaler Hjørring til Børnehus Nord i 2021?", conversation="c2", user="user-2")
    assert "489.473" in first
    assert first == second


def test_results_can_be_kept_out_and_keys_hold_no_text():
    calls = []
    cached = memoize(lambda text: calls.append(text) or {"intent": "Question" if "?" in text else "Help"},
                     cache_if=lambda r: r["intent"] != "Question")
    for _ in range(2):
        cached("hjælp")
        cached("hvem skal jeg kontakte om min sag?")
    assert calls == ["hjælp", "hvem skal jeg kontakte om min sag?", "hvem skal jeg kontakte om min sag?"]
    assert cached.cache_info()["size"] == 1
    cache = next(cell.cell_contents for cell in cached.__closure__ if isinstance(cell.cell_contents, dict))
    assert all(isinstance(key, bytes) and len(key) == 32 and "hjælp".encode() not in key for key in cache)


def test_the_recognizer_remembers_free_text_only_as_digests(knowledge_dir):
    from bot.recognizer import QUESTION, Recognizer

    recognizer = Recognizer(knowledge_dir / "sentences")
    question = "hvad betaler Hjørring til Børnehus Nord i 2021?"
    first = recognizer.recognize(question, "da-DK")
    again = recognizer.recognize(question, "da-DK")
    assert first == again and first.intent == QUESTION and first.slots == {"text": question}
    assert recognizer.recognize("What does Hjørring pay to Børnehus Nord in 2021?", "en-US").lang == "en"
    assert recognizer.recognize("hjælp", "da-DK").intent == "Help"
    assert all(isinstance(key, bytes) and len(key) == 32 for key in recognizer._free_text)
