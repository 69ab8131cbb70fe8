"""The fraud model: a ``CalibratedGBM`` (see ``gbm.py``): LightGBM, monotone where the catalogue
knows the risk direction, Platt-calibrated, explained by native TreeSHAP, persisted as plain data.

Fraud score: a monotone map of the calibrated log-odds against fraud ``L`` onto 0-100, in two
straight pieces that meet at the pass line:

- up to the anchor (``L <= ln score_anchor_odds``): ``score_offset`` points at odds of
  ``score_anchor_odds`` : 1 against fraud and ``score_pdo`` more points per doubling of the odds
  (defaults 60 at 20:1, 10 points): 60 is a 4.8% fraud probability, 40 is 16.7%, 0 is 76%, as
  on the scorecards' scale, so the verdict bands keep their meaning;
- above it, the remaining ``100 - score_offset`` points spread evenly in log-odds up to
  ``score_top_odds`` : 1 at 100 (default 8,000:1, a 0.0125% fraud probability).

Genuine applications are crowded at odds of several hundred to a few thousand to one: on one
line of 10 points per doubling three in four of them sat at exactly 100. With the second piece a
typical applicant (odds near 700:1, the median) scores about 84, the seeds' "85, passed"; at most
about 1% of applications sit at 0 or at 100 (measured on the simulator: see the README). Only the
clipping at the ends remains, below 76% and above 99.99% fraud odds of the anchor's side.

Verdict bands (defaults: pass at 60 and above, review from 40, reject below 40). At 60 an
application is 2.5-16 times as likely to be fraud as the average one, yet still 95% genuine:
a phone call or a document check costs far less than losing the good customer, so it goes to
a person. Below 40 at least one application in six is fraud; since fraud loses the whole
principal, that expected loss is many times any margin, and the bank rejects. The bands
should be moved with real review capacity and loss data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.special import expit

from riskmodels.features.catalogue import FRAUD_FEATURES
from riskmodels.models.gbm import CalibratedGBM, Rows
from riskmodels.models.lgb_fast import one_row_contributions

VERDICTS = ("pass", "review", "reject")  # best first


@dataclass(frozen=True)
class FraudAssessment:
    """Everything the decision needs from one pass over the rows (one LightGBM call)."""

    probability: np.ndarray  # calibrated probability of fraud
    score: np.ndarray  # 0-100, higher is safer
    verdict: np.ndarray  # "pass", "review" or "reject"
    contributions: np.ndarray  # SHAP in raw log-odds: one column per feature, then the bias
    features: tuple[str, ...]


class FraudRow(NamedTuple):
    """One application's assessment as plain Python values (the live path)."""

    score: float
    probability: float
    verdict: str
    contributions: list[float]  # SHAP in raw log-odds, one per feature (no bias)


class FraudModel(CalibratedGBM):
    """LightGBM fraud classifier on ``FRAUD_FEATURES``: probability, score, verdict, reasons."""

    default_features = FRAUD_FEATURES
    kind = "fraud"

    def __init__(self, features: Sequence[str] | None = None, n_estimators: int = 150, num_leaves: int = 15,
                 max_depth: int = 5, learning_rate: float = 0.1, min_child_samples: int = 50,
                 early_stopping_rounds: int = 20, stop_share: float = 0.2, calibration_share: float = 0.2,
                 monotone: bool = True, seed: int = 7, num_threads: int = 2,
                 score_offset: float = 60.0, score_pdo: float = 10.0, score_anchor_odds: float = 20.0,
                 score_top_odds: float = 8000.0, pass_score: float = 60.0, review_score: float = 40.0) -> None:
        super().__init__(features, n_estimators, num_leaves, max_depth, learning_rate, min_child_samples,
                         early_stopping_rounds, stop_share, calibration_share, monotone, seed, num_threads)
        self.score_offset = score_offset
        self.score_pdo = score_pdo
        self.score_anchor_odds = score_anchor_odds
        self.score_top_odds = score_top_odds
        self.pass_score = pass_score
        self.review_score = review_score

    def _check_params(self) -> None:
        super()._check_params()
        if not 0 <= self.review_score <= self.pass_score <= 100:
            raise ValueError(f"bands must satisfy 0 <= review_score <= pass_score <= 100; got "
                             f"review_score={self.review_score}, pass_score={self.pass_score}")
        if self.score_pdo <= 0 or self.score_anchor_odds <= 0:
            raise ValueError(f"score_pdo and score_anchor_odds must be positive; got "
                             f"{self.score_pdo} and {self.score_anchor_odds}")
        if not (self.score_top_odds > self.score_anchor_odds and 0 < self.score_offset < 100):
            raise ValueError(f"score_top_odds must exceed score_anchor_odds and score_offset lie in (0, 100); got "
                             f"{self.score_top_odds}, {self.score_anchor_odds} and {self.score_offset}")

    def _score_line(self) -> tuple[float, float, float]:
        """(anchor log-odds, points per log-odds below it, points per log-odds above it)."""
        key = (self.score_offset, self.score_pdo, self.score_anchor_odds, self.score_top_odds)
        cached = getattr(self, "_line", None)
        if cached is None or cached[0] != key:
            anchor = math.log(self.score_anchor_odds)
            cached = self._line = (key, (anchor, self.score_pdo / math.log(2),
                                         (100.0 - self.score_offset) / (math.log(self.score_top_odds) - anchor)))
        line: tuple[float, float, float] = cached[1]
        return line

    def score_of_logit(self, fraud_logit: float) -> float:
        """``score_from_logit`` of one value, with the same floating-point steps."""
        anchor, below, above = self._score_line()
        good = -fraud_logit - anchor
        points = self.score_offset + (below if good <= 0 else above) * good
        return min(max(points, 0.0), 100.0)

    def score_from_logit(self, fraud_logit: np.ndarray) -> np.ndarray:
        """Points from the calibrated log-odds of fraud (log-odds of not-fraud is its negative):
        the two-piece line of the module docstring, clipped to 0-100."""
        anchor, below, above = self._score_line()
        good = -np.asarray(fraud_logit, dtype=float) - anchor
        points = self.score_offset + np.where(good <= 0, below, above) * good
        return np.clip(points, 0.0, 100.0)

    def verdict_of_score(self, score: np.ndarray) -> np.ndarray:
        passed, review, reject = VERDICTS
        return np.where(score >= self.pass_score, passed, np.where(score >= self.review_score, review, reject))

    def fraud_probability(self, X: Rows) -> np.ndarray:
        return self.predict_bad_probability(X)

    def fraud_score(self, X: Rows) -> np.ndarray:
        return self.score_from_logit(self.calibrated_logit(self.predict_raw(X)))

    def verdict(self, X: Rows) -> np.ndarray:
        return self.verdict_of_score(self.fraud_score(X))

    def assess(self, X: Rows) -> FraudAssessment:
        """Probability, score, verdict and SHAP from one TreeSHAP pass (``contribution_matrix``).

        TreeSHAP values sum to the raw log-odds, so the prediction comes free with them.
        """
        contributions = self.contribution_matrix(X)
        logit = self.calibrated_logit(contributions.sum(axis=1))
        score = self.score_from_logit(logit)
        return FraudAssessment(expit(logit), score, self.verdict_of_score(score), contributions,
                               tuple(self.features_))

    def assess_one(self, row: Mapping[str, Any]) -> FraudRow:
        """``assess`` for one row given as a dict of features, with the same floating-point
        steps (so the same answer) but scalar arithmetic after the one TreeSHAP call: on a
        single row numpy's per-call overhead costs more than the sums themselves.

        The TreeSHAP tables' loop is the frame's, on one row. A model the tables don't cover
        goes to LightGBM's single-row path, on one thread whatever ``num_threads`` says: it
        parallelises over rows, so a second thread has no work for one row, and waking it
        costs more than the prediction (milliseconds when the cores are busy)."""
        encoded = self._encode(row)
        tables = self._shap_tables()
        # The frame path's code on one row (the same sums), else LightGBM's single-row path.
        contributions = tables.contributions(encoded) if tables is not None else \
            one_row_contributions(self.booster_, encoded)
        raw = float(contributions.sum(axis=1)[0])  # as assess sums, so the rounding is the same
        slope, intercept = self.calibration_
        logit = float(slope * raw + intercept)
        score = self.score_of_logit(logit)
        passed, review, reject = VERDICTS
        verdict = passed if score >= self.pass_score else review if score >= self.review_score else reject
        return FraudRow(score, float(expit(logit)), verdict, contributions[0, :-1].tolist())

    def _encode(self, X: Rows) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            return super()._encode(X)
        # One row (the live path): the level maps are built once per fitted model, not per call.
        cached = getattr(self, "_row_codes", None)
        if cached is None or cached[0] is not self.levels_:
            cached = self._row_codes = (self.levels_, {
                name: {level: float(i) for i, level in enumerate(levels)} for name, levels in self.levels_.items()})
        codes = cached[1]
        self._require_features(X)
        row = [codes[name].get(X[name], np.nan) if name in codes else X[name] for name in self.features_]
        try:
            return np.array([row], dtype=float)
        except (TypeError, ValueError):
            return super()._encode(X)  # the base names the offending feature in its error
