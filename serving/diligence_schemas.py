"""Request models of the due-diligence routes, generated from the findings' contract
(``riskmodels.contract.diligence``): each finding's type, unit, range and nullability come
from there, checked strictly, as the application's columns are."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.contract import DILIGENCE_FINDINGS, Table
from serving.schemas import ApplicationRequest, request_model

FindingsRequest = request_model(Table(
    "findings", "The account manager's findings (the diligence_findings table without its key)", key=(),
    columns=tuple(c for c in DILIGENCE_FINDINGS.columns if c.source != "key")))
APPLICATION_REQUEST_ID_RULE = "must name an audited application decision (its X-Request-ID)"


class DiligenceRequest(BaseModel):
    """One due-diligence rescoring: the application as it was scored, and what the visit found."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    application_request_id: str = Field(min_length=1, max_length=200, description=(
        "The request id of the application decision the visit audits (`/v1/score/application`, or "
        "`<id>:<index>` for a row of a batch)"))
    application: ApplicationRequest = Field(description=(  # type: ignore[valid-type]
        "The application exactly as it was scored under application_request_id (checked against its audited keyed hash)"))
    findings: FindingsRequest = Field(description="The account manager's findings")  # type: ignore[valid-type]

    def rows(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The application and the findings as JSON values (as the audit log hashes them)."""
        dumped = self.model_dump(mode="json")
        return dumped["application"], dumped["findings"]
