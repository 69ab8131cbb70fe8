"""Governance end to end on the session's book, with the real MLflow store: the bank's gates at
training and at promotion, the comparison with the champion on the same out-of-time rows, and
maker-checker. A fraud model registered under its own test name, so the session's champions
are never touched."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from riskmodels import registry
from riskmodels.cli import app
from riskmodels.config import get_settings
from riskmodels.registry.gates import DEFAULT_GATES, load_gates
from riskmodels.registry.promotion import ApprovalRefused, PromotionRefused, promote
from riskmodels.training import FraudConfig, FraudParams, TrainingResult, load_config, train_fraud

pytestmark = pytest.mark.slow

NAME = "sme-fraud-governance-test"
APPROVER = "model-risk-officer"
# Gates for the test model that a few boosting stumps also pass: what is tested here is the
# comparison with the champion, which the bank's gates would otherwise stop before.
LENIENT = {"min_oot_auc": 0.6, "max_psi_train_oot": 0.5, "require_monotone_classes": False,
           "min_oot_hl_pvalue": 0.0}
WEAK = FraudParams(n_estimators=1, num_leaves=2, max_depth=1)  # one split of one feature


def _write_gates(path: Path, gates: dict[str, object]) -> Path:
    rules = yaml.safe_load(DEFAULT_GATES.read_text(encoding="utf-8"))
    rules["models"][NAME] = gates
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    return path


def _use_gates(monkeypatch: pytest.MonkeyPatch, path: Path) -> Path:
    monkeypatch.setenv("RISKMODELS_GATES", str(path))
    get_settings.cache_clear()
    return path


def _config(params: FraudParams | None = None) -> FraudConfig:
    cfg = load_config(FraudConfig, "fraud")
    return cfg.model_copy(update={"model_name": NAME, "fraud": params or cfg.fraud})


@dataclass(frozen=True)
class Ladder:
    strong: TrainingResult  # v1, promoted first
    weak: TrainingResult  # trained while v1 was champion, compared with it
    again: TrainingResult  # the strong model again, compared with v1 too
    first: registry.RegisteredVersion  # v1 right after its promotion
    gates_file: Path


@pytest.fixture(scope="module")
def ladder(portfolio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ladder]:
    with pytest.MonkeyPatch.context() as patch:
        gates_file = _write_gates(tmp_path_factory.mktemp("gates") / "bank_gates.yaml", LENIENT)
        _use_gates(patch, gates_file)
        strong = train_fraud(portfolio_dir, _config())
        promote(NAME, strong.version, approver=APPROVER, reason="first fraud model of the test")
        first = registry.describe(NAME, strong.version)
        weak = train_fraud(portfolio_dir, _config(WEAK))
        again = train_fraud(portfolio_dir, _config())
        yield Ladder(strong, weak, again, first, gates_file)
    get_settings.cache_clear()


def test_a_run_records_its_gates_file_and_is_registered_as_challenger_when_it_passes(ladder: Ladder) -> None:
    bank = load_gates(ladder.gates_file)
    assert ladder.strong.gates is not None and ladder.strong.gates.passed
    tags = registry.describe(NAME, ladder.again.version).tags
    assert tags["gates"] == "passed" and tags["gates.sha256"] == bank.sha256
    assert tags["gates.file"] == str(ladder.gates_file.resolve())
    assert tags[registry.TRAINED_BY] == os.environ["RISKMODELS_USER"]
    assert registry.describe(NAME, registry.CHALLENGER).version == ladder.again.version


def test_the_first_promotion_records_the_approval_and_no_incumbent(ladder: Ladder) -> None:
    tags = ladder.first.tags
    assert registry.CHAMPION in ladder.first.aliases
    assert tags["approval.approver"] == APPROVER and tags["approval.reason"] == "first fraud model of the test"
    assert tags["approval.trained_by"] == os.environ["RISKMODELS_USER"]
    # The account that ran the promotion is recorded beside the name it gave: here the session's
    # one account played both roles, which the record shows.
    assert tags["approval.promoted_by"] == os.environ["RISKMODELS_USER"]
    assert f"from the account {os.environ['RISKMODELS_USER']}" in ladder.first.description
    assert datetime.fromisoformat(tags["approval.time"]).tzinfo is not None
    assert tags["approval.gates"] == "passed" and tags["approval.gates.sha256"] == load_gates(ladder.gates_file).sha256
    assert tags["approval.comparison"].startswith("no incumbent") and tags["approval.forced"] == "false"
    assert f"by {APPROVER}" in ladder.first.description and "Reason: first fraud model" in ladder.first.description


def test_training_compares_with_the_champion_on_the_same_out_of_time_rows(ladder: Ladder) -> None:
    assert ladder.strong.comparison is not None and ladder.strong.comparison.status == "no incumbent"
    same, weak = ladder.again.comparison, ladder.weak.comparison
    assert same is not None and weak is not None
    assert same.status == weak.status == "compared" and same.champion_version == ladder.strong.version
    # The same model on the same rows: the same AUC, no difference, nothing to test.
    assert same.n == int(ladder.strong.metrics["oot_n"]) and same.challenger_auc == pytest.approx(
        ladder.strong.metrics["oot_auc"], abs=1e-9)
    assert (same.auc_diff, same.delong_pvalue) == (0.0, 1.0) and same.score_psi == pytest.approx(0.0, abs=1e-9)
    assert weak.champion_auc == pytest.approx(same.champion_auc)
    assert weak.auc_diff is not None and weak.delong_pvalue is not None
    assert weak.auc_diff < 0 and weak.delong_pvalue < 0.05, weak
    metrics = registry.describe(NAME, ladder.weak.version).metrics
    assert metrics["vs_champion.auc_diff"] == pytest.approx(weak.auc_diff)


def test_maker_checker_refuses_no_approver_no_reason_and_the_trainer(ladder: Ladder) -> None:
    for approver, reason, message in (("", "r", "--approver must name"), ("  ", "r", "--approver must name"),
                                      (APPROVER, " ", "--reason must say why"),
                                      (os.environ["RISKMODELS_USER"].upper(), "r", "someone other than the model's "
                                                                                  "trainer")):
        with pytest.raises(ApprovalRefused, match=message):
            promote(NAME, ladder.again.version, approver=approver, reason=reason)
    assert registry.describe(NAME, registry.CHAMPION).version == ladder.strong.version


def test_a_worse_model_is_refused_unless_forced_and_the_force_is_recorded(ladder: Ladder) -> None:
    with pytest.raises(PromotionRefused, match="worse than champion v1: AUC significantly lower"):
        promote(NAME, ladder.weak.version, approver=APPROVER, reason="cheaper to run")
    assert registry.describe(NAME, registry.CHAMPION).version == ladder.strong.version
    record = promote(NAME, ladder.weak.version, approver=APPROVER, reason="cheaper to run, accepted", force=True)
    assert record.forced and record.previous_champion == ladder.strong.version
    weak = registry.describe(NAME, ladder.weak.version)
    assert registry.CHAMPION in weak.aliases and weak.tags["approval.forced"] == "true"
    assert "WORSE: AUC significantly lower" in weak.tags["approval.comparison"]
    assert "FORCED" in weak.description and "cheaper to run, accepted" in weak.description
    assert registry.describe(NAME, ladder.strong.version).tags["champion.replaced_by"] == ladder.weak.version
    # The strong model again was compared with v1, no longer the champion: no comparison to go by.
    with pytest.raises(PromotionRefused, match=f"compared with v1 at training; the champion is now "
                                               f"v{ladder.weak.version}"):
        promote(NAME, ladder.again.version, approver=APPROVER, reason="back to the strong model")


@pytest.fixture
def strict_gates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The bank's file with an out-of-reach AUC gate for the test model, for one test."""
    path = _use_gates(monkeypatch, _write_gates(tmp_path / "strict.yaml", {**LENIENT, "min_oot_auc": 0.9999}))
    yield path
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_run_that_fails_a_gate_gets_no_challenger_alias_and_cannot_be_promoted(
        ladder: Ladder, portfolio_dir: Path, strict_gates: Path) -> None:
    challenger_before = registry.describe(NAME, registry.CHALLENGER).version
    result = train_fraud(portfolio_dir, _config())
    assert result.gates is not None and result.gates.failed == ["min_oot_auc"]
    version = registry.describe(NAME, result.version)
    assert registry.CHALLENGER not in version.aliases and version.tags["gates"] == "failed"
    assert version.tags["gates.failed"] == "min_oot_auc" and "FAIL min_oot_auc" in version.tags["gates.verdicts"]
    assert "NOT given the challenger alias" in version.description
    assert registry.describe(NAME, registry.CHALLENGER).version == challenger_before
    assert registry.describe(NAME, registry.LATEST).version == result.version  # found without an alias
    # Forcing lifts a worse comparison, never the bank's gates.
    with pytest.raises(PromotionRefused, match="failed gates of .*strict.yaml.*min_oot_auc"):
        promote(NAME, result.version, approver=APPROVER, reason="try", force=True)


def test_train_prints_the_reports_and_verdicts_and_exits_1_when_a_gate_fails(
        ladder: Ladder, portfolio_dir: Path, tmp_path: Path, strict_gates: Path) -> None:
    config = tmp_path / "fraud.yaml"
    config.write_text(yaml.safe_dump(_config(WEAK).model_dump(mode="json")), encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "fraud", "--data", str(portfolio_dir), "--config", str(config)])
    assert result.exit_code == 1, result.output
    out = result.output
    assert f"{NAME} v" in out and "registered WITHOUT the challenger alias" in out
    assert "quality_applications.html" in out and "report/validation_report.html" in out
    assert "FAIL min_oot_auc: oot_auc" in out and "pass max_psi_train_oot" in out
    assert out.strip().splitlines()[-1].startswith(f"error: gates failed, no challenger alias: {NAME} v")


def test_too_few_shared_rows_give_no_comparison_and_no_promotion_unless_forced(
        ladder: Ladder, portfolio_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = yaml.safe_load(_write_gates(tmp_path / "bank.yaml", LENIENT).read_text(encoding="utf-8"))
    rules["comparison"]["min_rows"] = 10**7  # more out-of-time rows than any book here has
    (tmp_path / "bank.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    _use_gates(monkeypatch, tmp_path / "bank.yaml")
    champion = registry.describe(NAME, registry.CHAMPION).version
    result = train_fraud(portfolio_dir, _config(WEAK))
    assert result.comparison is not None and result.comparison.status == "too few rows"
    assert f"must have {10**7} rows" in result.comparison.note
    with pytest.raises(PromotionRefused, match="too few rows"):
        promote(NAME, result.version, approver=APPROVER, reason="no comparison possible")
    assert registry.describe(NAME, registry.CHAMPION).version == champion
    monkeypatch.undo()
    get_settings.cache_clear()
