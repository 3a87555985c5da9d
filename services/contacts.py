"""The contact directory (knowledge/directory/*.yaml) and routing a question to the right person.

``Directory.load(path)`` reads and validates people, organisations, topics and source sections; a broken
file stops start-up with a message naming the file and the field. ``route(text, lang)`` returns the best
``ContactMatch`` es for a question, by a person's name, a role at an organisation ("Thisteds
borgmester", "who chairs Erhvervshus Nordjylland"), an organisation or a topic, tolerant of case,
ASCII spellings, split compounds and small misspellings. ``lookup`` also says what the question asks for
(e-mail, phone, address, where, secretariat) so a handler can answer that detail. Placeholders in the
documents ("xx@xx.dk", "[Navn]") are never contacts: they come back as ``kind == "unfilled"`` with the
nearest real contacts attached.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from services import municipalities, yamlfast
from services.municipalities import fold

ROLES = ("chair", "vice_chair", "mayor", "director", "coordinator", "contact", "signatory", "minister",
         "representative")
KINDS = ("contact", "addressee")
ASKS = ("email", "phone", "address", "location", "secretariat")
_PLACEHOLDER = re.compile(r"(\bx{2,}\b|x{2,}@|@x{2,}|\[[^\]]*\]|\badresse \d\b|\bxx\.xx\b)", re.I)
_EMAIL = re.compile(r"^[^@\s\[\]]+@[^@\s\[\]]+\.[a-z]{2,}$", re.I)
_PHONE = re.compile(r"^\+?[0-9 ]{8,16}$")
_LINES = re.compile(r"^\d+(-\d+)?(, *\d+(-\d+)?)*$")
_TOKEN = re.compile(r"[a-z0-9]+")


class DirectoryError(ValueError):
    """A directory file is broken; the message names the file and the field."""


def is_placeholder(value: str | None) -> bool:
    """True for template filler such as "xx@xx.dk", "Att.: xx xx", "[Navn]" or "Adresse 1"."""
    return bool(value) and bool(_PLACEHOLDER.search(str(value)))


# --------------------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class Role:
    role: str
    org: str
    title: dict[str, str]
    lines: str
    topic: str = ""  # the matter this role is about, when the role is that narrow (a signature)


@dataclass(frozen=True)
class OpenRole:
    """A role the documents mention without a real name (not named, or only a placeholder)."""

    role: str
    org: str
    title: dict[str, str]
    lines: str
    placeholder: tuple[str, ...] = ()
    nearest: tuple[str, ...] = ()
    topic: str = ""


@dataclass
class Person:
    id: str
    name: str
    roles: list[Role]
    aliases: list[str] = field(default_factory=list)
    printed: str = ""
    topics: list[str] = field(default_factory=list)
    email: str = ""
    phone: str = ""
    aad_id: str = ""
    address: str = ""
    kind: str = "contact"
    note: dict[str, str] = field(default_factory=dict)
    lines: str = ""
    source: str = "documents"


@dataclass
class Organisation:
    id: str
    name: dict[str, str]
    aliases: list[str] = field(default_factory=list)
    not_if: list[str] = field(default_factory=list)
    description: dict[str, str] = field(default_factory=dict)
    location: dict[str, str] = field(default_factory=dict)
    secretariat: dict[str, str] = field(default_factory=dict)
    web: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    topics: list[str] = field(default_factory=list)
    open_roles: list[OpenRole] = field(default_factory=list)
    nearest: list[str] = field(default_factory=list)
    municipality: str = ""
    lines: str = ""


@dataclass
class Topic:
    id: str
    name: dict[str, str]
    keywords: dict[str, list[str]]
    contacts: list[str]
    note: dict[str, str] = field(default_factory=dict)
    note_lines: str = ""
    lines: str = ""


@dataclass
class ContactMatch:
    """One answer to "who?": a person, an organisation, or a role the documents leave unfilled."""

    kind: str  # person | organisation | unfilled
    id: str
    name: str  # for "unfilled": the role's title
    role: str = ""
    organisation: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    web: str = ""
    aad_id: str = ""
    description: str = ""
    note: str = ""
    lines: str = ""
    score: float = 0.0
    why: list[tuple[str, str]] = field(default_factory=list)  # (kind, label): name | role | organisation | topic
    placeholder: list[str] = field(default_factory=list)
    nearest: list[ContactMatch] = field(default_factory=list)
    topic_note: str = ""
    asked_role: str = ""  # for "unfilled": the role word as the user typed it ("kommunaldirektør")

    @property
    def is_real(self) -> bool:
        return self.kind in ("person", "organisation")

    @property
    def can_receive(self) -> bool:
        """A hand-over needs somewhere to send it: an e-mail address or a Teams identity."""
        return self.is_real and bool(self.email or self.aad_id)


@dataclass
class Lookup:
    """What a question is about and asks for, and the contacts that fit (best first)."""

    matches: list[ContactMatch]
    asks: set[str] = field(default_factory=set)
    roles: list[str] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    role_found: bool = False  # a role at a named organisation resolved to (or was checked against) people
    contact_words: bool = False  # "kontakt", "contact", "hvem kan jeg spørge", ...
    who: bool = False  # "hvem", "who", "whom"
    all_mayors: bool = False  # "borgmester" without a municipality
    role_tokens: set[str] = field(default_factory=set)  # the words that named a role ("afdelingschef")


# ------------------------------------------------------------------------------------------ matching
_MEMO_SIZE = 8192  # entries per memo of a pure function of one word or text (compact form, roles, misspellings)


def _remember(memo: dict, key: Any, value: Any) -> Any:
    """Store in a bounded dict (oldest entry out first); returns ``value``."""
    if len(memo) >= _MEMO_SIZE:
        del memo[next(iter(memo))]
    memo[key] = value
    return value


_COMPACT: dict[str, str] = {}


def compact(text: str) -> str:
    """Folded letters and digits only ("Børnehus Nord" -> "bornehusnord"); remembered (bounded)."""
    found = _COMPACT.get(text)
    if found is None:
        found = _remember(_COMPACT, text, "".join(_TOKEN.findall(fold(text))))
    return found


@dataclass(frozen=True)
class _Key:
    compact: str
    short: bool

    @classmethod
    def of(cls, text: str) -> _Key:
        c = compact(text)
        return cls(c, len(c) <= 4)


_FUZZY_RATIO = 0.86


class _Text:
    """A question prepared for matching: folded tokens, the compact form and where each token starts, and
    (once, for every key of the directory) which keys it types exactly and which it misspells closely."""

    __slots__ = ("folded", "tokens", "compact", "starts", "token_set", "exact", "_close", "_keys")

    def __init__(self, text: str, keys: _KeyIndex | None = None) -> None:
        self.folded = fold(text).replace("’", "'").replace("'s ", "s ")
        self.tokens = _TOKEN.findall(self.folded)
        self.compact = "".join(self.tokens)
        self.starts: list[int] = []
        pos = 0
        for tok in self.tokens:
            self.starts.append(pos)
            pos += len(tok)
        self.token_set = set(self.tokens)
        self._keys = keys
        self.exact: set[int] = keys.exact(self) if keys is not None else set()
        self._close: set[int] | None = None

    def has_token(self, *words: str) -> bool:
        return not self.token_set.isdisjoint(words)

    @property
    def close(self) -> set[int]:
        """Ids of the keys (7 letters or more) a word or a word pair misspells closely, and that are not typed."""
        if self._close is None:
            self._close = self._keys.fuzzy(self) - self.exact if self._keys is not None else set()
        return self._close


class _KeyIndex:
    """Every matching key of the directory (names, aliases, keywords, vetoes), indexed so that a question
    only tests the keys it can match: short keys by the whole word, longer keys by their first four letters
    at a word start, and misspellings by the first two letters (memoised per word, bounded).

    A short key matches a whole word (or the word plus "s"); a longer key matches the compact text from
    any word start; a key of 7 letters or more also matches a word or word pair of 6 letters or more with
    the same first two letters, a length within 4 and a difflib ratio of at least 0.86 (its first
    ``len(key) + 1`` letters)."""

    def __init__(self) -> None:
        self.keys: list[_Key] = []
        self._ids: dict[_Key, int] = {}
        self._words: dict[str, list[int]] = {}  # a word -> the short keys it types (the key, or the key + "s")
        self._long: dict[str, list[tuple[int, str]]] = {}  # first four letters -> (id, key)
        self._tiny: list[tuple[int, str]] = []  # non-short keys under four letters (none today)
        # first two letters -> (id, key, length, str.translate table deleting the key's letters, letter counts)
        self._close: dict[str, list[tuple[int, str, int, dict[int, None], dict[str, int]]]] = {}
        # (first two letters, word length) -> the keys such a word may misspell; only windows that hold keys
        self._windows: dict[tuple[str, int], tuple] = {}
        self._windows_stale = False
        self._memo: dict[str, tuple[int, ...]] = {}

    def add(self, key: _Key) -> int:
        kid = self._ids.get(key)
        if kid is not None:
            return kid
        kid = self._ids[key] = len(self.keys)
        self.keys.append(key)
        k = key.compact
        if not k:
            return kid
        if key.short:
            self._words.setdefault(k, []).append(kid)
            self._words.setdefault(k + "s", []).append(kid)
            return kid
        if len(k) >= 4:
            self._long.setdefault(k[:4], []).append((kid, k))
        else:
            self._tiny.append((kid, k))
        if len(k) >= 7:
            counts: dict[str, int] = {}
            for letter in k:
                counts[letter] = counts.get(letter, 0) + 1
            self._close.setdefault(k[:2], []).append((kid, k, len(k), dict.fromkeys(map(ord, counts)), counts))
            self._windows_stale = True
        return kid

    def exact(self, q: _Text) -> set[int]:
        """Ids of the keys typed in ``q``: short keys as a word (or the word plus "s"), longer keys from a
        word start."""
        found: set[int] = set()
        words = self._words
        for word in words.keys() & q.token_set:
            found.update(words[word])
        text = q.compact
        long = self._long
        for start in q.starts:
            bucket = long.get(text[start:start + 4])
            if bucket:
                for kid, k in bucket:
                    if text.startswith(k, start):
                        found.add(kid)
        if self._tiny:
            for start in q.starts:
                for kid, k in self._tiny:
                    if text.startswith(k, start):
                        found.add(kid)
        return found

    def fuzzy(self, q: _Text) -> set[int]:
        """Ids of the keys that a word or a pair of adjacent words (6 letters or more) misspells."""
        if self._windows_stale:
            self.prepare()
        windows = self._windows
        found: set[int] = set()
        prev = ""
        for tok in q.tokens:
            if len(tok) >= 6 and (tok[:2], len(tok)) in windows:
                found.update(self._close_to(tok))
            if prev and len(prev) + len(tok) >= 6:
                head = prev[:2] if len(prev) >= 2 else prev + tok[:1]
                if (head, len(prev) + len(tok)) in windows:
                    found.update(self._close_to(prev + tok))
            prev = tok
        return found

    def prepare(self) -> None:
        """Work out which keys a word of each first two letters and length may misspell (after the last add):
        a length within 4 and a difflib real_quick_ratio (the shorter length against both) of at least 0.86."""
        windows: dict[tuple[str, int], list] = {}
        for first, keys in self._close.items():
            for entry in keys:
                length = entry[2]
                for n in range(max(6, length - 4), length + 5):
                    probe = min(n, length + 1)
                    if 2.0 * min(probe, length) / (probe + length) >= _FUZZY_RATIO:
                        windows.setdefault((first, n), []).append(entry)
        self._windows = {at: tuple(entries) for at, entries in windows.items()}
        self._windows_stale = False

    def _close_to(self, cand: str) -> tuple[int, ...]:
        ids = self._memo.get(cand)
        if ids is None:
            ids = _remember(self._memo, cand, self._close_keys(cand))
        return ids

    def _close_keys(self, cand: str) -> tuple[int, ...]:
        """Keys that ``cand`` misspells (difflib ratio of at least 0.86), except those it starts with: a word
        (or word pair) starts at a word start, so those keys are typed exactly and match anyway."""
        out = []
        n = len(cand)
        for kid, k, length, letters, counts in self._windows.get((cand[:2], n), ()):
            if cand.startswith(k):
                continue
            probe = cand[: length + 1] if n > length else cand
            total = len(probe) + length
            # ratio <= quick_ratio (letters in common, counted with repeats) <= the probe's letters that occur
            # in the key at all: rule out cheaply what difflib would rule out, with the same arithmetic.
            if 2.0 * (len(probe) - len(probe.translate(letters))) / total < _FUZZY_RATIO:
                continue
            avail = dict(counts)
            common = 0
            for letter in probe:
                left = avail.get(letter, 0)
                if left > 0:
                    common += 1
                    avail[letter] = left - 1
            if 2.0 * common / total < _FUZZY_RATIO:
                continue
            if SequenceMatcher(None, probe, k).ratio() >= _FUZZY_RATIO:
                out.append(kid)
        return tuple(out)


# Role words: (role, substrings a token may contain, whole tokens, substrings that veto the token)
_ROLE_WORDS: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    ("vice_chair", ("naestformand", "naestforperson", "viceformand", "vicechair", "vicechairman",
                    "deputychair"), ("deputy",), ()),
    ("chair", ("formand", "formaend", "forperson"),
     ("chair", "chairs", "chaired", "chairman", "chairwoman", "chairperson", "chairing", "heads", "leads",
      "leader", "head", "formanden", "leder", "lederen"),
     ("naestformand", "naestforperson", "viceformand", "formandskab")),
    ("mayor", ("borgmester", "borgmestr"), ("mayor", "mayors"), ("pagt",)),
    ("director", ("direktor", "chef"), ("director", "ceo", "direktion", "manager"),
     ("direktorkreds", "direktorerne", "sundhedsdirektor", "chefgruppe", "erhvervschef")),
    ("coordinator", ("koordinator", "coordinator"), (), ()),
    ("signatory", ("underskr", "underskriv"), ("signed", "signs", "signatory", "signer", "signature", "sign"), ()),
    ("minister", ("minister",), (), ("ministeri",)),
    ("representative", ("repraesentant",), ("representative", "rep"), ()),
    ("contact", ("kontaktperson", "contactperson", "meddelelse"), ("contact", "notice", "notices", "notify"), ()),
]
_CONTACT_WORDS = ("kontakt", "henvend", "contact", "getintouch", "reachout", "hvemkanjegsporge",
                  "hvemskaljegsporge", "whocaniask", "whoshouldiask", "hvemkanjegtale", "sparmed")
_WHO = ("hvem", "who", "whom", "whose", "hvis")
_ASK_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # ask: (substrings in the compact text, whole tokens)
    "email": (("email", "mailadresse", "emailadresse", "mailto"), ("mail", "mails", "e", "mailen")),
    "phone": (("telefon", "tlf", "telephone", "phonenumber", "ringetil", "mobilnummer", "mobilnr"),
              ("phone", "call", "ring", "nummer", "number", "tlfnr")),
    "address": (("adresse", "address", "postadresse"), ()),
    "location": (("hvorligger", "hvorerplaceret", "placeret", "beliggende", "whereis", "wherearethe",
                  "located", "based", "hvorhar", "hvorsidder", "hvorbefinder"), ()),
    "secretariat": (("sekretariat", "secretariat"), ()),
}
# Compiled once: any role word at all in a token (most have none), and each ask's substrings and words.
_ROLE_ANY = re.compile("|".join(re.escape(s) for _, subs, _, _ in _ROLE_WORDS for s in subs))
_ROLE_WHOLE = frozenset(w for _, _, whole, _ in _ROLE_WORDS for w in whole)
_ASK_PATTERNS = [(ask, re.compile("|".join(map(re.escape, subs))), frozenset(whole))
                 for ask, (subs, whole) in _ASK_WORDS.items()]
_NO_ROLES: frozenset[str] = frozenset()
_RULED_ROLES = frozenset(("vice_chair", "chair", "signatory", "mayor"))  # more than a word: see Directory._roles
_CONTACT_ANY = re.compile("|".join(map(re.escape, _CONTACT_WORDS)))
# Words that do not name what a question is about (for a narrow role's fit, see Directory._fits_object).
_NOT_OBJECT = frozenset((
    "hvem", "hvis", "hvad", "hvilken", "hvilket", "hvilke", "som", "der", "det", "den", "dem", "har", "havde",
    "blev", "bliver", "skrev", "skriver", "under", "vegne", "sammen", "med", "til", "fra", "eller", "ogsa",
    "navn", "navnet", "hedder", "whom", "whose", "which", "that", "this", "have", "were", "wrote", "writes",
    "with", "from", "behalf", "name", "names", "also", "together", "skal", "should", "kontakte", "contact",
    "spoerge", "sporge", "ask", "kunne", "could", "would", "does", "did"))
_GENERIC_ORG_WORDS = ("kommune", "kommunes", "municipality")
_SURNAME_STOP = {"gade"}  # "gade" is also the Danish word for street
_FIRSTNAME_STOP = {"hans", "per", "jens", "mette", "simon", "peter", "laura"}


def _typed_word(text: str, folded_tokens: set[str]) -> str:
    """The word as typed whose folded form is one of ``folded_tokens`` (for echoing the user's own term)."""
    for word in re.findall(r"[\wæøåÆØÅ-]+", text or ""):
        if compact(word) in folded_tokens:
            return word.lower()
    return ""


# ------------------------------------------------------------------------------------------- loading
def _req(data: dict, key: str, where: str, kind: type | tuple = str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise DirectoryError(f"{where}: missing field '{key}'")
    if not isinstance(data[key], kind):
        raise DirectoryError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}")
    return data[key]


def _lang_map(value: Any, where: str, required: bool = True) -> dict[str, str]:
    if value in (None, "", {}):
        if required:
            raise DirectoryError(f"{where}: missing")
        return {}
    if isinstance(value, str):
        return {"da": value, "en": value}
    if not isinstance(value, dict) or "da" not in value or not all(isinstance(v, str) for k, v in value.items()
                                                                   if k in ("da", "en")):
        raise DirectoryError(f"{where}: expected text or {{da: ..., en: ...}}")
    return {"da": value["da"], "en": value.get("en", value["da"]), **({"lines": str(value["lines"])}
                                                                     if "lines" in value else {})}


def _lines(value: Any, where: str, required: bool = True) -> str:
    if value in (None, ""):
        if required:
            raise DirectoryError(f"{where}: missing source lines (e.g. \"1676-1678\"), or source: secretariat")
        return ""
    text = str(value).strip()
    if not _LINES.match(text):
        raise DirectoryError(f"{where}: lines must look like \"1676-1678, 1680\", got {text!r}")
    return text


def _str_list(value: Any, where: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise DirectoryError(f"{where}: expected a list of texts")
    return [str(v) for v in value]


def _contact_details(data: dict, where: str) -> dict[str, str]:
    out = {}
    for key in ("email", "phone", "address", "aad_id", "web"):
        value = data.get(key)
        if value in (None, ""):
            continue
        value = str(value).strip()
        if is_placeholder(value):
            raise DirectoryError(f"{where}.{key}: {value!r} is a placeholder, not a contact detail; leave it out")
        if key == "email" and not _EMAIL.match(value):
            raise DirectoryError(f"{where}.email: {value!r} is not an e-mail address")
        if key == "phone" and not _PHONE.match(value):
            raise DirectoryError(f"{where}.phone: {value!r} is not a phone number (digits, optional +45)")
        out[key] = value
    return out


class Directory:
    """People, organisations and topics, loaded once; ``route`` finds who fits a question."""

    def __init__(self, people: list[Person], orgs: list[Organisation], topics: list[Topic],
                 sections: list[dict]) -> None:
        self.people = {p.id: p for p in people}
        self.orgs = {o.id: o for o in orgs}
        self.topics = {t.id: t for t in topics}
        self.sections = sections
        self._org_by_municipality = {o.municipality: o.id for o in orgs if o.municipality}
        self._compile()

    # -- loading -------------------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path) -> Directory:
        people: list[Person] = []
        orgs: list[Organisation] = []
        topics: list[Topic] = []
        sections: list[dict] = []
        files = sorted(directory.glob("*.yaml"))
        if not files:
            raise DirectoryError(f"{directory}: no directory files (*.yaml)")
        for path in files:
            try:
                data = yamlfast.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as err:
                raise DirectoryError(f"{path.name}: not valid YAML: {err}") from err
            if not isinstance(data, dict):
                raise DirectoryError(f"{path.name}: expected a mapping with people/organisations/topics")
            unknown = set(data) - {"people", "organisations", "topics", "sections"}
            if unknown:
                raise DirectoryError(f"{path.name}: unknown section(s) {sorted(unknown)}")
            for i, item in enumerate(data.get("people") or []):
                people.append(cls._person(item, f"{path.name}: people[{i}]"))
            for i, item in enumerate(data.get("organisations") or []):
                orgs.append(cls._org(item, f"{path.name}: organisations[{i}]"))
            for i, item in enumerate(data.get("topics") or []):
                topics.append(cls._topic(item, f"{path.name}: topics[{i}]"))
            for i, item in enumerate(data.get("sections") or []):
                where = f"{path.name}: sections[{i}]"
                if not isinstance(item, dict) or not isinstance(item.get("first"), int) \
                        or not isinstance(item.get("last"), int) or not item.get("da"):
                    raise DirectoryError(f"{where}: expected first, last (line numbers) and da/en titles")
                sections.append(item)
        directory_obj = cls(people, orgs, topics, sections)
        directory_obj._check_references()
        return directory_obj

    @staticmethod
    def _person(item: Any, where: str) -> Person:
        if not isinstance(item, dict):
            raise DirectoryError(f"{where}: expected a mapping")
        pid = _req(item, "id", where)
        where = f"{where} ({pid})"
        name = _req(item, "name", where)
        if is_placeholder(name):
            raise DirectoryError(f"{where}.name: {name!r} is a placeholder, not a name")
        source = str(item.get("source") or "documents")
        roles = []
        for j, r in enumerate(_req(item, "roles", where, list)):
            rw = f"{where}.roles[{j}]"
            if not isinstance(r, dict):
                raise DirectoryError(f"{rw}: expected a mapping")
            role = _req(r, "role", rw)
            if role not in ROLES:
                raise DirectoryError(f"{rw}.role: {role!r} is not one of {', '.join(ROLES)}")
            roles.append(Role(role, _req(r, "org", rw), _lang_map(r.get("title"), f"{rw}.title"),
                              _lines(r.get("lines"), f"{rw}.lines", required=source == "documents"),
                              str(r.get("topic") or "")))
        kind = str(item.get("kind") or "contact")
        if kind not in KINDS:
            raise DirectoryError(f"{where}.kind: expected one of {', '.join(KINDS)}")
        details = _contact_details(item, where)
        return Person(
            id=pid, name=name, roles=roles, aliases=_str_list(item.get("aliases"), f"{where}.aliases"),
            printed=str(item.get("printed") or ""), topics=_str_list(item.get("topics"), f"{where}.topics"),
            email=details.get("email", ""), phone=details.get("phone", ""), aad_id=details.get("aad_id", ""),
            address=details.get("address", ""), kind=kind,
            note=_lang_map(item.get("note"), f"{where}.note", required=False),
            lines=_lines(item.get("lines"), f"{where}.lines", required=False), source=source,
        )

    @staticmethod
    def _org(item: Any, where: str) -> Organisation:
        if not isinstance(item, dict):
            raise DirectoryError(f"{where}: expected a mapping")
        oid = _req(item, "id", where)
        where = f"{where} ({oid})"
        details = _contact_details(item, where)
        open_roles = []
        for j, r in enumerate(item.get("open_roles") or []):
            rw = f"{where}.open_roles[{j}]"
            role = _req(r, "role", rw)
            if role not in ROLES:
                raise DirectoryError(f"{rw}.role: {role!r} is not one of {', '.join(ROLES)}")
            open_roles.append(OpenRole(role, oid, _lang_map(r.get("title"), f"{rw}.title"),
                                       _lines(r.get("lines"), f"{rw}.lines"),
                                       tuple(_str_list(r.get("placeholder"), f"{rw}.placeholder")),
                                       tuple(_str_list(r.get("nearest"), f"{rw}.nearest")),
                                       str(r.get("topic") or "")))
        municipality = str(item.get("municipality") or "")
        if municipality and municipality not in municipalities.ALL:
            raise DirectoryError(f"{where}.municipality: {municipality!r} is not one of the 11 municipalities")
        return Organisation(
            id=oid, name=_lang_map(item.get("name"), f"{where}.name"),
            aliases=_str_list(item.get("aliases"), f"{where}.aliases"),
            not_if=_str_list(item.get("not_if"), f"{where}.not_if"),
            description=_lang_map(item.get("description"), f"{where}.description", required=False),
            location=_lang_map(item.get("location"), f"{where}.location", required=False),
            secretariat=_lang_map(item.get("secretariat"), f"{where}.secretariat", required=False),
            web=details.get("web", ""), email=details.get("email", ""), phone=details.get("phone", ""),
            address=details.get("address", ""), topics=_str_list(item.get("topics"), f"{where}.topics"),
            open_roles=open_roles, nearest=_str_list(item.get("nearest"), f"{where}.nearest"),
            municipality=municipality,
            lines=_lines(item.get("lines"), f"{where}.lines", required=item.get("source") != "secretariat"),
        )

    @staticmethod
    def _topic(item: Any, where: str) -> Topic:
        if not isinstance(item, dict):
            raise DirectoryError(f"{where}: expected a mapping")
        tid = _req(item, "id", where)
        where = f"{where} ({tid})"
        keywords = item.get("keywords")
        if not isinstance(keywords, dict) or not keywords.get("da"):
            raise DirectoryError(f"{where}.keywords: expected {{da: [...], en: [...]}}")
        contacts = _str_list(item.get("contacts"), f"{where}.contacts")
        if not contacts:
            raise DirectoryError(f"{where}.contacts: a topic needs at least one person or organisation")
        return Topic(
            id=tid, name=_lang_map(item.get("name"), f"{where}.name"),
            keywords={lang: _str_list(keywords.get(lang), f"{where}.keywords.{lang}") for lang in ("da", "en")},
            contacts=contacts, note=_lang_map(item.get("note"), f"{where}.note", required=False),
            note_lines=_lines(item.get("note_lines"), f"{where}.note_lines", required=False),
            lines=_lines(item.get("lines"), f"{where}.lines", required=item.get("source") != "secretariat"),
        )

    def _check_references(self) -> None:
        ids = list(self.people) + list(self.orgs)
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise DirectoryError(f"duplicate id(s): {', '.join(dupes)}")
        known = set(ids)
        for p in self.people.values():
            for r in p.roles:
                if r.org not in self.orgs:
                    raise DirectoryError(f"people ({p.id}).roles.org: unknown organisation {r.org!r}")
            for t in p.topics:
                if t not in self.topics:
                    raise DirectoryError(f"people ({p.id}).topics: unknown topic {t!r}")
        for o in self.orgs.values():
            for t in o.topics:
                if t not in self.topics and t != "kommune":
                    raise DirectoryError(f"organisations ({o.id}).topics: unknown topic {t!r}")
            for ref in list(o.nearest) + [n for r in o.open_roles for n in r.nearest]:
                if ref not in known:
                    raise DirectoryError(f"organisations ({o.id}).nearest: unknown id {ref!r}")
        for t in self.topics.values():
            for ref in t.contacts:
                if ref not in known:
                    raise DirectoryError(f"topics ({t.id}).contacts: unknown person or organisation {ref!r}")

    def _compile(self) -> None:
        self._name_keys: list[tuple[str, _Key, float]] = []
        first_names: dict[str, list[str]] = {}
        for p in self.people.values():
            for full in [p.name, p.printed, *p.aliases]:
                if full:
                    self._name_keys.append((p.id, _Key.of(full), 1.0))
            parts = re.split(r"\s+", p.name.strip())
            surname = parts[-1]
            if compact(surname) not in _SURNAME_STOP and len(compact(surname)) >= 4:
                self._name_keys.append((p.id, _Key(compact(surname), False), 0.9))
                if "-" in surname:
                    for piece in surname.split("-"):
                        if len(piece) >= 5:
                            self._name_keys.append((p.id, _Key(compact(piece), False), 0.85))
            first = compact(parts[0])
            if len(first) >= 4 and first not in _FIRSTNAME_STOP:
                first_names.setdefault(first, []).append(p.id)
        for first, pids in first_names.items():
            for pid in pids:
                self._name_keys.append((pid, _Key(first, True), 0.8))  # whole word only
        self._org_keys: list[tuple[str, _Key]] = []
        self._org_vetoes: dict[str, list[_Key]] = {}
        for o in self.orgs.values():
            for alias in dict.fromkeys(compact(a) for a in (o.name["da"], o.name["en"], *o.aliases)):
                self._org_keys.append((o.id, _Key(alias, len(alias) <= 4)))
            self._org_vetoes[o.id] = [_Key.of(v) for v in o.not_if]
        self._topic_keys: list[tuple[str, _Key]] = []
        for t in self.topics.values():
            for lang in ("da", "en"):
                for kw in t.keywords.get(lang, []):
                    if (t.id, _Key.of(kw)) not in self._topic_keys:
                        self._topic_keys.append((t.id, _Key.of(kw)))
        self._role_words: dict[tuple[str, str], str] = {}  # (a narrow role's title, its matter) -> known words
        self._role_memo: dict[str, frozenset[str]] = {}  # word -> the roles it names (bounded)
        # What a person's match shows, per (person, language, role, organisation): a few hundred at most.
        self._shown: dict[tuple[str, str, str | None, str | None, str], tuple[str, str, str]] = {}
        self._labels: dict[tuple, str] = {}
        self._via: dict[tuple[str, str], str | None] = {}  # (person, topic) -> the organisation they answer through
        # Who holds what, in directory order: by role, by (role, organisation), an organisation's people
        # (contact person first, then by role; addressees are not offered).
        self._with_role: dict[str, list[Person]] = {}
        self._holding: dict[tuple[str, str], list[Person]] = {}
        for p in self.people.values():
            for r in dict.fromkeys(r.role for r in p.roles):
                self._with_role.setdefault(r, []).append(p)
            for key in dict.fromkeys((r.role, r.org) for r in p.roles):
                self._holding.setdefault(key, []).append(p)
        order = {r: i for i, r in enumerate(("contact", "coordinator", "chair", "director", "vice_chair",
                                             "mayor", "signatory", "representative", "minister"))}
        # Per organisation: its names as typed (compact), and its people's titles there (compact), in order.
        self._org_words = {o.id: {compact(a) for a in (*o.aliases, *o.name.values())} for o in self.orgs.values()}
        self._titles_at: dict[str, list[tuple[str, str, str, str]]] = {}
        for p in self.people.values():
            for r in p.roles:
                self._titles_at.setdefault(r.org, []).append(
                    (p.id, r.role, compact(r.title["da"]), compact(r.title["en"])))
        self._at_org: dict[str, list[Person]] = {}
        for oid in self.orgs:
            ranked = []
            for p in self.people.values():
                ranks = [order[r.role] for r in p.roles if r.org == oid]
                if ranks and p.kind == "contact":
                    ranked.append((min(ranks), p))
            self._at_org[oid] = [p for _, p in sorted(ranked, key=lambda x: x[0])]
        # One index over all keys; for each list, where each key sits in it (a question walks only the keys
        # it matched, in list order, so ties rank as before).
        self._keys = _KeyIndex()
        self._name_at = self._positions([self._keys.add(key) for _, key, _ in self._name_keys])
        self._org_at = self._positions([self._keys.add(key) for _, key in self._org_keys])
        self._topic_at = self._positions([self._keys.add(key) for _, key in self._topic_keys])
        self._vetoes: dict[int, list[str]] = {}  # key id -> organisations it rules out ("KKR Midt": not KKR)
        for oid, vetoes in self._org_vetoes.items():
            for v in vetoes:
                self._vetoes.setdefault(self._keys.add(v), []).append(oid)
        self._keys.prepare()

    @staticmethod
    def _positions(kids: list[int]) -> dict[int, list[int]]:
        """key id -> its positions in a list of key ids."""
        at: dict[int, list[int]] = {}
        for pos, kid in enumerate(kids):
            at.setdefault(kid, []).append(pos)
        return at

    @staticmethod
    def _hits(q: _Text, at: dict[int, list[int]]) -> list[tuple[int, float]]:
        """(position, quality) of the keys of one list that ``q`` matches, in list order: 1.0 typed,
        0.85 closely misspelled."""
        found = [(pos, 1.0) for kid in q.exact if kid in at for pos in at[kid]]
        close = q.close
        if close:
            found += [(pos, 0.85) for kid in close if kid in at for pos in at[kid]]
        found.sort()
        return found

    # -- routing -------------------------------------------------------------------------------------
    def route(self, text: str, lang: str = "da") -> list[ContactMatch]:
        """The real contacts that fit ``text``, best first (at most a handful). A role the documents leave
        unfilled (a placeholder, or no name) is replaced by its nearest real contacts; ``lookup`` keeps it."""
        out: list[ContactMatch] = []
        for m in self.lookup(text, lang).matches:
            for real in ([m] if m.is_real else m.nearest):
                if real.is_real and all(real.id != o.id for o in out):
                    out.append(real)
        return out

    def lookup(self, text: str, lang: str = "da") -> Lookup:
        lang = lang if lang in ("da", "en") else "da"
        q = _Text(text or "", self._keys)
        result = Lookup(matches=[])
        if not q.tokens:
            return result
        result.asks = self._asks(q)
        people = self._people(q)
        roles = self._roles(q, result.role_tokens)
        extra_topics: list[str] = []
        if people and "signatory" in roles:
            # "hvem underskrev brevet til Astrid Krag?": the person named received the letter; the question is
            # about its signer, on the addressee's matter.
            addressed = {pid for pid, _ in people if self.people[pid].kind == "addressee"}
            people = [p for p in people if p[0] not in addressed]
            extra_topics = [t for pid in addressed for t in self.people[pid].topics]
        if people and q.has_token("nummer", "nummeret", "number", "nr", "mobil", "mobile"):
            result.asks.add("phone")  # "Nettas nummer"
        result.roles = roles
        result.contact_words = bool(_CONTACT_ANY.search(q.compact))
        result.who = q.has_token(*_WHO)
        orgs = self._orgs(q)
        topics = self._topics(q)
        topics += [(t, 1.0) for t in dict.fromkeys(extra_topics) if all(t != tid for tid, _ in topics)]
        result.people = [pid for pid, _ in people]
        result.orgs = orgs
        result.topics = [tid for tid, _ in topics]
        found: dict[str, ContactMatch] = {}

        def add(m: ContactMatch) -> None:
            old = found.get(m.id)
            if old is None:
                found[m.id] = m
                return
            old.score = max(old.score, m.score) + 0.02
            for w in m.why:
                if w not in old.why:
                    old.why.append(w)

        for pid, quality in people:
            m = self._person_match(self.people[pid], lang, quality, [("name", self.people[pid].name)])
            m.role = self._all_roles(self.people[pid], lang) or m.role
            add(m)
        role_hits = self._role_matches(result, q, lang)
        for m in role_hits:
            add(m)
        if not role_hits or result.asks:
            for rank, oid in enumerate(orgs):
                org = self.orgs[oid]
                add(self._org_match(org, lang, 0.78 - 0.02 * rank, [("organisation", self._name(org, lang))]))
                if not result.roles or result.roles == ["contact"]:
                    for j, p in enumerate(self._org_people(oid)):
                        add(self._person_match(p, lang, 0.76 - 0.02 * j - 0.02 * rank,
                                               [("organisation", self._name(org, lang))], org_id=oid))
        for rank, (tid, quality) in enumerate(topics):
            topic = self.topics[tid]
            label = topic.name.get(lang, topic.name["da"])
            for j, ref in enumerate(topic.contacts):
                score = (0.72 if quality >= 1.0 else 0.65) - 0.03 * j - 0.05 * rank
                if ref in self.people:
                    m = self._person_match(self.people[ref], lang, score, [("topic", label)],
                                           org_id=self._topic_org(self.people[ref], topic))
                else:
                    m = self._org_match(self.orgs[ref], lang, score - 0.02, [("topic", label)])
                if topic.note:
                    m.topic_note = topic.note.get(lang, topic.note["da"])
                add(m)
        if result.asks & {"email", "phone", "address"}:
            for oid in orgs:
                org = self.orgs[oid]
                if org.email or org.address:
                    continue
                # A placeholder answers only a question about what it stands in for ("KKR's e-mail i aftalen
                # om passagerråd?"); "telefonnummeret til KKR-sekretariatet" asks about KKR itself, and the
                # documents give none (said plainly, with the nearest real contact).
                spec = next((r for r in self.open_role_placeholders(oid) if r.role in result.roles
                             or (r.topic and self._related(r.topic, result.topics))), None)
                if spec is not None:
                    add(self._unfilled(oid, spec.role, lang, 0.9))
                    result.role_found = True
        for m in found.values():
            if m.kind == "unfilled" and not m.name:
                m.asked_role = _typed_word(text, result.role_tokens)
        result.matches = sorted(found.values(), key=lambda m: -m.score)[:6]
        return result

    def _role_for_topics(self, p: Person, role: str, topics: list[str]) -> Role | None:
        """The person's ``role`` that is about one of ``topics`` (directly, or through its organisation)."""
        for r in p.roles:
            if r.role != role or not topics:
                continue
            if r.topic and self._related(r.topic, topics):
                return r
            if not r.topic and any(t in self.orgs[r.org].topics for t in topics):
                return r
        return None

    @staticmethod
    def _related(topic: str, topics: list[str]) -> bool:
        """A role about ``topic`` is about the question's matter: the same one or a part of it ("passagerraad"
        asked, "passagerraad-aftale" held); not when the question names a narrower matter of its own
        ("erhvervshus-rammeaftale" asked, the "erhvervshus" resultatkontrakt signed)."""
        return bool(topic) and any(topic.startswith(t) for t in topics)

    def _fits_object(self, q: _Text, result: Lookup, p: Person, role: str, oid: str | None) -> bool:
        """Whether what the question asks about fits the person's narrow ``role`` (one about a matter, such
        as signing the Frikommuneforsøg letters): a role about no matter always fits, as does a question that
        names nothing beyond the role and the organisation ("hvem underskrev for KKR?"); otherwise every word
        of its object must occur in the role's title or its matter's keywords ("brevene", "letters")."""
        held = [r for r in p.roles if r.role == role and (oid is None or r.org == oid)]
        if not held or not all(r.topic for r in held):
            return True
        words = self._object_words(q, result)
        if not words:
            return True
        for r in held:
            known = self._role_words.get((r.title["da"], r.topic))
            if known is None:
                topic = self.topics.get(r.topic)
                texts = [r.title["da"], r.title["en"], *(topic.name.values() if topic else ()),
                         *(kw for kws in (topic.keywords.values() if topic else ()) for kw in kws)]
                known = self._role_words[(r.title["da"], r.topic)] = " ".join(compact(t) for t in texts)
            if all(w[:5] in known for w in words):
                return True
        return False

    def _object_words(self, q: _Text, result: Lookup) -> list[str]:
        """The words of a question that name what it is about: not question or function words, not a role
        word, not the organisations it names."""
        org_words = [w for oid in result.orgs for w in self._org_words[oid] if len(w) >= 3]
        return [t for t in q.tokens if len(t) >= 4 and t not in _NOT_OBJECT and not self._token_roles(t)
                and not any(t.startswith(w) or w.startswith(t) for w in org_words)]

    def _topic_held(self, p: Person, role: str, oid: str, topics: list[str]) -> str:
        """The matter of the person's ``role`` at ``oid`` that the question is about ("" if none)."""
        return next((r.topic for r in p.roles if r.role == role and r.org == oid and self._related(r.topic, topics)),
                    "")

    def _for_topic(self, holders: list[Person], role: str, oid: str, topics: list[str]) -> list[Person]:
        """Narrow roles (who signs what) to the matter asked about; an open role for it wins over others."""
        def topics_of(p: Person) -> list[str]:
            return [r.topic for r in p.roles if r.role == role and r.org == oid and r.topic]
        if not any(topics_of(p) for p in holders):
            return holders
        on_topic = [p for p in holders if self._topic_held(p, role, oid, topics)]
        if on_topic:
            return on_topic
        if any(r.role == role and self._related(r.topic, topics) for r in self.orgs[oid].open_roles):
            return []
        return [p for p in holders if not topics_of(p) or not topics] or holders

    def _topic_org(self, p: Person, topic: Topic) -> str | None:
        """The organisation through which a person answers for a topic (Mogens Christen Gade: BRN for DK2020)."""
        key = (p.id, topic.id)
        if key not in self._via:
            self._via[key] = self._find_topic_org(p, topic)
        return self._via[key]

    def _find_topic_org(self, p: Person, topic: Topic) -> str | None:
        orgs = [r.org for r in p.roles]
        for ref in topic.contacts:
            if ref in orgs:
                return ref
        for oid in orgs:
            if topic.id in self.orgs[oid].topics:
                return oid
        return None

    # -- pieces of a lookup --------------------------------------------------------------------------
    def _asks(self, q: _Text) -> set[str]:
        asks = set()
        for ask, subs, whole in _ASK_PATTERNS:
            if subs.search(q.compact) or not whole.isdisjoint(q.token_set):
                asks.add(ask)
        if "email" in asks and q.has_token("e") and not any(s in q.compact for s in ("email", "mail")):
            asks.discard("email")
        if "address" in asks and "email" in asks:
            rest = q.compact
            for compound in ("emailaddress", "emailadresse", "mailadresse", "mailaddress"):
                rest = rest.replace(compound, "")
            if not any(s in rest for s in ("adresse", "address")):
                asks.discard("address")  # "e-mail address" asks for the e-mail only
        first_two = q.tokens[:2]
        if len(first_two) == 2 and "location" not in asks and (
                (first_two[0] == "hvor" and first_two[1] in ("er", "ligger", "har", "sidder", "holder", "finder", "bor"))
                or (first_two[0] == "where" and first_two[1] in ("is", "are", "does", "do", "can", "s"))):
            asks.add("location")
        return asks

    def _token_roles(self, tok: str) -> frozenset[str]:
        """The roles one word names (a role word in it, no veto word), remembered per word (bounded)."""
        found = self._role_memo.get(tok)
        if found is None and tok not in _ROLE_WHOLE and not _ROLE_ANY.search(tok):
            found = _remember(self._role_memo, tok, _NO_ROLES)
        if found is None:
            found = _remember(self._role_memo, tok, frozenset(
                role for role, subs, whole, vetoes in _ROLE_WORDS
                if not any(v in tok for v in vetoes) and (tok in whole or any(s in tok for s in subs))))
        return found

    def _roles(self, q: _Text, tokens: set[str] | None = None) -> list[str]:
        roles: list[str] = []
        joined = q.compact
        first: dict[str, str] = {}  # role -> the first word that names it
        memo = self._role_memo
        for tok in q.tokens:
            named = memo.get(tok)
            if named is None:
                named = self._token_roles(tok)
            for role in named:
                first.setdefault(role, tok)
        for role, _, _, _ in _ROLE_WORDS:
            hit = role in first
            if hit and tokens is not None:
                tokens.add(first[role])
            if role not in _RULED_ROLES:
                if hit and role not in roles:
                    roles.append(role)
                continue
            if role == "vice_chair" and not hit:
                hit = "vicechair" in joined or "deputychair" in joined or "vicechairman" in joined
            if role == "chair" and "vice_chair" in roles and not any(
                    t in ("chair", "formand", "forperson") for t in q.tokens):
                hit = hit and not any(s in joined for s in ("vicechair", "deputychair"))
            if role == "chair" and hit and q.has_token("leder") and "hvemleder" not in joined and \
                    "lederaf" not in joined and "lederfor" not in joined:
                hit = any(t in ("chair", "formand", "formanden", "forperson", "lederen", "head", "heads", "leads")
                          or "formand" in t for t in q.tokens)  # "jeg leder efter en kontakt" is not a role
            if role == "signatory" and not hit:
                hit = "skrevunder" in joined or "skriverunder" in joined or "satteunder" in joined or \
                    "signedfor" in joined
                # "hvem skrev til ministeren?", "afsenderen af brevet": the signer. "hvad skriver KKR til
                # statsministeren?" asks what the letter says, not who wrote it.
                if not hit and (q.has_token("afsender", "afsenderen") or (q.has_token(*_WHO) and q.has_token(
                        "skrev", "skriver", "wrote", "writes", "sendte", "sent", "sender"))):
                    hit = any(("brev" in t or "letter" in t or "minister" in t) for t in q.tokens)
            if role == "mayor" and q.has_token("covenant"):
                hit = False
            if hit and role not in roles:
                roles.append(role)
        if "signatory" in roles and "minister" in roles:
            roles.remove("minister")  # "who wrote to the minister": the minister is the addressee
        return roles

    def _people(self, q: _Text) -> list[tuple[str, float]]:
        best: dict[str, float] = {}
        for pos, quality in self._hits(q, self._name_at):
            pid, _, weight = self._name_keys[pos]
            best[pid] = max(best.get(pid, 0.0), weight * quality)
        if not best:
            return []
        top = max(best.values())
        # A full name beats a shared first name ("Ulla Astman" does not also mean Ulla Vestergaard).
        return sorted(((pid, s) for pid, s in best.items() if s >= top - 0.12), key=lambda x: -x[1])

    def _orgs(self, q: _Text) -> list[str]:
        hits: dict[str, int] = {}
        vetoed = {oid for kid in q.exact for oid in self._vetoes.get(kid, ())}
        for pos, _ in self._hits(q, self._org_at):
            oid, key = self._org_keys[pos]
            if oid in vetoed:
                continue
            hits[oid] = max(hits.get(oid, 0), len(key.compact))
        for name in municipalities.resolve(q.folded):
            oid = self._org_by_municipality.get(name)
            if oid:
                hits[oid] = max(hits.get(oid, 0), 10)
        # Drop an organisation whose only hit is part of a longer one ("KKR" inside "KKR Midt").
        return [oid for oid, _ in sorted(hits.items(), key=lambda x: -x[1])]

    def _topics(self, q: _Text) -> list[tuple[str, float]]:
        best: dict[str, tuple[int, float]] = {}
        for pos, quality in self._hits(q, self._topic_at):
            tid, key = self._topic_keys[pos]
            length = len(key.compact)
            old = best.get(tid)
            if old is None or (length, quality) > old:
                best[tid] = (length, quality)
        ranked = sorted(best.items(), key=lambda x: (-x[1][0] * x[1][1]))
        return [(tid, quality) for tid, (_, quality) in ranked][:3]

    def _role_matches(self, result: Lookup, q: _Text, lang: str) -> list[ContactMatch]:
        roles = [r for r in result.roles if r != "contact"] or (["contact"] if result.orgs else [])
        if not roles:
            return []
        soft = not result.roles  # only an organisation was named: offer its contact person, but it was not asked
        out = self._role_hits(result, q, lang, roles)
        if soft:
            result.role_found = False
        return out

    def _role_hits(self, result: Lookup, q: _Text, lang: str, roles: list[str]) -> list[ContactMatch]:
        out: list[ContactMatch] = []
        orgs = list(result.orgs)
        if "mayor" in roles:
            mun = [o for o in orgs if self.orgs[o].municipality]
            if not mun:
                plural = any(t in ("borgmestre", "borgmestrene", "mayors") for t in q.tokens)
                result.all_mayors = roles[0] == "mayor" and (result.who or plural)
                if result.all_mayors:
                    for p in self._people_with_role("mayor"):
                        out.append(self._person_match(p, lang, 0.7, [("role", self._role_label(p, "mayor", lang))],
                                                      role="mayor"))
                    result.role_found = True
                    return out
        for role in roles:
            if role == "minister":
                people = self._people_with_role("minister")
                exact = [p for p in people if any(r.role == "minister" and (compact(r.title["da"]) in q.compact or
                                                                            compact(r.title["en"]) in q.compact)
                                                  for r in p.roles)]
                for p in exact or people:
                    out.append(self._person_match(p, lang, 0.95 if exact else 0.7,
                                                  [("role", self._role_label(p, "minister", lang))], role="minister"))
                result.role_found = True
                continue
            targets = orgs if orgs else []
            if not targets and role in ("chair", "vice_chair") and not result.topics and not result.people:
                targets = ["kkr-nordjylland"]  # "hvem er formand?" in KKR Nordjylland's own bot
            if not targets:
                holders = self._people_with_role(role)
                narrowed = [p for p in holders if self._role_for_topics(p, role, result.topics)]
                if narrowed:
                    holders = narrowed
                elif not result.topics:
                    holders = [p for p in holders if self._fits_object(q, result, p, role, None)]
                if len(holders) == 1 or (narrowed and len(holders) <= 3) or role == "coordinator":
                    for p in holders:
                        r = self._role_for_topics(p, role, result.topics)
                        org_id, topic = (r.org, r.topic) if r else (None, "")
                        out.append(self._person_match(p, lang, 0.9,
                                                      [("role", self._role_label(p, role, lang, org_id, topic))],
                                                      role=role, org_id=org_id, topic=topic))
                    result.role_found = bool(holders)
                continue
            specific: list[ContactMatch] = []
            misfit = False
            for rank, oid in enumerate(targets):
                holders = list(self._holding.get((role, oid), ()))
                anyone = bool(holders) or any(r.role == role for r in self.orgs[oid].open_roles)
                holders = self._for_topic(holders, role, oid, result.topics)
                if holders and not result.topics:
                    fitting = [p for p in holders if self._fits_object(q, result, p, role, oid)]
                    if not fitting:
                        misfit = True  # "hvem underskrev KKR's høringssvar?": not what these people signed
                        continue
                    holders = fitting
                titled: dict[str, str] = {}
                titles = self._titles_at.get(oid)
                if not anyone and titles:  # a title typed as such ("afdelingschef hos Passagerpulsen")
                    org_words = self._org_words[oid]
                    words = {t for t in result.role_tokens if len(t) >= 6} | {
                        t for t in q.tokens if len(t) >= 8 and not any(t in w for w in org_words)}
                    for pid, held, title_da, title_en in titles if words else ():
                        if any(t in title_da or t in title_en for t in words):
                            titled[pid] = held
                if not anyone:
                    holders = [self.people[pid] for pid in titled]
                for p in holders:
                    held = titled.get(p.id, role)
                    topic = self._topic_held(p, held, oid, result.topics)
                    specific.append(self._person_match(p, lang, 0.97 - 0.03 * rank,
                                                       [("role", self._role_label(p, held, lang, oid, topic))],
                                                       role=held, org_id=oid, topic=topic))
                explicit = role != "contact" or "contact" in result.roles
                if not holders and explicit and any(r.role == role for r in self.orgs[oid].open_roles):
                    specific.append(self._unfilled(oid, role, lang, 0.93 - 0.03 * rank))
            if not specific and role != "contact" and not misfit:
                # Nobody holds this role at the organisation asked about: say so, with the nearest contacts.
                specific.append(self._unfilled(targets[0], role, lang, 0.93))
            if specific:
                result.role_found = True
                out.extend(specific)
            if out and role in ("contact", "minister"):
                break  # other roles asked together ("formand og næstformand") are all answered
        return out

    # -- building matches ----------------------------------------------------------------------------
    def _name(self, org: Organisation, lang: str) -> str:
        return org.name.get(lang, org.name["da"])

    def _role_label(self, p: Person, role: str, lang: str, org_id: str | None = None, topic: str = "") -> str:
        key = (p.id, role, lang, org_id, topic)
        found = self._labels.get(key)
        if found is None:
            found = ""
            for r in self._held(p, role, org_id, topic):
                    title = r.title.get(lang, r.title["da"])
                    org_name = self._name(self.orgs[r.org], lang)
                    found = title if compact(org_name) in compact(title) else f"{title}, {org_name}"
                    break
            self._labels[key] = found
        return found

    def _all_roles(self, p: Person, lang: str) -> str:
        """Every main role of a person, for "who is X?" (signatures only when there is nothing else)."""
        key = ("", p.id, lang, "*")
        found = self._labels.get(key)
        if found is None:
            main = [r for r in p.roles if r.role != "signatory"] or p.roles
            labels = [self._role_label(p, r.role, lang, r.org) for r in main]
            found = self._labels[key] = "; ".join(dict.fromkeys(label for label in labels if label))
        return found

    def _people_with_role(self, role: str) -> list[Person]:
        return list(self._with_role.get(role, ()))

    def _org_people(self, oid: str) -> list[Person]:
        return list(self._at_org.get(oid, ()))

    @staticmethod
    def _held(p: Person, role: str | None, org_id: str | None, topic: str = "") -> list[Role]:
        """The person's roles of that kind (at that organisation), the one about ``topic`` first (Arne Boelt
        signs both the Frikommuneforsøg letters and the resultatkontrakt for KKR Nordjylland)."""
        held = [r for r in p.roles if (role is None or r.role == role) and (org_id is None or r.org == org_id)]
        if topic and len(held) > 1:
            held.sort(key=lambda r: r.topic != topic)
        return held

    def _person_match(self, p: Person, lang: str, score: float, why: list[tuple[str, str]],
                      role: str | None = None, org_id: str | None = None, topic: str = "") -> ContactMatch:
        key = (p.id, lang, role, org_id, topic)
        shown = self._shown.get(key)  # (role title, organisation name, source lines), fixed per directory
        if shown is None:
            held = self._held(p, role, org_id, topic)
            chosen = held[0] if held else None
            chosen = chosen or p.roles[0]
            lines = ", ".join(dict.fromkeys(part.strip() for x in (chosen.lines, p.lines) if x
                                            for part in x.split(",")))
            shown = self._shown[key] = (chosen.title.get(lang, chosen.title["da"]),
                                        self._name(self.orgs[chosen.org], lang), lines)
        score = score if p.kind == "contact" else score - 0.1
        return ContactMatch(
            kind="person", id=p.id, name=p.name, role=shown[0], organisation=shown[1], email=p.email,
            phone=p.phone, address=p.address, aad_id=p.aad_id, note=p.note.get(lang, ""), lines=shown[2],
            score=score, why=list(why),
        )

    def _org_match(self, o: Organisation, lang: str, score: float, why: list[tuple[str, str]]) -> ContactMatch:
        return ContactMatch(
            kind="organisation", id=o.id, name=self._name(o, lang), organisation=self._name(o, lang),
            email=o.email, phone=o.phone, address=o.address, web=o.web,
            description=o.description.get(lang, ""), lines=o.lines, score=score, why=list(why),
        )

    def _unfilled(self, oid: str, role: str, lang: str, score: float) -> ContactMatch:
        org = self.orgs[oid]
        spec = next((r for r in org.open_roles if r.role == role), None)
        nearest_ids = list(spec.nearest) if spec else []
        nearest_ids += [p.id for p in self._org_people(oid)] + list(org.nearest) + [oid]
        nearest: list[ContactMatch] = []
        for ref in dict.fromkeys(nearest_ids):
            m = self.match_for(ref, lang)
            if m is not None:
                nearest.append(m)
        title = spec.title.get(lang, spec.title["da"]) if spec else ""
        return ContactMatch(
            kind="unfilled", id=f"{oid}#{role}", name=title, role=role, organisation=self._name(org, lang),
            lines=spec.lines if spec else "", score=score, placeholder=list(spec.placeholder) if spec else [],
            nearest=nearest[:3], why=[("role", role)],
        )

    def match_for(self, ref: str, lang: str = "da") -> ContactMatch | None:
        """A ContactMatch for one person or organisation id (e.g. from a card button)."""
        if ref in self.people:
            return self._person_match(self.people[ref], lang, 0.5, [])
        if ref in self.orgs:
            return self._org_match(self.orgs[ref], lang, 0.5, [])
        return None

    def people_of(self, org_id: str, lang: str = "da") -> list[ContactMatch]:
        """An organisation's people, its contact person first, each shown in their role there."""
        return [self._person_match(p, lang, 0.5, [], org_id=org_id) for p in self._org_people(org_id)]

    def holders(self, role: str, lang: str = "da") -> list[ContactMatch]:
        """Everyone holding ``role`` (e.g. all mayors), each shown in that role."""
        return [self._person_match(p, lang, 0.5, [], role=role) for p in self._people_with_role(role)]

    def open_role_placeholders(self, oid: str) -> list[OpenRole]:
        return [r for r in self.orgs[oid].open_roles if r.placeholder] if oid in self.orgs else []

    def nearest(self, text: str, lang: str = "da") -> ContactMatch | None:
        """The best real contact for a topic, for answers that say the documents don't cover it."""
        for m in self.route(text, lang):
            if m.is_real:
                return m
            for n in m.nearest:
                return n
        return None

    def source(self, lines: str, lang: str = "da") -> str:
        """ "<section title>, linje 1676-1678" for the first line range."""
        if not lines:
            return ""
        first = int(re.split(r"[-,]", lines)[0])
        for s in self.sections:
            if s["first"] <= first <= s["last"]:
                return f"{s.get(lang) or s['da']}"
        return ""
