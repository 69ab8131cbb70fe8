"""Look at HTML reports as a person would: headless Chromium screenshots and blank-image checks.

Import it as ``from _browser import ...`` (pytest puts tests/ on sys.path: tests/ has no __init__.py).

Functions
---------
``find_chromium() -> str | None``
    Path of Debian's Chromium (``/usr/bin/chromium``, else ``chromium`` / ``chromium-browser`` on
    ``PATH``), or ``None`` when it is not installed (``make test`` installs it; see the Makefile).
``require_chromium() -> str``
    ``find_chromium()`` for a test: skips when Chromium is missing, but fails under CI (``CI`` set).
``screenshot(html: Path, png: Path, *, width=1280, height=2000, timeout=60.0) -> Path``
    Render a local HTML file in headless Chromium with a fresh profile and no network chatter, and
    write a PNG of the first ``width`` x ``height`` pixels. Raises ``RuntimeError`` (with
    Chromium's stderr) when the browser fails or writes no image, ``subprocess.TimeoutExpired``
    when it takes longer than ``timeout`` seconds.
``image_stats(png: bytes | Path) -> ImageStats``
    Decode a PNG (bytes or file): its size, distinct colours, share of non-background pixels
    (``ink``; background = the most frequent colour) and share of clearly coloured, non-grey
    pixels (``chroma``).
``assert_not_blank(png, *, min_colours=8, min_ink=0.005, min_chroma=0.0, what="image") -> ImageStats``
    Fail (``AssertionError`` naming ``what``) when a PNG cannot be decoded or is essentially
    empty: fewer than ``min_colours`` distinct colours, less than ``min_ink`` of its pixels
    differing from the background, or less than ``min_chroma`` coloured pixels. An empty
    matplotlib axes still has a grey frame, tick labels and hundreds of anti-aliased colours,
    so to catch an empty plot ask for ``min_chroma`` (e.g. 0.002): data marks are coloured.
``embedded_pngs(html: str) -> list[bytes]``
    The decoded bytes of every ``<img src="data:image/png;base64,...">`` in a page.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in CI, where the sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

_IMG_PNG = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']data:image/png;base64,([^"']+)["']""", re.I)


@dataclass(frozen=True)
class ImageStats:
    width: int
    height: int
    colours: int
    ink: float  # share of pixels that differ from the most frequent colour
    chroma: float  # share of clearly coloured (non-grey) pixels: data marks, not frames and text


def find_chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Chromium's path. Without it a developer's run skips the page checks, but CI fails:
    ``make test`` installs Chromium, so its absence there is a broken set-up, not a choice."""
    found = find_chromium()
    if found is not None:
        return found
    message = "Debian's chromium is not installed (make test installs it: apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def screenshot(
    html: Path, png: Path, *, width: int = 1280, height: int = 2000, timeout: float = 60.0
) -> Path:
    browser = find_chromium()
    if browser is None:
        raise RuntimeError("chromium must be installed (apt-get install chromium); got none on PATH")
    html = Path(html).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"html must be an existing file; got {html}")
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    # A fresh profile per shot: no state shared between tests or with a person's browser.
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [
            browser,
            *_CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            html.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0 or not png.is_file() or png.stat().st_size == 0:
        raise RuntimeError(
            f"chromium must write a screenshot of {html.name}; got exit {proc.returncode}, "
            f"stderr: {proc.stderr[-2000:]}"
        )
    return png


def _decode(png: bytes | Path) -> np.ndarray:
    data = Path(png).read_bytes() if isinstance(png, Path) else png
    with Image.open(io.BytesIO(data)) as img:
        if img.format != "PNG":
            raise ValueError(f"image must be a PNG; got {img.format}")
        return np.asarray(img.convert("RGB"))


def image_stats(png: bytes | Path) -> ImageStats:
    rgb = _decode(png)
    h, w, _ = rgb.shape
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    values, counts = np.unique(packed.ravel(), return_counts=True)
    ink = 1.0 - counts.max() / packed.size
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2).astype(np.int16)
    chroma = float((spread > 40).mean())
    return ImageStats(width=w, height=h, colours=int(values.size), ink=float(ink), chroma=chroma)


def assert_not_blank(
    png: bytes | Path,
    *,
    min_colours: int = 8,
    min_ink: float = 0.005,
    min_chroma: float = 0.0,
    what: str = "image",
) -> ImageStats:
    try:
        stats = image_stats(png)
    except (OSError, ValueError) as exc:
        raise AssertionError(f"{what} must be a decodable PNG; got {exc!r}") from exc
    assert stats.colours >= min_colours, (
        f"{what} must show at least {min_colours} distinct colours; got {stats.colours} ({stats})"
    )
    assert stats.ink >= min_ink, (
        f"{what} must have at least {min_ink:.1%} non-background pixels; got {stats.ink:.2%}"
    )
    assert stats.chroma >= min_chroma, (
        f"{what} must have at least {min_chroma:.2%} coloured (non-grey) pixels; got {stats.chroma:.3%}"
    )
    return stats


def embedded_pngs(html: str) -> list[bytes]:
    out = []
    for i, b64 in enumerate(_IMG_PNG.findall(html)):
        try:
            out.append(base64.b64decode(re.sub(r"\s+", "", b64), validate=True))
        except binascii.Error as exc:
            raise AssertionError(f"embedded image {i} must be valid base64; got {exc}") from exc
    return out


def assert_chinese_draws(page: str, texts: tuple[str, str], tmp_path: Path) -> None:
    """Chinese glyphs, not boxes: two different Chinese texts of ``page``, drawn large with the
    page's own style, must differ on screen (a missing font draws every character as the same
    empty box, so the two would be the same picture)."""
    style = re.search(r"<style>(.*?)</style>", page, flags=re.S)
    drawn = []
    for i, text in enumerate(texts):
        assert text in page, text
        probe = tmp_path / f"glyphs{i}.html"
        probe.write_text(f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
                         f'{style.group(1) if style else ""}</style></head><body><h1><span class="zh" '
                         f'lang="zh-CN" style="font-size:64px">{text}</span></h1></body></html>', encoding="utf-8")
        png = screenshot(probe, tmp_path / f"glyphs{i}.png", width=900, height=200)
        assert_not_blank(png, min_colours=2, min_ink=0.002, what=f"Chinese title {text}")
        drawn.append(_decode(png))
    assert (drawn[0] != drawn[1]).mean() > 0.002, f"{texts[0]!r} and {texts[1]!r} must draw as different glyphs"
