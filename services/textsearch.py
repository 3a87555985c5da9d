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
from typing import NamedTuple

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
    "evaluation": "evaluering", "evaluated": "evalueret", "employment": "beskæftigelse", "unemployed": "ledige", "unemployment": "ledighed",
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
    "overview": "overblik", "summary": "overblik", "summarise": "overblik", "summarize": "overblik",
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
    "pedagogue education": "pædagoguddannelsen", "pedagogue training": "pædagoguddannelsen",
    "social agreement": "socialaftale", "health secretariat": "sundhedssekretariat",
    "proximity reform": "nærhedsreform", "climate strategy": "klimastrategi", "local politics": "kommunalpolitik",
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


_UNSEEN = object()
_TOKENS_KEPT = 20_000  # query tokens whose term an analyzer remembers, per language
_EXPANSIONS_KEPT = 200_000  # tokens whose stems an analyzer remembers (the corpus's words come first)


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
    # query token -> its term (None: a stop word), for Danish (False) and English (True) questions
    _terms: dict[bool, dict[str, Term | None]] = field(default_factory=lambda: {False: {}, True: {}})
    _indexed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # document token -> its stems

    def learn(self, texts: Iterable[str]) -> None:
        for text in texts:
            for token in _TOKEN.findall(fold(text)):
                if token[0].isalpha() and token not in STOP_DA:
                    self.words.add(token)
                    self.stems.add(stem(token))
        self._sorted = None
        self._cache.clear()  # compounds split by the vocabulary, which has grown
        self._indexed.clear()
        for known in self._terms.values():
            known.clear()

    def terms(self, text: str, english: bool = False) -> list[Term]:
        """One entry per content word of a query: its alternative stems and its compound parts."""
        folded = fold(text)
        for phrase, danish in (EN_PHRASES.items() if english else DA_PHRASES.items()):
            if phrase in folded:
                folded = re.sub(rf"\b{re.escape(phrase)}\b", " " + danish + " ", folded)
        out: list[Term] = []
        known = self._terms[english]
        for token in _TOKEN.findall(fold(folded)):  # as tokens(folded), remembering each token's term
            term = known.get(token, _UNSEEN)
            if term is _UNSEEN:
                if len(known) >= _TOKENS_KEPT:
                    known.clear()
                term = known[token] = self._term(token[:-2] if token.endswith("'s") else token, english)
            if term is not None:
                out.append(term)  # type: ignore[arg-type]
        return out

    def _term(self, token: str, english: bool) -> Term | None:
        """A query token's term; None for a stop word. Depends on the token alone (and the vocabulary)."""
        if token[0].isdigit():
            return Term((_digits(token),))
        synonym = DA_SYNONYMS.get(token)
        if synonym is not None:
            return Term(tuple(dict.fromkeys([self.expand(synonym)[0], self.expand(token)[0]])))
        if english and token in STOP_EN:
            return None
        mapped = EN_DA.get(token) if english else None
        if english and mapped is None and token.endswith("s") and token[:-1] in EN_DA:
            mapped = EN_DA[token[:-1]]
        if mapped is not None:
            words = [w for w in mapped.split() if w not in STOP_DA]  # "must" -> "skal" says nothing
            if words:
                alts = [self.expand(w) for w in words]
                return Term(tuple(dict.fromkeys(a[0] for a in alts)), alts[0][1:], english=True)
            return None
        if token in STOP_DA:
            return None
        stems = self.expand(token)
        alts = stems[:1] + (() if english else self.completions(stems[0]))
        return Term(alts, stems[1:], english=english and stems[0] not in self.stems)

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
        known = self._indexed
        for token in _TOKEN.findall(fold(text)):  # as tokens(text), remembering each token's stems
            stems = known.get(token)
            if stems is None:
                if len(known) >= _EXPANSIONS_KEPT:
                    known.clear()
                stems = known[token] = self._document_stems(token[:-2] if token.endswith("'s") else token)
            out += stems
        return out

    def _document_stems(self, token: str) -> tuple[str, ...]:
        if token[0].isdigit():
            return (_digits(token),)
        return () if token in STOP_DA else self.expand(token)

    def expand(self, token: str) -> tuple[str, ...]:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        parts = [stem(p) for p in token.split("-") if p] if "-" in token else []
        main = stem(token.replace("-", ""))
        found = tuple(dict.fromkeys([main, *parts, *self.split_compound(token.replace("-", ""))]))
        if len(self._cache) >= _EXPANSIONS_KEPT:  # questions bring new words without end
            self._cache.clear()
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


class Term(NamedTuple):
    """A query word: any of ``alts`` matches it fully; all of ``parts`` (a compound's pieces) partly.
    (A named tuple: searches key their memo on the query's terms, and a tuple hashes in C.)"""

    alts: tuple[str, ...]
    parts: tuple[str, ...] = ()
    english: bool = False  # an English word with no Danish counterpart known: weighs little when missing


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    out = _STEM_DA.stemWord(word)
    # Snowball strips "-ig" after "-heden": "ledigheden", "ledige" would meet "ledere" as "led"
    if out.endswith("led") and word[len(out) - 3:len(out) + 2] == "ledig":
        out += "ig"
    return out


def is_english(lang: str) -> bool:
    return lang == "en"


class Hit:
    """A document found by a search: its score, the idf-weighted share of the query's words it has
    (``coverage``) and the stems that matched. The last two are worked out when first read."""

    __slots__ = ("_coverage", "_matched", "_ranking", "index", "score")

    def __init__(self, index: int, score: float, ranking: Ranking) -> None:
        self.index, self.score, self._ranking = index, score, ranking

    @property
    def coverage(self) -> float:
        try:
            return self._coverage
        except AttributeError:
            self._coverage, self._matched = self._ranking.measure(self.index)
            return self._coverage

    @property
    def matched(self) -> frozenset[str]:
        try:
            return self._matched
        except AttributeError:
            self._coverage, self._matched = self._ranking.measure(self.index)
            return self._matched

    def __repr__(self) -> str:
        return (f"Hit(index={self.index}, score={self.score}, coverage={self.coverage}, "
                f"matched={set(self.matched)})")


_KEPT = 4096  # query words whose weight and contribution an index remembers (bounded against new words)
_SHORT = 40  # a query word in more documents than this is common: a ``Ranking`` reads it best first
_PARTIAL = 1e-9  # a bound must beat a score by this much (relative): sums in another order round differently


class _Contribution:
    """What one query word adds to the score of each document that has it."""

    __slots__ = ("adds", "ranked", "size", "touch")

    def __init__(self, adds: dict[int, float | tuple[float, ...]], touch: dict[int, int] | None) -> None:
        # document -> its gain, or the gains of the word's compound parts (added one by one), in the order a
        # search touches the documents
        self.adds = adds
        self.touch = touch  # document -> its place in that order; None: the documents ascending
        self.size = len(adds)
        self.ranked: list[tuple[float, int]] | None = None  # (most it adds, document), largest first

    def by_gain(self) -> list[tuple[float, int]]:
        if self.ranked is None:
            self.ranked = sorted(((v if v.__class__ is float else sum(v), i)  # type: ignore[arg-type]
                                  for i, v in self.adds.items()), reverse=True)
        return self.ranked

    def place(self, doc: int) -> int:
        return doc if self.touch is None else self.touch[doc]


class BM25:
    """Okapi BM25 over documents given as lists of stems; also reports query coverage per document.

    Each posting carries its document's BM25 gain, computed once when the index is built (with exactly
    the arithmetic of the textbook formula), so a search only adds numbers up; the coverage and the
    matched words are worked out afterwards for the few documents a caller reads them of. A search for
    a few best documents reads the postings best gain first and stops once no unread document can catch
    up (``Ranking``).
    """

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
        # term -> [(document, gain)], documents ascending; gain = idf * f * (k1 + 1) / (f + norm)
        self.gains: dict[str, list[tuple[int, float]]] = {}
        idf, norm = self.idf, self.norm
        for i, counts in enumerate(self.tf):
            for t, f in counts.items():
                self.gains.setdefault(t, []).append((i, idf[t] * f * (k1 + 1) / (f + norm[i])))
        self._about: dict[Term, tuple[float, bool]] = {}  # query word -> (weight_of, knows)
        self._contributions: dict[Term, _Contribution] = {}

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.max_idf)

    def weight_of(self, term: Term) -> float:
        """A query word's weight in the coverage: its idf, but at least a third of the rarest word's, so a
        word common in this index (erhvervshus among the facts) still has to be matched."""
        about = self._about.get(term)
        return (about or self._learn(term))[0]

    def knows(self, term: Term) -> bool:
        """Whether the index has any of a query word's stems (alternatives or parts)."""
        about = self._about.get(term)
        return (about or self._learn(term))[1]

    def _learn(self, term: Term) -> tuple[float, bool]:
        known = [self.idf[t] for t in (*term.alts, *term.parts) if t in self.idf]
        if known:
            weight = max(max(known), self.max_idf / 3)
        else:
            weight = 2.0 if term.english else self.max_idf  # unknown Danish words mark a question off the map
        if len(self._about) >= _KEPT:
            self._about.clear()
        about = self._about[term] = (weight, bool(known))
        return about

    def _contribution(self, term: Term) -> _Contribution:
        found = self._contributions.get(term)
        if found is not None:
            return found
        alts, gains = term.alts, self.gains
        if len(alts) == 1:
            adds: dict[int, float | tuple[float, ...]] = dict(gains.get(alts[0], ()))
        else:  # a document counts the best of the word's alternatives (the first, of equals)
            adds = {}
            for t in alts:
                for i, gain in gains.get(t, ()):
                    if gain > adds.get(i, -1.0):  # type: ignore[operator]
                        adds[i] = gain
        if term.parts:  # a compound matched through its parts (and not whole) counts a little less
            parts: dict[int, list[float]] = {}
            k1, norm, tf = self.k1, self.norm, self.tf
            for t in term.parts:
                weight = self.weight(t)
                for i, _ in gains.get(t, ()):
                    if i not in adds:
                        f = tf[i][t]
                        parts.setdefault(i, []).append(0.5 * weight * f * (k1 + 1) / (f + norm[i]))
            for i, part_gains in parts.items():
                adds[i] = tuple(part_gains)
        touch = None if len(alts) == 1 and not term.parts else {i: n for n, i in enumerate(adds)}
        if len(self._contributions) >= _KEPT:
            self._contributions.clear()
        found = self._contributions[term] = _Contribution(adds, touch)
        return found

    def scores(self, query: Sequence[Term], acc: list[float] | None = None,
               touched: list[int] | None = None) -> tuple[list[float], list[int]]:
        """The BM25 score of every document (0.0: shares no word with the query), and the documents that
        share one, in the order the search first touched them (ties rank in that order). Given the
        ``acc`` and ``touched`` of a query's first words, adds the rest to them (in place)."""
        if acc is None or touched is None:
            acc, touched = [0.0] * self.n, []
        new = touched.append
        for term in query:  # every gain is > 0, so a document scoring 0.0 has not been touched yet
            word = self._contribution(term)
            if word.touch is None:  # one stem, no parts: plain gains
                for i, gain in word.adds.items():
                    was = acc[i]
                    if not was:
                        new(i)
                    acc[i] = was + gain  # type: ignore[operator]
                continue
            for i, gain in word.adds.items():
                was = acc[i]
                if not was:
                    new(i)
                if gain.__class__ is tuple:
                    for part in gain:  # type: ignore[union-attr]
                        was += part
                    acc[i] = was
                else:
                    acc[i] = was + gain  # type: ignore[operator]
        return acc, touched

    def measure(self, plan: list[tuple[str | None, float, Term]], total: float,
                index: int) -> tuple[float, frozenset[str]]:
        """A document's coverage of a query (the share of the query's weight that it has: ``plan`` gives
        each word's weight, ``weight_of``, and ``total`` their sum) and the stems that matched."""
        tf = self.tf[index]
        covered = 0.0
        matched: list[str] = []
        for alt, weight, term in plan:
            if alt is not None:  # one stem
                if alt in tf:
                    covered += weight
                    matched.append(alt)
                    continue
            else:
                present = [t for t in term.alts if t in tf]
                if present:
                    covered += weight
                    if len(present) > 1:  # the first alternative with the best gain, as the search counted
                        norm, idf, k1, best, most = self.norm[index], self.idf, self.k1, present[0], 0.0
                        for t in present:
                            f = tf[t]
                            gain = idf[t] * f * (k1 + 1) / (f + norm)
                            if gain > most:
                                best, most = t, gain
                        matched.append(best)
                    else:
                        matched.append(present[0])
                    continue
            if term.parts:
                parts = [t for t in term.parts if t in tf]
                if parts:
                    covered += 0.8 * weight * len(parts) / len(term.parts)
                    matched.extend(parts)
        return covered / total, frozenset(matched)

    def ranking(self, query: Sequence[Term], base: Ranking | None = None) -> Ranking:
        """``query`` ranked; with ``base``, the ranking of the query's first words, only the rest is added."""
        return Ranking(self, query, base)

    def search(self, query: list[Term], limit: int = 10) -> list[Hit]:
        """The ``limit`` documents scoring best, best first; of equal scores, the first touched first."""
        if not query:
            return []
        return Ranking(self, query).top(limit)


def _add_scores(words: list[_Contribution], docs: set[int], scores: dict[int, float], rare: bool) -> None:
    """The scores of ``docs`` into ``scores``, each added up word by word as ``BM25.scores`` adds it.
    ``rare``: ``docs`` are all the documents of the query's rarer words (short postings); else they
    have none of those words."""
    if not docs:
        return
    for i in docs:
        scores[i] = 0.0
    for word in words:
        adds = word.adds
        if word.size <= _SHORT:
            if not rare:
                continue
            found: Iterable[tuple[int, float | tuple[float, ...]]] = adds.items()
        elif word.size <= len(docs):
            found = [(i, gain) for i, gain in adds.items() if i in docs]
        elif word.touch is None:  # plain gains, of a word in more documents than asked for
            get = adds.get
            for i in docs:
                gain = get(i)
                if gain is not None:
                    scores[i] += gain  # type: ignore[operator]
            continue
        else:
            found = [(i, adds[i]) for i in docs if i in adds]
        if word.touch is None:  # plain gains
            for i, gain in found:
                scores[i] += gain  # type: ignore[operator]
            continue
        for i, gain in found:
            if gain.__class__ is tuple:
                for part in gain:  # type: ignore[union-attr]
                    scores[i] += part
            else:
                scores[i] += gain  # type: ignore[operator]


def _plan(query: Sequence[Term], weights: Sequence[float]) -> list[tuple[str | None, float, Term]]:
    """Each query word with its weight, and its stem when it has just one."""
    return [(term.alts[0] if len(term.alts) == 1 else None, weight, term)
            for term, weight in zip(query, weights, strict=False)]


def _first_touch(words: list[_Contribution], doc: int) -> tuple[int, int]:
    for k, word in enumerate(words):
        if doc in word.adds:
            return k, word.place(doc)
    return len(words), doc


class Ranking:
    """One query ranked over one index, only as far as the callers ask, and never twice.

    The documents of the query's rarer words (short postings) are scored in full first; the common
    words' documents are then read largest gain first (Fagin's threshold algorithm), only as deep as a
    question needs: a document not met yet scores at most the sum of each common word's next unread
    gain (``ceiling``), so once the ``limit``-th best score met beats it, the best ``limit`` are known.
    When reading that way would cost about as much as adding every posting up, every posting is added
    up (``BM25.scores``). Either way the scores, and the order (equal scores: the document the full
    search touches first, first), are exactly those of the full search.
    """

    __slots__ = ("_acc", "_best", "_ceiling", "_common", "_made", "_order", "_plan", "_postings", "_query",
                 "_read", "_seen", "_total", "_touched", "_words", "base", "index")

    def __init__(self, index: BM25, query: Sequence[Term], base: Ranking | None = None) -> None:
        self.index = index
        self.base = base if base is not None and base.index is index and len(base._query) <= len(query) and (
            tuple(query[:len(base._query)]) == tuple(base._query)) else None
        self._query = query
        self._acc: list[float] | None = None  # every document's score, once every posting is added up
        self._touched: list[int] = []
        self._order: list[int] | None = None  # every document sharing a word with the query, ranked
        self._best: list[int] = []  # the best documents, ranked, as far as known
        self._words: list[_Contribution] | None = None  # for reading best first; [] when that does not pay
        self._common: list[_Contribution] = []
        self._seen: dict[int, float] = {}  # documents met, with their scores
        self._postings = 0
        self._read = 0  # how far the common words' lists are read
        self._ceiling = 0.0  # the most a document not met can score; 0.0: every document is met
        self._plan: list[tuple[str | None, float, Term]] | None = None  # for measuring coverage
        self._total = 1.0
        self._made: dict[int, Hit] = {}

    # --- reading best first
    def _begin(self) -> bool:
        """Score the rarer words' documents; False when reading best first does not pay."""
        if self._words is None:
            self._words = []
            if self._acc is not None:
                return False
            words = [self.index._contribution(term) for term in self._query]
            postings = short = 0
            for word in words:
                postings += word.size
                if word.size <= _SHORT:
                    short += word.size
            if not postings or short * len(words) > postings:
                return False  # rather add every posting up
            self._words, self._postings = words, postings
            met: set[int] = set()
            for word in words:
                if word.size > _SHORT:
                    self._common.append(word)
                else:
                    met.update(word.adds)
            _add_scores(words, met, self._seen, True)
            self._ceiling = self._ceiling_now()
        return bool(self._words)

    def _ceiling_now(self) -> float:
        ceiling, read = 0.0, self._read
        for word in self._common:
            if read < word.size:
                ceiling += word.by_gain()[read][0]
        return ceiling

    def _deeper(self) -> bool:
        """Read the common words' lists further; False when that no longer pays."""
        words, seen = self._words, self._seen
        assert words
        if len(seen) * len(words) * 2 > self._postings:
            self._words = []  # no cheaper than adding every posting up
            return False
        read, upto = self._read, max(8, 2 * self._read)
        met = set()
        for word in self._common:
            for _, i in word.by_gain()[read:upto]:
                if i not in seen:
                    met.add(i)
        _add_scores(words, met, seen, False)
        self._read = upto
        self._ceiling = self._ceiling_now()
        return True

    def _ranked(self, stop: int) -> list[int]:
        """The documents met, ranked; ties resolved as the full search has them up to place ``stop``."""
        seen, words = self._seen, self._words
        assert words
        order = sorted(seen, key=seen.__getitem__, reverse=True)
        j, stop = 0, min(stop, len(order))
        while j < stop:
            end = j + 1
            while end < len(order) and seen[order[end]] == seen[order[j]]:
                end += 1
            if end - j > 1:
                order[j:end] = sorted(order[j:end], key=lambda i: _first_touch(words, i))
            j = end
        return order

    def _find_best(self, limit: int) -> None:
        """Read best first until the best ``limit`` are known, or give up on it."""
        if self._order is not None or len(self._best) >= limit or not self._begin():
            return
        seen = self._seen
        while True:
            if not self._ceiling:  # every document is met
                self._order = self._best = self._ranked(len(seen))
                return
            if len(seen) >= limit and (sorted(seen.values(), reverse=True)[limit - 1]
                                       > self._ceiling * (1 + _PARTIAL)):
                self._best = self._ranked(limit)[:limit]  # the limit-th best met beats any document not met
                return
            if not self._deeper():
                return

    # --- adding every posting up
    def _rank_all(self) -> list[float]:
        if self._acc is None:
            base = self.base
            if base is not None:
                acc = base._rank_all()
                self._acc, self._touched = self.index.scores(self._query[len(base._query):], list(acc),
                                                             list(base._touched))
            else:
                self._acc, self._touched = self.index.scores(self._query)
        return self._acc

    def order(self) -> list[int]:
        """Every document sharing a word with the query, by descending score; of equal scores, the first
        touched first."""
        if self._order is None:
            acc = self._rank_all()
            self._order = sorted(self._touched, key=acc.__getitem__, reverse=True)
        return self._order

    # --- what callers ask
    def top(self, limit: int) -> list[Hit]:
        """The best ``limit`` hits: ``BM25.search(query, limit)``."""
        self._find_best(limit)
        best = self._best if len(self._best) >= limit else self.order()
        return [self._hit(i) for i in best[:limit]]

    def within(self, doc: int, limit: int) -> Hit | None:
        """The hit of ``doc`` if it is among the best ``limit``, else None (as ``top(limit)`` has it)."""
        if self._order is None and len(self._best) < limit:
            if self._begin():
                found = self._place(doc, limit)
                if found is not None:
                    return self._hit(doc) if found else None
            acc = self._rank_all()
            if len(self._touched) <= limit:  # all of them
                return self._hit(doc) if acc[doc] else None
        best = self._best if len(self._best) >= limit else self.order()
        return self._hit(doc) if doc in best[:limit] else None

    def _place(self, doc: int, limit: int) -> bool | None:
        """Whether ``doc`` ranks among the best ``limit``, read best first; None: rank everything."""
        words, seen = self._words, self._seen
        assert words
        score = seen.get(doc)
        if score is None:
            if not any(doc in word.adds for word in words):
                return False  # no word of the query: not ranked at all
            found: dict[int, float] = {}
            _add_scores(words, {doc}, found, False)  # met already if a rarer word had it
            score = found[doc]
        while self._ceiling and not self._ceiling * (1 + _PARTIAL) < score:
            if not self._deeper():
                return None
        # every document scoring as much as ``doc`` (``doc`` too) is met: count those ranked before it
        above = 0
        ties = []
        for i, value in seen.items():
            if value > score:
                above += 1
            elif value == score:
                ties.append(i)
        if above >= limit:
            return False
        if len(ties) > 1:
            mine = _first_touch(words, doc)
            above += sum(1 for i in ties if _first_touch(words, i) < mine)
        return above < limit

    def _hit(self, doc: int) -> Hit:
        hit = self._made.get(doc)
        if hit is None:
            score = self._acc[doc] if self._acc is not None else self._seen[doc]
            hit = self._made[doc] = Hit(doc, score, self)
        return hit

    def measure(self, doc: int) -> tuple[float, frozenset[str]]:
        """``doc``'s coverage of the query and the stems that matched (``BM25.measure``)."""
        if self._plan is None:
            weights = [self.index.weight_of(t) for t in self._query]
            self._plan, self._total = _plan(self._query, weights), sum(weights) or 1.0
        return self.index.measure(self._plan, self._total, doc)
