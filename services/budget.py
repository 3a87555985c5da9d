"""Budget and table answers: understand a question by its slots and answer from the structured tables.

Pure logic over ``knowledge.tables``: the question is read for slots (municipalities, table/topic words,
years, measure words such as 0-17-årige/objektiv finansiering/basisbevilling/takst/sager/løn, and the
operation: value, total, share in percent, change between years, ranking, comparison, filter). The
answer is an ``Answer`` with a response key and plain variables; the handler renders it. Every figure
comes from a table cell; derived figures (percent, sums, differences) are marked ``computed``. A
follow-up ("og Aalborg?", "hvad med 2020?", "i procent?", "how much of that is salaries?") is read
against the previous answer's ``context``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from knowledge.tables import Column, Row, Table, Tables, format_lines
from services.municipalities import ALL as MUNICIPALITIES
from services.municipalities import fold, resolve

# ---------------------------------------------------------------------------------------------------------
# Vocabulary (folded: æ->ae, ø->o, å->aa). Words of 7+ letters also match as the start of a compound.

CHILDREN = ("0-17", "0 - 17", "0 til 17", "born", "unge", "borne", "children", "child", "kids", "young",
            "youth", "year olds", "year-olds", "year old", "arige", "aarige", "befolkning", "befolkningstal",
            "indbyggere", "population", "residents", "aldersgruppe", "aldersgruppen", "aged")
OBJEKTIV = ("objektiv", "objektive", "objektivt", "objective", "finansiering", "finansieringen",
            "financing", "funding", "finaniering")
MONEY = ("betaler", "betale", "betalt", "betales", "bidrag", "bidrager", "bidraget", "andel", "andelen",
         "belob", "belobet", "kr", "kroner", "penge", "koster", "pays", "pay", "paid", "contribute",
         "contributes", "contribution", "share", "amount", "cost", "costs", "hvor meget", "how much",
         "budget", "budgettet", "budgetter", "udgift", "udgifter", "bevilling", "bevillingen",
         "finansierer", "finansiere", "money", "spend", "spends", "afsat", "set aside", "basisbevilling",
         "takst", "takster", "objektiv finansiering", "grant", "rate")
BUDGET_WORDS = ("budget", "budgettet", "budgetter", "budgets", "budgetteret", "budgeted")
RANK_MAX = ("mest", "storst", "hojest", "hojeste", "storste", "flest", "most", "largest", "highest",
            "biggest", "greatest", "top")
RANK_MIN = ("mindst", "laveste", "lavest", "mindste", "faerrest", "least", "smallest", "lowest", "fewest")
RANK_ALL = ("rangorden", "rangordne", "rangordnet", "ranking", "rank", "ranked", "sorteret", "sorter",
            "raekkefolge", "order", "liste", "list", "alle kommuner", "all municipalities", "hver kommune",
            "each municipality", "every municipality", "fordelingen", "fordeling", "breakdown", "per kommune",
            "pr. kommune", "by municipality")
PERCENT = ("procent", "pct", "%", "percent", "per cent", "percentage", "procentdel", "procentandel",
           "hvor stor en andel", "hvor stor andel", "what share", "which share", "proportion", "share of")
CHANGE = ("aendring", "aendringen", "aendret", "steg", "stiger", "stigning", "stigningen", "faldt", "falder",
          "fald", "faldet", "udvikling", "udviklingen", "vokset", "voksede", "vokser", "mistet", "mistede",
          "tabt", "change", "changed", "changes", "increase", "increased", "increases", "decrease",
          "decreased", "decline", "declined", "declining", "growth", "grow", "grew", "grown", "rise", "rose",
          "fall", "fell", "drop", "dropped", "lost", "lose", "gained", "gain", "op eller ned", "up or down",
          "flere end", "faerre end", "more than in", "fewer than in", "since")
INCREASE = ("steg", "stiger", "stigning", "vokset", "voksede", "vokser", "flere", "increase", "increased",
            "grew", "grown", "growth", "rose", "gained", "more")
DECREASE = ("faldt", "falder", "fald", "faldet", "mistet", "mistede", "faerre", "decrease", "decreased",
            "decline", "declined", "fell", "dropped", "lost", "fewer", "lose")
WHICH = ("hvilke kommuner", "hvilken kommune", "hvilke", "hvem", "which municipalities", "which municipality",
         "which", "who")
TOTAL = ("i alt", "ialt", "total", "totalt", "totalen", "samlet", "samlede", "tilsammen", "sum", "summen",
         "summer", "add up", "adds up", "alle kommuner", "all municipalities", "altogether", "in total",
         "at gore godt med", "overall", "whole", "hele")
CHECK = ("stemmer", "passer", "add up", "adds up", "summer", "sum of", "discrepancy", "afvig", "regnefejl",
         "laegger sammen", "lagt sammen", "giver det", "correct", "korrekt", "match")
COMPARE = ("sammenlign", "sammenlignet", "compare", "compared", "versus", "vs", "forskellen", "difference",
           "mere end", "mindre end", "more than", "less than", "end")
REGNSKAB = ("regnskab", "regnskabet", "regnskabstal", "accounts", "actual", "actuals", "spent", "brugte",
            "brugt", "forbrug", "forbrugte", "outturn", "realised", "realized", "annual accounts", "faktisk",
            "faktiske", "realiseret", "realiserede", "forbrugt")
INCOME = ("indtaegt", "indtaegter", "indtaegterne", "income", "revenue", "revenues")
EXPENSE = ("udgift", "udgifter", "udgifterne", "expenses", "expenditure", "expenditures", "spending", "spent")
RESULT = ("overskud", "underskud", "overskuddet", "underskuddet", "surplus", "deficit", "resultat", "result")
COUNT = ("hvor mange", "how many", "antal", "antallet", "number of", "hvor meget", "how much", "tal", "tallet",
         "figure", "figures", "hvor stor", "hvor store", "how big", "how large", "storrelse", "niveau", "level",
         "hvad koster", "what does", "studiepladser", "pladser", "places", "dimensionering", "dimensioning",
         "fordeling", "fordelingen", "distribution", "maalsaetning", "maalet", "target", "targets")
CATEGORY_WORDS = ("bykommune", "landkommune", "landdistriktskommune", "urban", "rural", "land eller by",
                  "by eller land")
FOLLOW_UP = ("og ", "hvad med", "hvad så med", "what about", "and ", "how about", "og hvad", "samme for",
             "same for", "i procent", "in percent", "as a percentage", "heraf", "deraf", "af det", "of that",
             "of this", "of it", "af dem", "af den", "af dette", "tallet", "the figure", "that number")
# Other Danish business houses, and Danish municipalities outside North Jutland (not in any table).
OTHER_MUNICIPALITIES = (
    "Albertslund", "Allerød", "Assens", "Ballerup", "Billund", "Bornholm", "Brøndby", "Dragør", "Egedal",
    "Esbjerg", "Fanø", "Favrskov", "Faxe", "Fredensborg", "Fredericia", "Frederiksberg", "Frederikssund",
    "Furesø", "Faaborg-Midtfyn", "Gentofte", "Gladsaxe", "Glostrup", "Gribskov", "Guldborgsund",
    "Haderslev", "Halsnæs", "Hedensted", "Helsingør", "Herlev", "Herning", "Hillerød", "Holbæk", "Holstebro",
    "Horsens", "Hvidovre", "Høje-Taastrup", "Hørsholm", "Ikast-Brande", "Ishøj", "Kalundborg", "Kerteminde",
    "Kolding", "København", "Copenhagen", "Køge", "Langeland", "Lejre", "Lemvig", "Lolland", "Lyngby-Taarbæk",
    "Middelfart", "Norddjurs", "Nordfyn", "Nyborg", "Næstved", "Odder", "Odense", "Odsherred", "Randers",
    "Ringkøbing-Skjern", "Ringsted", "Roskilde", "Rudersdal", "Rødovre", "Samsø", "Silkeborg", "Skanderborg",
    "Slagelse", "Solrød", "Sorø", "Stevns", "Struer", "Svendborg", "Syddjurs", "Sønderborg",
    "Tønder", "Tårnby", "Vallensbæk", "Varde", "Vejle", "Vordingborg", "Ærø", "Aabenraa", "Aarhus",
    "Århus", "Viborg", "Skagen", "Sæby",
)
_OTHER = {fold(n): n for n in OTHER_MUNICIPALITIES}

YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_REFUSALS = ("not_covered_foreign", "not_covered_year", "not_covered_own_budget", "not_covered_other_budget",
             "not_covered_payee", "not_covered_pay")
SCORE_CLEAR = 0.93
SCORE_CANDIDATES = 0.86
SCORE_NOT_COVERED = 0.84
SCORE_TARGET = 0.87


def _pattern(word: str) -> re.Pattern[str]:
    escaped = re.escape(word)
    if len(word) >= 7 or not word[-1].isalnum():
        return re.compile(rf"(?<![a-z0-9]){escaped}")
    return re.compile(rf"(?<![a-z0-9]){escaped}(?:s|e|en|et|ets|ens|er|erne|ne|n)?(?![a-z0-9])")


# Keyword matching runs a thousand times per question (every table's and row's keywords), so it is indexed.
# A word that starts with three letters or digits can only match where a run of letters/digits in the
# question starts with the same three characters (the pattern starts at a word boundary), so a word list
# is split by those three characters and only the buckets of the question's own word starts are tried;
# each candidate is confirmed with a substring test and then the word's pattern, as before.
_RUN = re.compile(r"[a-z0-9]+")
_ALNUM3 = re.compile(r"[a-z0-9]{3}")


class Text(str):
    """A folded question with the three-character starts of its words, computed once per question."""

    starts: frozenset[str]

    def __new__(cls, text: str) -> Text:
        self = super().__new__(cls, text)
        self.starts = frozenset(run[:3] for run in _RUN.findall(text) if len(run) >= 3)
        return self


@dataclass(frozen=True, slots=True)
class _Word:
    word: str
    folded: str
    pattern: re.Pattern[str]
    weight: float  # longer, more specific words weigh more


class _Words:
    """One keyword list, indexed by the first three characters of each word (see above)."""

    __slots__ = ("by_start", "always")

    def __init__(self, words: tuple[str, ...]) -> None:
        self.by_start: dict[str, list[_Word]] = {}
        self.always: list[_Word] = []  # words that start with a space, a dash or a short word
        for word in dict.fromkeys(words):
            folded = fold(word)
            entry = _Word(word, folded, _pattern(folded), 1.0 + min(len(word), 14) / 14)
            if _ALNUM3.match(folded):
                self.by_start.setdefault(folded[:3], []).append(entry)
            else:
                self.always.append(entry)

    def found(self, text: str) -> list[_Word]:
        """The words whose pattern occurs in ``text``."""
        starts = text.starts if isinstance(text, Text) else Text(text).starts
        out = [w for w in self.always if w.folded in text and w.pattern.search(text)]
        for start in starts:
            for w in self.by_start.get(start, ()):
                if w.folded in text and w.pattern.search(text):
                    out.append(w)
        return out


_WORDS: dict[tuple[str, ...], _Words] = {}  # keyed by the (constant) word lists of the code and tables


def _words(words: tuple[str, ...] | list[str]) -> _Words:
    key = words if isinstance(words, tuple) else tuple(words)
    compiled = _WORDS.get(key)
    if compiled is None:
        compiled = _WORDS[key] = _Words(key)
    return compiled


class _RowWords:
    """All row keywords of one table in one index: the weight of every row from one pass over the question."""

    __slots__ = ("words", "rows_of", "size")

    def __init__(self, rows: list[Row]) -> None:
        self.size = len(rows)
        self.rows_of: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            for word in dict.fromkeys(row.keywords):
                self.rows_of.setdefault(word, []).append(i)
        self.words = _Words(tuple(self.rows_of))

    def weights(self, text: str) -> list[float]:
        """``[weight(text, row.keywords) for row in rows]``."""
        out = [0.0] * self.size
        for w in self.words.found(text):
            for i in self.rows_of[w.word]:
                out[i] += w.weight
        return out


def has(text: str, words: tuple[str, ...] | list[str]) -> bool:
    return bool(_words(words).found(text))


def hit(text: str, word: str) -> bool:
    return has(text, (word,))


def weight(text: str, words: tuple[str, ...] | list[str]) -> float:
    """Sum of matched keyword weights (longer, more specific words weigh more)."""
    return sum(w.weight for w in _words(words).found(text))


# ---------------------------------------------------------------------------------------------------------
# Slots


@dataclass
class Slots:
    text: str  # folded
    raw: str
    municipalities: list[str]
    foreign: list[str]
    years: list[int]
    children: bool
    objektiv: bool
    money: bool
    percent: bool
    change: bool
    rank: str | None  # max | min | all
    total: bool
    check: bool
    compare: bool
    which: bool
    increase: bool
    decrease: bool
    regnskab: bool
    income: bool
    expense: bool
    result: bool
    budget: bool
    other_budget: str  # a budget the tables don't have ("skolebudget", "school budget")
    category: bool
    follow_up: bool
    count: bool = False
    who: bool = False
    pays: bool = False
    pay_each: bool = False  # one person's pay ("lønnen for en socialrådgiver"): no table holds that
    served: bool = False  # children examined or helped by a service ("hvor mange børn blev undersøgt")

    @property
    def wants_figure(self) -> bool:
        """Does the question ask for a figure at all (not a person, a place or a definition)?"""
        figure = (self.money or self.count or self.percent or self.change or self.total or self.children
                  or self.objektiv or bool(self.years) or self.rank is not None or self.budget or self.regnskab
                  or self.income or self.expense or self.result or self.category or bool(self.other_budget)
                  or (self.compare and len(self.municipalities) >= 2))
        if self.who and not (self.rank or self.increase or self.decrease or self.pays):
            return False
        return figure


_CONTRACT = re.compile(r"resultatkontrakt[a-z]*")  # a result contract is not a budget result (overskud)
# "hvor mange ansatte ...": the thing counted; a table that does not count it has no answer.
_COUNTED = re.compile(r"(?<![a-z])(?:hvor mange|how many|antal(?:let)?|number)\s+(?:(?:af|of|the)\s+)?"
                      r"(?!(?:af|of|the)(?![a-z0-9]))([a-z0-9][a-z0-9\-]*)")
# The whole population is not counted anywhere: "hvor mange indbyggere" is not the number of 0-17-year-olds.
POPULATION = ("befolkning", "befolkningstal", "indbyggere", "population", "residents")
COUNTED_ANYWHERE = ("kommune", "kommuner", "kommunerne", "municipality", "municipalities", "kroner", "kr", "penge",
                    "money", "procent", "percent", "mio", "millioner", "million", "millions",
                    *(w for w in CHILDREN if w not in POPULATION))
# A count of a state no table holds: a shortage, vacancies, people employed ("hvor mange pædagoger mangler der?").
UNCOUNTED_STATES = ("mangler", "mangel", "manglen", "mangle", "manglende", "shortage", "short of", "lack", "lacking",
                    "missing", "ledige", "ledig", "vacancies", "vacancy", "vacant", "unfilled", "er ansat", "ansat i",
                    "ansat pa", "ansat hos", "ansatte", "employed", "employ", "employs", "employees", "arbejdslose",
                    "unemployed")
_MONEY_UNIT = re.compile(r"(?<![a-z])(?:kr|dkk|mio)(?![a-z])", re.IGNORECASE)
# "hvad koster en svømmehal i Aalborg?": a cost, not a municipality's share of a joint scheme.
_COSTS = re.compile(r"(?<![a-z])(?:koster|kostede|cost|costs|pris|prisen|price)(?![a-z])")
# One person's pay: "lønnen for en socialrådgiver", "hvad tjener en psykolog?", "what does a social worker
# earn?", "a social worker's salary". A budget line is what all of them cost together, not anyone's pay.
_PAY_EACH = re.compile(
    r"(?<![a-z])(?:"
    r"(?:lon|lonnen|lonning|lonningen|gage|gagen|salary|wage|pay)\s+(?:for|til|of|to|pr\.?|per)\s+"
    r"(?:en|et|een|a|an|one|hver|each|den enkelte|one single)(?![a-z])"
    r"|(?:en|et|a|an|one)\s+(?:[a-z\-]+\s+)?[a-z\-]+'?s\s+(?:lon|lonning|gage|salary|wage|pay)(?![a-z])"
    r"|tjener|tjente|tjenes|earns?|earned|earning|earnings"
    r"|(?:faar|far|gets?|is|are)\s+(?:en|et|a|an)\s+[a-z\-]+(?:\s+[a-z\-]+)?\s+(?:i lon|paid)(?![a-z])"
    r"|(?:gennemsnits|maaneds|maneds|time|aars|ars|start)lon\w*|(?:average|monthly|hourly|annual|starting)\s+"
    r"(?:salary|salaries|wage|wages|pay))")
# What a service does with children ("undersøgt", "afhørt", "examined"): its cases, not the 0-17 population.
SERVED = ("undersogt", "undersoge", "undersoges", "undersogelse", "undersogelser", "behandlet", "behandles",
          "afhort", "afhoring", "afhoringer", "videoafhoring", "henvist", "henvises", "henvisning", "henvisninger",
          "hjulpet", "hjulpne", "modtaget", "besogt", "examined", "examination", "examinations", "seen", "treated",
          "interviewed", "referred", "referrals", "helped", "handled", "served", "visited", "went through",
          "been through", "kom igennem", "var igennem")
OTHER_EDUCATIONS = ("sosu", "social- og sundhed", "social og sundhed", "pau", "paedagogisk assistent",
                    "pedagogical assistant", "social and health")


def read_slots(question: str) -> Slots:
    text = Text(" " + re.sub(r"\s+", " ", fold(question).replace("–", "-").replace("—", "-").replace("’", "'")) + " ")
    years = sorted({int(y) for y in YEAR.findall(text)})
    municipalities = resolve(question)
    foreign: list[str] = []
    for word in re.findall(r"[a-z][a-z\-]+", text):
        name = _OTHER.get(word) or (_OTHER.get(word[:-1]) if word.endswith("s") else None)
        if name and name not in foreign:
            foreign.append(name)
    house = re.search(r"erhvervshus(?:et)? (midtjylland|sjaelland|fyn|sydjylland|hovedstaden)", text)
    if house:
        foreign.append("Erhvervshus " + {"sjaelland": "Sjælland"}.get(house.group(1), house.group(1).capitalize()))
    own = re.search(r"(?<![a-z])([a-z]{3,})(budget(?:tet|ter|s)?)(?![a-z])", text)
    if own:
        text = Text(f"{text}{own.group(1)} ")  # "lønbudget" also names the line "løn"
    rank = "max" if has(text, RANK_MAX) else "min" if has(text, RANK_MIN) else None
    if rank is None and has(text, ("rangorden", "rangordn", "ranking", "rank", "ranked", "sorteret", "raekkefolge")):
        rank = "all"
    elif rank is None and has(text, ("alle kommuner", "alle kommunerne", "hver kommune", "hver enkelt kommune",
                                     "each municipality", "every municipality", "all municipalities",
                                     "per kommune", "pr. kommune", "fordelt pa", "fordelt paa", "fordelingen",
                                     "by municipality", "breakdown", "liste", "list")) and not has(
            text, ("i alt", "ialt", "total", "samlet", "samlede", "tilsammen", "sum", "summen", "add up", "stemmer")):
        rank = "all"  # the breakdown, not the total
    stripped = text.strip()
    follow_up = len(stripped.split()) <= 7 and (stripped.startswith(tuple(FOLLOW_UP)) or stripped.endswith("?"))
    follow_up = follow_up or has(text, ("of that", "of this", "af det", "heraf", "deraf", "af dem", "af dette",
                                        "the same", "det samme", "tallet", "that figure", "i procent"))
    return Slots(
        text=text, raw=question, municipalities=municipalities, foreign=foreign, years=years,
        children=has(text, CHILDREN), objektiv=has(text, OBJEKTIV), money=has(text, MONEY),
        percent=has(text, PERCENT), change=has(text, CHANGE) or (len(years) >= 2 and " til " in text)
        or (len(years) >= 2 and (" to " in text or "from" in text)),
        rank=rank, total=has(text, TOTAL), check=has(text, CHECK),
        compare=len(municipalities) >= 2 or has(text, ("sammenlign", "compare", "versus", " vs")),
        which=has(text, WHICH), increase=has(text, INCREASE), decrease=has(text, DECREASE),
        regnskab=has(text, REGNSKAB) or re.search(r"\bdid\b.*\bspend", text) is not None, income=has(text, INCOME), expense=has(text, EXPENSE) or "udgift" in text,
        result=has(_CONTRACT.sub(" ", text), RESULT), budget=has(text, BUDGET_WORDS) or bool(own),
        other_budget=_original_word(question, _other_budget(text, own)), category=has(text, CATEGORY_WORDS),
        follow_up=follow_up, count=has(text, COUNT),
        pays=has(text, ("betaler", "bidrager", "finansierer", "pays", "contributes", "funds", "betales")),
        pay_each=_PAY_EACH.search(text) is not None, served=has(text, SERVED),
        who=stripped.startswith(("hvem ", "who ", "whom ", "hvem?", "who?")) or has(text, ("kontaktperson", "contact person")),
    )


KNOWN_BUDGETS = ("bornehus", "sekretariat", "sundhed", "social", "erhvervshus", "basis", "drift", "total", "samle",
                 "aars", "hoved")
OTHER_AREAS = ("skole", "school", "schools", "aeldre", "elderly", "vej", "roads", "kultur", "culture", "sport",
               "idraet", "bibliotek", "library", "dagtilbud", "daycare", "bornepasning", "childcare", "hospital",
               "sygehus", "beskaeftigelse", "employment", "social", "sundhed", "health", "anlaeg", "klima", "climate",
               "miljo", "environment", "trafik", "transport", "bolig", "housing", "it", "administration")


PAYEE_STOP = {"det", "den", "dem", "de", "alt", "i", "en", "et", "the", "it", "that", "this", "them", "all", "in",
              "a", "an", "hvad", "what", "hvor", "samlet", "total", "kommunen", "kommune", "municipality", "aaret",
              "year", "2019", "2020", "2021", "2022", "2023", "procent", "percent", "basis", "faelles", "joint"}


def _unknown_payee(text: str) -> str:
    """The recipient in 'betaler X til <Y>' when Y is none of the tables' topics ('Limfjordsrådet')."""
    match = re.search(r"(?<![a-z])(?:til|to|towards|for)\s+([a-z][a-z\-]+)", text)
    if not match or match.group(1) in PAYEE_STOP or match.group(1).isdigit():
        return ""
    return match.group(1)


def _label_overlap(text: str, label: dict[str, str]) -> float:
    """Share of the row label's words (either language) found in the question; breaks ties between lines."""
    best = 0.0
    for lang_label in label.values():
        words = [w for w in re.findall(r"[a-z0-9]+", fold(lang_label)) if len(w) >= 3]
        if words:
            best = max(best, sum(hit(text, w) for w in words) / len(words))
    return best


def _study_year_named(text: str, period: str) -> bool:
    """'2019/2020' is named as '2019/2020', '2019/20' or '19/20'."""
    first, second = period.split("/")
    return any(p in text for p in (f"{first}/{second}", f"{first}/{second[2:]}", f"{first[2:]}/{second[2:]}",
                                   f"{first}-{second}", f"{first}-{second[2:]}"))


def _original_word(question: str, folded: str) -> str:
    """The user's own spelling of a folded word ("aeldreomraadet" -> "ældreområdet")."""
    for word in re.findall(r"[\w\-]+(?: [\w\-]+)?", question):
        if fold(word) == folded:
            return word
    for word in re.findall(r"[\w\-]+", question):
        if fold(word) == folded:
            return word
    return folded


def _other_budget(text: str, own: re.Match[str] | None) -> str:
    if own and not own.group(1).startswith(KNOWN_BUDGETS):
        return own.group(1) + own.group(2)
    area = re.search(r"(?<![a-z])(" + "|".join(OTHER_AREAS) + r")[a-z]*", text)
    if area and re.search(r"budget|spend|udgift|bevilling|koster|costs?|bruger", text):
        return area.group(0)
    english = re.search(r"(?<![a-z])(school|elderly|road|culture|sports?|library|daycare|childcare|hospital|"
                        r"housing|employment|education|police) (budget|spending|costs?)", text)
    return english.group(0) if english else ""


# ---------------------------------------------------------------------------------------------------------
# Answers


@dataclass
class Cell:
    """One figure from a table, with what the user needs to trust it."""

    table: str
    row: str
    column: str
    value: Any
    label: str  # column label (or row label for line tables)
    unit: str
    lines: str
    computed: bool = False
    discrepancy: str = ""  # the table's note when the bundle's arithmetic does not add up here
    printed: Any = None
    recomputed: Any = None
    row_label: str = ""
    municipality: str = ""
    verb: str = ""
    note: str = ""
    year: int | None = None

    @property
    def at_place(self) -> str:
        """'i Hjørring', but 'på Læsø' (an island)."""
        return f"på {self.municipality}" if self.municipality == "Læsø" else f"i {self.municipality}"

    @property
    def unit_text(self) -> str:
        """'(1.000 kr.)' in parentheses (it reads as a scale), other units as they are."""
        return unit_text(self.unit)


@dataclass
class Answer:
    key: str  # response key in knowledge/responses/{lang}/BudgetLookup.yaml
    score: float
    vars: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] | None = None  # what a follow-up refers to
    suggestions: list[str] = field(default_factory=list)


class BudgetBook:
    """Answers table questions in one language; construct once with the loaded tables."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._row_words = {table.id: _RowWords(table.rows) for table in tables}
        self._count_words = {table.id: self._count_vocabulary(table) for table in tables}

    # -- public ------------------------------------------------------------------------------------------

    def answer(self, question: str, lang: str, context: dict[str, Any] | None = None) -> Answer | None:
        slots = read_slots(question)
        scores = self._table_scores(slots)
        if context and not self._has_topic(scores, slots):
            follow = self._follow_up(slots, lang, context)
            if follow is not None:
                return follow
        if context and context.get("municipality") and not slots.municipalities and context.get("kind") == "municipal":
            carried = self._carry_municipality(slots, scores, lang, context)
            if carried is not None:
                return carried
        if context and context.get("kind") == "lines" and slots.follow_up:
            carried = self._carry_row(slots, scores, lang, context)
            if carried is not None:
                return carried
        if slots.children and slots.served and slots.count:
            return self._served(slots, scores, lang)
        answer = self._fresh(slots, scores, lang)
        if answer is not None and slots.pay_each and answer.key not in _REFUSALS:
            return self._pay_each(slots, answer, lang)
        return answer

    def _served(self, slots: Slots, scores: dict[str, float], lang: str) -> Answer | None:
        """ "hvor mange børn blev undersøgt i Børnehus Nord i 2020?": the tables count the service's cases, not
        children; the one count row of the budget named gives the year's cases, said to be cases. Not the 0-17
        population (who lives in the municipalities)."""
        named = [t for t in self.tables if t.kind == "lines" and weight(slots.text, t.keywords) > 0]
        for table in sorted(named, key=lambda t: -scores[t.id]):
            counted = [r for r in table.rows if r.unit and not any(_MONEY_UNIT.search(u) for u in r.unit.values())]
            if len(counted) != 1:
                continue
            answer = self._lines(table, replace(slots, children=False, change=False, percent=False), lang,
                                 row=counted[0])
            if answer is not None and answer.key == "line_value":
                answer.key = "line_counted_instead"
                answer.vars["asked"] = {"da": "børn", "en": "children"}[lang]
            return answer
        return None

    def _pay_each(self, slots: Slots, found: Answer, lang: str) -> Answer:
        """One person's pay asked: the documents have none. A salary line found is shown only as what it is,
        the total budgeted for everyone on it."""
        line = found.vars if found.key == "line_value" else None
        return Answer("not_covered_pay", SCORE_NOT_COVERED,
                      {"line": line, "covered": self._covered(lang)})

    def _carry_municipality(self, slots: Slots, scores: dict[str, float], lang: str,
                            context: dict[str, Any]) -> Answer | None:
        """'hvad med Børnehus Nord?' after Hjørring's Erhvervshus figure: Hjørring in the other table."""
        candidates = [t for t in scores if self.tables.get(t).kind == "municipalities"]
        best_id = max(candidates, key=lambda k: scores[k])
        table = self.tables.get(best_id)
        if best_id == context.get("table") or scores[best_id] < 1.5 or max(scores.values()) > scores[best_id] + 1:
            return None
        if slots.rank or slots.total or slots.which:
            return None
        return self._municipal(table, replace(slots, municipalities=[context["municipality"]]), lang)

    def _carry_row(self, slots: Slots, scores: dict[str, float], lang: str, context: dict[str, Any]) -> Answer | None:
        """'og for socialaftalen?' after a secretariat line: the same line and period in the other table."""
        best_id = max(scores, key=lambda k: scores[k])
        table = self.tables.get(best_id)
        if best_id == context.get("table") or table.kind != "lines" or self._pick_row(table, slots) is not None:
            return None
        row = table.row(context.get("row", ""))
        if row is None:
            return None
        old_table = self.tables.tables.get(context.get("table", ""))
        column = old_table.columns.get(context.get("column", "")) if old_table else None
        years = slots.years or ([column.year] if column is not None and column.year else [])
        regnskab = slots.regnskab or (column is not None and column.period == "accounts")
        return self._lines(table, replace(slots, years=years, regnskab=regnskab), lang, row=row)

    # -- table choice --------------------------------------------------------------------------------------

    def _table_scores(self, slots: Slots) -> dict[str, float]:
        scores: dict[str, float] = {}
        for table in self.tables:
            score = weight(slots.text, table.keywords)
            rows = max(self._row_words[table.id].weights(slots.text), default=0.0)
            if table.kind == "lines":
                score += rows * (0.9 if score else 0.8)
            elif score or table.kind in ("targets", "series"):
                score += rows * (0.9 if score else 0.5)
            scores[table.id] = score
        for table in self.tables:
            if table.kind == "municipalities" and scores[table.id] and slots.municipalities:
                scores[table.id] += 2.0  # a municipality named: the per-municipality table, not the budget sheet
            elif table.kind == "municipalities" and scores[table.id] and (slots.rank or (slots.pays and slots.which)):
                scores[table.id] += 2.0
        sheet = "boernehus_budget_2021"
        if sheet in scores and slots.budget and not slots.municipalities and weight(
                slots.text, self.tables.get(sheet).keywords):
            scores[sheet] += 1.5  # "Børnehus Nords budget": the budget sheet
        if has(slots.text, ("kommune", "kommuner", "kommunerne", "kommunernes", "kommunale", "municipal",
                            "municipality", "municipalities", "per kommune", "each municipality")):
            for table in self.tables:
                if table.kind == "municipalities" and scores[table.id]:
                    scores[table.id] += 1.5
        bhn = "boernehus_objektiv_finansiering"
        if slots.children and bhn in scores and not slots.served:
            scores[bhn] += 3.0  # the only 0-17 figures in the bundle (who lives there, not who was examined)
        if slots.objektiv and bhn in scores and slots.municipalities:
            scores[bhn] += 1.0
        if slots.category and "erhvervshus_by_land" in scores:
            scores["erhvervshus_by_land"] += 3.0
        return scores

    @staticmethod
    def _has_topic(scores: dict[str, float], slots: Slots) -> bool:
        return max(scores.values(), default=0) >= 2.5 and not slots.follow_up or max(scores.values(), default=0) >= 4

    def _fresh(self, slots: Slots, scores: dict[str, float], lang: str) -> Answer | None:
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        best_id, best = ranked[0]
        named_line = self._named_line(best_id, slots)
        terse = (bool(slots.municipalities) and len(slots.text.split()) <= 4
                 and self.tables.get(best_id).kind == "municipalities"
                 and weight(slots.text, self.tables.get(best_id).keywords) > 0 and not slots.who)  # "Hjørring erhvervshus"
        if not (slots.wants_figure or named_line or terse):
            return None  # a person, a place or a definition: the passages answer those
        if best >= 1.2 and self.tables.get(best_id).kind == "lines" and not weight(slots.text, self.tables.get(best_id).keywords):
            # Only a budget line is named, no table: answer when the line is specific to one table, or offer
            # the tables when the question is clearly about money; with less confidence than a named table.
            money = slots.money or slots.budget or slots.expense or slots.regnskab or slots.result or slots.income
            tied = [tid for tid, sc in ranked if sc >= best - 0.01 and self.tables.get(tid).kind == "lines"
                    and self._counts(self.tables.get(tid), slots)]
            if not tied:
                return None  # "hvor mange psykologer er der?": the budget lines hold money, not people
            if len(tied) > 1:
                answer = self._candidates_rows(slots, lang, [self.tables.get(t) for t in tied]) if money else None
            elif money or self._specific_line(best_id, slots):
                answer = self._lines(self.tables.get(best_id), slots, lang)
            else:
                answer = None
            if answer is not None:
                answer.score = min(answer.score, 0.8 if len(tied) == 1 else 0.7)
            return answer
        # Another business house or a municipality outside North Jutland: the documents don't have it.
        if slots.foreign and (best >= 1.5 or slots.money or slots.children):
            return self._not_covered_foreign(slots, lang, best_id if best >= 1.5 else None)
        if best < 1.5:
            return self._no_table(slots, lang)
        table = self.tables.get(best_id)
        if not self._counts(table, slots):
            return None  # "hvor mange ansatte har Erhvervshuset?": the tables don't count that
        if table.id == "paedagog_dimensionering" and has(slots.text, OTHER_EDUCATIONS) and not has(
                slots.text, ("paedagog", "pedagogue", "paedagoguddannelsen")):
            return None  # SOSU and PAU are dimensioned too, but the table is the pædagog education's
        # Two tables about equally likely and no row-level evidence: offer both.
        close = [tid for tid, s in ranked[1:] if s >= best - 0.25 and s >= 1.5]
        if close and table.kind == "municipalities" and slots.municipalities:
            other = self.tables.get(close[0])
            if other.kind == "municipalities":
                return self._candidates_for_municipality(slots, lang, [table, other])
        if table.kind == "municipalities":
            return self._municipal(table, slots, lang)
        if table.kind == "lines":
            return self._lines(table, slots, lang)
        if table.kind == "series":
            return self._series(table, slots, lang)
        if table.kind == "targets":
            return self._target(table, slots, lang)
        if table.kind == "categories":
            return self._category(table, slots, lang) if slots.category else None
        return None

    def _counts(self, table: Table, slots: Slots) -> bool:
        """False when the question counts something ("hvor mange ansatte") that ``table`` does not count.

        Only the table's counts make a count answerable: its topic words, its rows and columns that hold a
        number of something (cases, children, study places), not a money row whose keyword happens to be
        the counted word ("other staff costs" does not count staff).
        """
        found = _COUNTED.search(slots.text)
        if not found:
            return True
        if has(slots.text, UNCOUNTED_STATES):
            return False
        counted = Text(f" {found.group(1)} ")
        return has(counted, self._count_words[table.id])

    @staticmethod
    def _count_vocabulary(table: Table) -> tuple[str, ...]:
        def counts(unit: dict[str, str] | None) -> bool:
            return bool(unit) and not any(_MONEY_UNIT.search(u) for u in unit.values())

        columns = [c for c in table.columns.values() if counts(c.unit)]
        rows = [r for r in table.rows if counts(r.unit) or (r.unit is None and columns)]
        return (*COUNTED_ANYWHERE, *table.keywords, *(k for r in rows for k in r.keywords),
                *(w for r in rows if r.unit for u in r.unit.values() for w in re.findall(r"[a-z0-9\-]{3,}", fold(u))),
                *(w for c in columns for label in c.label.values() for w in re.findall(r"[a-z0-9\-]{3,}", fold(label))))

    def _named_line(self, table_id: str, slots: Slots) -> bool:
        """The question names a table and one of its budget lines ("afskrivningerne i Børnehus Nord")."""
        table = self.tables.get(table_id)
        return (table.kind == "lines" and weight(slots.text, table.keywords) > 0
                and self._pick_row(table, slots) is not None)

    def _specific_line(self, table_id: str, slots: Slots) -> bool:
        """A long budget-line word that only this table has ("takstfinansieringen", "hjemmeside")."""
        others = {k for t in self.tables if t.id != table_id for r in t.rows for k in r.keywords}
        table = self.tables.get(table_id)
        return any(len(k) >= 8 and k not in others and hit(slots.text, k) for r in table.rows for k in r.keywords)

    def _candidates_rows(self, slots: Slots, lang: str, tables: list[Table]) -> Answer | None:
        """The same budget line in several tables ("hvad er lønudgiften?"): give each with its source."""
        items = []
        for table in tables:
            answer = self._lines(table, slots, lang)
            if answer is None or answer.key != "line_value":
                continue
            items.append({"cell": answer.vars["cells"][0], "cells": answer.vars["cells"], "row_label": answer.vars["row_label"],
                          **self._source(table, lang, answer.vars["lines"]), "table": table.id})
        if not items:
            return None
        return Answer("candidates_rows", SCORE_CANDIDATES, {"items": items},
                      suggestions=[f"{it['row_label']} – {it['name']}" for it in items])

    def _no_table(self, slots: Slots, lang: str) -> Answer | None:
        """No table named: a municipality with money words, a generic budget question, or nothing for us."""
        lines = [t for t in self.tables if t.kind == "lines" and self._pick_row(t, slots) is not None]
        if lines and (slots.budget or slots.money or slots.expense) and not slots.municipalities:
            answer = self._candidates_rows(slots, lang, lines)  # "lønbudgettet": the line in each budget
            if answer is not None:
                answer.score = 0.7
                return answer
        if slots.municipalities and (slots.budget or slots.other_budget) and not slots.objektiv:
            return self._not_covered_own_budget(slots, lang)
        if slots.other_budget:
            # Lower than a passage that might still mention it: only the budget tables are known to lack it.
            return Answer("not_covered_other_budget", 0.5,
                          {"what": slots.other_budget, "covered": self._covered(lang)})
        payee = _unknown_payee(slots.text)
        if slots.municipalities and payee and (slots.money or slots.pays):
            answer = self._not_covered_own_budget(slots, lang)
            answer.key, answer.vars["payee"] = "not_covered_payee", _original_word(slots.raw, payee)
            return answer
        if len(slots.municipalities) >= 2 and slots.compare:  # "sammenlign Brønderslev og Vesthimmerland"
            answer = self._candidates_compare(slots, lang, [t for t in self.tables if t.kind == "municipalities"])
            if answer is not None:
                return answer
        if slots.municipalities and _COSTS.search(slots.text) and not slots.pays and not has(
                slots.text, ("andel", "andelen", "share", "bidrag", "bidrager", "contribute", "contribution")):
            return self._not_covered_own_budget(slots, lang)  # "hvad koster en ny svømmehal i Aalborg?"
        if slots.municipalities and (slots.money or slots.percent or slots.rank or slots.years):
            return self._candidates_for_municipality(
                slots, lang, [self.tables.get("erhvervshus_basisbevilling_2021"),
                              self.tables.get("boernehus_objektiv_finansiering")])
        if slots.rank and slots.money and not slots.municipalities:
            return self._candidates_ranking(slots, lang)
        if slots.budget and not slots.municipalities:
            return self._candidates_budgets(slots, lang)
        return None

    # -- cells -----------------------------------------------------------------------------------------------

    def _cell(self, table: Table, row: Row, column: Column, lang: str) -> Cell:
        cell_ref = f"{row.key}.{column.key}"
        d = table.discrepancies.get(cell_ref)
        unit = (row.unit or column.unit)[lang]
        label = column.label[lang] if table.kind in ("municipalities",) else row.label[lang]
        return Cell(table=table.id, row=row.key, column=column.key, value=row.values[column.key], label=label,
                    unit=unit, lines=format_lines(row.lines), discrepancy=d.note[lang] if d else "",
                    printed=d.printed if d else None, recomputed=d.computed if d else None,
                    row_label=row.label[lang], municipality=row.municipality or "",
                    verb=(column.verb or {}).get(lang, ""), note=(row.note or {}).get(lang, ""), year=column.year)

    def _source(self, table: Table, lang: str, lines: str | None = None) -> dict[str, str]:
        return {"source": table.source[lang], "lines": lines or format_lines(table.lines), "title": table.title[lang],
                "name": (table.name or table.title)[lang]}

    # -- per-municipality tables ---------------------------------------------------------------------------

    def _measure_columns(self, table: Table, slots: Slots) -> tuple[list[Column], list[int]]:
        """The columns of the measure the question is about, newest first, and the unknown years asked for."""
        measures = {c.measure for c in table.columns.values()}
        measure = next(iter(measures)) if len(measures) == 1 else None
        if measure is None:
            if slots.children and not (slots.objektiv or (slots.money and not slots.children)):
                measure = "children"
            else:
                measure = "objektiv"
        columns = [c for c in table.columns.values() if c.measure == measure]
        values = sorted((c for c in columns if not c.change_of), key=lambda c: -(c.year or 0))
        years = {c.year for c in values}
        missing = [y for y in slots.years if y not in years]
        if measure == "children" and 2021 in missing and 2020 in years and not slots.change:
            missing = [y for y in missing if y != 2021]  # "objektiv finansiering 2021" is built on 1/1 2020
        return columns, missing

    def _municipal(self, table: Table, slots: Slots, lang: str) -> Answer:
        columns, missing = self._measure_columns(table, slots)
        value_cols = sorted((c for c in columns if not c.change_of), key=lambda c: -(c.year or 0))
        change_col = next((c for c in columns if c.change_of), None)
        if missing and not (slots.change and change_col):
            return self._not_covered_year(table, slots, lang, missing, value_cols)
        asked = [c for c in value_cols if c.year in slots.years] or value_cols[:1]
        column = asked[0]
        if slots.which and (slots.increase or slots.decrease) and change_col and not slots.municipalities:
            return self._filter_change(table, change_col, slots, lang)
        if slots.rank and not (len(slots.municipalities) == 1 and not slots.which):
            col = change_col if (slots.change and change_col and not slots.rank == "all") else column
            return self._ranking(table, col, slots, lang)
        if not slots.municipalities:
            if slots.rank or (slots.which and not slots.total):
                return self._ranking(table, column, slots, lang)
            if (slots.change and change_col) and slots.total:
                return self._total(table, change_col, slots, lang)
            return self._total(table, column, slots, lang)
        if len(slots.municipalities) >= 2:
            return self._compare(table, column, slots, lang)
        row = table.municipality_row(slots.municipalities[0])
        assert row is not None
        if slots.change and change_col is not None:
            return self._change(table, row, change_col, lang)
        cell = self._cell(table, row, column, lang)
        # The other year only when no year was asked for (a named year gets just its own figure).
        also = [] if slots.years else [self._cell(table, row, c, lang) for c in value_cols if c is not column]
        total_row = table.total_row()
        share = None
        if slots.percent and total_row is not None and column.key in total_row.values:
            share = percent(cell.value, total_row.values[column.key])
        context = {"table": table.id, "column": column.key, "municipality": row.municipality, "kind": "municipal"}
        return Answer("municipal_value" if not slots.percent else "municipal_percent", SCORE_CLEAR,
                      {"cell": cell, "also": also if not slots.percent else [], "share": share,
                       "total": total_row.values.get(column.key) if total_row else None,
                       **self._source(table, lang, cell.lines)}, context)

    def _change(self, table: Table, row: Row, column: Column, lang: str) -> Answer:
        newer, older = (table.columns[k] for k in column.change_of or ())
        cell = self._cell(table, row, column, lang)
        lines = cell.lines
        return Answer("municipal_change", SCORE_CLEAR,
                      {"cell": cell, "new": self._cell(table, row, newer, lang),
                       "old": self._cell(table, row, older, lang), "direction": sign(cell.value),
                       **self._source(table, lang, lines)},
                      {"table": table.id, "column": column.key, "municipality": row.municipality, "kind": "municipal"})

    def _total(self, table: Table, column: Column, slots: Slots, lang: str) -> Answer:
        total = table.total_row()
        assert total is not None
        cell = self._cell(table, total, column, lang)
        items = [r for r in table.items() if column.key in r.values]
        computed = sum(r.values[column.key] for r in items)
        return Answer("municipal_total", SCORE_CLEAR,
                      {"cell": cell, "computed_sum": computed, "count": len(items), "is_change": bool(column.change_of),
                       "check": slots.check, **self._source(table, lang, cell.lines)},
                      {"table": table.id, "column": column.key, "municipality": None, "kind": "municipal"})

    def _ranking(self, table: Table, column: Column, slots: Slots, lang: str) -> Answer:
        rows = sorted((r for r in table.items() if column.key in r.values), key=lambda r: -r.values[column.key])
        cells = [self._cell(table, r, column, lang) for r in rows]
        total = table.total_row()
        for c in cells:
            c.note = ""
        mode = slots.rank or "all"
        first = format_lines(tuple(sorted({n for r in rows for n in r.lines})[:1] + sorted({n for r in rows for n in r.lines})[-1:]))
        return Answer("municipal_ranking", SCORE_CLEAR,
                      {"mode": mode, "cells": cells, "top": cells[0] if mode != "min" else cells[-1],
                       "column_label": column.label[lang], "unit": unit_text(column.unit[lang]),
                       "verb": (column.verb or {}).get(lang, ""),
                       "total": total.values.get(column.key) if total else None,
                       "total_cell": self._cell(table, total, column, lang) if total and column.key in total.values
                       else None,
                       **self._source(table, lang, first)},
                      {"table": table.id, "column": column.key, "municipality": None, "kind": "municipal",
                       "rank": mode})

    def _filter_change(self, table: Table, column: Column, slots: Slots, lang: str) -> Answer:
        rising = slots.increase and not slots.decrease
        rows = [r for r in table.items() if column.key in r.values and (r.values[column.key] > 0 if rising else r.values[column.key] < 0)]
        cells = [self._cell(table, r, column, lang) for r in rows]
        lines = format_lines((min(n for r in table.items() for n in r.lines), max(n for r in table.items() for n in r.lines)))
        return Answer("municipal_filter", SCORE_CLEAR,
                      {"cells": cells, "rising": rising, "column_label": column.label[lang], "unit": unit_text(column.unit[lang]),
                       **self._source(table, lang, lines)},
                      {"table": table.id, "column": column.key, "municipality": None, "kind": "municipal"})

    def _compare(self, table: Table, column: Column, slots: Slots, lang: str) -> Answer:
        cells = []
        for name in slots.municipalities:
            row = table.municipality_row(name)
            if row is not None and column.key in row.values:
                cells.append(self._cell(table, row, column, lang))
        lines = ", ".join(c.lines for c in cells)
        difference = cells[0].value - cells[1].value if len(cells) >= 2 else None
        ratio = (Decimal(cells[0].value) / Decimal(cells[1].value)).quantize(Decimal("0.01")) \
            if len(cells) >= 2 and cells[1].value else None
        return Answer("municipal_compare", SCORE_CLEAR,
                      {"cells": cells, "difference": difference, "ratio": ratio, "column_label": column.label[lang],
                       "unit": unit_text(column.unit[lang]), **self._source(table, lang, lines)},
                      {"table": table.id, "column": column.key, "municipality": slots.municipalities[-1],
                       "kind": "municipal", "compare": slots.municipalities})

    # -- line tables (Børnehus Nord budget sheet, the secretariats) -----------------------------------------

    def _pick_row(self, table: Table, slots: Slots) -> Row | None:
        best, best_score = None, 0.0
        for row in table.rows:
            if row.role == "total":
                continue
            score = weight(slots.text, row.keywords)
            if score:
                score += 0.6 * _label_overlap(slots.text, row.label)
                if re.search(r"\bi alt\b|\btotal\b", fold(row.label["da"] + " " + row.label["en"])):
                    score += 0.3 if slots.total else -0.1  # "lønudgift i alt" only when a total is asked for
            if score > best_score + 1e-9:
                best, best_score = row, score
        if best is not None and best.key in ("objektiv_resultat", "takst_resultat") and not slots.result:
            return None
        return best

    def _line_columns(self, table: Table, slots: Slots, row: Row | None) -> tuple[list[Column], list[int]]:
        """Value columns for the question's year/period (newest first) and years the table doesn't have."""
        value_cols = [c for c in table.columns.values() if not c.change_of]
        years = {c.year for c in value_cols}
        missing = [y for y in slots.years if y not in years]
        if table.secretariat:
            if slots.regnskab:
                value_cols = [c for c in value_cols if c.period == "accounts"]
            elif slots.budget:
                value_cols = [c for c in value_cols if c.period == "budget"]
            if slots.years:
                value_cols = [c for c in value_cols if c.year in slots.years] or value_cols
            measure = ("result" if slots.result and (row is None or row.key == "resultat") else
                       "income" if slots.income and not slots.expense else
                       "expenses" if slots.expense and not slots.income else None)
            if row is not None and row.role != "total":
                keys = set(row.values)
                value_cols = [c for c in value_cols if c.key in keys] or [c for c in table.columns.values() if c.key in keys]
            elif measure:
                value_cols = [c for c in value_cols if c.measure == measure]
            else:
                value_cols = [c for c in value_cols if c.measure != "result"]
        elif slots.years:
            value_cols = [c for c in value_cols if c.year in slots.years] or value_cols
        order = {"budget": 0, "accounts": 1}
        value_cols.sort(key=lambda c: (-(c.year or 0), order.get(c.period or "", 2), c.measure != "expenses"))
        return value_cols, missing

    def _lines(self, table: Table, slots: Slots, lang: str, row: Row | None = None) -> Answer | None:
        row = row or self._pick_row(table, slots)
        if row is None:
            if not (slots.total or slots.budget or slots.money or slots.regnskab or slots.income or slots.expense
                    or slots.years or slots.change):
                return None  # about the table's topic, but not one of its figures
            row = table.total_row()
        assert row is not None
        columns, missing = self._line_columns(table, slots, row)
        if missing:
            return self._not_covered_year(table, slots, lang, missing, [c for c in table.columns.values() if not c.change_of])
        columns = [c for c in columns if c.key in row.values]
        if not columns:
            columns = [c for c in table.columns.values() if c.key in row.values and not c.change_of]
        change = next((c for c in table.columns.values() if c.change_of), None)
        if slots.change and change is not None and change.key in row.values and len(slots.years) != 1:
            newer, older = (table.columns[k] for k in change.change_of or ())
            cell = self._cell(table, row, change, lang)
            new, old = self._cell(table, row, newer, lang), self._cell(table, row, older, lang)
            new.label, old.label = newer.label[lang], older.label[lang]
            return Answer("line_change", SCORE_CLEAR,
                          {"cell": cell, "new": new, "old": old, "direction": sign(cell.value),
                           **self._source(table, lang, cell.lines)},
                          {"table": table.id, "row": row.key, "column": change.key, "kind": "lines"})
        if slots.change and (change is None or change.key not in row.values) and len(slots.years) != 1:
            pair = self._budget_pair(table, row, slots)
            if pair is not None:
                older, newer = pair
                new, old = self._cell(table, row, newer, lang), self._cell(table, row, older, lang)
                new.label, old.label = newer.label[lang], older.label[lang]
                cell = replace(new, value=new.value - old.value, computed=True, discrepancy="")
                return Answer("line_change", SCORE_CLEAR,
                              {"cell": cell, "new": new, "old": old, "direction": sign(cell.value),
                               **self._source(table, lang, cell.lines)},
                              {"table": table.id, "row": row.key, "column": newer.key, "kind": "lines"})
        if table.secretariat and row.role == "total" and not slots.years and not slots.regnskab:
            columns = [c for c in columns if c.year == 2021]
        elif not table.secretariat and not slots.years:
            columns = columns[:2]
        elif not slots.years:
            columns = columns[:1]
        cells = [self._cell(table, row, c, lang) for c in columns]
        for c in cells:
            c.label = table.columns[c.column].label[lang]
        # A budget with equal income and expenses: say the figure once.
        merged: list[Cell] = []
        for c in cells:
            col = table.columns[c.column]
            twin = next((m for m in merged if table.columns[m.column].period == col.period
                         and table.columns[m.column].year == col.year and m.value == c.value), None)
            if twin is None:
                merged.append(c)
            else:
                twin.label = table.columns[twin.column].label[lang].replace("udgifter i ", "").replace(
                    "indtægter i ", "").replace("expenses in ", "").replace("income in ", "")
        cells = merged
        share = None
        parent = self._parent_total(table, row)
        if slots.percent and parent is not None and cells and cells[0].column in parent.values and parent.values[cells[0].column]:
            share = {"value": percent(cells[0].value, parent.values[cells[0].column]),
                     "of": parent.label[lang], "of_value": parent.values[cells[0].column]}
        return Answer("line_value", SCORE_CLEAR,
                      {"row_label": row.label[lang], "cells": cells, "note": (row.note or {}).get(lang, ""),
                       "share": share, "is_total": row.role == "total", **self._source(table, lang, cells[0].lines)},
                      {"table": table.id, "row": row.key, "column": cells[0].column, "kind": "lines",
                       "years": slots.years, "regnskab": slots.regnskab})

    @staticmethod
    def _budget_pair(table: Table, row: Row, slots: Slots) -> tuple[Column, Column] | None:
        """Two columns of the same measure to compare (budget 2020 -> budget 2021, or regnskab -> budget)."""
        cols = [c for c in table.columns.values() if c.key in row.values and not c.change_of]
        for measure in ("expenses", "income", "result", "budget"):
            same = [c for c in cols if c.measure == measure]
            budgets = sorted((c for c in same if c.period in (None, "budget")), key=lambda c: c.year or 0)
            if slots.regnskab:
                accounts = [c for c in same if c.period == "accounts"]
                later = [c for c in budgets if c.year == 2021]
                if accounts and later:
                    return accounts[0], later[0]
            if len(budgets) >= 2:
                return budgets[0], budgets[-1]
        return None

    @staticmethod
    def _parent_total(table: Table, row: Row) -> Row | None:
        if row.role == "item" and row.group:
            sub = next((r for r in table.rows if r.role == "subtotal" and r.group == row.group), None)
            if sub is not None:
                return sub
        if row.role == "info" and row.unit is not None:
            return None  # sager, takst: not parts of the budget total
        return table.total_row() if row.role in ("item", "subtotal", "info") else None

    # -- series, targets, categories ------------------------------------------------------------------------

    def _series(self, table: Table, slots: Slots, lang: str) -> Answer:
        periods_named = [r for r in table.rows if r.period and "/" in r.period and _study_year_named(slots.text, r.period)]
        row_hits = [(weight(slots.text, r.keywords), r) for r in table.rows if r.keywords]
        row_hits = [(s, r) for s, r in row_hits if s > 0]
        if periods_named:
            rows = periods_named
        elif row_hits:
            top = max(s for s, _ in row_hits)
            rows = [r for s, r in row_hits if s >= top - 0.01]
            if any(has(slots.text, (w,)) for w in ("fordeling", "fordelingen", "specialisering", "distribution")):
                rows = [r for r in table.rows if r.key.startswith("fordeling_")]
        else:
            periods = [r for r in table.rows if r.role != "info"]
            wanted = set(slots.years)
            rows = [r for r in periods if wanted & set(r.years)] if wanted else []
            if wanted and not rows:
                return self._not_covered_year(table, slots, lang, sorted(wanted), [])
            if not rows:
                history = slots.change or has(slots.text, ("udvikling", "udviklingen", "udviklet", "over arene", "over aarene",
                                                           "historik", "siden", "over the years", "history",
                                                           "development", "alle ar", "all years", "tidligere"))
                rows = periods if history else periods[-2:]
        items = []
        for r in rows:
            values = [self._cell(table, r, table.columns[k], lang) for k in r.values]
            for v in values:
                v.label = (r.unit or table.columns[v.column].label)[lang]
            items.append({"label": r.label[lang], "figures": values, "note": (r.note or {}).get(lang, ""),
                          "lines": format_lines(r.lines)})
        return Answer("series", SCORE_CLEAR if slots.years or row_hits else SCORE_CANDIDATES,
                      {"items": items, **self._source(table, lang)},
                      {"table": table.id, "kind": "series"})

    def _target(self, table: Table, slots: Slots, lang: str) -> Answer | None:
        scored = sorted(((weight(slots.text, r.keywords), r) for r in table.rows), key=lambda x: -x[0])
        if not scored or scored[0][0] < 1.5:
            return None
        top, row = scored[0]
        if slots.years:
            with_year = [r for s, r in scored if s >= top - 1.0 and set(slots.years) & set(r.years)]
            row = with_year[0] if with_year else row
        column = table.columns["value"]
        cell = self._cell(table, row, column, lang)
        source = self._source(table, lang, cell.lines)
        if row.source:
            source["source"] = row.source[lang]
        return Answer("target", SCORE_TARGET if top >= 3 else 0.7,
                      {"cell": cell, "label": row.label[lang], "note": (row.note or {}).get(lang, ""), **source},
                      {"table": table.id, "kind": "target"})

    def _category(self, table: Table, slots: Slots, lang: str) -> Answer | None:
        if not slots.municipalities:
            groups = {k: [r.municipality for r in table.rows if r.category == k] for k in table.categories}
            return Answer("category_list", SCORE_CLEAR,
                          {"groups": [{"label": table.categories[k][lang], "names": v} for k, v in groups.items()],
                           **self._source(table, lang)}, {"table": table.id, "kind": "category"})
        found = []
        for name in slots.municipalities:
            row = table.municipality_row(name)
            if row and row.category:
                found.append({"municipality": name, "category": table.categories[row.category][lang],
                              "lines": format_lines(row.lines)})
        return Answer("category", SCORE_CLEAR, {"items": found, **self._source(table, lang)},
                      {"table": table.id, "kind": "category"})

    # -- candidates and honest refusals --------------------------------------------------------------------

    def _candidates_for_municipality(self, slots: Slots, lang: str, tables: list[Table]) -> Answer:
        name = slots.municipalities[0]
        items = []
        for table in tables:
            columns, _ = self._measure_columns(table, replace(slots, children=False))
            values = [c for c in sorted(columns, key=lambda c: -(c.year or 0)) if not c.change_of]
            if slots.years:
                values = [c for c in values if c.year in slots.years]
            row = table.municipality_row(name)
            if not values or row is None or values[0].key not in row.values:
                continue
            cell = self._cell(table, row, values[0], lang)
            items.append({"cell": cell, **self._source(table, lang, cell.lines), "table": table.id})
        if not items:
            columns = [c for t in tables for c in t.columns.values() if not c.change_of]
            return self._not_covered_year(None, slots, lang, slots.years, columns)
        if len(items) == 1:
            table = self.tables.get(items[0]["table"])
            return self._municipal(table, slots, lang)
        suggestions = [it["cell"].label for it in items]
        return Answer("candidates_municipality", SCORE_CANDIDATES, {"municipality": name, "items": items},
                      {"kind": "choose", "municipality": name, "options": [it["table"] for it in items]},
                      suggestions=[f"{s} – {name}" for s in suggestions])

    def _candidates_compare(self, slots: Slots, lang: str, tables: list[Table]) -> Answer | None:
        """Two or more municipalities compared without a table named: their figures in each table."""
        items = []
        for table in tables:
            columns, _ = self._measure_columns(table, replace(slots, children=False))
            values = [c for c in sorted(columns, key=lambda c: -(c.year or 0)) if not c.change_of]
            if slots.years:
                values = [c for c in values if c.year in slots.years]
            rows = [table.municipality_row(name) for name in slots.municipalities]
            if not values or any(r is None or values[0].key not in r.values for r in rows):
                continue
            cells = [self._cell(table, r, values[0], lang) for r in rows]
            items.append({"cells": cells, "label": cells[0].label, "unit": cells[0].unit_text,
                          **self._source(table, lang, ", ".join(c.lines for c in cells)), "table": table.id})
        if len(items) < 2:
            return self._municipal(self.tables.get(items[0]["table"]), slots, lang) if items else None
        names = slots.municipalities
        return Answer("candidates_compare", SCORE_CANDIDATES, {"names": names, "items": items},
                      {"kind": "choose", "municipality": names[-1], "options": [it["table"] for it in items]},
                      suggestions=[f"{it['label']} – {' og '.join(names) if lang == 'da' else ' and '.join(names)}"
                                   for it in items])

    def _candidates_ranking(self, slots: Slots, lang: str) -> Answer:
        items = []
        for tid in ("erhvervshus_basisbevilling_2021", "boernehus_objektiv_finansiering"):
            table = self.tables.get(tid)
            columns, _ = self._measure_columns(table, replace(slots, children=False))
            column = next(c for c in sorted(columns, key=lambda c: -(c.year or 0)) if not c.change_of)
            items.append(self._ranking(table, column, slots, lang).vars)
        return Answer("candidates_ranking", SCORE_CANDIDATES, {"items": items, "mode": slots.rank or "max"})

    def _candidates_budgets(self, slots: Slots, lang: str) -> Answer | None:
        year = slots.years[0] if slots.years else 2021
        items = []
        specs = [("boernehus_budget_2021", "total", f"budget_{year}"),
                 ("sundhedssekretariat_2020_2021", "total", f"b{str(year)[2:]}_exp"),
                 ("socialaftale_sekretariat_2020_2021", "total", f"b{str(year)[2:]}_exp"),
                 ("erhvervshus_basisbevilling_2021", "total", f"amount_{year}")]
        for tid, row_key, col in specs:
            table = self.tables.get(tid)
            row = table.row(row_key)
            if row is None or col not in row.values:
                continue
            cell = self._cell(table, row, table.columns[col], lang)
            items.append({"cell": cell, **self._source(table, lang, cell.lines), "table": tid})
        if not items:
            return self._not_covered_year(None, slots, lang, slots.years, [])
        return Answer("candidates_budget", SCORE_CANDIDATES, {"year": year, "items": items},
                      {"kind": "choose_budget", "year": year, "options": [it["table"] for it in items]},
                      suggestions=[it["title"] for it in items])

    def _not_covered_foreign(self, slots: Slots, lang: str, table_id: str | None) -> Answer:
        return Answer("not_covered_foreign", SCORE_NOT_COVERED,
                      {"names": slots.foreign, "table": self.tables.get(table_id).title[lang] if table_id else "",
                       "covered": self._covered(lang), "municipalities": MUNICIPALITIES})

    def _not_covered_year(self, table: Table | None, slots: Slots, lang: str, missing: list[int],
                          columns: list[Column]) -> Answer:
        available = sorted({c.year for c in columns if c.year})
        if table is not None and table.kind == "series":
            available = sorted({y for r in table.rows for y in r.years if y >= 2017})
        return Answer("not_covered_year", SCORE_NOT_COVERED,
                      {"years": missing, "available": available, "table": table.title[lang] if table else "",
                       **(self._source(table, lang) if table else {"source": "", "lines": ""}),
                       "covered": self._covered(lang)})

    def _not_covered_own_budget(self, slots: Slots, lang: str) -> Answer:
        name = slots.municipalities[0]
        items = []
        for tid in ("erhvervshus_basisbevilling_2021", "boernehus_objektiv_finansiering"):
            table = self.tables.get(tid)
            columns, _ = self._measure_columns(table, replace(slots, children=False, years=[]))
            column = next(c for c in sorted(columns, key=lambda c: -(c.year or 0)) if not c.change_of)
            row = table.municipality_row(name)
            if row is not None:
                cell = self._cell(table, row, column, lang)
                items.append({"cell": cell, **self._source(table, lang, cell.lines)})
        return Answer("not_covered_own_budget", SCORE_NOT_COVERED, {"municipality": name, "items": items})

    def _covered(self, lang: str) -> list[str]:
        return [t.title[lang] for t in self.tables if t.kind in ("municipalities", "lines")]

    # -- follow-ups -----------------------------------------------------------------------------------------

    def _follow_up(self, slots: Slots, lang: str, context: dict[str, Any]) -> Answer | None:
        kind = context.get("kind")
        if kind == "choose":
            return self._resolve_choice(slots, lang, context)
        if kind == "choose_budget":
            return None
        table_id = context.get("table")
        if not table_id or table_id not in self.tables.tables:
            return None
        table = self.tables.get(table_id)
        if kind == "municipal":
            return self._follow_municipal(table, slots, lang, context)
        if kind == "lines":
            return self._follow_lines(table, slots, lang, context)
        return None

    def _follow_municipal(self, table: Table, slots: Slots, lang: str, context: dict[str, Any]) -> Answer | None:
        column = table.columns.get(context.get("column", ""))
        if column is None:
            return None
        municipality = context.get("municipality")
        if not (slots.municipalities or slots.years or slots.percent or slots.change or slots.rank or slots.total
                or slots.children or slots.objektiv):
            return None
        measure = column.measure
        if slots.children and measure != "children" and any(c.measure == "children" for c in table.columns.values()):
            measure = "children"
        elif slots.objektiv and measure != "objektiv" and any(c.measure == "objektiv" for c in table.columns.values()):
            measure = "objektiv"
        names = slots.municipalities or ([municipality] if municipality else [])
        if municipality and slots.municipalities and municipality not in names and has(
                slots.text, ("sammenlign", "sammenlignet", "compare", "compared", "versus", "vs", "end", "than")):
            names = [municipality, *slots.municipalities]  # "sammenlignet med Rebild?"
        years = slots.years or ([column.year] if column.year else [])
        if column.change_of and not slots.years:
            years = []
        if not slots.municipalities and context.get("compare"):
            names = list(context["compare"])  # "og i 2020?" after a comparison: the same municipalities
        rank = slots.rank or (context.get("rank") if not slots.municipalities else None)
        follow = replace(slots, municipalities=names if not rank else slots.municipalities, years=years, rank=rank,
                         children=measure == "children", objektiv=measure == "objektiv",
                         change=slots.change or (bool(column.change_of) and not slots.years and not slots.percent))
        if measure == "children" and slots.change and not slots.years:
            follow.years = [2019, 2020]
        answer = self._municipal(table, follow, lang)
        answer.score = SCORE_CLEAR
        return answer

    def _follow_lines(self, table: Table, slots: Slots, lang: str, context: dict[str, Any]) -> Answer | None:
        row = self._pick_row(table, slots)
        if row is None and not (slots.years or slots.percent or slots.regnskab or slots.change or slots.total):
            return None
        if row is None:
            row = table.row(context.get("row", "")) if not slots.total else table.total_row()
        years = slots.years or ([] if slots.change else list(context.get("years") or []))
        follow = replace(slots, years=years, regnskab=slots.regnskab or (bool(context.get("regnskab")) and not slots.years))
        if not follow.years and not follow.regnskab and not slots.change:
            column = table.columns.get(context.get("column", ""))
            if column is not None and column.year:
                follow.years = [column.year]
                follow.regnskab = column.period == "accounts"
        answer = self._lines(table, follow, lang, row=row)
        answer.score = SCORE_CLEAR
        return answer

    def _resolve_choice(self, slots: Slots, lang: str, context: dict[str, Any]) -> Answer | None:
        options = context.get("options") or []
        scores = self._table_scores(slots)
        chosen = [t for t in options if scores.get(t, 0) >= 1.5]
        if len(chosen) != 1:
            if slots.municipalities and not chosen:  # "og Aalborg?" after the candidates: the same choice
                return self._candidates_for_municipality(slots, lang, [self.tables.get(t) for t in options])
            return None
        table = self.tables.get(chosen[0])
        names = slots.municipalities or [context["municipality"]]
        return self._municipal(table, replace(slots, municipalities=names), lang)


# ---------------------------------------------------------------------------------------------------------


def percent(part: Any, whole: Any) -> Decimal:
    """part/whole in per cent, two decimals (a computed figure)."""
    return (Decimal(str(part)) * 100 / Decimal(str(whole))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def unit_text(unit: str) -> str:
    """'(1.000 kr.)' in parentheses (it reads as a scale), other units as they are."""
    return f"({unit})" if unit.startswith(("1.000", "DKK 1,000")) else unit


def sign(value: Any) -> str:
    return "up" if value > 0 else "down" if value < 0 else "same"
