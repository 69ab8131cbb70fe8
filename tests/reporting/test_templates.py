"""The report templates: every one renders a whole page, escapes every value it is given, and
the plotting style draws Chinese titles with a CJK font, changing nothing global."""

from __future__ import annotations

import re

import matplotlib
import pytest

from riskmodels.evaluation import SplitData
from riskmodels.reporting import (
    Badge,
    Bilingual,
    BulletList,
    Details,
    Figure,
    Figures,
    Heading,
    Num,
    Section,
    Table,
    Text,
    render,
    report_templates,
    style,
)

EVIL = "<script>alert(1)</script>"
REPORTS = {"data_quality.html.j2", "estimate_report.html.j2", "model_document.html.j2", "override_report.html.j2",
           "portfolio_report.html.j2", "strategy_report.html.j2", "validation_report.html.j2", "vintage_report.html.j2"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _png() -> bytes:
    with style.plotting():
        fig = style.new_figure()
        fig.add_subplot().plot([0, 1], [1, 0])
        return style.png_bytes(fig)


def test_the_report_templates_ship_with_the_package() -> None:
    assert set(report_templates()) >= REPORTS


@pytest.mark.parametrize("template", sorted(REPORTS))
def test_every_value_is_escaped(template: str) -> None:
    pair = Bilingual(f"中文{EVIL}", f"English{EVIL}")
    sections = [Section(pair, (
        Text(pair), Text(EVIL, note=True), Heading(pair, aside=EVIL),
        Table.of([pair, EVIL], [[EVIL, 1.5, Badge(EVIL, "pass"), Num(EVIL), pair]]),
        Figures((Figure(_png(), EVIL),)), BulletList((EVIL, pair)), Details(pair, (Text(EVIL),))))]
    page = render(template, title=pair, intro=(Text(pair),), sections=sections)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page
    assert page.count("&lt;script&gt;") >= 14  # each value above, escaped where it stands
    # Both languages, the Chinese marked for the CJK font stack of the layout's style.
    assert '<span class="zh" lang="zh-CN">中文&lt;script&gt;' in page and "English&lt;script&gt;" in page
    assert "WenQuanYi Micro Hei" in re.search(r"<style>(.*?)</style>", page, flags=re.S).group(1)


def test_the_plotting_style_draws_chinese_without_changing_global_settings() -> None:
    before = dict(matplotlib.rcParams)
    font = style.cjk_font()
    assert font is not None, "a CJK font must be installed (apt-get install fonts-wqy-microhei)"
    with style.plotting():
        fig = style.new_figure()
        ax = fig.add_subplot()
        ax.set_title(style.title("账龄曲线", "Vintage curves"))
        families = ax.title.get_fontproperties().get_family()
        png = style.png_bytes(fig)
    assert font in families and png.startswith(b"\x89PNG")
    assert dict(matplotlib.rcParams) == before


# -- the reports themselves: every text that comes from the data or the caller is escaped, and
# every section title is in both languages.
def _check_page(page: str, min_escaped: int) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page
    assert page.count("&lt;script&gt;") >= min_escaped
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings
    for heading in headings:
        english = re.sub(r"<span.*?</span>", "", heading)
        assert re.search(r"[A-Za-z]", english) and re.search(
            r'<span class="zh" lang="zh-CN">[^<]*[\u4e00-\u9fff]', heading), heading


def _splits(names: tuple[str, ...]) -> dict[str, SplitData]:
    import numpy as np

    rng = np.random.default_rng(4)
    out: dict[str, SplitData] = {}
    for name in names:
        pd_ = 1 / (1 + np.exp(-(-2.5 + rng.standard_normal(1500))))
        out[name] = SplitData((rng.random(1500) < pd_).astype(int), pd_, 60 - 10 * np.log(pd_ / (1 - pd_)))
    return out


def test_the_validation_report_escapes_its_inputs_and_is_bilingual() -> None:
    import pandas as pd

    from riskmodels.evaluation import evaluate_splits, validation_report

    result = evaluate_splits(_splits(("train", f"oot{EVIL}")))
    page = validation_report(result, title=f"Validation report: m{EVIL}", model_name=EVIL, model_version=EVIL,
                             sections=[(Bilingual(f"表{EVIL}", f"Table{EVIL}"), pd.DataFrame({EVIL: [EVIL]})),
                                       (Bilingual("调用方表格", "Caller's table"), "<table><tr><td>7</td></tr></table>")])
    _check_page(page, 10)
    assert "<title>Validation report: m&lt;script&gt;" in page and "验证报告：m&lt;script&gt;" in page
    assert "<table><tr><td>7</td></tr></table>" in page  # an HTML fragment, trusted as documented
    assert page.count("<img") == 7 and "Discrimination" in page and "区分能力" in page


def test_the_estimate_report_escapes_its_inputs_and_is_bilingual() -> None:
    import numpy as np

    from riskmodels.monitoring.estimation.compare import compare
    from riskmodels.monitoring.estimation.report import estimate_html
    from riskmodels.monitoring.estimation.run import EstimationRun
    from riskmodels.registry.store import RegisteredVersion

    rng = np.random.default_rng(9)
    p = 1 / (1 + np.exp(-(-3 + rng.standard_normal(1200))))
    y = (rng.random(1200) < p).astype(float)
    dates = np.array(["2024-01-31", "2024-02-29"], dtype="datetime64[ns]")[np.arange(1200) % 2]
    run = EstimationRun(RegisteredVersion(f"m{EVIL}", "1", None, (), {}), f"book{EVIL}", f"bad{EVIL}",
                        "booked loans", 1200, compare(p, y, dates, draws=100, seed=1), p, y, dates)
    page = estimate_html(run)
    _check_page(page, 5)
    assert "预估坏账率" in page and "expected bad rate" in page and page.count("<img") == 1


@pytest.mark.parametrize("kind", ["scorecard", "lightgbm"])
def test_the_model_documents_escape_the_runs_texts_and_are_bilingual(kind: str) -> None:
    from _document_evidence import lightgbm_evidence, scorecard_evidence

    from riskmodels.evaluation.model_document import model_document

    evidence = scorecard_evidence(EVIL) if kind == "scorecard" else lightgbm_evidence(EVIL)
    page = model_document(evidence)
    _check_page(page, 6)
    assert f"run{EVIL}".replace("<", "&lt;").replace(">", "&gt;") in page
    assert len(CJK.findall(page)) > 500  # the paragraphs too, not only the titles


# -- the drift report's template (riskmodels.monitoring.drift.report): its own intro line (the
# overall status badge) and footer around the base layout, every value escaped.
def test_the_drift_template_escapes_its_inputs_and_is_bilingual() -> None:
    pair = Bilingual(f"中文{EVIL}", f"English{EVIL}")
    sections = [Section(Bilingual("风险等级", "Risk classes"), (
        Table.of(["check 检查项", "detail 说明"], [[EVIL, pair]]), Details(EVIL, (Text(pair, note=True),))))]
    assert "drift_report.html.j2" in report_templates()
    page = render("drift_report.html.j2", title=pair, intro=(BulletList((pair,)),), sections=sections,
                  footer=(Text(pair, note=True),), overall=Badge(EVIL, f"red{EVIL}"), counts=EVIL, run_id=EVIL)
    _check_page(page, 10)
    assert '<span class="badge red&lt;script&gt;' in page  # even the badge's class
    # The intro line first, then the intro blocks, the sections and the footer last.
    order = [page.index(t) for t in ("Overall", "<ul>", "<section>", "</section>")]
    assert order == sorted(order) and page.rindex('<p class="note">English') > order[-1]
    assert '<td>English&lt;script&gt;alert(1)&lt;/script&gt; <span class="zh" lang="zh-CN">中文' in page
    assert page.count('lang="zh-CN">中文&lt;script&gt;') >= 4 and "总体" in page
