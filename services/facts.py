"""Curated facts (knowledge/facts.yaml) and the passages, answering free questions with a cited source.

``KnowledgeBase.lookup(question, lang)`` returns the best ``Answer``: a curated fact (a prepared answer
in Danish and English with its exact source lines), a quoted passage, or a refusal that says what the
documents cover. Nothing here invents text: a fact's figures are checked against its source lines by the
tests, and a passage answer only quotes the bundle.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import yaml

from services.passages import KnowledgeError, Passage, PassageIndex, Quote, load_passages
from services.textsearch import (
    BM25,
    EN_DA,
    QUESTION_WORDS,
    STOP_DA,
    STOP_EN,
    Analyzer,
    Hit,
    Ranking,
    Term,
    fold,
    tokens,
)

# What a question asks for, and what a quoted sentence must then contain to answer it.
_NEEDS: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    ("phone", re.compile(r"\b(telefon\w*|tlf\w*|phone|ring\w*|call)\b"), re.compile(r"\b\d{2} ?\d{2} ?\d{2} ?\d{2}\b")),
    ("email", re.compile(r"\b(e-?mail\w*|mailadresse\w*|email address)\b"), re.compile(r"@")),
    ("date", re.compile(r"\bhvornår\b|^\W*(and |og )?when\b|\b(dato\w*|what date|which date|hvilken dag|which day|"
                        r"what day|hvilket år|which year|what year|in what year)\b"),
     re.compile(r"\b(1[89]|20)\d\d\b|\b\d{1,2}\. ?(jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\w*|"
                r"\b(primo|medio|ultimo|kvartal|årligt|hvert år|efter behov)\b")),
    ("amount", re.compile(r"\b(hvor (mange|meget|stor\w*|høj\w*|lang\w*)|how (many|much|big|large|high|long)|beløb\w*|antal\w*)\b"),
     re.compile(r"\d|\b(én|ét|to|tre|fire|fem|seks|syv|otte|ni|ti|tolv|halvdelen|tredjedel|fjerdedel|halvdel)\b")),
    ("cvr", re.compile(r"\bcvr"), re.compile(r"\b\d{8}\b")),
]
# Each ask of _NEEDS (and of _WHO_IS_ROLE, _WHO_CHAIRS) matches only text with one of these words in it: a
# cheap test first spares most questions the expressions.
_ASK_WORDS = {"phone": ("telefon", "tlf", "phone", "ring", "call"), "email": ("mail",),
              "date": ("hvornår", "when", "dato", "date", "dag", "day", "år", "year"),
              "amount": ("hvor ", "how ", "beløb", "antal"), "cvr": ("cvr",)}
_WHO_WORDS = ("hvem", "who", "navn", "name")
_CLAUSE = re.compile(r"(?<![\d.,])\d{1,2}(\.\d{1,2}){1,3}(?![\d,])\.?")
_YEARS = re.compile(r"(?<![\d.,])(19|20)\d\d(/(19|20)?\d\d)?(?!\d|[.,]\d)(\s*[-–]\s*(19|20)\d\d(?!\d|[.,]\d))?")
# "Mål 1: Virksomhedernes kendskab", "bilag 2": a label, not a count of the thing after it
_LABEL = re.compile(r"\b(mål|bilag|punkt|afsnit|kapitel|trin|fase|§)\s*\d+[.:]?", re.I)
# "hvor mange ansatte ...?", "how many employees ...?": the thing counted, which a quoted figure must count
_COUNTED = re.compile(r"\b(?:hvor mange|how many)\s+(\w[\w-]*(?:\s+\w[\w-]*)?)")  # "pedagogue places"
# "hvad er ledigheden i Nordjylland?", "what is the unemployment rate?": the word names a figure, so the question
# asks for one (an amount) and a figure must count it, as after "hvor mange"
_RATE = re.compile(r"\b(ledighed\w*|arbejdsløshed\w*|unemployment|joblessness)\b")
_FIGURE = re.compile(r"\d[\d.,]*|én|ét|to|tre|fire|fem|seks|syv|otte|ni|ti|tolv")
_ROLE = re.compile(r"\b(formand\w*|forperson\w*|næstformand\w*|chair\w*|borgmester\w*|mayor\w*|direktør\w*|director\w*|"
                   r"leder\w*|head of|manager\w*|minister\w*|kontaktperson\w*|contact person|koordinator\w*|"
                   r"sekretær\w*|secretary|ceo)\b")
_WHO = re.compile(r"\b(hvem|who|whom|navn\w*|name)\b")
# "Hvem er formand for ...", "who is the chair of ...", "navnet på borgmesteren": a person is asked for.
# ("Hvem udarbejder dagsordenen med forpersonen?" asks for whoever drafts it, which may be an organisation.)
_WHO_IS_ROLE = re.compile(r"\b(hvem|who)\s+(er|var|is|was|are|'s)\b\W+(\w+\W+){0,3}?" + _ROLE.pattern[2:]
                          + r"|\b(navn\w*|name)\b\W+(\w+\W+){0,3}?" + _ROLE.pattern[2:])
_WHO_CHAIRS = re.compile(r"\bwho\s+(chairs|leads|heads|runs|directs)\b|\bhvem\s+(leder|styrer)\b|"
                         + _ROLE.pattern[2:] + r".{0,40}\b(hvem er det|who is it|who is that)\b")
# First names: those of the people in the bundle and common Danish ones; a "who is the chair" answer must
# name a person, and "Alle Parter" or "Region Nordjylland" are not people.
_FIRST_NAMES = frozenset("""
aage anders anne arne astrid birgit birthe bo camilla christian erik gitte hanne hans helle henrik inge jakob jens
jesper jørgen karen karsten kasper kaare kim lars laura lene leon lone louise mads maria marianne martin mette
michael mogens morten netta niels ole per peter pia poul rasmus simon susanne søren thomas tina torben ulla
""".split())
_NAME = re.compile(r"\b([A-ZÆØÅ][A-Za-zÆØÅæøåé]+) (?:[A-ZÆØÅ]\. )?[A-ZÆØÅ][A-Za-zÆØÅæøåé]+")
_GREETING = re.compile(r"^\W*(hej|hejsa|hallo|goddag|godmorgen|god morgen|tak|mange tak|hi|hello|hey|thanks|thank you|"
                       r"ok|okay|fint|super|farvel|bye)\W*$", re.I)
_PROPER = re.compile(r"(?<!^)(?<![.?!] )\b[A-ZÆØÅÉ][A-Za-zÆØÅæøåÉéÜü]{2,}")
# Bundle lines that are tables (the budget answerer has them as structured tables): the Erhvervshus
# Økonomi table, the by/land annex, the secretariats, Børnehus Nord's budget sheet and financing.
TABLE_LINES = ((5248, 5278), (7476, 7663), (8111, 8336))
_NOT_COVERED = "Det fremgår ikke"  # a curated fact that says what the documents lack answers any need
_PLACEHOLDER = re.compile(r"xx@xx|\bxx xx\b|\[(Navn|Titel|XX|xx)\]|Adresse [12]")
_GENERIC_NAMES = frozenset("kkr nordjylland region danmark kommune kommuner kl eu nord".split())
# Questions answered yes or no ("Kan KKR ...?", "Is KKR obliged ...?"): about rules, not about whom to call.
_YES_NO = re.compile(r"^\W*(kan|må|skal|er|har|bliver|gælder|bør|can|may|must|is|are|does|do|should|has|have)\b", re.I)
_FOLLOWUP = re.compile(r"^\W*(og|men|hvad med|hvad så med|what about|and|how about|også|also)\b", re.I)
_YES_NO_LEAD = re.compile(r"^(Ja|Nej|Yes|No)[.,]\s+(?=\S)")
# Words that frame an overview question rather than name its subject: "hvad handler X om?", "hvad står der i
# X?", "hvad skal KKR beslutte om X?", "what is item 3.4 about?" (English questions arrive mapped to Danish).
_DECISION_WORDS = """beslutte beslutter besluttes beslutning beslutningen indstilling indstillingen indstilles
indstiller stilling godkende godkender godkendes godkendelse vedtage vedtager vedtages vedtagelse""".split()
_AGENDA_WORDS = """dagsorden dagsordenen dagsordener punkt punktet punkter punkterne møde mødet møder kkr-møde
kkr-mødet kkr-mødets""".split() + _DECISION_WORDS  # alone, they ask what is on the meeting's agenda
_FRAME_WORDS = """handle handler handlede laver lave står stå siger sige indeholder indeholde indhold beskriver
beskrive skriver skrive skrev fortæl fortælle forklar forklare overblik oversigt overordnet overordnede kort
generelt kl nordjylland nordjyske nordjysk dokument dokumentet dokumenterne bilag bilaget bilagene tage
tager give pointe pointen holde holdes afholde afholdes""".split() + _AGENDA_WORDS
# "Hvad er NT?", "what is Green Hub Denmark?": a definition is asked for.
_DEFINING = re.compile(r"^\W*((hvad|hvem) (er|var)|what(?:'s| is| are| was)|who(?:'s| is| are| was))\b", re.I)
_WHO_HOW = re.compile(r"^\W*(hvem|who|whom|hvorfor|why|hvordan|how)\b(?!\s+(mange|many|much))", re.I)  # not the agenda
_WHERE = re.compile(r"^\W*(hvor|where)\b(?!\s+(mange|meget|stor\w*|lang\w*|høj\w*|many|much|big|large|long))", re.I)
# Words that frame a question about a decision or the meeting ("hvad skal KKR beslutte om X?", "hvilke sager er
# på mødet?"), but not others: "hvad skal KKR gøre i Passagerrådene?" asks about KKR's part, "hvor mange sager har
# Børnehus Nord?" about cases.
_KKR_WORDS = ("kkr", "sag", "sager", "sagerne")
# A request to the bot, not a question about the documents ("can you book a meeting room for me?").
_REQUEST = re.compile(r"^\W*((can|could|would|will) you (please )?(book|reserve|send|make|create|schedule|arrange|"
                      r"order|call|e-?mail|remind|print)|(kan|vil|gider) du (lige |venligst |ikke )?(booke|bestille|"
                      r"reservere|sende|lave|oprette|ringe|maile|minde|printe))\b", re.I)


_HINTS = frozenset({"", "report"})  # a fact's hint: a template of FactLookup ("hint_report")


_LOADED: dict[tuple, KnowledgeBase] = {}  # the knowledge base is read-only after indexing
_ROLES_KEPT = 4096  # query words whose part in an overview question a knowledge base remembers


class _Role(NamedTuple):
    """A query word's part in an overview question (see ``KnowledgeBase._overview``)."""

    frame: bool
    agenda: bool
    kkr: bool
    decision: bool
    topics: frozenset[int]  # the overviews (indexes into ``KnowledgeBase.topics``) whose subject it names
    known: bool  # the passages or the facts have it


class _Rankings:
    """The searches of one lookup: the answer and the refusal ask the same index for the same words, with
    different limits; each query is ranked once per index."""

    __slots__ = ("_done",)

    def __init__(self) -> None:
        self._done: dict[tuple[int, tuple[Term, ...]], Ranking] = {}

    def __call__(self, index: BM25, query: list[Term], base: list[Term] | None = None) -> Ranking:
        """``query`` ranked over ``index``; ``base`` (the query's first words, ranked before) is reused."""
        key = (id(index), tuple(query))
        ranking = self._done.get(key)
        if ranking is None:
            prior = self._done.get((id(index), tuple(base))) if base else None
            ranking = self._done[key] = index.ranking(query, prior)
        return ranking

    def search(self, index: BM25, query: list[Term], limit: int, base: list[Term] | None = None) -> list[Hit]:
        """``index.search(query, limit)``, from the lookup's ranking of ``query``."""
        return self(index, query, base).top(limit) if query else []


@dataclass(frozen=True)
class Fact:
    id: str
    ask: tuple[str, ...]
    keywords: str
    answer: dict[str, str]
    quote: str
    lines: tuple[int, int]
    title: str
    section: str
    topic: str = ""  # the subject this fact gives an overview of ("frikommuneforsøg", "børnehus nord", ...)
    agenda: bool = False  # an item of the meeting's agenda: listed when asked what is on the agenda
    hint: str = ""  # a pointer to what the bot itself offers on the subject ("report": confidential reports)

    @property
    def where(self) -> str:
        a, b = self.lines
        return f"{a}" if a == b else f"{a}-{b}"


@dataclass(frozen=True)
class Answer:
    kind: str  # "fact" | "facts" | "agenda" | "passage" | "refusal"
    score: float
    lang: str
    fact: Fact | None = None
    quote: Quote | None = None
    nearest: Quote | None = None  # for a refusal: the closest thing the documents do say
    missing: str = ""  # for a refusal: what the question asked that the documents lack (phone, date, ...)
    terms: tuple[str, ...] = ()  # the question's stems, kept for follow-ups
    others: tuple[Fact, ...] = field(default=())  # kind "facts": further facts that fit as well; "agenda": the items
    absent: tuple[str, ...] = ()  # for a refusal: names in the question the closest passage does not mention
    deferred: bool = False  # a refusal whose details were not worked out (lookup(..., refusal_details=False))


def _field(item: dict, key: str, kind: type, where: str) -> object:
    if key not in item or not isinstance(item[key], kind):
        raise KnowledgeError(f"{where}: field '{key}' missing or not {kind.__name__}")
    return item[key]


def load_facts(path: Path, passages: list[Passage]) -> list[Fact]:
    """Read and validate facts.yaml; every fact's lines must fall inside one passage section."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise KnowledgeError(f"{path.name}: file not found") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KnowledgeError(f"{path.name}: not valid YAML{where} ({error.__class__.__name__})") from None
    items = doc.get("facts") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise KnowledgeError(f"{path.name}: expected a mapping with a 'facts' list")
    out, seen = [], set()
    for n, item in enumerate(items):
        where = f"{path.name}: facts[{n}]"
        if not isinstance(item, dict):
            raise KnowledgeError(f"{where}: expected a mapping")
        fid = str(_field(item, "id", str, where))
        where = f"{path.name}: facts[{n}] ({fid})"
        ask = _field(item, "ask", list, where)
        answer = _field(item, "answer", dict, where)
        for lang in ("da", "en"):
            if not isinstance(answer.get(lang), str) or not answer[lang].strip():  # type: ignore[union-attr]
                raise KnowledgeError(f"{where}: field 'answer.{lang}' missing or empty")
        lines = _field(item, "lines", list, where)
        if len(lines) != 2 or not all(isinstance(x, int) and x > 0 for x in lines) or lines[0] > lines[1]:  # type: ignore[arg-type]
            raise KnowledgeError(f"{where}: field 'lines' must be [first, last] 1-based line numbers")
        owner = next((p for p in passages if p.lines[0] <= lines[0] <= p.lines[1]), None)  # type: ignore[index]
        if owner is None:
            raise KnowledgeError(f"{where}: field 'lines' {lines} is outside every document section")
        if fid in seen:
            raise KnowledgeError(f"{where}: field 'id' repeats")
        seen.add(fid)
        topic = item.get("topic", "")
        if not isinstance(topic, str):
            raise KnowledgeError(f"{where}: field 'topic' must be text")
        agenda = item.get("agenda", False)
        if not isinstance(agenda, bool):
            raise KnowledgeError(f"{where}: field 'agenda' must be true or false")
        hint = item.get("hint", "")
        if hint not in _HINTS:
            raise KnowledgeError(f"{where}: field 'hint' must be one of {sorted(_HINTS)}")
        out.append(Fact(fid, tuple(str(a) for a in ask), str(item.get("keywords", "")),  # type: ignore[union-attr]
                        {k: str(v).strip() for k, v in answer.items()},  # type: ignore[union-attr]
                        str(_field(item, "quote", str, where)).strip(), (lines[0], lines[1]),  # type: ignore[index]
                        owner.title, owner.section, topic.strip(), agenda, hint))
    return out


def _min_match(words: int) -> int:
    """How many of a question's words a quoted passage must contain: both of two, two of three, ..."""
    return words if words <= 2 else -(-words * 3 // 5)


def asks_for(question: str) -> list[str]:
    """What kind of answer the question wants: phone, email, date, amount, person."""
    folded = fold(question)
    needs = [name for name, ask, _ in _NEEDS
             if any(word in folded for word in _ASK_WORDS[name]) and ask.search(folded)]
    if any(word in folded for word in _WHO_WORDS) and (_WHO_IS_ROLE.search(folded) or _WHO_CHAIRS.search(folded)):
        needs.append("person")
    if "amount" not in needs and ("ledighed" in folded or "arbejdsløshed" in folded or "unemployment" in folded
                                  or "joblessness" in folded) and _RATE.search(folded):
        needs.append("amount")
    return needs


def is_yes_no(question: str) -> bool:
    """A question answered yes or no ("Kan KKR ...?", "Is KKR obliged ...?")."""
    return bool(_YES_NO.match(question))


def drop_yes_no_lead(answer: str) -> str:
    """A curated answer without its "Ja." / "No," lead, for a question that did not ask yes or no."""
    match = _YES_NO_LEAD.match(answer)
    if match is None:
        return answer
    rest = answer[match.end():]
    return rest[:1].upper() + rest[1:]


def has_person(text: str) -> bool:
    return any(m.group(1).lower() in _FIRST_NAMES for m in _NAME.finditer(text))


def satisfies(text: str, need: str) -> bool:
    if need == "person":
        return has_person(text)
    if need == "amount":
        text = _CLAUSE.sub(" ", text)  # "4.1.1" numbers a clause, it is not a figure
        text = _YEARS.sub(" ", text)  # "Rammeaftalen for Erhvervshusene 2021 – 2023" counts nothing
    for name, _, present in _NEEDS:
        if name == need:
            return bool(present.search(text))
    return True


class KnowledgeBase:
    """Facts and passages with one shared analyzer; built once at start-up."""

    FACT_MIN = 0.62  # coverage a fact needs to be the answer
    PASSAGE_MIN = 0.6  # coverage the passage needs
    QUOTE_MIN = 0.55  # coverage the quoted sentences need

    def __init__(self, facts: list[Fact], passages: list[Passage]) -> None:
        self.analyzer = Analyzer()
        self.analyzer.learn(p.text for p in passages)
        self.analyzer.learn(f.keywords + " " + " ".join(f.ask) for f in facts)
        self.passages = PassageIndex(passages, self.analyzer)
        # Overviews answer a question about their subject as a whole and agenda items are listed; neither is
        # searched, so a question about a detail gets the fact or passage on that detail, or an honest no.
        self.agenda = sorted((f for f in facts if f.agenda), key=lambda f: f.lines)
        self.topics = [(f, frozenset(self._stems(f.topic))) for f in facts if f.topic and not f.agenda]
        self.facts = [f for f in facts if not f.agenda and not f.topic]
        self.fact_index = BM25([self.analyzer.document_terms(
            " ".join(f.ask) + " " + f.keywords + " " + f.quote + " " + f.answer["da"] + " " + f.title)
            for f in self.facts])
        # what each fact's answer defines: the words before its first " er " ("Nordjyllands Trafikselskab (NT)
        # er et administrationsselskab ..."), when that is short enough to be a name
        # the words of each fact's curated questions: of two facts that fit a question equally, the one asked
        # with its most specific word is meant ("what did KKR write to the Prime Minister?": that letter, not
        # the list of all letters)
        self.asked = [frozenset(self.analyzer.document_terms(" ".join(f.ask))) for f in self.facts]
        self.defines = [frozenset(self.analyzer.document_terms(head)) if len(head) <= 80 else frozenset()
                        for head in (f.answer["da"].split(" er ", 1)[0] for f in self.facts)]
        # a fact that says what the documents lack ("Det fremgår ikke ..., hvor mange medlemmer et Passagerråd
        # har") answers only a question about its own subject: its words without the document's title
        self.lacks = [frozenset(self.analyzer.document_terms(" ".join(f.ask) + " " + f.keywords + " " + f.quote
                                                              + " " + f.answer["da"]))
                      if f.answer["da"].startswith(_NOT_COVERED) else None for f in self.facts]
        self.frame = frozenset(self._stems(" ".join(_FRAME_WORDS)))
        self.agenda_words = frozenset(self._stems(" ".join(_AGENDA_WORDS)))
        self.decision_words = frozenset(self._stems(" ".join(_DECISION_WORDS)))
        self.kkr = frozenset(self._stems(" ".join(_KKR_WORDS)))
        self._roles: dict[Term, _Role] = {}  # query word -> its part in an overview question (bounded memo)

    @classmethod
    def load(cls, knowledge_dir: Path) -> KnowledgeBase:
        """Load and index once per process and content: tests build many apps from the same files."""
        files = sorted((knowledge_dir / "passages").glob("*.yaml")) + [knowledge_dir / "facts.yaml"]
        stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())
        cached = _LOADED.get(stamp)
        if cached is None:
            passages = load_passages(knowledge_dir / "passages")
            cached = cls(load_facts(knowledge_dir / "facts.yaml", passages), passages)
            _LOADED.clear()
            _LOADED[stamp] = cached
        return cached

    def terms(self, question: str, lang: str) -> list[Term]:
        return self.analyzer.terms(question, english=lang == "en")

    def _stems(self, text: str) -> list[str]:
        """The main stem of each word of ``text`` ("kkr-mødet" whole, not its parts), numbers as digits."""
        return [self.analyzer.expand(t)[0] if t[0].isalpha() else re.sub(r"[.,]", "", t)
                for t in tokens(text) if t not in STOP_DA]

    def lookup(self, question: str, lang: str, context: tuple[str, ...] = (), *,
               refusal_details: bool = True) -> Answer | None:
        """The best answer to a free question; None for greetings and text with nothing to look up.

        With ``refusal_details=False`` an honest refusal comes back as a ``deferred`` Answer without its
        details (the nearest passage, the missing part): its score is the same, and most refusals lose to
        another answerer's answer (a budget question has no fact), so the caller asks again only when the
        refusal is what the user gets."""
        if _GREETING.match(question.strip()) or _REQUEST.match(question):
            return None
        query = self.terms(question, lang)
        known = [t for t in query if self.passages.bm25.knows(t)]
        words = re.findall(r"\w+", fold(question))
        questionlike = "?" in question or bool(words and words[0] in QUESTION_WORDS)
        if not known and not (questionlike and (len(query) >= 2 or context)):
            return None  # gibberish or chit-chat: leave it to the fallback
        needs = asks_for(question)
        overview = self._overview(question, query, needs, lang, questionlike)
        if overview is not None and overview.missing == "amount":
            # "hvor mange kommuner er med i KKR?": the overview of KKR counts nothing, a fact may ("de 11
            # nordjyske kommuner i KKR Nordjylland"); the refusal stands unless a fact counts what is asked
            counted = self._counted(question, lang)
            if counted:
                found = self._answer(_Rankings(), query, needs, lang, self.proper_names(question), counted=counted)
                if (found is not None and found.kind == "fact" and not found.fact.answer["da"].startswith(_NOT_COVERED)
                        and self._counts(counted, found.fact.answer["da"])):
                    return found
        if overview is not None:
            return overview
        if len(query) == 1 and not context and self.passages.bm25.weight_of(query[0]) < 0.4 * self.passages.bm25.max_idf:
            return None  # one everyday word ("hvordan går det?"): nothing to look up
        names = self.proper_names(question)
        yes_no = bool(_YES_NO.match(question))
        counted = self._counted(question, lang) if "amount" in needs else []
        extra = [Term((t,)) for t in context if t not in {a for q in query for a in q.alts}]
        follow_up = bool(extra) and (bool(_FOLLOWUP.match(question)) or len(words) <= 4)
        answer = None
        rank = _Rankings()
        if follow_up:  # "og Aalborg?", "what about the deadline?": the same topic, a new detail
            answer = self._answer(rank, query, needs, lang, names, yes_no, context=extra, counted=counted)
        if answer is None:
            answer = self._answer(rank, query, needs, lang, names, yes_no, defining=bool(_DEFINING.match(question)),
                                  counted=counted)
        if answer is None and extra and not follow_up and len(words) <= 7:
            answer = self._answer(rank, query, needs, lang, names, yes_no, context=extra, counted=counted)
        if answer is not None:
            if _FOLLOWUP.match(question) and not follow_up and answer.score > 0.55:
                # "og hvor meget faldt tallet?" without a topic of ours: probably a follow-up to another answer
                answer = dataclasses.replace(answer, score=0.55)
            return answer
        if not questionlike and not known:
            return None
        if not refusal_details:
            return Answer("refusal", 0.31, lang, deferred=True)
        return self._refusal(rank, query, needs, lang, names, question)

    @staticmethod
    def _has(term: Term, stems: Container[str]) -> bool:
        """One of the word's stems is among ``stems``, or all of its compound parts are."""
        return any(a in stems for a in term.alts) or bool(term.parts and all(p in stems for p in term.parts))

    def _role(self, term: Term) -> _Role:
        """What a query word is to an overview question: frame, agenda, KKR or decision word, the overviews
        whose subject it names, and whether the documents know it (worked out once per word)."""
        role = self._roles.get(term)
        if role is None:
            if len(self._roles) >= _ROLES_KEPT:
                self._roles.clear()
            role = self._roles[term] = _Role(
                self._has(term, self.frame), self._has(term, self.agenda_words), self._has(term, self.kkr),
                self._has(term, self.decision_words),
                frozenset(n for n, (_, topic) in enumerate(self.topics) if self._has(term, topic)),
                self.passages.bm25.knows(term) or self.fact_index.knows(term))
        return role

    def _overview(self, question: str, query: list[Term], needs: list[str], lang: str,
                  questionlike: bool) -> Answer | None:
        """A question about nothing but a subject of the documents ("hvad er frikommuneforsøg?", "tell me
        about the passenger councils", "hvad skal KKR beslutte om Børnehus Nord?") gets the curated overview
        of that subject; a question (not a request: "mine punkter") about nothing but the meeting ("hvilke
        punkter er der på dagsordenen?") gets the agenda. Words of the frame ("handler", "beslutte", "punkt")
        need not name the subject; in an English question, words the documents do not know are left out (a
        Danish one is off the map: no overview)."""
        roles = [self._role(t) for t in query]
        if lang == "en":  # not "asked", but "deadline" (frist: a fact's word)
            query, roles = [t for t, r in zip(query, roles, strict=True) if r.known], [r for r in roles if r.known]
        meeting = any(r.agenda for r in roles)  # the agenda or a decision
        subject = [r for r in roles if not r.frame and not (meeting and r.kkr)]
        stems = tuple(dict.fromkeys(t.alts[0] for t in query))
        if not subject:
            if questionlike and meeting and not _WHO_HOW.match(question):
                asked = [n for n in needs if n != "amount"]  # "hvor mange punkter ...?": the list shows it
                if asked or _WHERE.match(question):  # "hvornår er KKR-mødet?", "hvor holdes det?": not said
                    return Answer("refusal", 0.31, lang, missing=asked[0] if asked else "")
                return Answer("agenda", 0.9, lang, others=tuple(self.agenda), terms=stems) if self.agenda else None
            subject = roles  # "hvad er KKR?": the frame word is the subject
        if not subject:
            return None
        covering = frozenset.intersection(*(r.topics for r in subject))
        if not covering:
            return None
        decision = any(r.decision for r in roles)
        found = []
        for n in covering:
            fact, topic = self.topics[n]
            decides = not self.decision_words.isdisjoint(topic)
            found.append((decides == decision, sum(n in r.topics for r in roles) / len(topic), -n, fact))
        found.sort(key=lambda f: f[:3], reverse=True)
        best = found[0]
        facts = [fact for fits, share, _, fact in found[:3] if fits == best[0] and share >= 0.5 * best[1]]
        fact = facts[0]
        missing = next((n for n in needs if not satisfies(fact.answer["da"] + " " + fact.quote, n)), "")
        if not missing and "amount" in needs:  # "hvor mange frikommuner er der?": its "17 forsøg" count trials
            counted = self._counted(question, lang)
            if counted and self._uncounted(counted, fact.answer["da"] + " " + fact.quote):
                missing = "amount"
        if missing:  # "hvornår blev Limfjordsrådet stiftet?": the overview lacks the date asked for
            return Answer("refusal", 0.31, lang, fact=fact, missing=missing)
        if len(facts) > 1:  # "hvad handler punkt 3.4 om?": the result contract and the framework agreement
            return Answer("facts", 0.9, lang, fact=fact, others=tuple(facts[1:]), terms=stems)
        # "hvornår blev resultatkontrakten underskrevet?": the curated answer on the very subject has the date
        return Answer("fact", 0.96 if needs else 0.9, lang, fact=fact, terms=stems)

    def proper_names(self, question: str) -> list[Term]:
        """Named things in the question (Midtjylland, Odense, Passagerpulsen) that an answer must mention."""
        out = []
        for match in _PROPER.finditer(question.strip()):
            word = fold(match.group(0))
            if word in _GENERIC_NAMES or word in EN_DA or word in QUESTION_WORDS or word in STOP_DA or word in STOP_EN:
                continue
            stems = self.analyzer.expand(word[:-1] if word.endswith("s") and len(word) > 5 else word)
            out.append(Term(stems[:1], stems[1:]))
        return out

    def _has_rarest(self, query: list[Term], terms: Container[str]) -> bool:
        """The question's most specific word is among ``terms`` (the stems of what would be quoted)."""
        known = [t for t in query if not t.english or any(a in self.passages.bm25.idf for a in t.alts)]
        if not known:
            return True
        rarest = max(known, key=self.passages.bm25.weight_of)
        return any(a in terms for a in rarest.alts) or bool(rarest.parts and all(p in terms for p in rarest.parts))

    def _whole(self, query: list[Term], terms: Container[str]) -> bool:
        """Every word but the role itself is there: "the chair of the passenger council" needs the council."""
        for term in query:
            if term.english and not any(a in self.passages.bm25.idf for a in term.alts):
                continue
            if any(_ROLE.match(a) for a in term.alts) or any(a in _GENERIC_NAMES for a in term.alts):
                continue
            if not (any(a in terms for a in term.alts) or (term.parts and all(p in terms for p in term.parts))):
                return False
        return True

    def _fact_min(self, query: list[Term]) -> float:
        """Short questions must be matched whole: with two words, missing one is missing the point."""
        return 0.99 if len(query) == 2 else self.FACT_MIN

    def _rarest(self, query: list[Term]) -> Term | None:
        """The question's most specific word: the rarest in the passages of those they have."""
        bm25 = self.passages.bm25
        known = [t for t in query if bm25.knows(t)]
        return max(known, key=bm25.weight_of) if known else None

    def _rarest_in(self, rarest: Term | None, index_of: BM25, doc: int) -> bool:
        """The question's most specific word (``_rarest``) must be in the fact too."""
        if rarest is None:
            return True
        tf = index_of.tf[doc]
        return any(a in tf for a in rarest.alts) or bool(rarest.parts and all(p in tf for p in rarest.parts))

    def _counted(self, question: str, lang: str) -> list[Term]:
        """The thing a count question counts ("hvor mange ansatte ...?": ansatte), as query words."""
        folded = fold(question)
        match = _COUNTED.search(folded) or _RATE.search(folded)
        return self.terms(match.group(1), lang) if match else []

    def _counts(self, counted: list[Term], text: str) -> bool:
        """A figure in ``text`` is followed within three words by the thing counted ("517 studiepladser")."""
        words = tokens(_YEARS.sub(" ", _CLAUSE.sub(" ", _LABEL.sub(" ", text))))
        for n, word in enumerate(words):
            if _FIGURE.fullmatch(word):
                for after in words[n + 1:n + 4]:
                    if after[0].isalpha() and any(self._has(t, self.analyzer.expand(after)) for t in counted):
                        return True
        return False

    def _uncounted(self, counted: list[Term], text: str) -> bool:
        """``text`` speaks of the thing counted but no figure counts it: "hvor mange busser har NT?" and NT's
        goal for its buses, with years only. (A curated answer in other words, "9 pct. af de
        kommunalbestyrelsesmedlemmer" for politicians, is left to the curator.)"""
        words = tokens(_YEARS.sub(" ", _CLAUSE.sub(" ", _LABEL.sub(" ", text))))

        def fits(word: str) -> bool:  # "studiepladser" counts places, "regionalbusser" buses
            return any(self._has(t, self.analyzer.expand(word)) or any(len(a) >= 4 and a in word for a in t.alts)
                       for t in counted)

        named = False
        for n, word in enumerate(words):
            if _FIGURE.fullmatch(word):
                if any(after[0].isalpha() and fits(after) for after in words[n + 1:n + 4]):
                    return False
            elif not named and word[0].isalpha() and fits(word):
                named = True
        return named

    def _on_subject(self, index: int, query: list[Term]) -> bool:
        """A fact that says what the documents lack is about every word of the question the documents know
        ("hvor mange medlemmer har KKR?" is not about the Passagerråd, though KKR is in that document's title)."""
        body = self.lacks[index]
        return body is None or all(self._has(t, body) for t in query if self.passages.bm25.knows(t))

    def _mentions(self, index: int, names: list[Term], index_of: BM25 | None = None) -> bool:
        tf = (index_of or self.passages.bm25).tf[index]
        for name in names:  # one of its stems (or its plural), or all its parts
            for a in name.alts:
                if a in tf or a + "s" in tf:
                    break
            else:
                if not (name.parts and all(p in tf for p in name.parts)):
                    return False
        return True

    def _answer(self, rank: _Rankings, query: list[Term], needs: list[str], lang: str, names: list[Term],
                yes_no: bool = False, context: list[Term] | None = None, defining: bool = False,
                counted: list[Term] | None = None) -> Answer | None:
        """The best fact or passage for ``query``; with ``context`` (a follow-up) the candidates must fit the
        new words on their own, and the previous question's words only rank them."""
        full = query + list(context or [])
        ranked = sorted(full, key=self.passages.bm25.weight_of, reverse=True)
        stems = tuple(dict.fromkeys(t.alts[0] for t in ranked if not t.english or t.alts[0] in self.passages.bm25.idf))
        own_facts = rank(self.fact_index, query) if context else None  # its best 60 count
        rarest = self._rarest(query)
        # the question names a subject beyond its frame ("skriver", "handler") and KKR: a fact must match more
        # than the frame ("hvad skriver KKR til ministeren?" is not about who "underskriver")
        subject = any(not self._role(t).frame and _GENERIC_NAMES.isdisjoint(t.alts) for t in query)
        fact_hits = []
        for h in rank.search(self.fact_index, full, 8 if context else 4, base=query):
            own = own_facts.within(h.index, 60) if own_facts is not None else h
            fact = self.facts[h.index]
            if (own is not None and own.coverage >= self._fact_min(query)
                    and self._mentions(h.index, names, self.fact_index)
                    and self._rarest_in(rarest, self.fact_index, h.index)
                    and self._on_subject(h.index, query)
                    and ("person" not in needs or self._whole(query, self.fact_index.tf[h.index]))
                    and not (subject and self.frame.issuperset(own.matched - _GENERIC_NAMES))
                    and (fact.answer["da"].startswith(_NOT_COVERED)
                         or (all(satisfies(fact.answer["da"] + " " + fact.quote, n) for n in needs)
                             and not (counted and self._uncounted(counted, fact.answer["da"] + " " + fact.quote))))):
                fact_hits.append((h, own))
        if context:  # the new words weigh double: "og hvordan opsiges den?" is about termination
            fact_hits.sort(key=lambda pair: 2 * pair[1].score + pair[0].score, reverse=True)
        elif defining and rarest is not None and len(fact_hits) > 1:  # "hvad er NT?": the fact that says what NT is
            fact_hits.sort(key=lambda pair: not self._has(rarest, self.defines[pair[0].index]))
        elif rarest is not None and len(fact_hits) > 1 and not self._has(rarest, self.asked[fact_hits[0][0].index]):
            top, top_own = fact_hits[0]
            for n, (h, o) in enumerate(fact_hits[1:3], 1):  # as good a fit, asked with the question's own word
                if (o.coverage >= top_own.coverage and h.score >= 0.95 * top.score
                        and self._has(rarest, self.asked[h.index])):
                    fact_hits.insert(0, fact_hits.pop(n))
                    break
        own_passages = rank(self.passages.bm25, query) if context else None  # its best 60 count
        passage_hits = [(h, own_passages.within(h.index, 60) if own_passages is not None else h)
                        for h in rank.search(self.passages.bm25, full, 8 if context else 5, base=query)]
        passage_hits = [(h, own) for h, own in passage_hits if own is not None]
        if fact_hits and passage_hits and passage_hits[0][1].coverage >= fact_hits[0][1].coverage + 0.25:
            fact_hits = []  # a passage says it word for word where the best fact only half fits
        if fact_hits:
            best, own = fact_hits[0]
            fact = self.facts[best.index]
            score = 0.62 + 0.3 * min(1.0, own.coverage)
            if yes_no and own.coverage >= 0.9 and not context:
                score = 0.96  # a yes/no question about a rule, matched word for word by a curated fact
            # a compound the best fact has whole ("beskæftigelsesministeren") must be whole in the others too:
            # its parts in another letter ("beskæftigelsesområdet", "statsminister") are not the same subject
            whole = {t.alts[0] for t in full if t.parts and t.alts[0] in own.matched}
            others = [self.facts[h.index] for h, o in fact_hits[1:3]
                      if h.score >= 0.8 * best.score and o.coverage >= own.coverage - 0.1
                      and self.facts[h.index].section != fact.section and whole <= o.matched]
            if fact.answer["da"].startswith(_NOT_COVERED):
                others = []  # "hvem er medlem af KKR?": the curated no on the very subject, not other members
            if others and not context:  # the question fits facts of different documents: give each
                return Answer("facts", round(score, 3), lang, fact=fact, others=tuple(others), terms=stems)
            return Answer("fact", round(score, 3), lang, fact=fact, terms=stems)
        for hit, own in passage_hits:
            if own.coverage < self.PASSAGE_MIN or not self._mentions(hit.index, names):
                continue
            if len(own.matched) < _min_match(len(query)):
                continue  # most of the question's words must be there, not just its rarest one
            quote = self.passages.quote(hit.index, query)
            quoted = set(self.analyzer.document_terms(quote.text))
            if not self._has_rarest(query, quoted) or ("person" in needs and not self._whole(query, quoted)):
                continue  # the question's most specific word is not in what we would quote
            if quote.coverage < self.QUOTE_MIN or _PLACEHOLDER.search(quote.text):
                continue  # too little of the question, or a template's unfilled field (xx@xx.dk, [Navn])
            if not all(satisfies(quote.text, n) for n in needs):
                continue
            if counted and not self._counts(counted, quote.text):
                continue  # "how many employees?": a figure, but not of employees ("4 kerneopgaver")
            score = 0.45 + 0.2 * min(1.0, (own.coverage + quote.coverage) / 2)
            if any(a <= quote.lines[0] and quote.lines[1] <= b for a, b in TABLE_LINES):
                if min(own.coverage, quote.coverage) < 0.8:
                    continue  # a flattened table that only half fits is no answer
                score = 0.4  # a flattened table row: the structured tables answer these far better
            return Answer("passage", round(score, 3), lang, quote=quote, terms=stems)
        return None

    def _refusal(self, rank: _Rankings, query: list[Term], needs: list[str], lang: str, names: list[Term],
                 question: str) -> Answer:
        nearest = None
        if needs:  # a fact on the very topic that lacks only what was asked for (a date, a name, ...)
            rarest = self._rarest(query)
            for h in rank.search(self.fact_index, query, 3):  # a fact naming one word can outrank it
                fact = self.facts[h.index]
                if (h.coverage >= 0.9 and self._mentions(h.index, names, self.fact_index)
                        and self._rarest_in(rarest, self.fact_index, h.index) and self._on_subject(h.index, query)):
                    missing = next((n for n in needs if not satisfies(fact.answer["da"] + " " + fact.quote, n)), "")
                    if not missing and "amount" in needs and not self._counts(self._counted(question, lang),
                                                                              fact.answer["da"] + " " + fact.quote):
                        missing = "amount"  # "hvad er ledigheden?": the letter's "7 kommuner" count no rate
                    return Answer("refusal", 0.31, lang, fact=fact, missing=missing)
        for hit in rank.search(self.passages.bm25, query, 5):
            if hit.coverage >= 0.4 and self._mentions(hit.index, names):
                if len(hit.matched) >= _min_match(len(query)):
                    quote = self.passages.quote(hit.index, query)
                    if (self._has_rarest(query, set(self.analyzer.document_terms(quote.text)))
                            and not _PLACEHOLDER.search(quote.text)):
                        nearest = quote
                break
        absent: list[str] = []
        if nearest is None and names:
            # "Erhvervshus Midtjyllands basisbevilling": show what the documents say about the rest, and
            # name the thing they do not cover, but only a word they really lack: "Sydjylland" is in a survey
            # table, so "hvor har Erhvervshus Sydjylland sin filial?" gets Erhvervshus Nordjylland's filial as
            # the nearest, not "nothing about Sydjylland"
            surface = [m.group(0) for m in _PROPER.finditer(question.strip())]
            terms = self._name_terms(surface)
            order = sorted(range(len(surface)), key=lambda k: -self.passages.bm25.weight_of(terms[k]))
            for k in order[:2]:  # the most specific name first
                known = any(a + end in index.idf for t in (terms[k], *self.terms(surface[k], lang)) for a in t.alts
                            for end in ("", "s") for index in (self.passages.bm25, self.fact_index))
                others = [terms[j] for j in range(len(surface)) if j != k]
                if known and not others:
                    continue  # "hvor mange ansatte har Erhvervshus Nordjylland?": the rest is not its subject
                rest = self.terms(re.sub(rf"\b{re.escape(surface[k])}\b", " ", question), lang)
                hits = rank.search(self.passages.bm25, rest, 1) if len(rest) >= 2 else []
                if not hits or hits[0].coverage < 0.6 or self._mentions(hits[0].index, [terms[k]]):
                    continue
                if known and not self._mentions(hits[0].index, others):
                    continue
                quote = self.passages.quote(hits[0].index, rest)
                if quote.coverage >= 0.6 and not _PLACEHOLDER.search(quote.text):
                    nearest, absent = quote, ([] if known else [surface[k]])
                    break
        missing = next((n for n in needs if nearest is None or not satisfies(nearest.text, n)), "")
        if nearest is None and names and not absent:
            # "hvor mange studiepladser er der på SOSU-uddannelsen?": what the documents do say about SOSU, as
            # context only (what was asked stays missing); by the name alone only when few passages have it
            bm25 = self.passages.bm25
            named = {a + end for n in names for a in n.alts for end in ("", "s")}  # "erhvervshu(s)"
            rest = [t for t in query if named.isdisjoint(t.alts) and _GENERIC_NAMES.isdisjoint(t.alts) and bm25.knows(t)]
            hits = [(h, True) for h in rank.search(bm25, query, 5) if self._mentions(h.index, names)]
            if all(bm25.weight_of(n) >= 0.6 * bm25.max_idf for n in names if bm25.knows(n)):
                hits += [(h, False) for h in rank.search(bm25, names, 3)]
            for hit, asked in hits:
                quote = self.passages.quote(hit.index, query + names)
                quoted = set(self.analyzer.document_terms(quote.text))
                if (all(self._has(n, quoted) or any(a + "s" in quoted for a in n.alts) for n in names)
                        and not (asked and rest and not any(self._has(t, quoted) for t in rest))
                        and not _PLACEHOLDER.search(quote.text)):
                    nearest = quote
                    break
        return Answer("refusal", 0.31, lang, nearest=nearest, missing=missing, absent=tuple(absent))

    def _name_terms(self, words: list[str]) -> list[Term]:
        out = []
        for word in words:
            folded = fold(word)
            stems = self.analyzer.expand(folded[:-1] if folded.endswith("s") and len(folded) > 5 else folded)
            out.append(Term(stems[:1], stems[1:]))
        return out

    def fact(self, fid: str) -> Fact | None:
        return next((f for f in (*self.facts, *self.agenda) if f.id == fid), None)
