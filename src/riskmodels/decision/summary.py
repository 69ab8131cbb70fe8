"""A decision as a credit officer reads it: a short bilingual summary for the terminal."""

from __future__ import annotations

from riskmodels.decision import Decision

_VERDICT = {"approve": "APPROVE 通过", "offer": "OFFER 按预授信额度授信", "review": "REVIEW 人工审查",
            "reject": "REJECT 拒绝"}


def decision_summary(d: Decision) -> str:
    """What was decided, why, and for how much: the lines a person checks first."""
    lines = [
        f"== {d.application_id or d.request_id}: {_VERDICT[d.decision]}",
        f"   fraud  score {d.fraud.score:5.1f}  ({d.fraud.verdict}, p={d.fraud.probability:.2%})",
        f"   credit score {d.credit.score:5.1f}  class {d.credit.risk_class}  PD {d.credit.pd:.2%}"
        + (f" (class PD {d.credit.class_pd:.2%})" if d.credit.class_pd is not None else ""),
    ]
    limit = d.limit
    lines.append(f"   limit  pre-approved {limit.pre_approved:,.0f} CNY, final {limit.final:,.0f} CNY "
                 f"(requested {limit.requested_amount:,.0f} as {limit.requested_product}; "
                 f"recommended {limit.recommended_product}"
                 + (f"; sized in class {limit.sized_class}, a missing source held at its worst"
                    if limit.sized_class != d.credit.risk_class else "") + ")")
    for p in limit.by_product:
        why = p.binding_constraint if p.eligible else "; ".join(f.text_en for f in p.failed_admission)
        lines.append(f"     {p.product:<15} {f'{p.limit:>12,.0f}' if p.eligible else '   not eligible'}  {why}")
    if d.pricing is not None:
        parts = " + ".join(f"{k} {v:.2f}" for k, v in d.pricing.components.items())
        lines.append(f"   rate   {d.rate:.2f}% a year ({d.pricing.method}: {parts} = {d.pricing.unrounded_pct:.3f} "
                     "before rounding to the policy's step)")
    lines.append("   rules  " + ", ".join(f"{r.id}({r.action})" for r in d.rules))
    for r in d.reasons:
        lines.append(f"   reason {r.code:<24} {r.text_zh} / {r.text_en}")
    lines.append("   models " + ", ".join(f"{m.name} v{m.version}" for m in d.models))
    return "\n".join(lines)
