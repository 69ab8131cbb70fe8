"""Fixtures of the simulator's tests: one generated portfolio, and a contract checker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import Table
from riskmodels.synth import Portfolio, read_portfolio
from riskmodels.synth.schema import pandas_dtype


@pytest.fixture(scope="session")
def portfolio(portfolio_dir: Path) -> Portfolio:
    """The session's shared portfolio (20,000 applications, seed 11), read back from Parquet."""
    return read_portfolio(portfolio_dir)


def check_against_contract(df: pd.DataFrame, table: Table) -> None:
    """Exactly the table's columns, in order, typed, inside ranges and categories, keys unique."""
    assert list(df.columns) == table.names, f"{table.name}: columns differ from the contract"
    for column in table.columns:
        values = df[column.name]
        where = f"{table.name}.{column.name}"
        expected = pandas_dtype(column)
        if expected == "str":
            assert pd.api.types.is_string_dtype(values.dtype), f"{where}: dtype {values.dtype}"
        elif expected == "datetime64[ns]":
            assert pd.api.types.is_datetime64_dtype(values.dtype), f"{where}: dtype {values.dtype}"
        else:
            assert str(values.dtype) == expected, f"{where}: dtype {values.dtype}, contract wants {expected}"
        if not column.nullable:
            assert values.notna().all(), f"{where}: nulls in a non-nullable column"
        present = values.dropna()
        if column.categories is not None:
            assert set(present.unique()) <= set(column.categories), f"{where}: unknown categories"
        if column.is_numeric() and len(present):
            numbers = present.to_numpy(dtype=float)
            special = np.isin(numbers, list(column.special_codes))
            inside = np.ones(len(numbers), bool)
            if column.minimum is not None:
                inside &= numbers >= column.minimum
            if column.maximum is not None:
                inside &= numbers <= column.maximum
            assert (inside | special).all(), f"{where}: values outside [{column.minimum}, {column.maximum}]"
            if column.dtype == "int":
                assert (numbers == np.round(numbers)).all(), f"{where}: non-integers"
    assert not df.duplicated(list(table.key)).any(), f"{table.name}: duplicate keys {table.key}"
    for earlier, later in table.date_order:
        assert (df[earlier] <= df[later]).all(), f"{table.name}: {earlier} after {later}"


@pytest.fixture(scope="session")
def contract_check() -> Callable[[pd.DataFrame, Table], None]:
    return check_against_contract
