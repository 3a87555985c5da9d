"""Which language the user writes in: the words first, the client's locale as the tie-breaker."""
from __future__ import annotations

import re

_WORD = re.compile(r"[a-zæøåéü]+")
EN = frozenset(
    "the what who which how is are does do did was were much many of to in for and or my i you "
    "pay pays paid much budget share year contact chair can could please help about with from "
    "whom whose when where why there their this that it an be have has year years olds children "
    "municipality municipalities rate case cases total set aside pool agreement expire salaries council "
    "board phone number commit committed growth decline lost since young residents start many new item "
    "items agenda next meeting report want should would like show list me tell give".split()
)
DA = frozenset(
    "hvad hvem hvilke hvilken hvor hvordan er og til på af for med jeg du mig min mine skal kan "
    "betaler andel kommune kommunes om ikke det den der har fra i hvornår hjælp tak nej ja "
    "mange meget budget budgettet næste møde dagsorden antal årige børn unge boede kommuner mest mindst "
    "steg faldt regner sager takst bidrager befolkning alderen ifølge forpligtet besluttede ligger "
    "indkalder møder kontakte blev vil gerne hvorfor hvis eller også nyt nye punkt punkter mit vis "
    "indberette indberetning anmeld sexisme".split()
)


def detect_language(text: str, locale: str | None = None) -> str:
    """'da' or 'en'."""
    lowered = text.casefold()
    words = _WORD.findall(lowered)
    en = sum(w in EN for w in words)
    da = sum(w in DA for w in words)
    if en > da:
        return "en"
    if da > en:
        return "da"
    # A tie: Danish letters hint Danish, but names like "Børnehus" occur in English questions too.
    if any(ch in lowered for ch in "æøå") and not (locale or "").lower().startswith("en"):
        return "da"
    return "en" if (locale or "").lower().startswith("en") else "da"
