"""Build the citable passages (knowledge/passages/*.yaml) from the meeting bundle: python -m knowledge.build.

Each document section of the bundle is cleaned of its PDF-extraction quirks (words hyphenated or broken
across lines, split ligatures such as "af tale") and cut into short passages of whole paragraphs, each
with its section title and the 1-based line range it came from. ``spans`` maps character offsets of the
cleaned text back to bundle lines ("offset:line ..."), so a quoted sentence can be cited with its own lines.
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

log = logging.getLogger("knowledge.build")

ROOT = Path(__file__).resolve().parent
DEFAULT_BUNDLE = ROOT.parent.parent / "shared" / "documents" / "000_6eb6d353ed8cd2b8.txt"
DEFAULT_OUT = ROOT / "passages"

# (file id, section title as cited, first line, last line). The bundle's headings sometimes come after
# the attachment they belong to (the Erhvervshus resultatkontrakt before "3.4", the Børnehus Nord budget
# sheet before "3.8"), so the titles here carry the heading of the item each attachment belongs to.
SECTIONS: list[tuple[str, str, int, int]] = [
    ("a1_brev_beskaeftigelsesminister", "Brev til beskæftigelsesminister Peter Hummelgaard (Frikommuneforsøg II)", 1, 228),
    ("a2_brev_indenrigsminister_krag", "Brev til social- og indenrigsminister Astrid Krag (Frikommuneforsøg II)", 229, 375),
    ("a3_brev_beskaeftigelsesudvalget", "Brev til Folketingets Beskæftigelsesudvalg (Frikommuneforsøg II, foretræde)", 376, 612),
    ("a4_brev_statsminister", "Brev til statsminister Mette Frederiksen (Nærhedsreform / Frikommuneforsøg II)", 613, 803),
    ("a5_brev_indenrigsminister_dybvad", "Brev til bolig- og indenrigsminister Kaare Dybvad (Frikommuneforsøg II)", 804, 969),
    ("b_limfjordsraadet_masterplan", "3.2 Limfjordsrådet – Masterplan \"Limfjorden i balance\"", 970, 1545),
    ("c1_klimaambition", "3.3 Fælles klimastrategi – Den Fælles Nordjyske Klimaambition", 1546, 2356),
    ("c2_klima_videnspakke", "3.3 Fælles klimastrategi – Videnspakke (bilag)", 2357, 4016),
    ("d1_resultatkontrakt_erhvervshus", "3.4 Resultatkontrakt 2021 mellem KKR Nordjylland og Erhvervshus Nordjylland", 4017, 5328),
    ("d2_resultatkontrakt_bilag", "3.4 Resultatkontrakt 2021 – bilag (samarbejdsaftale 2020-2023, tillæg, programmer)", 5329, 5947),
    ("d3_aftale_rammer_erhvervshuse", "3.4 Aftale om rammerne for erhvervshuse 2021-2023 (Erhvervsministeriet og KL)", 5948, 7663),
    ("e_paedagogdimensionering", "3.5 Pædagogdimensionering 2021-2022", 7664, 8110),
    ("f_faelleskommunale_sekretariater", "3.7 De fælleskommunale sekretariater – regnskab 2020 og budget 2021", 8111, 8235),
    ("g1_boernehus_nord_budget", "3.8 Børnehus Nord – budget 2021 (budgetark)", 8236, 8292),
    ("g2_boernehus_nord_takster", "3.8 Børnehus Nord – budget og takster for 2021", 8293, 8336),
    ("h_passagerraad_aftale", "Aftale med KKR om samarbejde om Passagerråd i Regionerne (Passagerpulsen)", 8337, 8627),
    ("i_sexisme_kommunalpolitik", "2 Sexisme i kommunalpolitik – forebyggelse og håndtering (KL)", 8628, 8845),
]

TARGET_CHARS = 420  # a passage aims at a few sentences
MAX_CHARS = 750
_WORD = re.compile(r"[A-Za-zÆØÅæøåÉéÜü]+")
_LINK = re.compile(r"^\s*\d*(mailto:|https?://)")  # link lines (footnoted) carry no text worth quoting
_LABEL = re.compile(r"^\s*(Tematikker|Forankring|Perspektiver)\s*$")  # the Videnspakke's layout labels
_KEEP_HYPHEN_BEFORE = {"og", "eller", "samt", "til", "som", "and", "or"}


@dataclass
class Line:
    no: int
    text: str


@dataclass
class Passage:
    id: str
    section: str
    title: str
    lines: tuple[int, int]
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, bundle line)


def interior_vocabulary(raw: list[str]) -> Counter[str]:
    """Words seen inside lines (not first or last on a line): the fragments of broken words rarely are.
    Words re-joined across a hyphenated line break count too ("kommune-" + "grænser")."""
    vocab: Counter[str] = Counter()
    previous: list[str] = []
    for line in raw:
        words = _WORD.findall(line)
        for word in words[1:-1]:
            vocab[word.lower()] += 1
        if words and previous and line.lstrip()[:1].islower():
            vocab[(previous[-1] + words[0]).lower()] += 1
        if line.strip():
            previous = words if line.rstrip().endswith("-") else []
    return vocab


def fix_ligatures(text: str, vocab: Counter[str]) -> str:
    """'af tale' -> 'aftale', 'f ilial' -> 'filial' when the joined word is a word of the bundle."""

    def join(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        joined = (left + right).lower()
        if vocab[joined]:
            return left + right
        return match.group(0)

    return re.sub(r"\b([A-Za-zÆØÅæøå]*f) ([a-zæøå]+)(?=\d|\b)", join, text)


def join_lines(lines: list[Line], vocab: Counter[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join a paragraph's lines into one text, undoing hyphenation and column breaks."""
    text = ""
    spans: list[tuple[int, int]] = []
    for line in lines:
        piece = fix_ligatures(re.sub(r"[ \t\u00a0]+", " ", line.text).strip(), vocab)  # ligatures: within a line
        piece = re.sub(r"^Tematikker(?=[A-ZÆØÅ])", "", piece)  # a layout label glued to the text after it
        if not piece:
            continue
        if text:
            last = _WORD.findall(text[-40:])
            first = _WORD.findall(piece[:40])
            if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and piece[0].islower() \
                    and (not first or first[0].lower() not in _KEEP_HYPHEN_BEFORE):
                text = text[:-1]  # "be-" + "skæftigelse"
            elif text.endswith("-") and len(text) > 1 and (text[-2].isdigit() or piece[0].isupper()):
                pass  # "CO2-" + "udledning", "Ben-" + "Yedidia": keep the hyphen, no space
            elif last and first and text[-1].isalpha() and piece[0].islower() and _is_broken(last[-1], first[0], vocab):
                pass  # a word broken without a hyphen in narrow columns: "kom" + "munegrænser"
            else:
                text += " "
        spans.append((len(text), line.no))
        text += piece
    return text, spans


def _is_broken(left: str, right: str, vocab: Counter[str]) -> bool:
    joined = (left + right).lower()
    return bool(vocab[joined]) and (not vocab[left.lower()] or not vocab[right.lower()])


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Split at gaps wider than the section's usual line spacing."""
    if not lines:
        return []
    gaps = [b.no - a.no for a, b in zip(lines, lines[1:], strict=False)]
    usual = sorted(gaps)[len(gaps) // 2] if gaps else 1
    out: list[list[Line]] = [[lines[0]]]
    for gap, line in zip(gaps, lines[1:], strict=False):
        if gap > usual:
            out.append([line])
        else:
            out[-1].append(line)
    return out


def _sentence_cuts(text: str) -> list[int]:
    return [m.end() for m in re.finditer(r"[.!?:;](?=\s+[A-ZÆØÅ•\d])", text)]


def split_long(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, list[tuple[int, int]]]]:
    """Cut a long paragraph at sentence ends (or between lines) into pieces of about TARGET_CHARS."""
    if len(text) <= MAX_CHARS:
        return [(text, spans)]
    sentence_cuts = set(_sentence_cuts(text))
    line_cuts = {off for off, _ in spans[1:]}
    pieces: list[tuple[int, int]] = []
    start = 0
    for cut in sorted(sentence_cuts | line_cuts):
        size = cut - start
        # prefer sentence ends; fall back to a line break only when a sentence runs far too long
        if (cut in sentence_cuts and size >= TARGET_CHARS) or (cut not in sentence_cuts and size >= MAX_CHARS - 80):
            pieces.append((start, cut))
            start = cut
    if start < len(text):
        if pieces and len(text) - start < TARGET_CHARS // 3:
            pieces[-1] = (pieces[-1][0], len(text))
        else:
            pieces.append((start, len(text)))
    out = []
    for a, b in pieces:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        sub = [(max(0, off - a - lead), no) for off, no in spans if a <= off < b]
        before = [no for off, no in spans if off < a]
        if not sub or sub[0][0] > 0:
            sub.insert(0, (0, before[-1] if before else spans[0][1]))
        out.append((piece.strip(), sub))
    return out


def build_section(sid: str, title: str, raw: list[str], start: int, end: int,
                  vocab: Counter[str]) -> list[Passage]:
    lines = [Line(no, raw[no - 1]) for no in range(start, min(end, len(raw)) + 1)
             if raw[no - 1].strip() and not _LINK.match(raw[no - 1]) and not _LABEL.match(raw[no - 1])]
    chunks: list[tuple[str, list[tuple[int, int]]]] = []
    for para in paragraphs(lines):
        text, spans = join_lines(para, vocab)
        if not text:
            continue
        chunks.extend(split_long(text, spans))
    merged: list[tuple[str, list[tuple[int, int]]]] = []
    for text, spans in chunks:  # glue headings and short scraps onto the next paragraph
        if merged and len(merged[-1][0]) < 140 and len(merged[-1][0]) + len(text) <= MAX_CHARS:
            prev_text, prev_spans = merged[-1]
            offset = len(prev_text) + 1
            merged[-1] = (prev_text + " " + text, prev_spans + [(o + offset, n) for o, n in spans])
        else:
            merged.append((text, spans))
    passages = []
    for i, (text, spans) in enumerate(merged, 1):
        numbers = [n for _, n in spans]
        passages.append(Passage(f"{sid}#{i}", sid, title, (min(numbers), max(numbers)), text, spans))
    return passages


def build(bundle: Path) -> dict[str, list[Passage]]:
    raw = bundle.read_text(encoding="utf-8").splitlines()
    vocab = interior_vocabulary(raw)
    return {sid: build_section(sid, title, raw, a, b, vocab) for sid, title, a, b in SECTIONS}


def write(sections: dict[str, list[Passage]], out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.yaml"):
        old.unlink()
    count = 0
    for order, (sid, passages) in enumerate(sections.items(), 1):
        doc = {
            "section": sid,
            "title": passages[0].title if passages else sid,
            "passages": [{"id": p.id, "lines": list(p.lines), "text": p.text,
                          "spans": " ".join(f"{off}:{no}" for off, no in p.spans)} for p in passages],
        }
        path = out / f"{order:02d}_{sid}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110,
                                       default_flow_style=None), encoding="utf-8")
        count += len(passages)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build knowledge/passages/*.yaml from the document bundle")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.bundle.is_file():
        log.error("bundle not found: %s", args.bundle)
        return 2
    count = write(build(args.bundle), args.out)
    log.info("wrote %d passages in %d sections to %s", count, len(SECTIONS), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
