"""Write the three reference customers of DOMAIN.md §1 as JSON bodies of the scoring API.

    python data/reference/make_reference.py

One file per customer (``laowang.json``, ``shendu.json``, ``jingcheng.json``): a flat object
of contract columns exactly as ``POST /v1/score/application`` takes it, dates as ISO strings,
missing values as null. The rows come from ``riskmodels.synth.reference_applications()``, so
the files change only when the simulator's reference customers do (a test checks they match).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodels.contract.tables import APPLICATIONS
from riskmodels.contract.types import Column
from riskmodels.synth import reference_applications

OUT = Path(__file__).resolve().parent


def json_value(column: Column, value: Any) -> Any:
    """A contract value as the API's JSON: null, bool, int, float, ISO date or text."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if column.dtype == "date":
        return value.date().isoformat() if hasattr(value, "date") else str(value)
    if column.dtype == "bool":
        return bool(value)
    if column.dtype == "int":
        return int(value)
    if column.dtype == "float":
        return float(value)
    return str(value)


def reference_bodies() -> dict[str, dict[str, Any]]:
    """File stem (``laowang``) -> API body, one per reference customer."""
    bodies = {}
    for row in reference_applications().to_dict(orient="records"):
        body = {c.name: json_value(c, row[c.name]) for c in APPLICATIONS.columns}
        bodies[str(body["application_id"]).removeprefix("REF-").lower()] = body
    return bodies


def main() -> None:
    for stem, body in reference_bodies().items():
        text = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
        (OUT / f"{stem}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
