# ruff: noqa: INP001
"""Draw nut_ups' brand images into custom_components/nut_ups/brand/, the same bytes every run.

    scripts/run python scripts/brand.py [--out DIR]

Home Assistant 2026.3+ serves a custom integration's own ``brand/`` folder at
``/api/brands/integration/<domain>/<image>``. The mark is original: a green battery with a white
mains plug in it (power kept when the mains fails). Every shape is drawn with Pillow at 4x and
scaled down (anti-aliasing without fonts or other inputs), so the images follow from this file
and the Pillow version alone.

Files, per the home-assistant/brands image rules (PNG, transparent, trimmed, optimised):

- ``icon.png`` 256x256 and ``icon@2x.png`` 512x512: the mark alone. Its green body carries the
  white plug, so it reads on light and dark backgrounds alike: no ``dark_icon``.
- ``logo.png`` 128 px high and ``logo@2x.png`` 256 px high (landscape): the mark and the
  wordmark "NUT UPS". "NUT" is dark slate, which vanishes on a dark background, so
  ``dark_logo.png`` and ``dark_logo@2x.png`` draw it light.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
import math
from pathlib import Path

from PIL import Image, ImageDraw

REPO_ROOT = Path(__file__).resolve().parent.parent
BRAND_DIR = REPO_ROOT / "custom_components" / "nut_ups" / "brand"

SUPERSAMPLE = 4
"""Shapes are drawn this many times larger, then scaled down with Lanczos (anti-aliasing)."""

GREEN = (34, 150, 84, 255)
"""The mark and "UPS": contrast 3.8:1 on white and 5.0:1 on #111111 (WCAG asks 3:1)."""
WHITE = (255, 255, 255, 255)
SLATE = (28, 43, 51, 255)
""""NUT" on light backgrounds."""
MIST = (236, 241, 244, 255)
"""\"NUT" on dark backgrounds (the dark_* logos)."""

type Point = tuple[float, float]
type Color = tuple[int, int, int, int]

# -- the mark ----------------------------------------------------------------------------------
# In icon units: the icon is 256 x 256. The battery stands upright and spans the full height;
# its sides are MARK_LEFT and MARK_RIGHT.
MARK_LEFT, MARK_RIGHT = 46.0, 210.0


def draw_mark(draw: ImageDraw.ImageDraw, scale: float, dx: float = 0.0) -> None:
    """Draw the battery with the plug; icon unit ``u`` lands at pixel ``dx + u * scale``."""

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (dx + x0 * scale, y0 * scale, dx + x1 * scale, y1 * scale)

    # Terminal, then the body over its lower edge.
    draw.rounded_rectangle(box(94, 0, 162, 40), radius=10 * scale, fill=GREEN)
    draw.rounded_rectangle(box(MARK_LEFT, 22, MARK_RIGHT, 256), radius=34 * scale, fill=GREEN)
    # The plug: two prongs, the head, a tapered neck and the cord.
    draw.rounded_rectangle(box(99, 66, 115, 116), radius=6 * scale, fill=WHITE)
    draw.rounded_rectangle(box(141, 66, 157, 116), radius=6 * scale, fill=WHITE)
    draw.rounded_rectangle(box(80, 106, 176, 166), radius=18 * scale, fill=WHITE)
    draw.polygon(
        [
            (dx + 100 * scale, 160 * scale),
            (dx + 156 * scale, 160 * scale),
            (dx + 140 * scale, 192 * scale),
            (dx + 116 * scale, 192 * scale),
        ],
        fill=WHITE,
    )
    draw.rounded_rectangle(box(118, 184, 138, 226), radius=10 * scale, fill=WHITE)


# -- the wordmark ------------------------------------------------------------------------------
# Glyphs are stroke centre lines in cap-height units (0 = top, 1 = baseline), drawn with round
# caps and joins: a geometric sans of our own, so no font file is needed.
STROKE = 0.17
TRACKING = 0.22
"""Gap between the stroke edges of neighbouring letters."""
SPACE = 0.45


class Glyph:
    """Polylines and arcs of one letter; ``width`` is the centre lines' extent."""

    def __init__(
        self,
        width: float,
        lines: Sequence[Sequence[Point]] = (),
        arcs: Sequence[tuple[Point, float, float, float]] = (),
    ) -> None:
        """``arcs`` are (centre, radius, start, end), degrees clockwise from 3 o'clock."""
        self.width = width
        self.lines = lines
        self.arcs = arcs


GLYPHS: dict[str, Glyph] = {
    "N": Glyph(0.62, lines=[[(0, 1), (0, 0), (0.62, 1), (0.62, 0)]]),
    "U": Glyph(
        0.62,
        lines=[[(0, 0), (0, 0.69)], [(0.62, 0.69), (0.62, 0)]],
        arcs=[((0.31, 0.69), 0.31, 0, 180)],
    ),
    "T": Glyph(0.64, lines=[[(0, 0), (0.64, 0)], [(0.32, 0), (0.32, 1)]]),
    "P": Glyph(
        0.59,
        lines=[[(0, 1), (0, 0), (0.32, 0)], [(0.32, 0.54), (0, 0.54)]],
        arcs=[((0.32, 0.27), 0.27, -90, 90)],
    ),
    "S": Glyph(
        0.56,
        arcs=[((0.28, 0.25), 0.25, 90, 330), ((0.28, 0.75), 0.25, -90, 150)],
    ),
}


def text_width(text: str) -> float:
    """Width of ``text`` from the left stroke edge of its first letter to the right one of its last."""
    width = 0.0
    for word_index, word in enumerate(text.split(" ")):
        if word_index:
            width += SPACE
        for index, char in enumerate(word):
            width += (TRACKING if index else 0.0) + GLYPHS[char].width + STROKE
    return width


def draw_text(
    draw: ImageDraw.ImageDraw, runs: Iterable[tuple[str, Color]], x: float, top: float, cap: float
) -> None:
    """Draw ``runs`` of (text, colour) from ``x`` (left stroke edge), cap height ``cap`` px."""
    half = STROKE * cap / 2
    first = True
    for text, color in runs:
        for char in text:
            if char == " ":
                x += SPACE * cap
                first = True
                continue
            if not first:
                x += TRACKING * cap
            first = False
            glyph = GLYPHS[char]
            left = x + half

            def at(point: Point, left: float = left) -> Point:
                return (left + point[0] * cap, top + point[1] * cap)

            def dot(point: Point, color: Color = color) -> None:
                draw.ellipse(
                    (point[0] - half, point[1] - half, point[0] + half, point[1] + half),
                    fill=color,
                )

            for line in glyph.lines:
                points = [at(point) for point in line]
                draw.line(points, fill=color, width=round(2 * half))
                for point in points:
                    dot(point)
            for centre, radius, start, end in glyph.arcs:
                cx, cy = at(centre)
                outer = radius * cap + half
                draw.arc(
                    (cx - outer, cy - outer, cx + outer, cy + outer),
                    start,
                    end,
                    fill=color,
                    width=round(2 * half),
                )
                for angle in (start, end):
                    rad = math.radians(angle)
                    dot((cx + radius * cap * math.cos(rad), cy + radius * cap * math.sin(rad)))
            x += (glyph.width + STROKE) * cap


# -- the images --------------------------------------------------------------------------------
LOGO_CAP = 0.5
"""Cap height of the wordmark, as a share of the logo's height."""
LOGO_GAP = 0.17
"""Space between the mark and the wordmark, as a share of the logo's height."""
WORDMARK: tuple[tuple[str, bool], ...] = (("NUT ", False), ("UPS", True))
"""The wordmark's runs; True: in the mark's green."""


def finish(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale the supersampled drawing down; fully transparent pixels become (0, 0, 0, 0)."""
    small = image.resize(size, Image.Resampling.LANCZOS)
    opaque = small.getchannel("A").point(lambda alpha: 255 if alpha else 0)
    return Image.composite(small, Image.new("RGBA", size, (0, 0, 0, 0)), opaque)


def icon(size: int) -> Image.Image:
    """Draw the mark on a transparent ``size`` x ``size`` square, spanning its full height."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw_mark(ImageDraw.Draw(image), big / 256)
    return finish(image, (size, size))


def logo_width(height: int) -> int:
    """Width of the trimmed logo ``height`` px high (the @2x logo is exactly twice the 1x one)."""
    mark = (MARK_RIGHT - MARK_LEFT) / 256
    return math.ceil(height * (mark + LOGO_GAP + LOGO_CAP * text_width("NUT UPS")))


def logo(height: int, *, dark: bool) -> Image.Image:
    """Draw the mark and the wordmark, trimmed: the mark touches the left, top and bottom edges."""
    big = height * SUPERSAMPLE
    width = logo_width(height) * SUPERSAMPLE
    image = Image.new("RGBA", (width, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    scale = big / 256
    draw_mark(draw, scale, dx=-MARK_LEFT * scale)
    cap = LOGO_CAP * big
    text_left = (MARK_RIGHT - MARK_LEFT) * scale + LOGO_GAP * big
    # The right stroke edge of the last letter ends at text_left + text_width * cap; the image
    # is at most one 1x pixel wider (logo_width rounds up), which trim() removes.
    runs = [(text, GREEN if green else MIST if dark else SLATE) for text, green in WORDMARK]
    draw_text(draw, runs, text_left, (big - cap) / 2, cap)
    return trim(finish(image, (width // SUPERSAMPLE, height)))


def trim(image: Image.Image) -> Image.Image:
    """Crop fully transparent columns and rows from the edges (home-assistant/brands rule)."""
    bbox = image.getchannel("A").getbbox()
    assert bbox is not None, "empty image"
    return image.crop(bbox)


def images() -> dict[str, Image.Image]:
    """Every brand image, by file name."""
    return {
        "icon.png": icon(256),
        "icon@2x.png": icon(512),
        "logo.png": logo(128, dark=False),
        "logo@2x.png": logo(256, dark=False),
        "dark_logo.png": logo(128, dark=True),
        "dark_logo@2x.png": logo(256, dark=True),
    }


def save(image: Image.Image, path: Path) -> None:
    """Write an optimised RGBA PNG with no metadata (no time stamps, so the bytes repeat)."""
    image.save(path, format="PNG", optimize=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Write every image into ``--out`` (default: the integration's brand folder)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=BRAND_DIR, help="folder to write into")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, image in images().items():
        save(image, out / name)


if __name__ == "__main__":
    main()
