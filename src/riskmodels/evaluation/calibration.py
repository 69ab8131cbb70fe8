"""Calibration tests a validator runs: Hosmer-Lemeshow, Jeffreys and binomial per class,
bad rate by class (monotone or not) and the concentration of the classes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class HosmerLemeshow:
    statistic: float
    dof: int
    p_value: float


def hosmer_lemeshow(y: np.ndarray, pd_: np.ndarray, groups: int = 10) -> HosmerLemeshow:
    """Observed vs expected bads in PD deciles; a small p-value says the PDs are off."""
    y, p = np.asarray(y, dtype=float), np.asarray(pd_, dtype=float)
    order = np.argsort(p, kind="mergesort")
    chunks = np.array_split(order, groups)
    statistic = 0.0
    for idx in chunks:
        n, observed, expected = len(idx), y[idx].sum(), p[idx].sum()
        mean_p = expected / n
        if 0 < mean_p < 1:
            statistic += (observed - expected) ** 2 / (n * mean_p * (1 - mean_p))
    dof = groups - 2
    return HosmerLemeshow(float(statistic), dof, float(stats.chi2.sf(statistic, dof)))


def class_tests(y: np.ndarray, pd_: np.ndarray, classes: np.ndarray, order: list[str]) -> pd.DataFrame:
    """Per class: n, bads, observed rate, mean PD, Jeffreys and exact binomial p-values.

    Both test H0 "the class PD is not underestimated": the Jeffreys p-value is the posterior
    probability, under a Beta(d + 1/2, n - d + 1/2), that the true rate is below the class PD
    (ECB validation guidance); a p-value under 5% flags an underestimated PD.
    """
    y, p, classes = np.asarray(y, dtype=float), np.asarray(pd_, dtype=float), np.asarray(classes)
    rows = []
    for name in order:
        mask = classes == name
        n, bads = int(mask.sum()), int(y[mask].sum())
        mean_pd = float(p[mask].mean()) if n else float("nan")
        if n:
            jeffreys = float(stats.beta.cdf(mean_pd, bads + 0.5, n - bads + 0.5))
            binomial = float(stats.binomtest(bads, n, mean_pd, alternative="greater").pvalue)
        else:
            jeffreys = binomial = float("nan")
        rows.append({"class": name, "n": n, "bads": bads, "bad_rate": bads / n if n else float("nan"),
                     "mean_pd": mean_pd, "jeffreys_p": jeffreys, "binomial_p": binomial,
                     "passed": bool(n == 0 or jeffreys >= 0.05)})
    return pd.DataFrame(rows)


def is_monotone(bad_rates: list[float]) -> bool:
    """Bad rate must not fall from the best class to the worst (empty classes are skipped)."""
    rates = [r for r in bad_rates if not np.isnan(r)]
    return all(b >= a for a, b in zip(rates, rates[1:]))


def herfindahl(classes: np.ndarray) -> float:
    """Concentration of the rating scale: 1/k when spread evenly over k classes, 1 when all in one."""
    shares = pd.Series(np.asarray(classes)).value_counts(normalize=True).to_numpy()
    return float((shares**2).sum())
