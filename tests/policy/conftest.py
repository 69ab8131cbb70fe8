"""A policy with class PDs and a clean applicant to vary one fact at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from policy_cases import CLASS_PDS, CLEAN

from riskmodels.policy import ApplicationFacts, Policy, load_policy, parse_policy, with_class_pds


def _class_priced() -> Policy:
    """The default policy with fixed class PDs, priced on the class's PD (the default prices the
    applicant's master-scale grade: tests/policy/test_master_scale.py)."""
    policy = with_class_pds(load_policy(), CLASS_PDS)
    return policy.model_copy(update={"pricing": policy.pricing.model_copy(update={"pd_source": "class"})})


@pytest.fixture(scope="session")
def policy() -> Policy:
    return _class_priced()


@pytest.fixture(scope="session")
def tuned() -> Callable[..., Policy]:
    """The default policy with settings changed by dotted path: tuned(**{"pricing.lgd": 0.6})."""
    base = _class_priced().model_dump()

    def make(**changes: Any) -> Policy:
        data = _copy(base)
        for path, value in changes.items():
            *parents, leaf = path.split(".")
            node = data
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[leaf] = value
        return parse_policy(data)

    return make


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


@pytest.fixture
def facts() -> Callable[..., ApplicationFacts]:
    """The clean applicant with some facts changed: facts(owner_age=70)."""

    def make(**changes: Any) -> ApplicationFacts:
        return replace(CLEAN, **changes)

    return make
