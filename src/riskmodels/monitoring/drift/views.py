"""What a validator reads beside the checks: characteristic analysis, score by month, gains
tables and PSI intervals. Computed from the scored samples; none of them sets a status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from riskmodels.evaluation import metrics
from riskmodels.monitoring.drift.characteristics import CharacteristicAnalysis, characteristic_analysis
from riskmodels.monitoring.drift.data import ScoredSample
from riskmodels.monitoring.drift.gains import Gains, gains_table, score_by_month
from riskmodels.monitoring.drift.psi_ci import PsiInterval, interval_of
from riskmodels.reporting.text import Bilingual


@dataclass(frozen=True)
class ValidatorViews:
    characteristics: CharacteristicAnalysis
    score_by_month: pd.DataFrame  # sample, month, n, mean, std, p10 ... p90
    gains: dict[str, Gains]  # "baseline" / "current", for the samples whose outcomes hold both classes
    gains_missing: dict[str, Bilingual]  # sample -> why it has no gains table
    score_psi: PsiInterval
    csi: dict[str, PsiInterval]

    def summary(self) -> dict[str, Any]:
        """The JSON part: points shift, PSI interval and KS figures."""
        ci = self.score_psi
        return {"score_psi_interval": {"psi": ci.psi, "lower": ci.lower, "upper": ci.upper, "noise_95": ci.noise,
                                       "level": ci.level, "resamples": ci.resamples},
                "mean_score_shift": self.characteristics.total_shift,
                "points_shift": dict(zip(self.characteristics.summary["characteristic"],
                                         self.characteristics.summary["points_shift"].astype(float), strict=True)),
                "gains": {name: {"n": g.n, "bads": g.bads, "ks": g.ks, "banded_ks": g.banded_ks}
                          for name, g in self.gains.items()}}


def _gains(samples: Mapping[str, ScoredSample]) -> tuple[dict[str, Gains], dict[str, Bilingual]]:
    out: dict[str, Gains] = {}
    missing: dict[str, Bilingual] = {}
    for name, scored in samples.items():
        gains = gains_table(scored)
        if gains is not None:
            out[name] = gains
        else:
            n = scored.sample.n_outcomes
            zh = "基准" if name == "baseline" else "当前"
            missing[name] = (Bilingual(f"{zh}样本无表现结果", f"the {name} sample has no outcomes") if n == 0 else
                             Bilingual(f"{zh}样本的 {n:,} 个表现结果只有一类",
                                       f"the {name} sample's {n:,} outcomes hold only one class"))
    return out, missing


def validator_views(features: Sequence[Mapping[str, Any]], baseline: ScoredSample, current: ScoredSample,
                    score_psi: metrics.StabilityResult, csi: Mapping[str, metrics.StabilityResult]) -> ValidatorViews:
    gains, missing = _gains({"baseline": baseline, "current": current})
    return ValidatorViews(characteristic_analysis(features, baseline.features, current.features),
                          score_by_month(baseline, current), gains, missing, interval_of(score_psi),
                          {name: interval_of(r) for name, r in csi.items()})
