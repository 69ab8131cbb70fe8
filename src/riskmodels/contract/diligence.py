"""The account manager's offline due-diligence findings (seed 000 §五, 线下尽调): one row per
site visit, joined to the application it audits.

The 《餐饮业尽调清单》 of the seed asks for: photos of the premises with GPS and watermark
(经营真实性), three months of electricity and water bills (三表), the owner's WeChat Pay and
Alipay merchant receipts (现金流, a supplement to the bank's flow), the delivery platform's
back-office sales (物流), the footfall at the peak hour (人流) and the manager's judgement of
the owner (软信息: character, experience, plans). Each finding carries its unit, its allowed
range and a Chinese and English label; the API checks a finding against this table and a
value outside it is refused naming the finding and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskmodels.contract.tables import MAX_CNY
from riskmodels.contract.types import Column, Table

MAX_BILL = 1e8  # CNY a month: far above any small business's utility bill, below a unit error (fen)
MAX_FOOTFALL = 10_000  # customers in one peak hour
OWNER_ASSESSMENT = (1, 5)  # 1 = serious doubts about the owner, 3 = nothing of note, 5 = excellent


@dataclass(frozen=True)
class Finding:
    """One finding of the checklist: its column (type, unit, range, required) and its labels."""

    column: Column
    label_zh: str
    label_en: str

    @property
    def name(self) -> str:
        return self.column.name


def _money(name: str, desc: str, nullable: bool = False, maximum: float = MAX_BILL) -> Column:
    return Column(name, "float", desc, "diligence", "CNY", minimum=0, maximum=maximum, nullable=nullable,
                  required=not nullable)


FINDINGS: tuple[Finding, ...] = (
    Finding(Column("visit_date", "date", "Date of the site visit (on or after the application date)", "diligence"),
            "现场尽调日期", "date of the site visit"),
    Finding(Column("site_verified", "bool", "The business operates at the declared premises: signboard, "
                   "kitchen or workshop and customer area photographed on site with GPS and watermark", "diligence"),
            "经营真实性已核实（门店招牌、后厨、就餐区照片，带GPS定位和水印）",
            "business verified on site (geotagged, watermarked photos of the premises)"),
    Finding(_money("electricity_bill_monthly", "Electricity bill, monthly mean of the last 3 months"),
            "近3个月电费（月均）", "electricity bill, monthly mean of the last 3 months"),
    Finding(_money("water_bill_monthly", "Water bill, monthly mean of the last 3 months"),
            "近3个月水费（月均）", "water bill, monthly mean of the last 3 months"),
    Finding(_money("wechat_alipay_monthly", "Merchant receipts on the owner's WeChat Pay and Alipay, monthly mean "
                   "of the last 3 months (0 when the owner takes none)", maximum=MAX_CNY),
            "微信、支付宝商户收款（近3个月月均）", "WeChat Pay and Alipay merchant receipts, monthly mean of the last 3 months"),
    Finding(_money("delivery_platform_monthly", "Sales on delivery platforms (外卖平台 back office), monthly mean of "
                   "the last 3 months; null when the business sells on none", nullable=True, maximum=MAX_CNY),
            "外卖平台销售额（近3个月月均）", "delivery-platform sales, monthly mean of the last 3 months"),
    Finding(Column("peak_footfall_per_hour", "int", "Customers counted in one hour at the peak; null when the "
                   "business serves no walk-in customers", "diligence", "count", 0, MAX_FOOTFALL, nullable=True,
                   required=False),
            "高峰期客流（人/小时）", "customers in the peak hour"),
    Finding(Column("owner_assessment", "int", "The account manager's judgement of the owner's character, "
                   "experience and plans (1 serious doubts, 3 nothing of note, 5 excellent)", "diligence", "score",
                   *OWNER_ASSESSMENT),
            "经营者软信息评价（人品、从业经验、经营规划，1-5分）",
            "owner's soft information (character, experience, plans; 1 to 5)"),
    Finding(Column("account_manager_id", "string", "The account manager who made the visit", "diligence",
                   nullable=True, required=False),
            "客户经理编号", "account manager"),
)

DILIGENCE_FINDINGS = Table(
    "diligence_findings",
    "One offline due-diligence visit per row: the account manager's structured findings",
    key=("application_id",),
    columns=(Column("application_id", "string", "Joins applications: the application audited", "key"),
             *(f.column for f in FINDINGS)),
)

FINDING_LABELS: dict[str, tuple[str, str]] = {f.name: (f.label_zh, f.label_en) for f in FINDINGS}
REQUIRED_FINDINGS: tuple[str, ...] = tuple(f.name for f in FINDINGS if f.column.required)


def finding(name: str) -> Finding:
    for item in FINDINGS:
        if item.name == name:
            return item
    raise KeyError(f"finding must be one of {[f.name for f in FINDINGS]}; got {name!r}")
