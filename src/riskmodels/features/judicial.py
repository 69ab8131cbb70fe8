"""Judicial records (司法): lawsuits as defendant and enforcement orders."""

from __future__ import annotations

from riskmodels.features._arrays import Columns, Features, numeric

COLUMNS = ("lawsuits_3y", "enforcements_3y")


def judicial_features(cols: Columns) -> Features:
    return {
        "judicial_lawsuits_3y": numeric(cols, "lawsuits_3y"),
        "judicial_enforcements_3y": numeric(cols, "enforcements_3y"),
    }
