"""The bank's gates file: packaged default, RISKMODELS_GATES override, each gate's verdict, and
no gate in a training config."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
import yaml

import riskmodels.training
from riskmodels.config import REGISTERED_MODELS, get_settings
from riskmodels.config_files import ConfigFileError
from riskmodels.registry.comparison import ComparisonRecord, worse_than_champion
from riskmodels.registry.gates import DEFAULT_GATES, GatesError, PromotionGates, check_gates, judge, load_gates
from riskmodels.training import ApplicationConfig, FraudConfig, ScorecardPipelineConfig, load_config

CONFIGS = Path(riskmodels.training.__file__).parent / "configs"
GATES = PromotionGates(min_oot_auc=0.7, max_psi_train_oot=0.1, require_monotone_classes=True,
                       min_oot_hl_pvalue=0.01, max_oot_jeffreys_failures=0)
PASSING = {"oot_auc": 0.8, "psi_train_oot": 0.02, "oot_hl_pvalue": 0.4, "oot_class_monotone": 1.0,
           "oot_jeffreys_failures": 0.0}


@pytest.fixture
def bank_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the packaged gates as the bank's own file (RISKMODELS_GATES)."""
    path = tmp_path / "bank_gates.yaml"
    path.write_text(DEFAULT_GATES.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("RISKMODELS_GATES", str(path))
    get_settings.cache_clear()
    yield path
    monkeypatch.delenv("RISKMODELS_GATES")
    get_settings.cache_clear()


def test_the_packaged_file_gates_every_registered_model_with_a_calibration_gate() -> None:
    packaged = resources.files("riskmodels.registry").joinpath("gates.yaml")
    assert packaged.is_file()  # package data: pyproject ships riskmodels/**/*.yaml
    bank = load_gates()
    assert bank.path == DEFAULT_GATES.resolve()
    assert bank.sha256 == hashlib.sha256(DEFAULT_GATES.read_bytes()).hexdigest()
    for name in REGISTERED_MODELS.values():
        assert 0 < bank.for_model(name).min_oot_hl_pvalue < 0.05, name


def test_risk_models_gates_replaces_the_packaged_file(bank_file: Path) -> None:
    rules = yaml.safe_load(bank_file.read_text(encoding="utf-8"))
    rules["models"]["sme-fraud"]["min_oot_auc"] = 0.99
    bank_file.write_text(yaml.safe_dump(rules), encoding="utf-8")
    bank = load_gates()
    assert bank.path == bank_file.resolve() and bank.for_model("sme-fraud").min_oot_auc == 0.99
    assert bank.sha256 == hashlib.sha256(bank_file.read_bytes()).hexdigest()
    verdict = judge("sme-fraud", {**PASSING, "oot_auc": 0.95}, bank)
    assert verdict.failed == ["min_oot_auc"]
    assert verdict.tags()["gates.sha256"] == bank.sha256 and verdict.tags()["gates.file"] == str(bank_file.resolve())


def test_a_bank_file_without_a_model_or_with_a_bad_value_is_refused(bank_file: Path) -> None:
    rules = yaml.safe_load(bank_file.read_text(encoding="utf-8"))
    del rules["models"]["sme-collection-scorecard"]
    rules["models"]["sme-fraud"]["max_psi_train_oot"] = -1
    bank_file.write_text(yaml.safe_dump(rules), encoding="utf-8")
    with pytest.raises(GatesError, match=r"gates.models.sme-fraud.max_psi_train_oot .*greater than 0; got -1"):
        load_gates()
    rules["models"]["sme-fraud"]["max_psi_train_oot"] = 0.1
    bank_file.write_text(yaml.safe_dump(rules), encoding="utf-8")
    with pytest.raises(GatesError, match="must define gates for 'sme-collection-scorecard'"):
        load_gates().for_model("sme-collection-scorecard")
    bank_file.unlink()
    with pytest.raises(GatesError, match="must be an existing YAML file"):
        load_gates()


@pytest.mark.parametrize(("metric", "value", "gate"), [
    ("oot_auc", 0.69, "min_oot_auc"), ("psi_train_oot", 0.1, "max_psi_train_oot"),
    ("oot_hl_pvalue", 0.008, "min_oot_hl_pvalue"), ("oot_class_monotone", 0.0, "require_monotone_classes"),
    ("oot_jeffreys_failures", 1.0, "max_oot_jeffreys_failures")])
def test_each_gate_fails_on_its_own_metric(metric: str, value: float, gate: str) -> None:
    assert all(r.passed for r in check_gates(PASSING, GATES))
    failed = [r for r in check_gates({**PASSING, metric: value}, GATES) if not r.passed]
    assert [r.gate for r in failed] == [gate]


def test_a_missing_metric_fails_its_gate_except_an_unrecorded_jeffreys_test() -> None:
    results = {r.gate: r for r in check_gates({k: v for k, v in PASSING.items() if k != "oot_hl_pvalue"}, GATES)}
    assert not results["min_oot_hl_pvalue"].passed
    assert "must record 'oot_hl_pvalue'" in results["min_oot_hl_pvalue"].detail
    unrecorded = check_gates({k: v for k, v in PASSING.items() if k != "oot_jeffreys_failures"}, GATES)
    assert all(r.passed for r in unrecorded) and "max_oot_jeffreys_failures" not in {r.gate for r in unrecorded}


def test_a_relevelled_gate_judges_the_shape_and_says_the_level() -> None:
    relevelled = GATES.model_copy(update={"oot_hl_relevelled": True})
    # A through-the-cycle card in a good window: every group below its PD, the shape right.
    window = {**PASSING, "oot_hl_pvalue": 0.0003, "oot_hl_shape_pvalue": 0.82, "oot_bad_rate": 0.0434,
              "oot_mean_pd": 0.0506}
    assert [r.gate for r in check_gates(window, GATES) if not r.passed] == ["min_oot_hl_pvalue"]
    results = {r.gate: r for r in check_gates(window, relevelled)}
    assert all(r.passed for r in results.values())
    assert results["min_oot_hl_pvalue"].detail == ("Hosmer-Lemeshow p on OOT (shape: level set to the OOT default "
                                                   "rate; observed 4.34% against a mean PD of 5.06%) 0.8200 vs "
                                                   "minimum 0.01")
    bent = {r.gate for r in check_gates({**window, "oot_hl_shape_pvalue": 0.004}, relevelled) if not r.passed}
    assert bent == {"min_oot_hl_pvalue"}
    unrecorded = {r.gate: r for r in check_gates(PASSING, relevelled)}  # a run from before the shape test
    assert "must record 'oot_hl_shape_pvalue'" in unrecorded["min_oot_hl_pvalue"].detail
    assert load_gates().for_model("sme-application-scorecard").oot_hl_relevelled


@pytest.mark.parametrize(("kind", "config_class"), [("application", ApplicationConfig), ("fraud", FraudConfig),
                                                    ("behavior", ScorecardPipelineConfig),
                                                    ("collection", ScorecardPipelineConfig)])
def test_a_training_config_with_gates_is_refused_naming_the_banks_file(kind: str, config_class: type,
                                                                       tmp_path: Path) -> None:
    packaged = (CONFIGS / f"{kind}.yaml").read_text(encoding="utf-8")
    assert "\ngates:" not in packaged
    load_config(config_class, kind)  # the packaged file loads
    path = tmp_path / f"{kind}.yaml"
    path.write_text(packaged + "\ngates:\n  min_oot_auc: 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigFileError, match="gates must not be set in a training config: promotion gates "
                                              "moved to the bank's gates file"):
        load_config(config_class, kind, path)


def _compared(**values: float | int) -> ComparisonRecord:
    base = {"status": "compared", "champion_version": "3", "n": 5000, "events": 200, "challenger_auc": 0.80,
            "champion_auc": 0.80, "auc_diff": 0.0, "auc_diff_se": 0.01, "delong_z": 0.0, "delong_pvalue": 1.0,
            "score_psi": 0.01, "challenger_hl_pvalue": 0.5, "champion_hl_pvalue": 0.5,
            "challenger_jeffreys_failures": 0, "champion_jeffreys_failures": 0}
    return ComparisonRecord.model_validate({**base, **values})


def test_worse_than_the_champion_is_a_significant_auc_loss_or_a_calibration_the_champion_passes() -> None:
    rules = load_gates().rules.comparison
    assert worse_than_champion(_compared(), GATES, rules) == []
    # Lower but not significantly: not worse. Significantly higher: not worse either.
    assert worse_than_champion(_compared(auc_diff=-0.01, delong_pvalue=0.2), GATES, rules) == []
    assert worse_than_champion(_compared(auc_diff=0.03, delong_pvalue=0.001), GATES, rules) == []
    assert "AUC significantly lower" in worse_than_champion(
        _compared(challenger_auc=0.77, auc_diff=-0.03, delong_pvalue=0.001), GATES, rules)[0]
    assert "calibration fails where the champion's passes" in worse_than_champion(
        _compared(challenger_hl_pvalue=0.008), GATES, rules)[0]
    # Both fail Hosmer-Lemeshow: the challenger is no worse on that count.
    assert worse_than_champion(_compared(challenger_hl_pvalue=0.008, champion_hl_pvalue=0.002), GATES, rules) == []
    assert "Jeffreys: 2 vs 1" in worse_than_champion(
        _compared(challenger_jeffreys_failures=2, champion_jeffreys_failures=1), GATES, rules)[0]
    assert worse_than_champion(ComparisonRecord(status="no incumbent"), GATES, rules) == []


def test_the_calibration_gates_say_when_they_counted_one_row_per_account() -> None:
    """A B card's tests count each account's earliest OOT snapshot; the gate lines say how many."""
    line = {r.gate: r for r in check_gates({**PASSING, "oot_n": 29_113.0, "oot_calibration_rows": 8_290.0}, GATES)}
    for gate in ("min_oot_hl_pvalue", "require_monotone_classes", "max_oot_jeffreys_failures"):
        assert line[gate].passed
        assert "one row per account: 8,290 of 29,113)" in line[gate].detail
    assert all("per account" not in r.detail for r in check_gates(PASSING, GATES))
