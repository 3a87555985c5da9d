"""The app's two Teams icons, drawn in pure Python: a 192x192 colour icon and a 32x32 white outline.

The PNG files beside this module are what ships; `python -m bot.teams_app.icons` redraws them.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLOR_FILE = HERE / "color.png"
OUTLINE_FILE = HERE / "outline.png"
ACCENT = (0x1B, 0x4F, 0x72)  # the manifest's accentColor, #1B4F72
WHITE = (255, 255, 255)

Shape = Callable[[float, float], bool]

# 5x7 glyphs for the letters on the colour icon.
GLYPHS = {
    "K": ["X...X", "X..X.", "X.X..", "XX...", "X.X..", "X..X.", "X...X"],
    "R": ["XXXX.", "X...X", "X...X", "XXXX.", "X.X..", "X..X.", "X...X"],
}


def png(width: int, height: int, rgba: list[tuple[int, int, int, int]]) -> bytes:
    """Encode RGBA pixels (row by row) as a PNG file."""
    rows = b"".join(b"\x00" + b"".join(bytes(p) for p in rgba[y * width:(y + 1) * width]) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def png_info(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) of a PNG file; raises ValueError for anything else."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height, _depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return width, height, colour_type


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        cx = min(max(x, x0 + r), x1 - r)
        cy = min(max(y, y0 + r), y1 - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    return inside


def _triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        s1, s2, s3 = side(a, b, x, y), side(b, c, x, y), side(c, a, x, y)
        return (s1 >= 0 and s2 >= 0 and s3 >= 0) or (s1 <= 0 and s2 <= 0 and s3 <= 0)
    return inside


def _bubble(size: float, inset: float) -> Shape:
    """A speech bubble filling a square of `size`, shrunk by `inset` on every side."""
    s = size
    body = _rounded_rect(0.12 * s + inset, 0.16 * s + inset, 0.88 * s - inset, 0.70 * s - inset, 0.12 * s - inset)
    tail = _triangle((0.28 * s + inset, 0.66 * s), (0.28 * s + inset, 0.86 * s - inset * 1.8), (0.50 * s - inset, 0.66 * s))
    return lambda x, y: body(x, y) or tail(x, y)


def _text(text: str, x0: float, y0: float, cell: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        col, row = int((x - x0) // cell), int((y - y0) // cell)
        if row < 0 or row >= 7 or col < 0:
            return False
        letter, within = divmod(col, 6)
        if letter >= len(text) or within == 5:
            return False
        return GLYPHS[text[letter]][row][within] == "X"
    return inside


def _render(size: int, layers: list[tuple[Shape, tuple[int, int, int]]], background: tuple[int, int, int] | None,
            samples: int = 4) -> bytes:
    """Rasterise shapes, later layers on top, with `samples`x`samples` supersampling for smooth edges."""
    pixels = []
    step = 1.0 / samples
    for py in range(size):
        for px in range(size):
            r = g = b = a = 0.0
            for sy in range(samples):
                for sx in range(samples):
                    x, y = px + (sx + 0.5) * step, py + (sy + 0.5) * step
                    colour = background
                    for shape, fill in layers:
                        if shape(x, y):
                            colour = fill
                    if colour is not None:
                        r, g, b, a = r + colour[0], g + colour[1], b + colour[2], a + 1
            n = samples * samples
            if a:
                pixels.append((round(r / a), round(g / a), round(b / a), round(255 * a / n)))
            else:
                pixels.append((0, 0, 0, 0))
    return png(size, size, pixels)


def color_icon() -> bytes:
    """192x192, full colour: a white speech bubble saying KKR on the accent blue."""
    s = 192
    cell = 5.0
    text_w = (3 * 6 - 1) * cell
    return _render(s, [(_bubble(s, 0), WHITE), (_text("KKR", (s - text_w) / 2, 0.43 * s - 3.5 * cell, cell), ACCENT)],
                   background=ACCENT)


def outline_icon() -> bytes:
    """32x32, transparent with a white outline of the same speech bubble."""
    s = 32
    outer, inner = _bubble(s, 0), _bubble(s, 2.2)
    return _render(s, [(lambda x, y: outer(x, y) and not inner(x, y), WHITE)], background=None)


def write_icons() -> None:
    COLOR_FILE.write_bytes(color_icon())
    OUTLINE_FILE.write_bytes(outline_icon())


if __name__ == "__main__":
    write_icons()
