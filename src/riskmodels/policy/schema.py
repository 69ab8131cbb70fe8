"""The lending policy as typed settings: what a risk manager edits in ``default_policy.yaml``.

Every number of DOMAIN.md §4-§6 lives here with the seed's value as its default; the YAML
file repeats them with the reasons for each. Amounts are CNY, rates are percent a year
(``3.0`` is 3%), shares and probabilities are fractions (``0.45`` is 45%).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from riskmodels.contract import INDUSTRIES, REGISTRY_STATUSES, TAX_GRADES
from riskmodels.policy.master_scale import MasterScale, default_master_scale
from riskmodels.policy.risk_classes import RiskBand, RiskBands

Industry = Literal[INDUSTRIES]  # type: ignore[valid-type]
RegistryStatus = Literal[REGISTRY_STATUSES]  # type: ignore[valid-type]
TaxGrade = Literal[TAX_GRADES]  # type: ignore[valid-type]


def _between(low: float, high: float) -> AfterValidator:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise PydanticCustomError("out_of_range", f"must be between {low:g} and {high:g}")
        return value

    return AfterValidator(check)


def _at_least(low: float) -> AfterValidator:
    def check(value: float) -> float:
        if not value >= low:
            raise PydanticCustomError("out_of_range", f"must be at least {low:g}")
        return value

    return AfterValidator(check)


def _positive(value: float) -> float:
    if not value > 0:
        raise PydanticCustomError("out_of_range", "must be positive")
    return value


Share = Annotated[float, _between(0, 1)]  # a fraction: 0.4 is 40%
Probability = Annotated[float, _between(0, 1)]
Percent = Annotated[float, _between(0, 100)]  # a rate in percent a year, or a percent share
Score = Annotated[float, _between(0, 100)]
Amount = Annotated[float, _at_least(0)]  # CNY
Count = Annotated[float, _at_least(0)]  # months, years, transactions
Positive = Annotated[float, AfterValidator(_positive)]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskClass(_Settings):
    """A score band with its PD and what it allows (limit cap, months of inflow, price)."""

    name: str = Field(min_length=1)
    min_score: Score
    pd: Probability | None = Field(None, description="PD of the class: the master scale's, filled at load")
    pd_override: Probability | None = Field(None, description="A PD the risk manager imposes")
    limit_cap: Amount
    inflow_months: Count = Field(description="General credit: months of average monthly inflow")
    price_multiplier: Positive = Field(description="band_multiplier pricing: times the minimum price")

    @property
    def effective_pd(self) -> float | None:
        return self.pd_override if self.pd_override is not None else self.pd


class PersonalBureauRule(_Settings):
    max_overdues_le30_24m: Count = 6
    max_dpd_24m: Count = 30


class Knockouts(_Settings):
    blacklist: bool = True
    allowed_registry_statuses: list[RegistryStatus] = Field(default_factory=lambda: ["active"])
    environmental_violation: bool = True
    personal_bureau: PersonalBureauRule = PersonalBureauRule()
    enterprise_bad_record: bool = True
    prohibited_industries: list[Industry] = Field(default_factory=lambda: ["mining"])
    fraud_reject: bool = True
    min_owner_age: Count = 18
    max_owner_age: Count = 70

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.min_owner_age > self.max_owner_age:
            raise ValueError(f"min_owner_age must be at most max_owner_age ({self.max_owner_age:g}); "
                             f"got {self.min_owner_age:g}")
        return self


class FraudBands(_Settings):
    """Left null, the fraud model's own bands (trained with it) decide the verdict."""

    pass_score: Score | None = None
    review_score: Score | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.pass_score is None) != (self.review_score is None):
            raise ValueError("pass_score must be set together with review_score; got only one of them")
        if self.pass_score is not None and self.review_score is not None and self.review_score > self.pass_score:
            raise ValueError(f"review_score must be at most pass_score ({self.pass_score:g}); "
                             f"got {self.review_score:g}")
        return self


class HighScoreExceptions(_Settings):
    branch_exception_admission: bool = False
    branch_npl_above_average: bool = False
    industries_under_warning: list[Industry] = Field(default_factory=list)
    min_main_business_share_pct: Percent = 50
    min_account_tenure_months: Count = 12
    tax_arrears: bool = True
    max_amount: Amount = 2_000_000
    # review: a request above max_amount sends everything to a person (seed 002); offer: the
    # pre-approved limit (never above max_amount, see Policy) at once, only the excess to a person.
    above_max_amount: Literal["review", "offer"] = "review"
    young_owner_age: Count = 25
    senior_owner_age: Count = 65


class LowScoreExceptions(_Settings):
    government_risk_sharing: bool = True
    min_owner_financial_assets: Amount = 3_000_000
    limit_cap: Amount = 500_000


class Bands(_Settings):
    approve_from: Score = 80
    reject_below: Score = 60
    high_score_exceptions: HighScoreExceptions = HighScoreExceptions()
    low_score_exceptions: LowScoreExceptions = LowScoreExceptions()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.reject_below > self.approve_from:
            raise ValueError(f"reject_below must be at most approve_from ({self.approve_from:g}); "
                             f"got {self.reject_below:g}")
        return self


class _Product(_Settings):
    enabled: bool = True
    max_term_months: Annotated[int, _at_least(1)] = 12
    cap: Amount


class DebtService(_Settings):
    repayment: Literal["interest_only", "amortising"] = "interest_only"
    net_flow_share: Share = 0.5


class GeneralCredit(_Product):
    cap: Amount = 2_000_000
    min_years_in_business: Count = 1
    min_owner_experience_years: Count = 3
    debt_service: DebtService = DebtService()


class PosLoan(_Product):
    cap: Amount = 3_000_000
    min_years_in_business: Count = 2
    min_pos_tenure_months: Count = 12
    min_active_months: Annotated[float, _between(0, 12)] = 12
    min_volume_12m: Amount = 300_000
    min_count_12m: Count = 100
    volume_share: Share = 0.30
    best_class_share: Share = 0.50
    best_classes: list[str] = Field(default_factory=lambda: ["A"])


class TaxLoan(_Product):
    cap: Amount = 2_000_000
    min_years_in_business: Count = 2
    grades: list[TaxGrade] = Field(default_factory=lambda: ["A"])
    grades_without_penalties: list[TaxGrade] = Field(default_factory=lambda: ["B"])
    min_tax_mean_yearly: Amount = 20_000
    tax_multiple: Count = 3
    sales_share: Share = 0.08


class FlowLoan(_Product):
    cap: Amount = 2_000_000
    min_account_tenure_months: Count = 24
    min_txn_count_12m: Count = 100
    min_annual_inflow: Amount = 2_000_000
    min_avg_daily_balance: Amount = 30_000
    small_loan_max: Amount = 500_000
    small_loan_balance_multiple: Count = 3
    large_loan_balance_multiple: Count = 1


class PlatformLoan(_Product):
    """Seed 002 §三(二), 中行"沃金融": a revolving line for the platform's agents, paid to the platform."""

    cap: Amount = 3_000_000
    min_agent_months: Count = 24
    commission_share: Share = 0.50           # formula 1: 50% of 12 months' commissions ...
    forecast_share: Share = 0.70             # ... and at most 70% of the next 12 months' forecast
    order_share: Share = 0.15                # formula 2: 15% of 12 months' orders, when ordering is steady:
    max_order_gap_days: Count = 45           # no gap between orders above 45 days
    max_month_share: Share = 0.25            # no month above 25% of the 12 months' orders


class Products(_Settings):
    general_credit: GeneralCredit = GeneralCredit()
    pos_loan: PosLoan = PosLoan()
    tax_loan: TaxLoan = TaxLoan()
    flow_loan: FlowLoan = FlowLoan()
    platform_loan: PlatformLoan = PlatformLoan()


class Limits(_Settings):
    rounding_step: Positive = 10_000
    max_debt_to_sales: Share = 0.40
    # Limits are sized on the score with every characteristic that draws on one of these sources,
    # when the source is missing, held at its worst bin: removing a source never raises a limit.
    sized_with_missing_at_worst: list[Literal["flow", "tax", "pos"]] = ["flow", "tax", "pos"]
    # A limit score under the reject line (the score above it): review, a person sizes the loan;
    # low_score_cap, the limit is sized in the limit score's class under the low-score cap.
    thin_data: Literal["review", "low_score_cap"] = "review"
    # No automated product lends (admission failed or a zero limit): review, or reject (seed 002's
    # automatic rejection of an applicant who fails the admission conditions).
    no_product: Literal["review", "reject"] = "review"


class Pricing(_Settings):
    method: Literal["risk_based", "band_multiplier"] = "risk_based"
    pd_source: Literal["grade", "class", "applicant"] = "grade"
    funding_cost_pct: Percent = 3.0
    operating_cost_pct: Percent = 0.25
    lgd: Probability = 0.45
    capital_ratio: Share = 0.06
    hurdle_rate_pct: Percent = 8.0
    flat_capital_cost_pct: Percent | None = None
    margin_pct: Annotated[float, _between(-100, 100)] = 0.10
    minimum_price_pct: Percent = 3.9
    floor_pct: Percent = 3.5
    cap_pct: Percent = 12.0
    step_pct: Annotated[float, _between(0.0001, 1)] = 0.05
    rounding: Literal["nearest", "up"] = "nearest"

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.floor_pct > self.cap_pct:
            raise ValueError(f"floor_pct must be at most cap_pct ({self.cap_pct:g}); got {self.floor_pct:g}")
        for name in ("floor_pct", "cap_pct"):
            steps = getattr(self, name) / self.step_pct
            if abs(steps - round(steps)) > 1e-9:  # else rounding could step past the bound
                raise ValueError(f"{name} must be a multiple of step_pct ({self.step_pct:g}); "
                                 f"got {getattr(self, name):g}")
        return self


class Drawdown(_Settings):
    """Drawing on a facility (seed 000 §六): at or above ``entrusted_payment_from`` the bank pays
    the supplier (受托支付); below it the customer pays (自主支付)."""

    entrusted_payment_from: Positive = 300_000


class ReasonSettings(_Settings):
    top_n: Annotated[int, _between(1, 20)] = 4


class Policy(_Settings):
    version: str = Field(min_length=1)
    classes: list[RiskClass] = Field(min_length=1)
    knockouts: Knockouts = Knockouts()
    fraud: FraudBands = FraudBands()
    bands: Bands = Bands()
    products: Products = Products()
    limits: Limits = Limits()
    pricing: Pricing = Pricing()
    reasons: ReasonSettings = ReasonSettings()
    drawdown: Drawdown = Drawdown()
    # Default: the packaged master_scale.yaml (riskmodels.policy.master_scale).
    master_scale: MasterScale = Field(default_factory=default_master_scale)

    @model_validator(mode="after")
    def _check(self) -> Self:
        mins = [c.min_score for c in self.classes]
        if mins != sorted(set(mins), reverse=True) or mins[-1] != 0:
            raise ValueError(f"classes must run best first with strictly falling min_score ending at 0; got {mins}")
        names = [c.name for c in self.classes]
        if len(set(names)) != len(names):
            raise ValueError(f"classes must have unique names; got {names}")
        exceptions = self.bands.high_score_exceptions
        above = [c.name for c in self.classes if c.limit_cap > exceptions.max_amount]
        if exceptions.above_max_amount == "offer" and above:  # else an offer could lend past max_amount
            raise ValueError(f"classes' limit_cap must be at most bands.high_score_exceptions.max_amount "
                             f"({exceptions.max_amount:,.0f}) when above_max_amount is offer; got {above}")
        unknown = sorted(set(self.products.pos_loan.best_classes) - set(names))
        if unknown:
            raise ValueError(f"products.pos_loan.best_classes must name classes of {names}; got {unknown}")
        return self

    def risk_class(self, score: float) -> RiskClass:
        """The first class, best first, whose minimum the score reaches."""
        for risk_class in self.classes:
            if score >= risk_class.min_score:
                return risk_class
        return self.classes[-1]  # a NaN score: the worst class, never an empty answer

    def risk_bands(self) -> RiskBands:
        """The classes as score bands, for training: one definition of A-D for both."""
        return RiskBands(tuple(RiskBand(c.name, float(c.min_score)) for c in self.classes))
