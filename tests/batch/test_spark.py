"""The Spark engine runs the embedded engine's job and gives the same rows, rejects and counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskmodels.batch import score_batch
from riskmodels.batch.spark import score_batch_spark, spark_session
from riskmodels.cli import app
from riskmodels.config import REGISTERED_MODELS, Settings

N_ROWS = 3_000
A_CARD = REGISTERED_MODELS["application"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    # One session for the module: starting the JVM is most of the cost.
    session = spark_session("local[2]", app_name="riskmodels tests")
    session.conf.set("spark.sql.shuffle.partitions", "2")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def planted(portfolio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three parts of applications, with rows that break the contract in the first and last."""
    rows = pd.read_parquet(portfolio_dir / "applications.parquet").head(N_ROWS).reset_index(drop=True)
    rows.loc[5, "owner_age"] = 150
    rows.loc[10, "industry"] = "fishing"
    rows.loc[2_990, "years_in_business"] = np.nan
    folder = tmp_path_factory.mktemp("spark-in") / "applications"
    folder.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(N_ROWS), 3)):
        rows.iloc[chunk].to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    return folder


def test_spark_output_equals_the_embedded_engine_row_for_row(trained_store: Settings, spark: Any,
                                                             planted: Path, tmp_path: Path) -> None:
    embedded = score_batch(A_CARD, planted, tmp_path / "embedded.parquet", batch_size=700)
    on_spark = score_batch_spark(A_CARD, planted, str(tmp_path / "spark.parquet"), spark=spark, batch_size=700)
    assert (on_spark.rows_read, on_spark.rows_scored, on_spark.rows_rejected) == \
        (embedded.rows_read, embedded.rows_scored, embedded.rows_rejected) == (N_ROWS, N_ROWS - 3, 3)
    assert (on_spark.model, on_spark.version) == (embedded.model, embedded.version)

    want = pd.read_parquet(embedded.output_path)
    got = pd.read_parquet(on_spark.output_path)  # a folder of parts
    assert on_spark.output_path.is_dir() and list(got.columns) == list(want.columns)
    assert sorted(got["application_id"]) == sorted(want["application_id"])
    got = got.set_index("application_id").loc[want["application_id"]].reset_index()
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=0, atol=1e-12)

    want_rejects = pd.read_parquet(embedded.rejects_path).sort_values("input_row", ignore_index=True)
    got_rejects = pd.read_parquet(on_spark.rejects_path).sort_values(["input_file", "input_row"], ignore_index=True)
    assert got_rejects["application_id"].tolist() == want_rejects["application_id"].tolist()
    assert got_rejects["reason"].tolist() == want_rejects["reason"].tolist()
    assert got_rejects["fields"].tolist() == ["owner_age", "industry", "years_in_business"]
    # Spark says which part and which row of it: the last planted row is row 990 of the third.
    assert list(zip(got_rejects["input_file"], got_rejects["input_row"])) == [
        ("part-00000.parquet", 5), ("part-00000.parquet", 10), ("part-00002.parquet", 990)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "embedded.parquet", "embedded.rejects.parquet", "spark.parquet", "spark.rejects.parquet"]


def test_a_broken_input_fails_whole_and_writes_nothing(trained_store: Settings, spark: Any, planted: Path,
                                                       tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    pd.read_parquet(planted).drop(columns=["owner_age"]).to_parquet(broken, index=False)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match=r"missing \['owner_age'\]"):
        score_batch_spark(A_CARD, broken, str(out / "scores.parquet"), spark=spark)
    with pytest.raises(LookupError, match="not in the registry"):
        score_batch_spark("no-such-model", planted, str(out / "scores.parquet"), spark=spark)
    with pytest.raises(ValueError, match="output must be outside the input folder"):
        score_batch_spark(A_CARD, planted, str(planted / "scores.parquet"), spark=spark)
    assert list(out.iterdir()) == []


def test_the_cli_checks_engine_and_master() -> None:
    runner = CliRunner()
    wrong = runner.invoke(app, ["score", "batch", "--model", A_CARD, "--input", "x", "--output", "y",
                                "--engine", "flink"])
    assert wrong.exit_code == 2 and "--engine must be embedded or spark; got 'flink'" in wrong.output
    lonely = runner.invoke(app, ["score", "batch", "--model", A_CARD, "--input", "x", "--output", "y",
                                 "--master", "yarn"])
    assert lonely.exit_code == 2 and "--master needs --engine spark" in lonely.output


def test_the_full_decision_on_spark_equals_the_embedded_one(trained_store: Settings, spark: Any, planted: Path,
                                                            tmp_path: Path) -> None:
    embedded = score_batch(A_CARD, planted, tmp_path / "embedded.parquet", kind="decision", batch_size=700)
    on_spark = score_batch_spark(A_CARD, planted, str(tmp_path / "spark.parquet"), kind="decision", spark=spark,
                                 batch_size=700)
    assert (on_spark.rows_scored, on_spark.rows_rejected, on_spark.version) == \
        (embedded.rows_scored, embedded.rows_rejected, embedded.version)
    want = pd.read_parquet(embedded.output_path)
    got = pd.read_parquet(on_spark.output_path).set_index("application_id").loc[want["application_id"]].reset_index()
    assert list(got.columns) == list(want.columns)
    for column in want.columns.drop("request_id"):  # a fresh request id per decision
        if pd.api.types.is_float_dtype(want[column]):
            np.testing.assert_allclose(got[column], want[column], rtol=0, atol=1e-12, err_msg=column)
        else:
            def plain(values: pd.Series) -> list[object]:
                return [list(v) if isinstance(v, np.ndarray) else v for v in values.where(values.notna(), None)]

            assert plain(got[column]) == plain(want[column]), column
