"""The 11 North Jutland municipalities and a tolerant name resolver.

``resolve(text)`` finds the municipalities mentioned in free text, in the order they appear, as
canonical names ("Hjørring", "Vesthimmerland", "Læsø", ...). It accepts genitive ("Hjørrings",
"Aalborg's"), "Kommune"/"Kommunes", any case, ASCII spellings ("Hjorring", "Laeso", "Bronderslev"),
old/alternative spellings ("Ålborg", "Mors") and small misspellings of the longer names
("Fredrikshavn", "Vesthimerland"). Short names only match exactly, so ordinary words ("læse") do not
turn into municipalities.
"""
from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

ALL: list[str] = [
    "Aalborg",
    "Brønderslev",
    "Frederikshavn",
    "Hjørring",
    "Jammerbugt",
    "Læsø",
    "Mariagerfjord",
    "Morsø",
    "Rebild",
    "Thisted",
    "Vesthimmerland",
]


def fold(text: str) -> str:
    """Lower case, Danish letters folded to ASCII (ø->o, æ->ae, å->aa), other accents removed."""
    text = text.lower().replace("ø", "o").replace("æ", "ae").replace("å", "aa")
    if text.isascii():  # nothing left to decompose (most questions)
        return text
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


# folded spelling -> canonical name (exact matches, incl. known variants)
_EXACT: dict[str, str] = {fold(n): n for n in ALL}
_EXACT.update({
    "alborg": "Aalborg",
    "aalborgs": "Aalborg",
    "mors": "Morsø",
    "morso": "Morsø",
    "moerso": "Morsø",
    "laesoe": "Læsø",
    "laso": "Læsø",
    "hjoerring": "Hjørring",
    "hjorring": "Hjørring",
    "broenderslev": "Brønderslev",
    "jammerbugten": "Jammerbugt",
    "vesthimmerlands": "Vesthimmerland",
    "vesthimmerland": "Vesthimmerland",
    "frederikshavn": "Frederikshavn",
    "fredrikshavn": "Frederikshavn",
    "frederikhavn": "Frederikshavn",
    "mariager": "Mariagerfjord",
})
# Only names at least this long are matched approximately.
_FUZZY_MIN = 6
_FUZZY_RATIO = 0.84
_FUZZY_TARGETS = {k: v for k, v in _EXACT.items() if len(k) >= _FUZZY_MIN}
_FUZZY_BY_FIRST: dict[str, list[tuple[str, str]]] = {}  # the first letter must match: only those are compared
for _key, _name in _FUZZY_TARGETS.items():
    _FUZZY_BY_FIRST.setdefault(_key[0], []).append((_key, _name))

_WORD = re.compile(r"[0-9a-zA-ZæøåÆØÅéÉüÜöÖäÄ]+")
# Words that must never be matched approximately (common Danish/English words close to a name).
_STOP = {"kommune", "kommunes", "kommuner", "kommunerne", "municipality", "municipalities", "rebuild",
         "thistle", "listed", "twisted", "misted", "rebilled"}


def _strip_genitive(word: str) -> list[str]:
    forms = [word]
    if word.endswith("s") and len(word) > 3:
        forms.append(word[:-1])
    return forms


@lru_cache(maxsize=8192)  # words recur (every answerer resolves the same question); bounded like the stem cache
def _match_word(word: str) -> str | None:
    if word in _STOP:
        return None
    for form in _strip_genitive(word):
        if form in _EXACT:
            return _EXACT[form]
    if len(word) < _FUZZY_MIN:
        return None
    best, best_ratio = None, 0.0
    for form in _strip_genitive(word):
        if len(form) < _FUZZY_MIN:
            continue
        for key, name in _FUZZY_BY_FIRST.get(form[0], ()):
            if abs(len(key) - len(form)) > 2:
                continue
            matcher = SequenceMatcher(None, form, key)
            # quick_ratio() is an upper bound of ratio(): a name that cannot beat the best so far or reach
            # the threshold is not compared in full (as difflib.get_close_matches does).
            bound = matcher.quick_ratio()
            if bound < _FUZZY_RATIO or bound <= best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = name, ratio
    return best if best_ratio >= _FUZZY_RATIO else None


def resolve(text: str) -> list[str]:
    """Canonical names of the municipalities mentioned in ``text``, in order of first mention."""
    if not text:
        return []
    folded = fold(text).replace("’", "'").replace("'s", "s")
    words = _WORD.findall(folded)
    found: list[str] = []
    i = 0
    while i < len(words):
        name = None
        # Try two words glued together first ("vest himmerland", "mariagerf jord", "hjør ring").
        if i + 1 < len(words):
            name = _match_word(words[i] + words[i + 1])
            if name and _match_word(words[i]) == name:
                name = None  # the first word alone already is the name; don't swallow the next one
            elif name:
                if name not in found:
                    found.append(name)
                i += 2
                continue
        name = _match_word(words[i])
        if name and name not in found:
            found.append(name)
        i += 1
    return found


def canonical(name: str) -> str | None:
    """The canonical name for one municipality name (any spelling), or None."""
    hits = resolve(name)
    return hits[0] if len(hits) == 1 else None
