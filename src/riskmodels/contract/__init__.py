"""The data contract: every table the platform reads, column by column, and the masking of the
personal data in them. Depends on nothing else in the package."""

from __future__ import annotations

from riskmodels.contract.diligence import DILIGENCE_FINDINGS, FINDING_LABELS, FINDINGS, REQUIRED_FINDINGS, Finding
from riskmodels.contract.tables import (
    APPLICATIONS,
    BEHAVIOR_SNAPSHOTS,
    COLLATERAL_TYPES,
    COLLECTION_CASES,
    DPD_BUCKETS,
    ENTITY_TYPES,
    INDUSTRIES,
    LABELS,
    MAX_CNY,
    MONTHS,
    NEVER,
    OPTIONAL_SOURCES,
    OUTCOMES,
    PRODUCTS,
    PURPOSES,
    REGISTRY_STATUSES,
    TABLES,
    TAX_GRADES,
    TRUTH,
    table,
)
from riskmodels.contract.types import Column, Label, Severity, Table

__all__ = [
    "APPLICATIONS", "BEHAVIOR_SNAPSHOTS", "DILIGENCE_FINDINGS", "FINDINGS", "FINDING_LABELS", "REQUIRED_FINDINGS",
    "Finding", "COLLATERAL_TYPES", "COLLECTION_CASES", "DPD_BUCKETS", "ENTITY_TYPES",
    "INDUSTRIES", "LABELS", "MAX_CNY", "MONTHS", "NEVER", "OPTIONAL_SOURCES", "OUTCOMES", "PRODUCTS", "PURPOSES",
    "REGISTRY_STATUSES", "TABLES", "TAX_GRADES", "TRUTH", "Column", "Label", "Severity", "Table", "table",
]
