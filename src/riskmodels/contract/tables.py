"""The data contract: every table the platform reads, column by column.

One source for the quality suites, the feature builders, the API schemas and the simulator.
Monthly series are stored wide, ``*_m01`` being the most recent full month before the
application and ``*_m12`` the oldest, as a bank's data warehouse exports them. A source that
was not available for a customer (no POS terminal, no tax authorisation, no enterprise bureau
file) is sent as nulls in all its columns: missing is information, never an error.
"""

from __future__ import annotations

from riskmodels.contract.types import Column, Label, Table

MONTHS = 12
INDUSTRIES = (
    "catering", "retail", "wholesale", "manufacturing", "technology", "services",
    "agriculture", "transport", "construction", "entertainment", "mining",
)
ENTITY_TYPES = ("individual_business", "micro", "small")
REGISTRY_STATUSES = ("active", "abnormal", "revoked")
TAX_GRADES = ("A", "B", "M", "C", "D")
PRODUCTS = ("general_credit", "pos_loan", "tax_loan", "flow_loan", "platform_loan")
PURPOSES = ("working_capital", "renovation", "equipment", "hiring", "inventory", "other")
COLLATERAL_TYPES = ("none", "equipment", "property", "guarantee")
DPD_BUCKETS = ("1-29", "30-59", "60-89", "90+")
NEVER = {-1: "never happened"}

MAX_CNY = 1e10  # generous ceiling: rejects unit errors (fen for yuan) without rejecting big firms


def _monthly(prefix: str, source: str, what: str, unit: str, nullable: bool, integer: bool = False) -> tuple[Column, ...]:
    return tuple(
        Column(
            f"{prefix}_m{m:02d}", "int" if integer else "float",
            f"{what}, {m} month(s) before the application month", source, unit,  # type: ignore[arg-type]
            minimum=0, maximum=MAX_CNY if unit == "CNY" else 1e6, nullable=nullable,
            required=not nullable,
        )
        for m in range(1, MONTHS + 1)
    )


def _money(name: str, desc: str, source: str, nullable: bool = False, minimum: float = 0) -> Column:
    return Column(name, "float", desc, source, "CNY", minimum=minimum, maximum=MAX_CNY,
                  nullable=nullable, required=not nullable)


def _count(name: str, desc: str, source: str, maximum: float = 1000, nullable: bool = False,
           special: dict[int, str] | None = None) -> Column:
    return Column(name, "int", desc, source, "count", minimum=0, maximum=maximum, nullable=nullable,
                  required=not nullable, special_codes=special or {})


# An id or a name made only of blanks names nothing: a key would join nothing, a business name
# would say nothing. Blanks: every Unicode space (the ideographic U+3000, no-break U+00A0, ...),
# the invisible format characters (zero-width spaces and joiners, the byte-order mark, soft
# hyphen, direction marks) and control characters. Spelled out, not ``\s``, so Python's re,
# pydantic's Rust engine, Arrow's RE2 and a JSON Schema validator read it alike.
BLANKS = (r" \x00-\x1f\x7f-\x9f\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064"
          r"\u3000\ufeff")
NOT_BLANK_PATTERN = rf"[{BLANKS}]*[^{BLANKS}][\s\S]*"
NOT_BLANK_RULE = "must hold a visible character (not only spaces, line breaks, invisible or control characters)"


def _text(name: str, desc: str, source: str) -> Column:
    return Column(name, "string", desc, source, pattern=NOT_BLANK_PATTERN, rule=NOT_BLANK_RULE)


_KEYS = (
    _text("application_id", "Unique id of the application", "key"),
    Column("application_date", "date", "Date the application was submitted", "key"),
    _text("business_name", "Registered name of the business", "registry"),
    Column("owner_id_number", "string", "Owner's resident ID number (18 characters)", "owner", pii=True,
           pattern=r"[0-9]{17}[0-9X]", rule="must be 18 characters: 17 digits 0-9, then a digit or X"),
    Column("owner_phone", "string", "Owner's mobile number (11 digits)", "owner", pii=True,
           pattern=r"1[0-9]{10}", rule="must be 11 digits 0-9 starting with 1"),
)

_REGISTRY = (
    Column("entity_type", "category", "Legal form of the borrower", "registry", categories=ENTITY_TYPES),
    Column("industry", "category", "Main industry of the business", "registry", categories=INDUSTRIES),
    Column("years_in_business", "float", "Years since registration", "registry", "years", 0, 80),
    Column("employees", "int", "Number of employees", "registry", "count", 0, 10000),
    Column("registry_status", "category", "Status in the business registry (abnormal = 经营异常名录)",
           "registry", categories=REGISTRY_STATUSES),
    Column("environmental_violation", "bool", "Environmental penalty on record", "registry"),
    Column("account_tenure_months", "int", "Months since the business opened its account with the bank",
           "registry", "months", 0, 600),
    Column("main_business_share", "float", "Share of revenue from the main business", "registry",
           "percent", 0, 100),
)

_OWNER = (
    Column("owner_age", "int", "Owner's age", "owner", "years", 18, 90),
    Column("owner_experience_years", "float", "Owner's years of experience in the industry", "owner",
           "years", 0, 70),
    Column("owner_local_resident", "bool", "Owner holds local residence (本地户籍)", "owner"),
    Column("owner_has_property", "bool", "Owner owns residential property", "owner"),
    _money("owner_financial_assets", "Owner's average financial assets at the bank over 12 months",
           "owner", nullable=True),
    Column("owner_private_banking", "bool", "Owner is a private-banking client", "owner"),
)

_FLOW = (
    *_monthly("inflow", "flow", "Account credits (settlement inflow) in the month", "CNY", True),
    *_monthly("outflow", "flow", "Account debits (settlement outflow) in the month", "CNY", True),
    *_monthly("txn_count", "flow", "Number of account transactions in the month", "count", True, integer=True),
    _money("avg_daily_balance", "Average daily balance over the last 12 months", "flow", nullable=True),
    _money("max_single_inflow", "Largest single credit over the last 12 months", "flow", nullable=True),
)

_TAX = (
    _money("tax_paid_y1", "Tax paid in the last 12 months", "tax", nullable=True),
    _money("tax_paid_y2", "Tax paid in the 12 months before that", "tax", nullable=True),
    _money("declared_sales_y1", "Sales declared to the tax bureau, last 12 months", "tax", nullable=True),
    _money("declared_sales_y2", "Sales declared to the tax bureau, the 12 months before", "tax", nullable=True),
    Column("tax_grade", "category", "Tax credit grade (纳税信用等级; M = new taxpayer)", "tax",
           categories=TAX_GRADES, nullable=True, required=False),
    Column("tax_arrears_3y", "bool", "Tax arrears within 3 years", "tax", nullable=True, required=False),
    _count("tax_penalties_3y", "Tax penalties within 3 years", "tax", 100, nullable=True),
)

_POS = (
    *_monthly("pos_volume", "pos", "POS acquiring volume in the month", "CNY", True),
    *_monthly("pos_count", "pos", "POS transactions in the month", "count", True, integer=True),
    Column("pos_tenure_months", "int", "Months of POS acquiring with the bank", "pos", "months", 0, 600,
           nullable=True, required=False),
)

# E-commerce and supply-chain platforms (seed 002 §三(二), 中行"沃金融" on 联通's 沃易购): what the
# platform pushes to the bank about its agent. Null for a business that is no platform's agent.
_PLATFORM = (
    Column("platform_agent_months", "int", "Months as the platform's registered agent", "platform", "months", 0, 600,
           nullable=True, required=False),
    _money("platform_orders_12m", "Order value on the platform, last 12 months", "platform", nullable=True),
    _count("platform_order_count_12m", "Orders on the platform, last 12 months", "platform", 100_000, nullable=True),
    Column("platform_max_order_gap_days", "int", "Longest gap between two orders, last 12 months", "platform",
           "days", 0, 366, nullable=True, required=False),
    Column("platform_max_month_share", "float", "Largest month's share of the 12 months' order value", "platform",
           "ratio", 0, 1, nullable=True, required=False),
    _money("platform_commissions_12m", "Commissions received from the platform, last 12 months", "platform",
           nullable=True),
    _money("platform_commission_forecast_12m", "The platform's forecast of commissions, next 12 months", "platform",
           nullable=True),
)

# The identifiers the platform links applications by (riskmodels.links), beyond the owner's ID and
# phone: personal data, kept only as keyed hashes or masked (contract.privacy). Optional: a
# branch application has no device, and a caller that sends neither is linked by ID and phone.
# ASCII and CJK ranges only, so that the pattern reads alike in Python and in a JSON Schema.
DEVICE_ID_PATTERN = r"[0-9A-Za-z][0-9A-Za-z._:-]{7,63}"
BUSINESS_ADDRESS_PATTERN = r"[0-9A-Za-z\u3400-\u4DBF\u4E00-\u9FFF#·-]{4,120}"
_IDENTITY = (
    Column("device_id", "string", "Fingerprint of the device the application was submitted from (设备指纹), as the "
           "anti-fraud SDK reports it", "identity", nullable=True, required=False, pii=True,
           pattern=DEVICE_ID_PATTERN,
           rule="must be 8 to 64 characters: ASCII letters, digits, '.', '_', ':' or '-', starting with a letter or "
                "digit"),
    Column("business_address", "string", "Business address (经营地址), normalised: city to room, without spaces "
           "or punctuation", "identity", nullable=True, required=False, pii=True,
           pattern=BUSINESS_ADDRESS_PATTERN,
           rule="must be 4 to 120 characters, each a Chinese character, an ASCII letter or digit, '#', '-' or '·' "
                "(the address normalised: no spaces or punctuation)"),
)

# Each identifier column's label, in Chinese and in English: for forms, list entries and reports.
IDENTIFIER_LABELS: dict[str, tuple[str, str]] = {
    "owner_id_number": ("经营者身份证号", "owner's resident ID number"),
    "owner_phone": ("经营者手机号", "owner's mobile number"),
    "device_id": ("设备指纹", "device fingerprint"),
    "business_address": ("经营地址", "business address"),
}

_BUREAU = (
    _count("pb_overdue_le30_24m", "Personal bureau: overdues of at most 30 days in 24 months", "bureau", 200),
    Column("pb_max_dpd_24m", "int", "Personal bureau: worst days past due in 24 months", "bureau", "days", 0, 3650),
    Column("pb_months_since_overdue", "int", "Personal bureau: months since the last overdue (-1: never)",
           "bureau", "months", 0, 600, special_codes=NEVER),
    _count("pb_inquiries_3m", "Personal bureau: loan inquiries by other lenders, last 3 months", "bureau", 200),
    _count("pb_inquiries_6m", "Personal bureau: loan inquiries by other lenders, last 6 months", "bureau", 400),
    _count("pb_lenders", "Personal bureau: lenders with an outstanding balance", "bureau", 100),
    _money("pb_outstanding_debt", "Personal bureau: outstanding debt", "bureau"),
    _count("eb_overdue_24m", "Enterprise bureau: overdues in 24 months", "bureau_enterprise", 200, nullable=True),
    Column("eb_max_dpd_24m", "int", "Enterprise bureau: worst days past due in 24 months", "bureau_enterprise",
           "days", 0, 3650, nullable=True, required=False),
    Column("eb_bad_record_3y", "bool", "Enterprise bureau: bad record (不良记录) within 3 years",
           "bureau_enterprise", nullable=True, required=False),
    _count("eb_lenders", "Enterprise bureau: lenders with an outstanding balance", "bureau_enterprise", 100,
           nullable=True),
    _money("eb_outstanding_debt", "Enterprise bureau: outstanding debt", "bureau_enterprise", nullable=True),
)

_ANTIFRAUD = (
    Column("phone_tenure_months", "int", "Months the owner's phone number has been in service", "antifraud",
           "months", 0, 600),
    Column("address_stability_months", "int", "Months at the current business address", "antifraud",
           "months", 0, 600),
    _count("device_shared_count", "Other applicants seen on the same device", "antifraud"),
    _count("phone_shared_count", "Other applicants sharing the phone number", "antifraud"),
    _count("address_shared_count", "Other applicants sharing the business address", "antifraud"),
    _count("applications_7d", "Loan applications by this owner in the last 7 days (all lenders)", "antifraud", 100),
    _count("applications_30d", "Loan applications by this owner in the last 30 days (all lenders)", "antifraud", 300),
    Column("blacklist_hit", "bool", "Owner or business on a central-bank or bank blacklist", "antifraud"),
    _money("declared_annual_revenue", "Annual revenue declared on the application form", "request"),
)

_JUDICIAL = (
    _count("lawsuits_3y", "Lawsuits as defendant within 3 years", "judicial", 500),
    _count("enforcements_3y", "Enforcement orders (被执行) within 3 years", "judicial", 500),
)

_REQUEST = (
    Column("product", "category", "Product applied for", "request", categories=PRODUCTS),
    _money("requested_amount", "Amount requested", "request", minimum=1000),
    Column("requested_term_months", "int", "Term requested", "request", "months", 1, 60),
    Column("purpose", "category", "Purpose of the loan", "request", categories=PURPOSES),
    Column("collateral_type", "category", "Collateral or guarantee offered", "request",
           categories=COLLATERAL_TYPES),
    _money("collateral_value", "Appraised value of the collateral", "request", nullable=True),
    Column("government_risk_sharing", "bool", "Covered by government risk-sharing or interest subsidy",
           "request"),
)

APPLICATIONS = Table(
    "applications",
    "One row per application, with the raw sources as the loan system sends them",
    key=("application_id",),
    columns=(*_KEYS, *_REGISTRY, *_OWNER, *_FLOW, *_TAX, *_POS, *_BUREAU, *_ANTIFRAUD, *_JUDICIAL, *_REQUEST, *_PLATFORM,
             *_IDENTITY),
)

OUTCOMES = Table(
    "outcomes",
    "What happened to each application: booking, default, fraud",
    key=("application_id",),
    columns=(
        Column("application_id", "string", "Joins applications", "key"),
        Column("booked", "bool", "The loan was approved and drawn", "label"),
        _money("booked_amount", "Amount booked", "label", nullable=True),
        Column("bad_12m", "int", "90+ days past due within 12 months of booking (null when not booked)",
               "label", minimum=0, maximum=1, nullable=True),
        Column("fpd", "int", "First payment default: the first instalment 30+ days late (null when not booked)",
               "label", minimum=0, maximum=1, nullable=True),
        Column("is_fraud", "int", "Confirmed fraud (application fraud or bust-out)", "label", minimum=0, maximum=1),
    ),
)

TRUTH = Table(
    "truth",
    "The simulator's hidden truth: no model may read it; tests use it for oracle AUCs",
    key=("application_id",),
    columns=(
        Column("application_id", "string", "Joins applications", "key"),
        Column("true_pd", "float", "True 12-month probability of 90+ DPD", "truth", "ratio", 0, 1),
        Column("bad_12m_if_booked", "int", "The 12-month outcome (bad_12m) every application would have had as a "
               "loan: the booked loan's own, else drawn from the same process (probability true_pd)", "truth",
               minimum=0, maximum=1),
        Column("true_fraud_prob", "float", "True probability of fraud", "truth", "ratio", 0, 1),
        Column("health", "float", "Latent business health (standard normal)", "truth", minimum=-10, maximum=10),
        Column("integrity", "float", "Latent owner integrity (standard normal)", "truth", minimum=-10, maximum=10),
        Column("fraud_ring_id", "string", "Fraud ring the application belongs to, if any", "truth", nullable=True),
    ),
)

BEHAVIOR_SNAPSHOTS = Table(
    "behavior_snapshots",
    "Month-end snapshot of every active booked loan",
    key=("account_id", "snapshot_date"),
    account="account_id",
    columns=(
        _text("account_id", "The loan (equals the application_id it came from)", "key"),
        Column("snapshot_date", "date", "Month-end date of the snapshot", "key"),
        Column("industry", "category", "Industry at booking", "registry", categories=INDUSTRIES),
        Column("months_on_book", "int", "Months since booking", "account", "months", 0, 120),
        Column("months_to_maturity", "int", "Months until the current term matures (0 = matures this month; "
               "a renewed loan starts a new term)", "account", "months", 0, 60),
        _money("limit_amount", "Credit limit", "account"),
        _money("balance", "Outstanding balance", "account"),
        _money("instalment_due", "Next instalment amount", "account"),
        _money("balance_before_due", "Deposit balance 3 days before the next due date", "account"),
        Column("dpd", "int", "Days past due at month end", "account", "days", 0, 3650),
        Column("worst_dpd_3m", "int", "Worst days past due in the last 3 months", "account", "days", 0, 3650),
        Column("worst_dpd_6m", "int", "Worst days past due in the last 6 months", "account", "days", 0, 3650),
        _count("times_dpd_1_29_6m", "Months with 1-29 days past due in the last 6 months", "account", 6),
        _money("inflow_month", "Account inflow in the month", "flow"),
        _money("inflow_baseline", "Mean monthly inflow in the 12 months before the application", "flow"),
        _money("inflow_same_month_last_year", "Account inflow in the same month a year earlier; January and February "
               "swap when the Spring Festival moved between them (null when that month's flow is unknown)", "flow",
               nullable=True),
        _money("avg_balance_month", "Average daily balance in the month", "flow"),
        _money("avg_balance_baseline", "Average daily balance before the application", "flow"),
        _count("new_inquiries_since_booking", "Bureau inquiries by other lenders since booking", "bureau", 500),
        _count("new_lenders_since_booking", "New lenders with a balance since booking", "bureau", 100),
        Column("new_large_loan_other_bank", "bool", "A new loan above the configured size at another lender this month",
               "bureau"),
        Column("tax_trend", "float", "Tax paid, last 12 months over the 12 before (1 = flat)", "tax", "ratio", 0, 100,
               nullable=True, required=False),
        Column("pos_trend", "float", "POS volume, last 3 months over the application baseline", "pos", "ratio", 0, 100,
               nullable=True, required=False),
        Column("a_score_origination", "float", "Application score at origination", "account", "score", 0, 100),
        Column("bad_6m_forward", "int", "90+ DPD within the next 6 months (null when not yet observable)",
               "label", minimum=0, maximum=1, nullable=True),
    ),
)

COLLECTION_CASES = Table(
    "collection_cases",
    "One row per account entering delinquency (a collection case)",
    key=("case_id",),
    account="account_id",  # an account can enter delinquency more than once
    columns=(
        _text("case_id", "Unique id of the case", "key"),
        _text("account_id", "The loan", "key"),
        Column("case_date", "date", "Date the case opened", "key"),
        Column("industry", "category", "Industry of the borrower", "registry", categories=INDUSTRIES),
        Column("dpd", "int", "Days past due when the case opened", "account", "days", 1, 3650),
        Column("dpd_bucket", "category", "Delinquency bucket", "account", categories=DPD_BUCKETS),
        _money("balance", "Outstanding balance", "account"),
        _money("limit_amount", "Credit limit", "account"),
        _count("previous_delinquencies_12m", "Earlier delinquency episodes in 12 months", "account", 12),
        Column("contact_success_rate", "float", "Share of collection calls answered, last 3 months", "contact",
               "ratio", 0, 1, nullable=True, required=False),
        _count("promises_made_6m", "Promises to pay made in 6 months", "contact", 50),
        _count("promises_kept_6m", "Promises to pay kept in 6 months", "contact", 50),
        _money("inflow_last_month", "Account inflow in the last month", "flow"),
        _money("inflow_baseline", "Mean monthly inflow before the application", "flow"),
        Column("latest_b_score", "float", "Latest behavioural score", "account", "score", 0, 100),
        Column("cured_30d", "int", "Back to current within 30 days", "label", minimum=0, maximum=1),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (APPLICATIONS, OUTCOMES, TRUTH, BEHAVIOR_SNAPSHOTS, COLLECTION_CASES)
}

LABELS: dict[str, Label] = {
    "bad_12m": Label("bad_12m", "outcomes",
                     "1 when the loan reached 90+ days past due within 12 months of booking, else 0",
                     "booked applications"),
    "is_fraud": Label("is_fraud", "outcomes",
                      "1 when the application was confirmed fraudulent (identity, ring, bust-out)",
                      "all applications"),
    "bad_6m_forward": Label("bad_6m_forward", "behavior_snapshots",
                            "1 when the account reaches 90+ DPD within the 6 months after the snapshot",
                            "snapshots of accounts under 90 DPD with 6 months of future observed"),
    "cured_30d": Label("cured_30d", "collection_cases",
                       "1 when the account is back to current within 30 days of the case opening",
                       "all collection cases"),
}

# Sources a customer may lack entirely; their columns are all null together.
OPTIONAL_SOURCES = ("flow", "tax", "pos", "bureau_enterprise", "platform")


def table(name: str) -> Table:
    if name not in TABLES:
        raise KeyError(f"table must be one of {sorted(TABLES)}; got {name!r}")
    return TABLES[name]
