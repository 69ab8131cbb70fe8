"""Groups of rows that are all bad or all good: what optbinning's WoE cannot hold.

A WoE needs both classes in its bin, so optbinning merges a bin without goods or bads into its
neighbour, and a special or missing bin without them gets a WoE of 0 (the average). A knock-out
flag whose every holder defaulted then shows an IV of 0 and is dropped "for want of information",
and a missing value seen only among bads scores as an average applicant. Neither is what the
data says, so ``fit`` finds these groups on the training rows and says so: in the selection
table's reason of a variable dropped for its IV, and in a ``SeparationWarning``. A separating
group is a policy rule (a knock-out, a referral), which a scorecard does not replace.

The groups looked for: a categorical's category, a numeric variable's lowest or highest value
(how a 0/1 flag's ones appear; not a continuous tail), a special code's rows and
the missing values' rows; each reported when its purity is no chance: at least ``LEAST_ROWS``
rows, which the book's event rate would make all of one class with probability under
``CHANCE`` (a low-default book's runs of goods are common, and not reported).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.scorecard.config import ScorecardConfig

LEAST_ROWS = 10
CHANCE = 1e-4


class SeparationWarning(UserWarning):
    """Rows of a group are all bad (or all good): their WoE is undefined and optbinning's bins lose them."""


@dataclass(frozen=True)
class PureGroup:
    variable: str
    group: str  # in words: "value 1", "category 'A'", "missing values", "special code -1"
    rows: int
    event: bool  # every row of the group is an event (bad); else every row is a non-event

    def words(self) -> str:
        return f"its {self.group} ({self.rows} rows) are all {'bad' if self.event else 'good'}"


def pure_groups(X: pd.DataFrame, y: np.ndarray, cfg: ScorecardConfig) -> list[PureGroup]:
    """The groups of every feature whose rows are all of one class (module docstring)."""
    rate = float(np.mean(y))
    found: list[PureGroup] = []
    for name in cfg.features:
        column = X[name]
        codes = list(cfg.special_codes.get(name, {}))
        missing = column.isna().to_numpy()
        special = column.isin(codes).to_numpy() if codes else np.zeros(len(column), dtype=bool)
        found += _pure(name, "missing values", y[missing], rate)
        for code in codes:
            found += _pure(name, f"special code {code!r}", y[column.eq(code).to_numpy()], rate)
        regular = ~missing & ~special
        if name in cfg.categorical_features:
            values = column[regular].astype(object).to_numpy()
            for category in pd.unique(values):
                found += _pure(name, f"category {category!r}", y[regular][values == category], rate)
        else:
            found += _pure_tails(name, column[regular].to_numpy(dtype=float), y[regular], rate)
    return found


def _no_chance(rows: int, event: bool, rate: float) -> bool:
    """``rows`` all bad (``event``) or all good, far beyond what the event ``rate`` would draw."""
    return rows >= LEAST_ROWS and (rate if event else 1.0 - rate) ** rows < CHANCE


def _pure(name: str, group: str, labels: np.ndarray, rate: float) -> list[PureGroup]:
    if len(labels) == 0 or labels.min() != labels.max() or not _no_chance(len(labels), bool(labels[0]), rate):
        return []
    return [PureGroup(name, group, len(labels), bool(labels[0]))]


def _pure_tails(name: str, values: np.ndarray, labels: np.ndarray, rate: float) -> list[PureGroup]:
    """The lowest and highest values' runs of one class (whole values only: a value's rows are
    never split between bins)."""
    if len(values) == 0:
        return []
    order = np.argsort(values, kind="stable")
    sorted_values, sorted_labels = values[order], labels[order]
    found = []
    for side, values_, labels_ in (("below", sorted_values, sorted_labels),
                                   ("above", sorted_values[::-1], sorted_labels[::-1])):
        changed = np.flatnonzero(labels_ != labels_[0])
        run = len(labels_) if len(changed) == 0 else int(changed[0])
        if run < len(values_):  # the run ends inside a value: that value is not wholly in it
            run = int(np.searchsorted(values_ if side == "below" else -values_,
                                      values_[run] if side == "below" else -values_[run], side="left"))
        # One whole value only (a flag's 1, a count's 0): a continuous driver's tail of goods is
        # its lowest-risk bin's core, which the merge keeps where it belongs.
        if run and values_[run - 1] == values_[0] and _no_chance(run, bool(labels_[0]), rate):
            found.append(PureGroup(name, f"value {values_[0]:g}", run, bool(labels_[0])))
            if run == len(values_):  # every regular row of one class: one group, not two
                break
    return found


def explained(table: pd.DataFrame, groups: list[PureGroup]) -> pd.DataFrame:
    """The selection table with each variable dropped for its IV told why its IV is low when
    a bin of it separated the classes (and was merged away)."""
    merged = {g.variable: g for g in groups if not g.group.startswith(("missing", "special"))}
    reasons = [f"{reason}; but {merged[variable].words()}: optbinning merges a bin without goods or bads "
               "(a WoE needs both), so the IV misses it: a knock-out rule, not a characteristic"
               if variable in merged and stage == "iv" else reason
               for variable, reason, stage in zip(table["variable"], table["reason"], table["stage"], strict=True)]
    return table.assign(reason=reasons)


def warning_text(groups: list[PureGroup], selected: list[str]) -> str:
    """One line per group: what the card does with it."""
    lines = []
    for g in groups:
        if g.group.startswith(("missing", "special")):
            fate = ("its bin scores WoE 0, as an average applicant" if g.variable in selected
                    else "its bin has WoE 0")
        else:
            fate = "merged into its neighbour's bin"
        lines.append(f"feature {g.variable!r}: {g.words()}; {fate}")
    return ("rows of one class only, which a WoE cannot hold (a policy rule, such as a knock-out, "
            "is their place):\n" + "\n".join(lines))
