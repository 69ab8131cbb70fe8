"""The HTML reports, opened in headless Chromium as a validator would open them.

Each report the project writes (the A card's validation report logged to MLflow, the data-quality
report of ``riskmodels quality check``, the portfolio early-warning report of ``riskmodels monitor
portfolio``, the drift and back-testing report of ``riskmodels monitor drift``, the model document
of ``riskmodels report model``, the strategy lab's report of ``riskmodels policy simulate``) must be one self-contained page that renders: a title, no
reference to any other file or server, every embedded plot a decodable PNG with data drawn on it,
Chinese text in a font that has its glyphs, and a screenshot that is not blank and shows the plots
in colour. Screenshots are left in the test's tmp folder for a person
to look at (``pytest --basetemp=DIR``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _browser import assert_not_blank, embedded_pngs, image_stats, require_chromium, screenshot
from typer.testing import CliRunner

from riskmodels.cli import app
from riskmodels.config import REGISTERED_MODELS, Settings


@pytest.fixture(autouse=True)
def _chromium() -> str:
    return require_chromium()


runner = CliRunner()

# A plot with its data drawn has coloured marks; an empty matplotlib axes has none (tests/_browser.py).
PLOT_MIN_CHROMA = 0.002
WIDTH, HEIGHT = 1280, 6000  # tall enough to reach the plots at the end of the longest report


def _references(page: str) -> list[str]:
    """src/href values that would need another file or a server (offline validators have neither)."""
    found = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", page, flags=re.I)
    return [ref for ref in found if not ref.startswith(("data:", "#"))]


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30, check=False)
    return bool(listed.stdout.strip())


def check_report(html_file: Path, out_png: Path, *, min_plots: int) -> None:
    page = html_file.read_text(encoding="utf-8")
    if re.search(r"[\u4e00-\u9fff]", page):
        # Without one, Chromium draws every Chinese label as an empty box: unreadable to a person.
        assert _has_cjk_font(), "a CJK font must be installed to read the report (apt-get install fonts-wqy-microhei)"
    assert page.lstrip().lower().startswith("<!doctype html>") and page.rstrip().endswith("</html>"), (
        f"{html_file.name} must be a complete HTML page")
    title = re.search(r"<title>([^<]+)</title>", page)
    assert title and title.group(1).strip(), f"{html_file.name} must have a title"
    assert not _references(page), f"{html_file.name} must be self-contained; got {_references(page)[:5]}"
    imgs = len(re.findall(r"<img\b", page, flags=re.I))
    pngs = embedded_pngs(page)
    assert len(pngs) == imgs, f"every <img> in {html_file.name} must embed a PNG; got {len(pngs)} of {imgs}"
    assert len(pngs) >= min_plots, f"{html_file.name} must show at least {min_plots} plots; got {len(pngs)}"
    for i, png in enumerate(pngs):
        assert_not_blank(png, min_colours=20, min_ink=0.01, min_chroma=PLOT_MIN_CHROMA,
                         what=f"plot {i} of {html_file.name}")

    shot = screenshot(html_file, out_png, width=WIDTH, height=HEIGHT)
    # A tall window around a short page is mostly white: ask only for visible text and colour.
    stats = assert_not_blank(shot, min_colours=20, min_ink=0.001, what=f"screenshot of {html_file.name}")
    if pngs:
        # The plots' colour must reach the screen: a page whose images fail to render shows none.
        # A quarter of it is enough: plots below the window's height are not on the screenshot.
        plot_chroma = sum(s.chroma * s.width * s.height for s in map(image_stats, pngs))
        assert stats.chroma * stats.width * stats.height >= 0.25 * plot_chroma, (
            f"the plots of {html_file.name} must be visible in the browser; got {stats}")


@pytest.mark.slow
def test_validation_report_of_the_a_card_renders(trained_store: Settings, tmp_path: Path) -> None:
    import mlflow

    from riskmodels import registry

    champion = registry.describe(REGISTERED_MODELS["application"], registry.CHAMPION)
    assert champion.run_id, "the champion A card must know the run that trained it"
    local = mlflow.artifacts.download_artifacts(
        run_id=champion.run_id, artifact_path="report/validation_report.html", dst_path=str(tmp_path))
    html_file = Path(local)
    page = html_file.read_text(encoding="utf-8")
    # English, then its Chinese in a zh-CN span (a caller's section may carry one language only).
    headings = [re.sub(r"<span.*?</span>", "", h).strip().lower() for h in re.findall(r"<h2>(.*?)</h2>", page)]
    assert re.search(r'<h2>Discrimination <span class="zh" lang="zh-CN">[\u4e00-\u9fff]+</span></h2>', page)
    for heading in ("discrimination", "stability", "calibration", "discrimination plots", "variable selection"):
        assert heading in headings, f"the validation report must have a section {heading!r}; got {headings}"
    # PSI, calibration, bad rate by class, ROC, KS, score distributions (tests/evaluation checks their content).
    check_report(html_file, tmp_path / "validation_report.png", min_plots=5)


def test_quality_report_renders(portfolio_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    # A few broken rows, so the report has failed expectations (with examples) to show first.
    apps = pd.read_parquet(portfolio_dir / "applications.parquet").head(3000)
    apps.loc[apps.index[:3], "owner_age"] = 150
    data = tmp_path / "applications.parquet"
    apps.to_parquet(data)
    result = runner.invoke(app, ["quality", "check", "--table", "applications", "--data", str(data),
                                 "--out", str(tmp_path / "quality")])
    assert result.exit_code == 1, result.output
    html_file = tmp_path / "quality" / "quality_applications.html"
    page = html_file.read_text(encoding="utf-8")
    # Failed expectations come first, with the broken column and its examples.
    assert page.index("owner_age") < page.index("passed checks")
    assert "150" in page
    check_report(html_file, tmp_path / "quality_report.png", min_plots=0)


def test_portfolio_report_renders(portfolio_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "portfolio"
    result = runner.invoke(app, ["monitor", "portfolio", "--data", str(portfolio_dir), "--out", str(out),
                                 "--no-b-card"])
    assert result.exit_code == 0, result.output
    check_report(out / "portfolio_report.html", tmp_path / "portfolio_report.png", min_plots=1)


@pytest.mark.slow
def test_drift_report_renders(trained_store: Settings, portfolio_dir: Path, tmp_path: Path) -> None:
    from riskmodels.synth import generate_portfolio, write_portfolio

    # A small shifted population after the development window: a report with amber/red checks.
    current = tmp_path / "drifted"
    write_portfolio(generate_portfolio(3000, 5, drift=True, start="2025-01", months=6), current)
    out = tmp_path / "drift"
    result = runner.invoke(app, ["monitor", "drift", "--model", f"{REGISTERED_MODELS['application']}@champion",
                                 "--baseline", str(portfolio_dir), "--current", str(current), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # Score PSI, score distributions, PSI by month, CSI bars at least.
    check_report(out / "drift_report.html", tmp_path / "drift_report.png", min_plots=4)


@pytest.mark.slow
def test_strategy_lab_report_renders(trained_store: Settings, portfolio_dir: Path, tmp_path: Path) -> None:
    from _strategy_books import policy_approving_from, write_book_head

    book = write_book_head(portfolio_dir, tmp_path / "book", 1_000)
    stricter = policy_approving_from(85, tmp_path / "stricter.yaml")
    out = tmp_path / "lab"
    result = runner.invoke(app, ["policy", "simulate", "--data", str(book), "--out", str(out),
                                 "--baseline-policy", str(stricter)])
    assert result.exit_code == 0, result.output
    # Funnel, outcome by class, strategy curve, margin, swap set, and the baseline's funnel and classes.
    check_report(out / "strategy_report.html", tmp_path / "strategy_report.png", min_plots=7)


def _page_with(png: bytes) -> str:
    import base64

    src = base64.b64encode(png).decode("ascii")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body>'
            f'<h1>A report</h1>{"<p>Text a validator reads, line after line of it.</p>" * 40}'
            f'<img alt="plot" src="data:image/png;base64,{src}"></body></html>')


def _figure_png(draw: bool) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 4), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set(title="PSI", xlabel="bin", ylabel="share")
    if draw:
        ax.bar(range(10), [0.1] * 10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_the_check_fails_on_an_empty_plot_a_broken_image_or_a_hidden_plot(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(_page_with(_figure_png(draw=True)), encoding="utf-8")
    check_report(page, tmp_path / "ok.png", min_plots=1)  # the control: a drawn plot passes

    page.write_text(_page_with(_figure_png(draw=False)), encoding="utf-8")
    with pytest.raises(AssertionError, match="coloured"):  # axes, title and ticks but no data
        check_report(page, tmp_path / "empty.png", min_plots=1)

    page.write_text(_page_with(_figure_png(draw=True)[:200]), encoding="utf-8")
    with pytest.raises(AssertionError, match="decodable"):
        check_report(page, tmp_path / "broken.png", min_plots=1)

    page.write_text(_page_with(_figure_png(draw=True)).replace('<img alt', '<img style="display:none" alt'),
                    encoding="utf-8")
    with pytest.raises(AssertionError, match="visible in the browser"):
        check_report(page, tmp_path / "hidden.png", min_plots=1)


@pytest.mark.slow
def test_model_document_renders(trained_store: Settings, tmp_path: Path) -> None:
    out = tmp_path / "models"
    result = runner.invoke(app, ["report", "model", "--name", REGISTERED_MODELS["application"],
                                 "--version", "champion", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (html_file,) = out.glob("model_document_*.html")
    # Binning plots of the selected characteristics at least.
    check_report(html_file, tmp_path / "model_document.png", min_plots=3)
