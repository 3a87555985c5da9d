"""Number formatting and parsing in Danish and English conventions."""
from __future__ import annotations

from decimal import Decimal


def fmt_number(value: float | int | Decimal, lang: str = "da", decimals: int | None = None) -> str:
    """1862 -> '1.862' (da) / '1,862' (en); decimals default to the value's own (max 2)."""
    d = Decimal(str(value))
    if decimals is None:
        decimals = 0 if d == d.to_integral_value() else min(2, max(0, -d.normalize().as_tuple().exponent))  # type: ignore[operator]
    text = f"{d:,.{decimals}f}"  # '1,862.50'
    if lang == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def parse_danish_number(text: str) -> Decimal:
    """'1.862' -> 1862, '17,037' -> 17.037, '-135' -> -135."""
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "").replace("\u00a0", "")
    cleaned = cleaned.replace(".", "").replace(",", ".")
    return Decimal(cleaned)
