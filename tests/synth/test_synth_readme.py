"""data/README.md shows the contract exactly as contract.py defines it."""

from __future__ import annotations

from pathlib import Path

from riskmodels.synth.contract_doc import contract_markdown

README = Path(__file__).resolve().parents[2] / "data" / "README.md"


def test_the_readme_column_tables_are_the_generated_ones() -> None:
    text = README.read_text(encoding="utf-8")
    begin = text.index("<!-- contract:begin")
    block = text[text.index("-->", begin) + len("-->\n"):text.index("<!-- contract:end -->")]
    assert block.strip() == contract_markdown().strip(), "regenerate data/README.md's tables from contract.py"
