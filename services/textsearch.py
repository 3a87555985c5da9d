"""Lexical search for Danish documents asked in Danish or English: tokens, stems, compounds, BM25.

Queries in English are mapped to Danish terms with a small bilingual map of the bundle's key terms;
Danish compounds ("borgmesterpagten", "kvælstoftilførslen") are split into parts found in the corpus,
so a question about "pagten" or "kvælstof" finds them. Everything is built once at start-up.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[a-zæøåéü]+\d+[a-zæøåéü]*|[a-zæøåéü]+(?:[-'’][a-zæøåéü]+)*|\d+(?:[.,]\d+)*")
_STEM_DA = snowballstemmer.stemmer("danish")

STOP_DA = frozenset("""
a ad af alle alt anden andet andre at bare bliver blev blive da de dem den denne dens der deres det dette dig din
dine disse dit du efter eller en end er et for fra ham han hans har havde have hende hendes her hos hun hvad hvem
hvilke hvilken hvilket hvis hvor hvordan hvornår hvorfor i ikke ind jeg jer jo kan kun kunne man mange med meget
men mig min mine mit mod må ned noget nogle nu når og også om op os over på sig sin sine sit skal skulle som sådan
til ud under var vi vil ville vores være været så kommer får giver gør gøre hvorvidt ja nej tak hej fx f.eks mv
kunne bør mon jf heraf samt både såvel ifølge mht ift osv fremgår står siger sagt dokumenterne dokumentet
stå ved gang ske sker lang længe egentlig hjælpe hjælp går gå hedder klokken snakke spørge spørgsmål svare svar vide
fortælle fortæl finde find søge søg præcis gerne godt hele nogen noget
""".split())
STOP_EN = frozenset("""
a about above after again all am an and any are as at be been being both but by can could did do does doing down
during each few for from further had has have having he her here hers him his how i if in into is it its itself
just me more most my no nor not now of off on once only or other our out over own same she should so some such than
that the their theirs them then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours tell please know documents document say says said
many much does anything there's what's who's it's kkr's go get make need want use like still also help
question questions answer tell find search know you
""".split())

# English (and a few Danish spelling variants) -> Danish terms of the bundle. Values are space-separated.
EN_DA: dict[str, str] = {
    "wetland": "vådområde", "wetlands": "vådområder", "hectare": "ha", "hectares": "ha", "phosphorus": "fosfor",
    "nitrogen": "kvælstof", "fjord": "fjord", "lake": "sø", "lakes": "søer", "stream": "vandløb",
    "streams": "vandløb", "watercourse": "vandløb", "watercourses": "vandløb", "reef": "stenrev", "reefs": "stenrev",
    "stone": "sten", "area": "areal", "km2": "km2", "kilometres": "km", "kilometers": "km", "fish": "fisk",
    "nature": "natur", "biodiversity": "biodiversitet", "environment": "miljø", "masterplan": "masterplan",
    "plan": "plan", "municipality": "kommune", "municipalities": "kommuner", "municipal": "kommunal",
    "council": "råd", "councils": "råd", "passenger": "passager", "passengers": "passagerer",
    "agenda": "dagsorden", "agendas": "dagsordener", "meeting": "møde", "meetings": "møder", "minutes": "referat",
    "chair": "formand forperson", "chairman": "formand", "chairperson": "forperson", "vice": "næstformand",
    "deputy": "næstformand", "board": "bestyrelse", "mayor": "borgmester",
    "climate": "klima", "target": "mål målsætning", "targets": "mål målsætninger", "goal": "mål formål", "goals": "mål",
    "reduction": "reduktion", "reduce": "reducere", "emissions": "udledning", "emission": "udledning",
    "greenhouse": "drivhusgas", "energy": "energi", "renewable": "vedvarende", "self-sufficient": "selvforsynende",
    "sufficient": "selvforsynende", "transport": "transport", "bus": "bus", "buses": "busser",
    "fossil": "fossil", "fossil-free": "fossilfri", "electric": "el", "charging": "ladestandere ladeinfrastruktur",
    "bike": "cykel", "bicycle": "cykel", "cycle": "cykel", "cycling": "cykel", "paths": "stier", "path": "sti",
    "pool": "pulje", "fund": "pulje", "agreement": "aftale", "agreements": "aftaler", "contract": "kontrakt",
    "business": "erhverv", "house": "hus", "hub": "hus", "branch": "filial", "branches": "filialer",
    "sexism": "sexisme", "sexist": "sexisme", "police": "politi",
    "report": "henvendelse indberetning", "reports": "henvendelser", "reporting": "henvendelse",
    "complaint": "henvendelse", "anonymous": "anonym", "anonymity": "anonym", "social": "sociale",
    "media": "medier", "block": "blokere", "facebook": "facebook", "councillor": "kommunalpolitiker",
    "councillors": "kommunalpolitikere", "politician": "politiker", "politicians": "politikere",
    "confidential": "fortrolig", "confidentiality": "fortrolig tavshedspligt", "secrecy": "tavshedspligt",
    "data": "data", "controller": "dataansvarlig", "gdpr": "dataansvarlig", "termination": "opsigelse",
    "terminate": "opsige", "notice": "varsel opsigelse", "pedagogue": "pædagog", "pedagogues": "pædagoger",
    "education": "uddannelse", "training": "uddannelse", "students": "studerende", "student": "studerende",
    "places": "pladser", "place": "pladser", "intake": "optag", "admission": "optag", "dimensioning": "dimensionering",
    "secretariat": "sekretariat", "secretariats": "sekretariater", "budget": "budget", "accounts": "regnskab",
    "salaries": "løn", "salary": "løn", "wages": "løn", "children": "børn", "child": "børn",
    "free": "fri", "experiment": "forsøg", "experiments": "forsøg", "trial": "forsøg", "trials": "forsøg",
    "evaluation": "evaluering", "evaluated": "evalueret", "employment": "beskæftigelse", "unemployed": "ledige",
    "rehabilitation": "rehabilitering", "contact": "kontakt", "covenant": "borgmesterpagt",
    "commit": "forpligtet", "committed": "forpligtet", "commitment": "forpligtet", "member": "medlem",
    "members": "medlemmer medlem", "joined": "med", "urban": "bykommune", "rural": "landkommune", "city": "by",
    "countryside": "land", "grant": "bevilling", "basic": "basis", "funding": "finansiering bevilling",
    "finance": "finansiering", "financing": "finansiering", "objective": "objektiv", "rate": "takst",
    "fee": "takst", "cases": "sager", "case": "sag", "companies": "virksomheder", "company": "virksomhed",
    "firms": "virksomheder", "businesses": "virksomheder", "awareness": "kendskab", "satisfaction": "tilfredshed",
    "satisfied": "tilfredse", "sustainability": "bæredygtighed", "sustainable": "bæredygtig", "green": "grøn",
    "transition": "omstilling", "export": "eksport", "growth": "vækst", "jobs": "arbejdspladser beskæftigelse",
    "investment": "investering", "investments": "investeringer", "billion": "mia", "million": "mio",
    "percent": "procent pct", "per": "pr", "year": "år", "years": "år", "annual": "årlig", "annually": "årligt",
    "decided": "besluttede besluttet", "decision": "beslutning", "decide": "beslutte", "who": "",
    "convenes": "indkalder", "convene": "indkalde", "invites": "inviterer", "invite": "invitere",
    "publish": "offentligt", "published": "offentliggjort offentligt", "public": "offentlig offentligt",
    "premises": "mødelokaler lokaler", "rooms": "mødelokaler lokaler", "room": "lokaler", "venue": "mødelokaler",
    "obliged": "forpligtet", "obligation": "forpligtelse", "required": "forpligtet", "must": "skal",
    "represent": "repræsentant", "representative": "repræsentant", "representatives": "repræsentanter",
    "present": "tilstede", "without": "uden", "feedback": "tilbagemelding", "input": "input",
    "recommendations": "anbefalinger", "recommendation": "anbefaling", "recommend": "anbefale",
    "wind": "vind", "solar": "sol", "biogas": "biogas", "hydrogen": "brint", "cars": "biler", "car": "bil",
    "ferries": "færger", "roads": "veje", "road": "vej", "purchasing": "indkøb", "procurement": "indkøb",
    "waste": "affald", "circular": "cirkulær", "economy": "økonomi", "flooding": "oversvømmelser",
    "floods": "oversvømmelser", "adaptation": "klimatilpasning", "knowledge": "viden", "package": "pakke",
    "vision": "vision", "strategy": "strategi", "ambition": "ambition", "partners": "parter", "parties": "parter",
    "party": "part", "signed": "underskrevet", "expire": "udløber", "expires": "udløber", "expiry": "udløb",
    "deadline": "frist", "deadlines": "frister", "submit": "stille forslag", "propose": "forslag",
    "items": "punkter", "item": "punkt", "draft": "udarbejde", "drafts": "udarbejder",
    "prepares": "udarbejder", "prepare": "udarbejde", "comment": "kommentere", "comments": "kommentarer",
    "guidelines": "retningslinjer", "rules": "regler", "legislation": "lovgivning",
    "offender": "krænker", "offended": "krænket", "victim": "krænket", "support": "støtte",
    "psychological": "psykisk", "stress": "belastning", "debate": "debatmøder", "trust": "tillid",
    "work": "arbejde", "environment_act": "arbejdsmiljøloven", "ceo": "direktør",
    "mink": "mink", "covid": "covid19 corona", "corona": "corona", "pandemic": "pandemi",
    "letter": "brev", "letters": "brev", "minister": "minister", "prime": "statsminister",
    "committee": "udvalg", "hearing": "foretræde", "reform": "reform", "proximity": "nærhedsreform",
    "located": "ligger", "where": "hvor", "promising": "perspektivrige", "highlight": "fremhæve",
    "early": "early", "warning": "warning", "courses": "forløb", "course": "forløb", "short": "korte",
    "measurement": "måling", "measured": "måling", "september": "september", "region": "region",
    "regional": "regional", "north": "nord", "jutland": "jylland", "limfjord": "limfjorden",
    "oysters": "østers", "mussels": "muslinger", "seaweed": "tang", "gardens": "haver", "garden": "have",
    "spawning": "gydegrus", "gravel": "gydegrus", "barriers": "spærringer", "obstructions": "spærringer",
    "lowland": "lavbund", "peat": "tørv", "secretary": "sekretariat", "office": "sekretariat", "staff": "personale",
    "harassed": "chikane krænket grænseoverskridende", "harassment": "chikane grænseoverskridende",
    "sexually": "seksuel seksuelt", "sexual": "seksuel seksuelt",
    "threats": "trusler", "threat": "trusler", "violence": "vold", "offensive": "krænkende",
    "pay": "betale finansiering omkostninger", "pays": "betale finansiering omkostninger",
    "paid": "betale finansiering", "cost": "koste omkostninger", "costs": "omkostninger", "big": "stor",
    "large": "stor", "size": "størrelse", "writes": "udarbejder", "write": "udarbejde", "written": "skriftligt",
    "school": "skole", "schools": "skole", "weather": "vejr", "tomorrow": "morgen", "ticket": "billet",
    "founded": "etableret", "established": "etableret",
    "framework": "rammeaftale ramme", "discuss": "drøfte", "hold": "holde", "attend": "deltage",
    "participate": "deltage", "recruit": "rekruttering", "recruitment": "rekruttering", "appoints": "udpeger",
    "appoint": "udpege", "appointed": "udpeget", "chairs": "formand", "leads": "formand leder",
    "purpose": "formål", "why": "formål", "focus": "fokus", "areas": "områder",
    "recruiting": "rekruttering", "recruits": "rekruttering", "responsible": "ansvarlig ansvar",
    "co-finance": "delfinansiering", "cofinance": "delfinansiering", "co-financing": "delfinansiering",
    "mailbox": "mailgruppe mail", "special": "særlig særskilt", "dedicated": "særlig", "harasses": "udsætter chikane grænseoverskridende",
    "harass": "udsætter chikane", "guidance": "materiale inspirationsmateriale", "promise": "love",
    "law": "lov lovgivning arbejdsmiljøloven", "laws": "lovgivning", "protecting": "beskyttet",
    "protect": "beskyttet", "protected": "beskyttet", "protection": "beskyttet", "approve": "godkende",
    "approves": "godkende", "usually": "oftest", "often": "oftest ofte", "men": "mænd", "women": "kvinder",
    "crisis": "krise krisen coronakrisen", "stronger": "styrket", "solutions": "løsninger",
    "digital": "digitale digitalisering", "director": "direktør direktion direktøren", "meet": "mødes møde",
    "meets": "mødes", "mayors": "borgmestre borgmester", "expected": "forventes", "expect": "forventer",
    "proposal": "udspil forslag", "government": "regering regeringen regeringsudspil", "remove": "fjerne reducere",
    "one": "en et", "two": "to", "three": "tre", "four": "fire", "five": "fem", "six": "seks", "seven": "syv",
    "eight": "otte", "nine": "ni", "ten": "ti", "first": "første", "time": "",
    "graduated": "færdiguddannede uddannet", "graduates": "færdiguddannede", "graduate": "færdiguddannede",
    "cover": "omfatter dækker", "covers": "omfatter dækker", "covered": "omfattet dækket", "aim": "ambition mål",
    "aims": "ambition mål", "biggest": "største", "largest": "største", "problem": "problem", "problems": "problemer",
    "strengths": "styrkepositioner erhvervsstyrker styrker", "register": "registrere registrerer",
    "registered": "registrerer registreret", "record": "registrere", "offers": "udbyder udbydes",
    "denmark": "denmark danmark danmarks", "revised": "revision revideres genbesøges",
    "revise": "revision revideres", "revision": "revision", "reviewed": "revision evaluering genbesøges", "danish": "danske dansk",
    "runs": "drift driften ansvarlig", "run": "drift driften", "manages": "drift ansvarlig", "long": "", "last": "gælder løbetid", "lasts": "gælder løbetid", "duty": "pligt tavshedspligt",
    "extra": "ekstra", "additional": "ekstra", "informal": "uformelle", "settings": "sammenhænge", "dinners": "middage", "dinner": "middage",
    "trips": "studieture", "conferences": "konferencer", "welfare": "velfærd velfærdsuddannelserne",
    "educations": "uddannelser", "nationally": "landsplan", "national": "nationale landsplan",
    "buy": "indkøb købe", "bought": "indkøb", "purchases": "indkøb", "sector": "sektor",
    "speech": "tale", "opening": "åbning", "headquarters": "hovedkontor", "head": "hoved",
    "pilot": "pilotprojekter", "projects": "projekter", "project": "projekt", "owns": "ejet ejer ejerkredsen",
    "own": "ejer", "owner": "ejer", "owners": "ejerkredsen ejer", "partner": "partnere",
    "screened": "screeninger", "screening": "screeninger", "smes": "smv'er", "sme": "smv'er",
    "created": "oprettes oprettet etableret",
    "employees": "medarbejdere", "phone": "telefon", "telephone": "telefon", "number": "nummer",
    "email": "mail", "e-mail": "mail", "address": "adresse", "cooperation": "samarbejde", "collaboration": "samarbejde",
}

# Multi-word English terms first, so "passenger council" becomes one Danish compound, not two loose words.
EN_PHRASES: dict[str, str] = {
    "business houses": "erhvervshuse", "business house": "erhvervshus", "business hubs": "erhvervshuse",
    "business hub": "erhvervshus", "passenger councils": "passagerråd", "passenger council": "passagerråd",
    "covenant of mayors": "borgmesterpagt", "social media": "sociale medier", "follow-up groups": "følgegrupper",
    "follow-up group": "følgegruppe", "result contract": "resultatkontrakt", "results contract": "resultatkontrakt",
    "performance contract": "resultatkontrakt", "framework agreement": "rammeaftale",
    "free municipality": "frikommune", "free-municipality": "frikommune", "climate ambition": "klimaambition",
    "knowledge package": "videnspakke", "data controller": "dataansvarlig", "municipal council": "kommunalbestyrelse",
    "local council": "kommunalbestyrelse", "city council": "byråd", "working environment act": "arbejdsmiljøloven",
    "green transition": "grøn omstilling", "circular economy": "cirkulær økonomi", "study places": "studiepladser",
    "north jutland": "nordjylland", "northern jutland": "nordjylland", "limfjord council": "limfjordsrådet",
    "covid-19": "covid", "objective financing": "objektiv finansiering", "basic grant": "basisbevilling",
    "meeting rooms": "mødelokaler", "notice period": "opsigelse varsel", "early warning": "early warning",
    "stone reefs": "stenrev", "fjord gardens": "fjordhaver", "cycle paths": "cykelstier", "bike paths": "cykelstier",
    "rehabilitation teams": "rehabiliteringsteams", "contact courses": "kontaktforløb", "phone number": "telefon",
    "e-mail address": "mail", "email address": "mail", "run out": "udløber", "paid for": "betale",
    "business strengths": "erhvervsstyrker", "followed up": "opfølgning", "follow up on": "opfølgning",
    "fossil free": "fossilfri", "emission free": "emissionsfri", "bus traffic": "busser", "green cars": "grønne biler",
    "political parties": "partier", "set up": "etablere lave", "focus points": "fokuspunkter", "hand over": "tilbyde videre drift",
    "government proposal": "regeringsudspil", "growth segment": "vækstsegmentet", "operations segment": "driftssegmentet", "have to": "forpligtet", "has to": "forpligtet", "obliged to": "forpligtet", "mail group": "mailgruppe",
    "local politicians": "kommunalpolitikere", "local politician": "kommunalpolitiker",
    "interest groups": "interesseorganisationer", "opening speech": "åbningstale", "public sector": "offentlige",
    "welfare educations": "velfærdsuddannelserne", "sustainability leaders": "bæredygtighedsledere", "district council": "kommunalbestyrelse",
}
# Danish phrases whose words alone are everyday words ("gå til" = turn to).
DA_PHRASES: dict[str, str] = {
    "gå til": "henvende", "går til": "henvende", "gå hen": "henvende", "går hen": "henvende",
    "sige fra": "sige fra", "stå sammen": "stå sammen",
}
# Danish spelling variants and abbreviations the bundle writes differently.
DA_SYNONYMS: dict[str, str] = {
    "kilometer": "km", "kilometre": "km", "hektar": "ha", "procent": "pct", "millioner": "mio", "million": "mio",
    "milliarder": "mia", "milliard": "mia", "kroner": "kr", "oprettet": "etableret", "oprettede": "etableret",
    "telefonnummer": "telefon", "tlf": "telefon", "email": "mail", "e-mail": "mail", "mailadresse": "mail",
    "reducere": "reduktion", "reduceres": "reduktion", "reduceret": "reduktion", "nedbringe": "reduktion",
    "cvr-nummer": "cvr", "cvr-nummeret": "cvr", "cvr-nr": "cvr", "eu-kommissionen": "europakommissionen", "eu-kommissionens": "europakommissionen",
    "udløber": "udløb", "penge": "kr", "pengene": "kr", "beløb": "kr", "beløbet": "kr", "formanden": "formand", "forpersonen": "forperson",
}

QUESTION_WORDS = frozenset(
    "hvad hvem hvilke hvilken hvilket hvor hvordan hvornår hvorfor hvorvidt kan er må skal skulle har "
    "findes gælder what who whom which where when how why can could is are does do did was were has have "
    "should may must".split())


def fold(text: str) -> str:
    return text.casefold().replace("´", "'").replace("’", "'")


def tokens(text: str) -> list[str]:
    """Lower-case word and number tokens; a possessive "'s" (EU's, Passagerpulsen's) is dropped."""
    return [t[:-2] if t.endswith("'s") else t for t in _TOKEN.findall(fold(text))]


def _digits(token: str) -> str:
    return re.sub(r"[.,]", "", token)


@dataclass
class Analyzer:
    """Turns text into weighted stems; knows the corpus vocabulary for compound splitting."""

    words: set[str] = field(default_factory=set)  # surface words of the corpus
    stems: set[str] = field(default_factory=set)
    _cache: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _sorted: list[str] | None = None  # the stems in order, for completions

    def learn(self, texts: Iterable[str]) -> None:
        for text in texts:
            for token in _TOKEN.findall(fold(text)):
                if token[0].isalpha() and token not in STOP_DA:
                    self.words.add(token)
                    self.stems.add(stem(token))
        self._sorted = None

    def terms(self, text: str, english: bool = False) -> list[Term]:
        """One entry per content word of a query: its alternative stems and its compound parts."""
        out: list[Term] = []
        folded = fold(text)
        for phrase, danish in (EN_PHRASES.items() if english else DA_PHRASES.items()):
            if phrase in folded:
                folded = re.sub(rf"\b{re.escape(phrase)}\b", " " + danish + " ", folded)
        text = folded
        for token in tokens(text):
            if token[0].isdigit():
                out.append(Term((_digits(token),)))
                continue
            synonym = DA_SYNONYMS.get(token)
            if synonym is not None:
                out.append(Term(tuple(dict.fromkeys([self.expand(synonym)[0], self.expand(token)[0]]))))
                continue
            if english and token in STOP_EN:
                continue
            mapped = EN_DA.get(token) if english else None
            if english and mapped is None and token.endswith("s") and token[:-1] in EN_DA:
                mapped = EN_DA[token[:-1]]
            if mapped is not None:
                words = [w for w in mapped.split() if w not in STOP_DA]  # "must" -> "skal" says nothing
                if words:
                    alts = [self.expand(w) for w in words]
                    out.append(Term(tuple(dict.fromkeys(a[0] for a in alts)), alts[0][1:], english=True))
                continue
            if token in STOP_DA:
                continue
            stems = self.expand(token)
            alts = stems[:1] + (() if english else self.completions(stems[0]))
            out.append(Term(alts, stems[1:], english=english and stems[0] not in self.stems))
        return out

    def completions(self, word_stem: str) -> tuple[str, ...]:
        """Corpus stems that extend a stem the corpus lacks ("screen" -> "screening"): Danish derivations
        the stemmer leaves apart. At most three, shortest first."""
        if word_stem in self.stems or len(word_stem) < 5 or not word_stem.isalpha():
            return ()
        if self._sorted is None:
            self._sorted = sorted(self.stems)
        at = bisect_left(self._sorted, word_stem)
        found = []
        while at < len(self._sorted) and self._sorted[at].startswith(word_stem) and len(found) < 20:
            found.append(self._sorted[at])
            at += 1
        return tuple(sorted(found, key=len)[:3])

    def document_terms(self, text: str) -> list[str]:
        """All stems of a document, compound parts included, for indexing."""
        out: list[str] = []
        for token in tokens(text):
            if token[0].isdigit():
                out.append(_digits(token))
            elif token not in STOP_DA:
                out.extend(self.expand(token))
        return out

    def expand(self, token: str) -> tuple[str, ...]:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        parts = [stem(p) for p in token.split("-") if p] if "-" in token else []
        main = stem(token.replace("-", ""))
        found = tuple(dict.fromkeys([main, *parts, *self.split_compound(token.replace("-", ""))]))
        self._cache[token] = found
        return found

    def split_compound(self, word: str) -> list[str]:
        if len(word) < 8:
            return []
        for i in range(len(word) - 4, 3, -1):  # longest known head first
            head, tail = word[:i], word[i:]
            if head not in self.words:
                continue
            for rest in (tail, tail[1:] if tail[:1] in "se" else None):
                if rest and len(rest) >= 4 and stem(rest) in self.stems:
                    return [stem(head), stem(rest)]
        return []


@dataclass(frozen=True)
class Term:
    """A query word: any of ``alts`` matches it fully; all of ``parts`` (a compound's pieces) partly."""

    alts: tuple[str, ...]
    parts: tuple[str, ...] = ()
    english: bool = False  # an English word with no Danish counterpart known: weighs little when missing


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _STEM_DA.stemWord(word)


def is_english(lang: str) -> bool:
    return lang == "en"


@dataclass
class Hit:
    index: int
    score: float
    coverage: float  # idf-weighted share of the query's words found in the document
    matched: frozenset[str]


class BM25:
    """Okapi BM25 over documents given as lists of stems; also reports query coverage per document."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avg = (sum(self.len) / len(docs)) if docs else 1.0
        df: Counter[str] = Counter()
        for counts in self.tf:
            df.update(counts.keys())
        n = len(docs)
        self.n = n
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        self.norm = [k1 * (1 - b + b * length / self.avg) for length in self.len]
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, counts in enumerate(self.tf):
            for t, f in counts.items():
                self.postings.setdefault(t, []).append((i, f))

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.max_idf)

    def weight_of(self, term: Term) -> float:
        """A query word's weight in the coverage: its idf, but at least a third of the rarest word's, so a
        word common in this index (erhvervshus among the facts) still has to be matched."""
        known = [self.idf[t] for t in (*term.alts, *term.parts) if t in self.idf]
        if known:
            return max(max(known), self.max_idf / 3)
        return 2.0 if term.english else self.max_idf  # unknown Danish words mark a question off the map

    def search(self, query: list[Term], limit: int = 10) -> list[Hit]:
        """Term at a time over the postings: only documents sharing a word with the query are touched."""
        if not query:
            return []
        weights = [self.weight_of(t) for t in query]
        total = sum(weights) or 1.0
        score: dict[int, float] = {}
        covered: dict[int, float] = {}
        matched: dict[int, set[str]] = {}
        k1 = self.k1
        for term, weight in zip(query, weights, strict=False):
            best: dict[int, tuple[float, str]] = {}
            for t in term.alts:
                idf = self.weight(t)
                for i, f in self.postings.get(t, ()):
                    gain = idf * f * (k1 + 1) / (f + self.norm[i])
                    if i not in best or gain > best[i][0]:
                        best[i] = (gain, t)
            for i, (gain, t) in best.items():
                score[i] = score.get(i, 0.0) + gain
                covered[i] = covered.get(i, 0.0) + weight
                matched.setdefault(i, set()).add(t)
            if not term.parts:
                continue
            found: dict[int, list[str]] = {}
            for t in term.parts:  # a compound matched through its parts counts a little less
                for i, _ in self.postings.get(t, ()):
                    if i not in best:
                        found.setdefault(i, []).append(t)
            for i, parts in found.items():
                for t in parts:
                    f = self.tf[i][t]
                    score[i] = score.get(i, 0.0) + 0.5 * self.weight(t) * f * (k1 + 1) / (f + self.norm[i])
                covered[i] = covered.get(i, 0.0) + 0.8 * weight * len(parts) / len(term.parts)
                matched.setdefault(i, set()).update(parts)
        top = sorted(score, key=score.__getitem__, reverse=True)[:limit]
        return [Hit(i, score[i], covered[i] / total, frozenset(matched[i])) for i in top]
