"""Batch scoring: same answers as the scorer, rejects with reasons, atomic output, bounded reads."""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from riskmodels.batch import BatchSummary, ModelRef, parse_model_ref, read_batches, score_batch, scorers
from riskmodels.config import REGISTERED_MODELS, Settings

N_ROWS = 3_000
A_CARD = REGISTERED_MODELS["application"]
FRAUD = REGISTERED_MODELS["fraud"]


@pytest.fixture(scope="module")
def applications(portfolio_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(portfolio_dir / "applications.parquet").head(N_ROWS)


@pytest.fixture()
def input_file(applications: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "in" / "applications.parquet"
    path.parent.mkdir()
    applications.to_parquet(path, index=False)
    return path


def _expected(name: str, rows: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    from riskmodels import registry
    from riskmodels.models.specs import scorer_from_spec

    spec, version = registry.load_spec(name, "champion")
    return scorer_from_spec(spec).score_frame(rows), version.version


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("model", [A_CARD, f"{FRAUD}@champion"])
def test_batch_equals_the_scorer_row_for_row(trained_store: Settings, applications: pd.DataFrame,
                                             input_file: Path, tmp_path: Path, model: str) -> None:
    calls: list[int] = []
    summary = score_batch(model, input_file, tmp_path / "out" / "scores.parquet", progress=calls.append,
                          batch_size=700)
    expected, version = _expected(parse_model_ref(model).name, applications)
    got = pd.read_parquet(summary.output_path)
    assert got["application_id"].tolist() == applications["application_id"].tolist()
    for column in expected.columns:
        if pd.api.types.is_numeric_dtype(expected[column]):
            np.testing.assert_allclose(got[column], expected[column], rtol=0, atol=1e-12, err_msg=column)
        else:
            assert got[column].tolist() == expected[column].tolist(), column
    assert set(got["model_name"]) == {parse_model_ref(model).name} and set(got["model_version"]) == {version}
    assert (summary.rows_read, summary.rows_scored, summary.rows_rejected) == (N_ROWS, N_ROWS, 0)
    assert summary.version == version and summary.rows_per_second > 0
    assert calls == [700, 700, 700, 700, 200]
    assert pq.read_metadata(summary.rejects_path).num_rows == 0  # written, empty: nothing was dropped
    assert _files(summary.output_path.parent) == ["scores.parquet", "scores.rejects.parquet"]


def test_a_folder_of_parts_scores_like_one_file(trained_store: Settings, applications: pd.DataFrame,
                                                input_file: Path, tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(N_ROWS), 3)):
        applications.iloc[chunk].to_parquet(parts / f"part-{i:05d}.parquet", index=False)
    (parts / "_SUCCESS").write_text("")
    one = score_batch(A_CARD, input_file, tmp_path / "one.parquet")
    many = score_batch(A_CARD, parts, tmp_path / "many.parquet", batch_size=400)
    pd.testing.assert_frame_equal(pd.read_parquet(many.output_path), pd.read_parquet(one.output_path))
    assert many.rows_read == many.rows_scored == N_ROWS


def test_bad_rows_go_to_rejects_with_the_field_and_rule(trained_store: Settings, applications: pd.DataFrame,
                                                        tmp_path: Path) -> None:
    rows = applications.copy()
    rows.loc[5, "owner_age"] = 150
    rows.loc[10, "industry"] = "fishing"
    rows.loc[12, ["pb_months_since_overdue", "pb_max_dpd_24m", "pb_overdue_le30_24m"]] = [-1, 0, 0]  # "never": valid
    rows.loc[13, "pb_months_since_overdue"] = -2
    rows.loc[20, "years_in_business"] = np.nan  # required
    rows.loc[21, "tax_grade"] = None  # nullable: valid
    rows.loc[30, "application_id"] = None
    rows.loc[40, ["owner_age", "entity_type"]] = [12, "plc"]
    rows.loc[50, "requested_term_months"] = np.inf if rows["requested_term_months"].dtype.kind == "f" else 61
    rows.loc[60, ["pb_inquiries_3m", "pb_inquiries_6m"]] = [9, 0]  # each in range, contradictory together
    path = tmp_path / "planted.parquet"
    rows.to_parquet(path, index=False)

    summary = score_batch(A_CARD, path, tmp_path / "scores.parquet", batch_size=1_000)
    rejects = pd.read_parquet(summary.rejects_path).set_index("input_row")
    assert sorted(rejects.index) == [5, 10, 13, 20, 30, 40, 50, 60]
    assert rejects.loc[60, "reason"] == ("pb_inquiries_3m: must be at most pb_inquiries_6m (the last 3 months "
                                         "are within the last 6); got 9")
    assert rejects.loc[5, "reason"] == "owner_age: must be between 18 and 90; got 150"
    assert rejects.loc[5, "application_id"] == rows.loc[5, "application_id"]
    assert rejects.loc[10, "fields"] == "industry" and "got 'fishing'" in rejects.loc[10, "reason"]
    assert rejects.loc[13, "reason"].startswith("pb_months_since_overdue: must be between 0 and 600 or -1")
    assert rejects.loc[20, "reason"] == "years_in_business: is required; got null"
    assert rejects.loc[30, "fields"] == "application_id" and pd.isna(rejects.loc[30, "application_id"])
    assert rejects.loc[40, "fields"] == "entity_type,owner_age"
    assert "owner_age: must be between 18 and 90; got 12" in rejects.loc[40, "reason"].split(" | ")
    assert rejects.loc[50, "fields"] == "requested_term_months"

    scored = pd.read_parquet(summary.output_path)
    assert summary.rows_read == summary.rows_scored + summary.rows_rejected == N_ROWS
    assert (summary.rows_rejected, len(scored)) == (8, N_ROWS - 8)
    kept = rows.drop(index=rejects.index)
    assert scored["application_id"].tolist() == kept["application_id"].tolist()
    np.testing.assert_allclose(scored["score"], _expected(A_CARD, kept)[0]["score"], rtol=0, atol=1e-12)


def test_a_bad_model_fails_before_anything_is_written(trained_store: Settings, input_file: Path,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(LookupError, match="no-such-model@champion is not in the registry"):
        score_batch("no-such-model", input_file, out / "scores.parquet")
    with pytest.raises(ValueError, match="NAME:VERSION"):
        score_batch(f"{A_CARD}:latest", input_file, out / "scores.parquet")
    assert _files(out) == []


def test_a_failure_midway_leaves_the_previous_output_untouched(trained_store: Settings, input_file: Path,
                                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "scores.parquet"
    previous = score_batch(A_CARD, input_file, target)
    before = target.read_bytes()
    real = scorers.model_scorer
    calls = {"n": 0}

    def failing(ref: ModelRef) -> scorers.BatchScorer:
        scorer = real(ref)

        def score(rows: pd.DataFrame) -> pd.DataFrame:
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("disk full")
            return scorer.score(rows)

        return scorers.BatchScorer(scorer.table, scorer.name, scorer.version, score, scorer.output_types)

    monkeypatch.setattr(scorers, "model_scorer", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        score_batch(A_CARD, input_file, target, batch_size=500)
    assert target.read_bytes() == before
    assert _files(tmp_path) == ["in", "scores.parquet", "scores.rejects.parquet"]  # no temporary left
    assert isinstance(previous, BatchSummary)


def test_a_file_without_a_required_column_is_refused_whole(trained_store: Settings, applications: pd.DataFrame,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "apps.parquet"
    applications.drop(columns=["owner_age"]).to_parquet(path, index=False)
    with pytest.raises(ValueError, match=r"missing \['owner_age'\]"):
        score_batch(A_CARD, path, tmp_path / "out" / "scores.parquet")
    assert not (tmp_path / "out").exists() or _files(tmp_path / "out") == []


def test_the_reader_yields_batches_of_at_most_the_configured_size(applications: pd.DataFrame,
                                                                  tmp_path: Path) -> None:
    table = pa.Table.from_pandas(applications, preserve_index=False)
    pq.write_table(table.slice(0, 1_700), tmp_path / "part-0.parquet", row_group_size=1_000)
    pq.write_table(table.slice(1_700), tmp_path / "part-1.parquet", row_group_size=5_000)
    reader = read_batches(tmp_path, columns=["application_id", "owner_age", "not_a_column"], batch_size=256)
    assert inspect.isgenerator(reader)  # lazy: nothing is read until asked
    sizes = []
    for record_batch in reader:
        assert record_batch.num_rows <= 256 and record_batch.schema.names == ["application_id", "owner_age"]
        sizes.append(record_batch.num_rows)
    assert sum(sizes) == N_ROWS and max(sizes) == 256
    with pytest.raises(ValueError, match="batch_size"):
        next(read_batches(tmp_path, batch_size=0))


def test_model_references() -> None:
    assert parse_model_ref("m") == ModelRef("m", "champion")
    assert parse_model_ref("m@challenger") == ModelRef("m", "challenger")
    assert parse_model_ref("m:3") == ModelRef("m", "3") and str(ModelRef("m", "3")) == "m:3"
    for bad in ("", "@champion", "m@", "m:x"):
        with pytest.raises(ValueError, match="model must be"):
            parse_model_ref(bad)


def test_rules_hold_on_arrow_types_as_a_bank_exports_them(applications: pd.DataFrame) -> None:
    from riskmodels.contract import APPLICATIONS
    from riskmodels.data.rejects import check_schema, find_problems

    rows = applications.head(6).astype({"owner_age": "float64", "blacklist_hit": "int64"})
    rows.loc[0, "owner_age"] = 30.5
    rows.loc[1, "blacklist_hit"] = 2
    rows.loc[2, "application_id"] = ""
    rows.loc[3, "industry"] = "fishing"
    rows.loc[4, "declared_annual_revenue"] = np.inf
    rows.loc[5, "avg_daily_balance"] = np.nan  # nullable: missing is allowed
    table = pa.Table.from_pandas(rows, preserve_index=False)
    table = table.set_column(table.schema.get_field_index("industry"), "industry",
                             table.column("industry").dictionary_encode())
    for name in ("tax_grade", "pos_tenure_months"):  # a part where an optional source is null throughout
        table = table.set_column(table.schema.get_field_index(name), name, pa.nulls(len(rows)))
    check_schema(table.schema, APPLICATIONS, "input")
    problems = find_problems(table, APPLICATIONS)
    assert problems.rejected.tolist() == [True] * 5 + [False]
    industries = list(APPLICATIONS.column("industry").categories or ())
    assert problems.reasons == ["owner_age: must be a whole number; got 30.5",
                                "blacklist_hit: must be true or false (1 or 0); got 2",
                                "application_id: is required; got ''",
                                f"industry: must be one of {industries}; got 'fishing'",
                                "declared_annual_revenue: must be between 0 and 10000000000; got inf"]
    with pytest.raises(ValueError, match=r"owner_age \(large_string, expected int\)"):
        check_schema(pa.Table.from_pandas(rows.astype({"owner_age": str}), preserve_index=False).schema,
                     APPLICATIONS, "input")


def test_decision_runs_the_champions_or_says_it_is_not_built(trained_store: Settings, applications: pd.DataFrame,
                                                             input_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "decisions.parquet"
    if importlib.util.find_spec("riskmodels.decision") is None:
        with pytest.raises(NotImplementedError, match="riskmodels.decision"):
            score_batch(A_CARD, input_file, out, kind="decision")
        assert not out.exists()
        return
    from riskmodels.decision import decide_frame
    from riskmodels.registry.champions import load_champions

    applications = applications.head(1_000)
    applications.to_parquet(input_file, index=False)
    # Small batches: some hold no approval at all, so a column such as the rate is null throughout.
    summary = score_batch(f"{A_CARD}@champion", input_file, out, kind="decision", batch_size=100)
    got = pd.read_parquet(out)
    expected = decide_frame(applications, load_champions())
    assert list(got.columns) == ["application_id", *expected.columns.drop("application_id"), "model_name",
                                 "model_version"]
    assert got["application_id"].tolist() == applications["application_id"].tolist()
    for column in expected.columns.drop("request_id"):
        if pd.api.types.is_float_dtype(expected[column]):
            np.testing.assert_allclose(got[column], expected[column], rtol=0, atol=1e-12, err_msg=column)
        else:
            assert [list(v) if isinstance(v, np.ndarray) else v for v in got[column].where(got[column].notna(), None)] \
                == expected[column].where(expected[column].notna(), None).tolist(), column
    assert summary.rows_scored == len(applications) and summary.kind == "decision"
    assert f"{A_CARD}:" in summary.version and f"{FRAUD}:" in summary.version and "policy:" in summary.version


def test_kind_is_checked_and_decision_needs_the_champions(trained_store: Settings, input_file: Path,
                                                          tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        score_batch(A_CARD, input_file, tmp_path / "s.parquet", kind="explain")
    with pytest.raises(ValueError, match="runs the champions"):
        score_batch(FRAUD, input_file, tmp_path / "s.parquet", kind="decision")
    assert not (tmp_path / "s.parquet").exists()
