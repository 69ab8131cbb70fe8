"""Write the three reference customers of DOMAIN.md §1 as JSON bodies of the scoring API.

    python data/reference/make_reference.py

One file per customer (``laowang.json``, ``shendu.json``, ``jingcheng.json``): a flat object
of contract columns exactly as ``POST /v1/score/application`` takes it, dates as ISO strings,
missing values as null. The rows come from ``riskmodels.synth.reference_applications()``, so
the files change only when the simulator's reference customers do (a test checks they match).
"""

from __future__ import annotations

import json
from pathlib import Path

from riskmodels.synth import reference_bodies

OUT = Path(__file__).resolve().parent


def main() -> None:
    for stem, body in reference_bodies().items():
        text = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
        (OUT / f"{stem}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
