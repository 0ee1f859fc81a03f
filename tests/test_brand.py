"""The shipped brand images (custom_components/nut_ups/brand/) and the script that draws them.

Home Assistant 2026.3+ serves these files at /api/brands/integration/nut_ups/<image> (local files
win over the brands CDN); HACS' brands check looks for brand/icon.png. The rules checked here are
home-assistant/brands' image specification (README "Image specification"): PNG, transparent,
trimmed, optimised; icon 256x256 and 512x512; logo shortest side 128-256 px (256-512 for @2x),
landscape preferred.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import struct
import subprocess
import sys

from PIL import Image
import pytest

from tests.support.upsd import REPO_ROOT

BRAND = REPO_ROOT / "custom_components" / "nut_ups" / "brand"
SCRIPT = REPO_ROOT / "scripts" / "brand.py"

ICONS = {"icon.png": 256, "icon@2x.png": 512}
LOGOS = {"logo.png": 128, "logo@2x.png": 256, "dark_logo.png": 128, "dark_logo@2x.png": 256}
"""Logo heights: the wordmark's landscape logo, trimmed to the mark's full height."""

LIGHT_BACKGROUND = (255, 255, 255)
DARK_BACKGROUND = (17, 17, 17)
"""Close to Home Assistant's dark theme card background."""


def _open(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, payload) of every PNG chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        yield kind, data[offset + 8 : offset + 8 + length]
        offset += 12 + length


def test_the_folder_holds_exactly_the_images() -> None:
    """No dark_icon: the icon's green body and white plug read on dark backgrounds as they are
    (test_edges_read_on_their_backgrounds); the logo's dark "NUT" does not, hence dark_logo."""
    assert {path.name for path in BRAND.iterdir()} == set(ICONS) | set(LOGOS)


@pytest.mark.parametrize("name", [*ICONS, *LOGOS])
def test_png_rgba_without_metadata(name: str) -> None:
    """8-bit RGBA (transparency, sRGB by default), no text, time or colour-profile chunks."""
    data = (BRAND / name).read_bytes()
    chunks = list(_chunks(data))
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert set(kinds) <= {b"IHDR", b"IDAT", b"IEND"}, kinds
    _, _, depth, color_type, _, _, _ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color_type) == (8, 6), "not 8-bit RGBA"
    assert _open(BRAND / name).mode == "RGBA"


@pytest.mark.parametrize(("name", "size"), ICONS.items())
def test_icon_is_square_and_trimmed(name: str, size: int) -> None:
    image = _open(BRAND / name)
    assert image.size == (size, size)
    bbox = image.getchannel("A").getbbox()
    assert bbox is not None
    left, top, right, bottom = bbox
    assert (top, bottom) == (0, size), "the mark does not span the full height"
    assert abs(left - (size - right)) <= 1, "the mark is not centred"
    assert image.getpixel((0, 0)) == (0, 0, 0, 0), "corners are not transparent"


@pytest.mark.parametrize(("name", "height"), LOGOS.items())
def test_logo_is_landscape_and_trimmed(name: str, height: int) -> None:
    image = _open(BRAND / name)
    width, actual = image.size
    assert actual == height, "logo height: 128 px (256 px for @2x), the brands rule's maximum"
    assert width > 2 * height, "logo is not landscape"
    assert image.getchannel("A").getbbox() == (0, 0, width, height), "logo is not trimmed"
    corner = image.getpixel((width - 1, 0))
    assert isinstance(corner, tuple) and corner[3] == 0, "no transparent background"


@pytest.mark.parametrize("name", ["logo.png", "dark_logo.png"])
def test_hidpi_logo_is_twice_the_size(name: str) -> None:
    small = _open(BRAND / name)
    large = _open(BRAND / name.replace(".png", "@2x.png"))
    assert large.height == 2 * small.height
    assert abs(large.width - 2 * small.width) <= 2


def _luminance(rgb: tuple[int, ...]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one: tuple[int, ...], two: tuple[int, ...]) -> float:
    high, low = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _edge_colours(image: Image.Image) -> set[tuple[int, ...]]:
    """Colours of the opaque pixels next to transparent ones: what meets the background."""
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    edges: set[tuple[int, ...]] = set()
    for y in range(1, height - 1):
        for x in range(1, width - 1):
            pixel = pixels[x, y]
            assert isinstance(pixel, tuple)
            if pixel[3] < 255:
                continue
            for nx, ny in ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)):
                neighbour = pixels[nx, ny]
                assert isinstance(neighbour, tuple)
                if neighbour[3] < 64:
                    edges.add(pixel[:3])
                    break
    return edges


@pytest.mark.parametrize(
    ("name", "background"),
    [
        ("icon.png", LIGHT_BACKGROUND),
        ("icon.png", DARK_BACKGROUND),  # no dark_icon: the frontend falls back to icon.png
        ("logo.png", LIGHT_BACKGROUND),
        ("dark_logo.png", DARK_BACKGROUND),
    ],
)
def test_edges_read_on_their_backgrounds(name: str, background: tuple[int, int, int]) -> None:
    """Every colour that meets the background contrasts with it at least 3:1 (WCAG, graphics)."""
    edges = _edge_colours(_open(BRAND / name))
    assert edges
    weak = {colour for colour in edges if _contrast(colour, background) < 3}
    assert not weak, f"{name}: {sorted(weak)} fade into {background}"


def test_light_logo_would_not_read_on_dark() -> None:
    """Why dark_logo exists: the light logo's "NUT" fades into a dark background."""
    edges = _edge_colours(_open(BRAND / "logo.png"))
    assert any(_contrast(colour, DARK_BACKGROUND) < 3 for colour in edges)


def test_script_regenerates_the_shipped_images(tmp_path: Path) -> None:
    """scripts/brand.py draws the same pixels, and the shipped files are as small as its output.

    Pixels, not bytes: the compressed bytes depend on the zlib build Pillow links, not on us.
    """
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, timeout=120)
    assert {path.name for path in tmp_path.iterdir()} == {path.name for path in BRAND.iterdir()}
    for fresh in sorted(tmp_path.iterdir()):
        shipped = BRAND / fresh.name
        new, old = _open(fresh), _open(shipped)
        assert (new.mode, new.size) == (old.mode, old.size), fresh.name
        assert new.tobytes() == old.tobytes(), f"{fresh.name} differs: run scripts/brand.py"
        assert shipped.stat().st_size <= fresh.stat().st_size * 1.02, f"{fresh.name} not optimised"
