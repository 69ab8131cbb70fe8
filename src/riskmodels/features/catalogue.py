"""Every model feature with its meaning, unit, risk direction and reason-code text (zh, en).

One catalogue for all models: the scorecards and the GBMs read ``risk_direction`` (monotone
constraints, sanity checks on WOE trends) and the explanation layer reads the adverse text
when a characteristic costs points, and ``SOURCE_MISSING`` when it is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class FeatureInfo:
    name: str
    source: str
    kind: Kind
    unit: str | None
    description_en: str
    description_zh: str
    # The reason code's title (its entry in the code table). Never shown as a claim about one
    # applicant: the reason text is templated from the applicant's value (decision.reasons).
    adverse_en: str
    adverse_zh: str
    risk_direction: Literal[-1, 0, 1]  # +1: higher is riskier, -1: higher is safer, 0: not monotone
    special_codes: dict[int, str] = field(default_factory=dict)  # code -> its meaning (en), e.g. -1: never
    special_codes_zh: dict[int, str] = field(default_factory=dict)
    # Keys of SOURCE_MISSING whose absence leaves the feature null (the missing-value reason).
    needs: tuple[str, ...] = ()


SOURCE_MISSING: dict[str, tuple[str, str]] = {
    "flow": ("无结算流水记录", "No settlement account flow"),
    "tax": ("无纳税记录（未授权银税互动）", "No tax records (tax data not authorised)"),
    "pos": ("无POS收单记录", "No POS acquiring history"),
    "bureau_enterprise": ("无企业征信记录", "No enterprise credit report"),
    "observed_revenue": ("无可核实的经营收入（无流水及纳税数据）",
                         "No verifiable revenue (neither account flow nor tax data)"),
}

_REVENUE = ("observed_revenue",)
# A dependency that stands for several sources: the observed revenue is the larger of the
# account inflow and the declared sales, so it is missing only when both sources are.
DERIVED_SOURCES: dict[str, tuple[str, ...]] = {"observed_revenue": ("flow", "tax")}

# How a category value reads in a reason text (zh, en); a value not listed reads as itself.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "catering": ("餐饮", "catering"), "retail": ("零售", "retail"), "wholesale": ("批发", "wholesale"),
    "manufacturing": ("制造", "manufacturing"), "technology": ("科技", "technology"),
    "services": ("服务", "services"), "agriculture": ("农业", "agriculture"), "transport": ("运输", "transport"),
    "construction": ("建筑", "construction"), "entertainment": ("娱乐", "entertainment"),
    "mining": ("采矿", "mining"), "individual_business": ("个体工商户", "individual business"),
    "micro": ("微型企业", "micro enterprise"), "small": ("小型企业", "small enterprise"),
}

_ENTRIES: tuple[tuple, ...] = (
    # name, source, unit, direction, description en / zh, adverse en / zh, [options]
    ("flow_mean_inflow", "flow", "CNY", -1, "Mean monthly account inflow, 12 months", "近12个月月均结算入账",
     "Low monthly account inflow", "月均结算流水偏低"),
    ("flow_annual_inflow", "flow", "CNY", -1, "Account inflow over 12 months (annualised)", "近12个月结算入账总额",
     "Low annual account inflow", "年结算流水偏低"),
    ("flow_inflow_volatility", "flow", "ratio", 1, "Coefficient of variation of monthly inflow", "月度入账波动系数",
     "Unstable monthly inflow", "月度流水波动较大"),
    ("flow_trend_3v12", "flow", "ratio", -1, "Mean inflow of the last 3 months over the 12-month mean",
     "近3个月月均入账与近12个月月均之比", "Account inflow falling in recent months", "近期流水明显下降"),
    ("flow_months_no_inflow", "flow", "months", 1, "Months without inflow, last 12", "近12个月无入账月数",
     "Months without account inflow", "存在无流水入账的月份"),
    ("flow_active_months", "flow", "months", -1, "Months with account transactions, last 12",
     "近12个月有交易的月数", "Few months with account activity", "账户活跃月数较少"),
    ("flow_max_inflow_share", "flow", "ratio", 1, "Largest single inflow over annual inflow",
     "最大单笔入账占年入账比例", "Inflow concentrated in unusually large credits", "流水集中于大额异常入账"),
    ("flow_avg_daily_balance", "flow", "CNY", -1, "Average daily balance, 12 months", "近12个月日均存款余额",
     "Low average daily balance", "日均存款余额偏低"),
    ("flow_balance_to_inflow", "flow", "ratio", -1, "Average daily balance over mean monthly inflow",
     "日均存款余额与月均入账之比", "Small balance held against the account's inflow", "账户沉淀资金相对流水偏少"),
    ("flow_growth_6v6", "flow", "ratio", -1, "Mean inflow of the last 6 months over the 6 months before",
     "近6个月月均入账与前6个月之比", "Account inflow lower than half a year before", "近半年流水较上半年下降"),
    ("flow_in_out_ratio", "flow", "ratio", 0, "Account inflow over outflow, 12 months", "近12个月入账与出账之比",
     "Outflow out of line with inflow", "出账与入账不匹配"),
    ("flow_txn_count_12m", "flow", "count", -1, "Account transactions in 12 months (annualised)",
     "近12个月账户交易笔数", "Few account transactions", "账户交易笔数较少"),
    ("tax_mean_yearly", "tax", "CNY", -1, "Mean yearly tax paid, last 2 years", "近两年年均纳税额",
     "Low tax paid", "纳税额偏低"),
    ("tax_growth", "tax", "ratio", -1, "Growth of tax paid, last year over the year before", "纳税额同比增长率",
     "Falling tax paid", "纳税额同比下降"),
    ("tax_grade", "tax", None, 0, "Tax credit grade (A/B/M/C/D)", "纳税信用等级",
     "Weak tax credit grade", "纳税信用等级较低", {"kind": "categorical"}),
    ("tax_arrears", "tax", "flag", 1, "Tax arrears within 3 years (1 = yes)", "近3年是否欠税",
     "Tax arrears within 3 years", "近3年有欠税记录"),
    ("tax_penalties", "tax", "count", 1, "Tax penalties within 3 years", "近3年税务处罚次数",
     "Tax penalties on record", "存在税务处罚记录"),
    ("tax_sales_last_year", "tax", "CNY", -1, "Sales declared to the tax bureau, last 12 months",
     "近12个月申报销售收入", "Low declared sales", "申报销售收入偏低"),
    ("tax_implied_revenue", "tax", "CNY", -1, "Revenue implied by last year's tax at a 2% nominal burden",
     "按2%名义税负推算的年收入", "Low revenue implied by tax paid", "纳税推算收入偏低"),
    ("tax_rate_on_sales", "tax", "ratio", 0, "Tax paid over declared sales, last 12 months",
     "近12个月税负率（纳税额/申报销售收入）", "Unusual tax burden on declared sales", "税负率异常"),
    ("pos_volume_12m", "pos", "CNY", -1, "POS acquiring volume in 12 months (annualised)", "近12个月POS收单金额",
     "Low POS volume", "POS收单金额偏低"),
    ("pos_count_12m", "pos", "count", -1, "POS transactions in 12 months (annualised)", "近12个月POS交易笔数",
     "Few POS transactions", "POS交易笔数较少"),
    ("pos_active_months", "pos", "months", -1, "Months with POS volume, last 12", "近12个月有POS收单的月数",
     "Few months with POS activity", "POS收单月数较少"),
    ("pos_longest_gap", "pos", "months", 1, "Longest run of months without POS volume", "最长连续无POS收单月数",
     "Long gaps in POS activity", "POS收单存在较长中断"),
    ("pos_growth_6v6", "pos", "ratio", -1, "Mean POS volume of the last 6 months over the 6 months before",
     "近6个月月均POS收单与前6个月之比", "POS volume lower than half a year before", "近半年POS收单较上半年下降"),
    ("pos_volatility", "pos", "ratio", 1, "Coefficient of variation of monthly POS volume", "月度POS收单波动系数",
     "Unstable POS volume", "POS收单波动较大"),
    ("pos_share_of_inflow", "pos", "ratio", 0, "POS volume over account inflow, 12 months",
     "POS收单金额占结算入账比例", "POS volume out of line with account inflow", "POS收单与结算流水不匹配",
     {"needs": ("pos", "flow")}),
    ("pb_overdue_le30_24m", "bureau", "count", 1, "Personal bureau: overdues of up to 30 days in 24 months",
     "个人征信近24个月30天以内逾期次数", "Overdues in the personal credit report", "个人征信近两年有逾期"),
    ("pb_max_dpd_24m", "bureau", "days", 1, "Personal bureau: worst days past due in 24 months",
     "个人征信近24个月最长逾期天数", "Long overdue in the personal credit report", "个人征信近两年逾期天数较长"),
    ("pb_months_since_overdue", "bureau", "months", -1, "Personal bureau: months since the last overdue (-1: never)",
     "个人征信距最近一次逾期月数（-1为从未逾期）", "Recent overdue in the personal credit report",
     "个人征信近期有逾期", {"special_codes": {-1: "never overdue"}, "special_codes_zh": {-1: "从未逾期"}}),
    ("bureau_inquiries_3m", "bureau", "count", 1, "Loan inquiries by other lenders, last 3 months",
     "近3个月其他机构贷款审批查询次数", "Many credit inquiries in the last 3 months", "近3个月征信查询次数较多"),
    ("bureau_inquiries_6m", "bureau", "count", 1, "Loan inquiries by other lenders, last 6 months",
     "近6个月其他机构贷款审批查询次数", "Many credit inquiries in the last 6 months", "近6个月征信查询次数较多"),
    ("bureau_lenders", "bureau", "count", 1, "Lenders with a balance, personal and enterprise reports",
     "个人及企业征信有未结清贷款的机构数", "Borrowing from many lenders", "多头借贷，授信机构较多"),
    ("bureau_outstanding_debt", "bureau", "CNY", 0, "Outstanding debt, personal and enterprise reports",
     "个人及企业征信未结清贷款余额", "High outstanding debt", "负债余额较高"),
    ("bureau_debt_to_revenue", "bureau", "ratio", 1, "Outstanding debt over best observed annual revenue",
     "负债余额与可核实年收入之比", "High debt relative to revenue", "负债收入比偏高", {"needs": _REVENUE}),
    ("eb_overdue_24m", "bureau_enterprise", "count", 1, "Enterprise bureau: overdues in 24 months",
     "企业征信近24个月逾期次数", "Overdues in the enterprise credit report", "企业征信近两年有逾期"),
    ("eb_max_dpd_24m", "bureau_enterprise", "days", 1, "Enterprise bureau: worst days past due in 24 months",
     "企业征信近24个月最长逾期天数", "Long overdue in the enterprise credit report", "企业征信近两年逾期天数较长"),
    ("years_in_business", "registry", "years", -1, "Years since registration", "经营年限",
     "Short time in business", "经营年限较短"),
    ("entity_type", "registry", None, 0, "Legal form of the borrower", "主体类型",
     "Legal form with higher risk", "主体类型风险较高", {"kind": "categorical"}),
    ("industry", "registry", None, 0, "Main industry", "所属行业",
     "Industry with higher risk", "所属行业风险较高", {"kind": "categorical"}),
    ("employees", "registry", "count", 0, "Number of employees", "员工人数",
     "Workforce size associated with higher risk", "员工规模对应风险较高"),
    ("owner_age", "owner", "years", 0, "Owner's age", "经营者年龄",
     "Owner's age group carries higher risk", "经营者年龄段风险较高"),
    ("owner_experience_years", "owner", "years", -1, "Owner's years of experience in the industry",
     "经营者从业年限", "Little industry experience", "经营者从业经验较少"),
    ("owner_local_resident", "owner", "flag", -1, "Owner holds local residence (1 = yes)", "经营者是否本地户籍",
     "Owner not a local resident", "经营者非本地户籍"),
    ("owner_has_property", "owner", "flag", -1, "Owner owns residential property (1 = yes)", "经营者名下是否有住房",
     "Owner owns no residential property", "经营者名下无住房"),
    ("account_tenure_months", "registry", "months", -1, "Months since the account was opened at the bank",
     "在本行开户月数", "Short relationship with the bank", "在本行开户时间较短"),
    ("judicial_lawsuits_3y", "judicial", "count", 1, "Lawsuits as defendant within 3 years",
     "近3年作为被告的诉讼数", "Lawsuits as defendant", "存在涉诉记录"),
    ("judicial_enforcements_3y", "judicial", "count", 1, "Enforcement orders within 3 years", "近3年被执行次数",
     "Enforcement orders on record", "存在被执行记录"),
    ("af_phone_tenure_months", "antifraud", "months", -1, "Months the owner's phone has been in service",
     "手机号在网时长（月）", "Phone number recently activated", "手机号在网时间较短"),
    ("af_address_stability_months", "antifraud", "months", -1, "Months at the current business address",
     "当前经营地址使用时长（月）", "Business address recently changed", "经营地址使用时间较短"),
    ("af_device_shared", "antifraud", "count", 1, "Other applicants seen on the same device",
     "同一设备关联的其他申请人数", "Device shared with other applicants", "设备与其他申请人共用"),
    ("af_phone_shared", "antifraud", "count", 1, "Other applicants sharing the phone number",
     "共用手机号的其他申请人数", "Phone number shared with other applicants", "手机号与其他申请人共用"),
    ("af_address_shared", "antifraud", "count", 1, "Other applicants sharing the business address",
     "共用经营地址的其他申请人数", "Business address shared with other applicants", "经营地址与其他申请人重合"),
    ("af_applications_7d", "antifraud", "count", 1, "Loan applications by the owner in 7 days, all lenders",
     "近7天多头申请次数", "Many loan applications in the last 7 days", "近7天申请贷款次数较多"),
    ("af_applications_30d", "antifraud", "count", 1, "Loan applications by the owner in 30 days, all lenders",
     "近30天多头申请次数", "Many loan applications in the last 30 days", "近30天申请贷款次数较多"),
    ("af_declared_vs_observed_revenue", "antifraud", "ratio", 1,
     "Declared annual revenue over best observed revenue (flow or tax)", "申报年收入与可核实收入（流水或纳税）之比",
     "Declared revenue well above observed revenue", "申报收入明显高于流水或纳税反映的收入", {"needs": _REVENUE}),
    ("req_amount", "request", "CNY", 0, "Amount requested", "申请金额", "Large amount requested", "申请金额较大"),
    ("req_term_months", "request", "months", 0, "Term requested", "申请期限（月）",
     "Long term requested", "申请期限较长"),
    ("req_amount_to_revenue", "request", "ratio", 1, "Amount requested over best observed annual revenue",
     "申请金额与可核实年收入之比", "Amount requested high relative to revenue", "申请金额相对收入偏高",
     {"needs": _REVENUE}),
)


def _info(entry: tuple) -> FeatureInfo:
    name, source, unit, direction, en, zh, adverse_en, adverse_zh, *rest = entry
    options = dict(rest[0]) if rest else {}
    options.setdefault("needs", (source,) if source in SOURCE_MISSING else ())
    return FeatureInfo(name, source, options.pop("kind", "numeric"), unit, en, zh, adverse_en, adverse_zh,
                       direction, **options)


FEATURES: dict[str, FeatureInfo] = {info.name: info for info in map(_info, _ENTRIES)}


def source_features(source: str) -> tuple[str, ...]:
    """The features that are all null exactly when ``source`` was not sent at all: those that
    need it alone (for a derived source, those of each source it stands for). One of them null
    while another is not is a gap in the source, not its absence."""
    found = tuple(name for part in DERIVED_SOURCES.get(source, (source,))
                  for name, info in FEATURES.items() if info.needs == (part,))
    if not found:
        raise ValueError(f"source must be needed alone by some catalogued feature; got {source!r}")
    return found

# Linkage to other applicants says who the applicant runs with, not whether the business can
# repay; the credit model leaves it to the fraud model (and request features to the policy).
_LINKAGE = ("af_device_shared", "af_phone_shared", "af_address_shared")
# Cross-source checks a fabricated application tends to fail.
_CONSISTENCY = ("flow_max_inflow_share", "tax_rate_on_sales", "pos_share_of_inflow",
                "af_declared_vs_observed_revenue")

APPLICATION_FEATURES: tuple[str, ...] = tuple(
    name for name, info in FEATURES.items() if info.source != "request" and name not in _LINKAGE)
FRAUD_FEATURES: tuple[str, ...] = tuple(
    name for name, info in FEATURES.items()
    if info.source in ("antifraud", "bureau", "bureau_enterprise") or name in _CONSISTENCY)
