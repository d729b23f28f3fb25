"""Reconciliation: the report's numbers checked against each other. Pure functions, one per rule.

Tolerance follows the precision as written: a rate written 62.90% is checked to 0.005; a
sum of amounts written to two decimals is checked to half a cent per term. A difference that
truncation (instead of rounding) explains is `info`; one unit in the last written digit is a
`warning`; beyond that an `error`, unless an approximate quantity (余, 多, 约) is involved,
which turns it into a `warning`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from extractor import lexicon
from extractor.models import Amount, Flag, GroundedNum, Indicator, Record
from extractor.normalize import parse_number, scan_quantities

HUNDRED = Decimal(100)

def _grade_bands() -> dict[str, tuple[Decimal, Decimal]]:
    """grade: (lowest score, highest score) from the lexicon's bands (vocab.toml [grade_bands])."""
    lows = sorted(((Decimal(str(v)), g) for g, v in lexicon.load().grade_bands.items()), reverse=True)
    bands = {}
    top = HUNDRED
    for low, g in lows:
        bands[g] = (low, top)
        top = low - Decimal("0.001")
    return bands


GRADE_BANDS = _grade_bands()


def decimals_of(g: GroundedNum) -> int:
    """Decimals as written in the quote's number (62.90 -> 2; 45 -> 0)."""
    d = g.value.as_tuple().exponent
    written = -d if isinstance(d, int) and d < 0 else 0
    for m in re.finditer(r"\d+[.．](\d+)", g.quote):
        if Decimal(m.group(0).replace("．", ".")) == g.value:
            return len(m.group(1))
    return written


def _tol(decimals: int) -> Decimal:
    return Decimal(5) * Decimal(10) ** (-(decimals + 1))


def compare(expected: Decimal, stated: Decimal, decimals: int, approx: bool = False) -> str | None:
    """Severity of the difference between a computed and a stated number, or None if they agree.

    Agreement: |expected - stated| <= half a unit of the last written digit (rounding)."""
    diff = abs(expected - stated)
    if diff <= _tol(decimals) + Decimal("1e-9"):
        return None
    q = Decimal(10) ** -decimals
    if expected.quantize(q, rounding=ROUND_DOWN) == stated:
        return "info"
    if approx:
        return "warning"
    if diff <= q + _tol(decimals):
        return "warning"
    return "error"


def _sum_tolerance_check(total: GroundedNum, parts: list[GroundedNum]) -> tuple[Decimal, str | None]:
    """Parts vs their total. Reports compute totals from the parts as written, so the sum must
    match to the total's written precision. A larger difference that the rounding of parts
    written with decimals could explain (half a unit each) is `info`; integers count as exact."""
    s = sum((p.value for p in parts), Decimal(0))
    diff = abs(s - total.value)
    eps = Decimal("1e-9")
    if diff <= _tol(decimals_of(total)) + eps:
        return s, None
    slack = _tol(decimals_of(total)) + sum((_tol(decimals_of(p)) for p in parts if decimals_of(p) > 0), Decimal(0))
    if diff <= slack + eps:
        return s, "info"
    approx = total.approx or any(p.approx for p in parts)
    return s, "warning" if approx else "error"


# ---------------------------------------------------------------- rules


def budget_parts(r: Record) -> list[Flag]:
    """基本支出 + 项目支出 = 总 (budget and executed)."""
    out = []
    b = r.budget
    for total, basic, project, name in (
        (b.total_budget, b.basic_budget, b.project_budget, "budget"),
        (b.executed, b.basic_executed, b.project_executed, "executed"),
    ):
        if total and basic and project:
            s, sev = _sum_tolerance_check(total, [basic, project])
            if sev:
                paths = [f"budget.{f}" for f in (("total_budget", "basic_budget", "project_budget") if name == "budget" else ("executed", "basic_executed", "project_executed"))]
                out.append(Flag(rule="budget_parts_sum", severity=sev, paths=paths, expected=s, found=total.value,
                                message=f"基本支出 {basic.value} + 项目支出 {project.value} = {s}，与所述合计 {total.value} 不符"))
    return out


def project_totals(r: Record) -> list[Flag]:
    """Project rows vs the project total (budget and executed)."""
    out = []
    for field, total in (("budget", r.budget.project_budget), ("executed", r.budget.project_executed)):
        values = [getattr(p, field) for p in r.projects]
        if not total or len(values) < 2 or any(v is None for v in values):
            continue
        s, sev = _sum_tolerance_check(total, values)
        if sev:
            out.append(Flag(rule="projects_sum", severity=sev, expected=s, found=total.value,
                            paths=[f"budget.project_{field}"] + [f"projects[{i}].{field}" for i in range(len(values))],
                            message=f"{len(values)} 个项目的{'预算数' if field == 'budget' else '执行数'}合计 {s}，与项目支出合计 {total.value} 不符"))
    return out


def income_parts(r: Record) -> list[Flag]:
    """Income parts vs 收入合计; expenditure parts vs 支出合计."""
    out = []
    for parts, total, tpath, ppath in (
        (r.budget.revenue_parts, r.budget.revenue_total, "budget.revenue_total", "budget.revenue_parts"),
        (r.budget.expenditure_parts, r.budget.executed, "budget.executed", "budget.expenditure_parts"),
    ):
        if not total or len(parts) < 2:
            continue
        s, sev = _sum_tolerance_check(total, [p.amount for p in parts])
        if sev:
            out.append(Flag(rule="income_parts_sum" if "revenue" in ppath else "expenditure_parts_sum", severity=sev,
                            expected=s, found=total.value,
                            paths=[tpath] + [f"{ppath}[{i}].amount" for i in range(len(parts))],
                            message=f"其中各项（{'、'.join(p.name for p in parts)}）合计 {s}，与所述合计 {total.value} 不符"))
    return out


def shares(r: Record) -> list[Flag]:
    """占 x% vs part / total."""
    out = []
    for parts, total, tpath, ppath in (
        (r.budget.revenue_parts, r.budget.revenue_total, "budget.revenue_total", "budget.revenue_parts"),
        (r.budget.expenditure_parts, r.budget.executed, "budget.executed", "budget.expenditure_parts"),
    ):
        if not total or not total.value:
            continue
        for i, p in enumerate(parts):
            if p.share_pct is None:
                continue
            expected = p.amount.value / total.value * HUNDRED
            sev = compare(expected, p.share_pct.value, decimals_of(p.share_pct), p.share_pct.approx or total.approx)
            if sev:
                out.append(Flag(rule="share", severity=sev, expected=_q(expected, 2), found=p.share_pct.value,
                                paths=[f"{ppath}[{i}].share_pct", f"{ppath}[{i}].amount", tpath],
                                message=f"{p.name} {p.amount.value} / {total.value} = {_q(expected, 2)}%，报告写占 {p.share_pct.value}%"))
    return out


def execution_rates(r: Record) -> list[Flag]:
    """预算执行率 vs executed / budget, for the department and each project."""
    out = []
    b = r.budget
    cases: list[tuple[GroundedNum | None, Amount | None, Amount | None, str, str]] = [
        (b.execution_rate_pct, b.executed, b.total_budget, "budget.execution_rate_pct", "budget")
    ]
    for i, p in enumerate(r.projects):
        cases.append((p.execution_rate_pct, p.executed, p.budget, f"projects[{i}].execution_rate_pct", f"projects[{i}]"))
    for rate, executed, budget, path, base in cases:
        if rate is None or executed is None or budget is None or not budget.value:
            continue
        expected = executed.value / budget.value * HUNDRED
        sev = compare(expected, rate.value, decimals_of(rate), rate.approx or executed.approx or budget.approx)
        if sev:
            ep = f"{base}.executed" if base != "budget" else "budget.executed"
            bp = f"{base}.budget" if base != "budget" else "budget.total_budget"
            out.append(Flag(rule="execution_rate", severity=sev, expected=_q(expected, 4), found=rate.value,
                            paths=[path, ep, bp],
                            message=f"{executed.value} / {budget.value} = {_q(expected, 4)}%，报告写执行率 {rate.value}%"
                            + ("（截断而非四舍五入，truncated）" if sev == "info" else "")))
    return out


def success_rates(r: Record) -> list[Flag]:
    """成功率 vs success / total counts."""
    out = []
    for i, x in enumerate(r.ratios):
        if not x.total.value:
            continue
        expected = x.part.value / x.total.value * HUNDRED
        sev = compare(expected, x.rate_pct.value, decimals_of(x.rate_pct), x.total.approx or x.part.approx or x.rate_pct.approx)
        if sev:
            out.append(Flag(rule="success_rate", severity=sev, expected=_q(expected, 2), found=x.rate_pct.value,
                            paths=[f"ratios[{i}].rate_pct", f"ratios[{i}].part", f"ratios[{i}].total"],
                            message=f"{x.name}：{x.part.value} / {x.total.value}{'（约）' if x.total.approx else ''} = {_q(expected, 2)}%，报告写 {x.rate_pct.value}%"))
    return out


def sub_counts(r: Record) -> list[Flag]:
    """Sub-counts vs their total: exceeding it is an error, not covering it a warning."""
    out = []
    for i, bd in enumerate(r.breakdowns):
        if isinstance(bd.total, Amount):
            continue  # money: parts_sum
        s = sum((p.value for p in bd.parts), Decimal(0))
        if s == bd.total.value:
            continue
        approx = bd.total.approx or any(p.approx for p in bd.parts)
        sev = "error" if s > bd.total.value and not approx else "warning"
        out.append(Flag(rule="sub_counts", severity=sev, expected=s, found=bd.total.value,
                        paths=[f"breakdowns[{i}].total"] + [f"breakdowns[{i}].parts[{j}]" for j in range(len(bd.parts))],
                        message=f"{bd.name}：其中所列各项合计 {s}{bd.unit}，所述总数 {bd.total.value}{bd.unit}"
                        + ("（各项未能覆盖总数）" if s < bd.total.value else "")))
    return out


def funding_parts(r: Record) -> list[Flag]:
    """A project table's 其中 rows (财政拨款 / 上年结转 / 其他资金) vs its 年度资金总额, per column,
    when every part row states the column (a blank cell says nothing)."""
    out = []
    parts = r.budget.funding_parts
    for col, total, tpath in (("budget", r.budget.total_budget, "budget.total_budget"),
                              ("executed", r.budget.executed, "budget.executed")):
        values = [getattr(p, col) for p in parts]
        if total is None or not values or any(v is None for v in values):
            continue
        s, sev = _sum_tolerance_check(total, values)
        if sev:
            out.append(Flag(rule="funding_parts_sum", severity=sev, expected=s, found=total.value,
                            paths=[tpath] + [f"budget.funding_parts[{i}].{col}" for i in range(len(parts))],
                            message=f"其中各行（{'、'.join(p.name for p in parts)}）合计 {s} 万元，与年度资金总额 {total.value} 万元不符"))
    return out


def money_parts(r: Record) -> list[Flag]:
    """An amount vs the amounts a sentence lists under it with 其中."""
    out = []
    for i, bd in enumerate(r.breakdowns):
        if not isinstance(bd.total, Amount):
            continue
        s, sev = _sum_tolerance_check(bd.total, bd.parts)
        if not sev:
            continue
        paths = [f"breakdowns[{i}].total"] + [f"breakdowns[{i}].parts[{j}]" for j in range(len(bd.parts))]
        same = [f"budget.{f}" for f, v in r.budget if isinstance(v, Amount) and v.value == bd.total.value]  # the same figure
        out.append(Flag(rule="parts_sum", severity=sev, expected=s, found=bd.total.value, paths=same + paths,
                        message=f"{bd.name}：其中所列各项合计 {s} 万元，与所述总额 {bd.total.value} 万元不符"))
    return out


_COMPARABLE = ("count", "percent", "money", "number", "score")


def _bound(s: str) -> tuple[str, Decimal, str] | None:
    """The first quantity of a target or actual cell: (direction, value, unit). A target with no
    comparator is a floor, except money (a cost written 15万元 is a ceiling as often as not)."""
    q = next((q for q in scan_quantities(s) if q.kind in _COMPARABLE), None)
    if q is None:
        return None
    direction = {">=": ">=", ">": ">=", "<=": "<=", "<": "<="}.get(q.comparator or "", "")
    written = parse_number(s[q.num_start:q.num_end])  # 5300 as the cell says, not 0.53 万元
    return direction or ("" if q.kind == "money" else ">="), written.value if written else q.value, q.unit


def score_vs_target(r: Record) -> list[Flag]:
    """An indicator whose actual value misses its target but that still gets its full weight."""
    out = []
    for i, ind in enumerate(r.indicators):
        if not (ind.target and ind.actual and ind.weight and ind.score) or ind.score.value < ind.weight.value:
            continue
        t, a = _bound(ind.target.value), _bound(ind.actual.value)
        if t is None or a is None or t[2] != a[2]:
            continue
        direction = t[0]
        missed = (direction == ">=" and a[1] < t[1]) or (direction == "<=" and a[1] > t[1])
        if missed:
            out.append(Flag(rule="score_vs_target", severity="warning", expected=t[1], found=a[1],
                            paths=[f"indicators[{i}].score", f"indicators[{i}].actual", f"indicators[{i}].target"],
                            message=f"{ind.name}：实际完成值 {ind.actual.value} 未达到指标值 {ind.target.value}，却得满分 {ind.score.value}"))
    return out


def _leaves(inds: list[Indicator]) -> list[tuple[int, Indicator]]:
    deepest = max((i.level for i in inds), default=0)
    return [(k, i) for k, i in enumerate(inds) if i.level == deepest]


def indicator_total(r: Record) -> list[Flag]:
    """Indicator scores (the deepest level) vs the total score."""
    if r.score.total is None or not r.indicators:
        return []
    leaves = _leaves(r.indicators)
    scores = [i.score for _, i in leaves]
    if any(s is None for s in scores):
        return []
    weights = [i.weight for _, i in leaves]
    if any(w is None for w in weights) or sum(w.value for w in weights) != HUNDRED:  # type: ignore[union-attr]
        return []  # the rows read are not known to be the whole 100-point system (an excerpt, a second table)
    total = r.score.total
    s, sev = _sum_tolerance_check(total, scores)  # type: ignore[arg-type]
    if not sev:
        return []
    return [Flag(rule="indicator_scores_sum", severity=sev, expected=s, found=total.value,
                 paths=["score.total"] + [f"indicators[{k}].score" for k, _ in leaves],
                 message=f"{len(leaves)} 项指标得分合计 {s}，与总分 {total.value} 不符")]


def score_within_weight(r: Record) -> list[Flag]:
    out = []
    for k, i in enumerate(r.indicators):
        if i.score and i.weight and i.score.value > i.weight.value:
            out.append(Flag(rule="score_above_weight", severity="error", expected=i.weight.value, found=i.score.value,
                            paths=[f"indicators[{k}].score", f"indicators[{k}].weight"],
                            message=f"{i.name}：得分 {i.score.value} 超过分值 {i.weight.value}"))
    return out


def weights_sum(r: Record) -> list[Flag]:
    """Children's weights vs their parent's weight; level-1 weights vs 100."""
    out = []
    inds = r.indicators
    for k, parent in enumerate(inds):
        if parent.weight is None or parent.level == 3:
            continue
        kids = [(j, c) for j, c in enumerate(inds) if c.parent == parent.name and c.level == parent.level + 1]
        if not kids or any(c.weight is None for _, c in kids):
            continue
        s = sum((c.weight.value for _, c in kids), Decimal(0))  # type: ignore[union-attr]
        if s != parent.weight.value:
            out.append(Flag(rule="weights_sum", severity="error", expected=s, found=parent.weight.value,
                            paths=[f"indicators[{k}].weight"] + [f"indicators[{j}].weight" for j, _ in kids],
                            message=f"{parent.name}：分值 {parent.weight.value}，其下 {len(kids)} 项指标分值合计 {s}"))
    tops = [(k, i) for k, i in enumerate(inds) if i.level == 1]
    if len(tops) >= 2 and all(i.weight is not None for _, i in tops) and any(i.parent is None for _, i in tops):
        s = sum((i.weight.value for _, i in tops), Decimal(0))  # type: ignore[union-attr]
        if s != HUNDRED:
            out.append(Flag(rule="weights_total", severity="error", expected=HUNDRED, found=s,
                            paths=[f"indicators[{k}].weight" for k, _ in tops],
                            message=f"一级指标分值合计 {s}，不是 100"))
    return out


def indicator_formula(r: Record) -> list[Flag]:
    """得分 = 完成率 × 分值 where an indicator states target and actual rates. The weight is the
    stated one, or 100 minus the other level-1 weights when only this one is missing (the
    formula check is then a warning, as it rests on an inferred weight)."""
    out = []
    tops = [i for i in r.indicators if i.level == 1]
    for k, i in enumerate(r.indicators):
        if not (i.target and i.actual and i.score):
            continue
        try:
            t = Decimal(re.sub(r"[%\s]", "", i.target.value))
            a = Decimal(re.sub(r"[%\s]", "", i.actual.value))
        except ArithmeticError:
            continue
        if not t:
            continue
        weight = i.weight.value if i.weight else None
        inferred = False
        if weight is None and i.level == 1 and all(o.weight for o in tops if o is not i):
            weight = HUNDRED - sum((o.weight.value for o in tops if o is not i), Decimal(0))  # type: ignore[union-attr]
            inferred = True
        if weight is None or weight <= 0:
            continue
        expected = min(a / t, Decimal(1)) * weight
        sev = compare(expected, i.score.value, decimals_of(i.score))
        if sev:
            out.append(Flag(rule="indicator_formula", severity="warning" if inferred and sev == "error" else sev,
                            expected=_q(expected, 2), found=i.score.value,
                            paths=[f"indicators[{k}].score", f"indicators[{k}].actual", f"indicators[{k}].target"],
                            message=f"{i.name}：{a}/{t} × {weight}{'（分值为推断）' if inferred else ''} = {_q(expected, 2)}，报告得分 {i.score.value}"))
    return out


def grade_band(r: Record) -> list[Flag]:
    g, s = r.score.grade, r.score.total
    if not g or not s or g.value not in GRADE_BANDS:
        return []
    lo, hi = GRADE_BANDS[g.value]
    if lo <= s.value <= hi:
        return []
    right = next((name for name, (a, b) in GRADE_BANDS.items() if a <= s.value <= b), "?")
    return [Flag(rule="grade_band", severity="error", expected=right, found=g.value, paths=["score.grade", "score.total"],
                 message=f"得分 {s.value} 属于“{right}”档，报告评价等级为“{g.value}”")]


def stated_twice(r: Record) -> list[Flag]:
    """The same quantity stated twice (narrative vs table) with different values."""
    out = []
    for k, st in enumerate(r.restatements):
        current = _get(r, st.path)
        if current is None:
            continue
        d = max(decimals_of(current), _decimals_str(st.evidence.quote))
        sev = compare(current.value, st.value, d, current.approx)
        if sev and st.value != current.value:
            out.append(Flag(rule="stated_twice", severity=sev, expected=current.value, found=st.value,
                            paths=[st.path, f"restatements[{k}]"],
                            message=f"{st.path} 一处写 {current.value}，另一处写 {st.value}"))
    return out


def _decimals_str(q: str) -> int:
    m = re.search(r"\d+[.．](\d+)", q)
    return len(m.group(1)) if m else 0


def _get(r: Record, path: str) -> GroundedNum | None:
    obj: object = r
    for part in re.findall(r"[a-z_]+|\[\d+\]", path):
        if part.startswith("["):
            seq = obj if isinstance(obj, list) else []
            idx = int(part[1:-1])
            obj = seq[idx] if idx < len(seq) else None
        else:
            obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if isinstance(obj, GroundedNum) else None


def _q(d: Decimal, places: int) -> Decimal:
    return d.quantize(Decimal(10) ** -places, rounding=ROUND_HALF_UP)


RULES: list[Callable[[Record], list[Flag]]] = [
    budget_parts,
    project_totals,
    income_parts,
    shares,
    execution_rates,
    success_rates,
    sub_counts,
    funding_parts,
    money_parts,
    indicator_total,
    score_vs_target,
    score_within_weight,
    weights_sum,
    indicator_formula,
    grade_band,
    stated_twice,
]


def reconcile(r: Record) -> list[Flag]:
    """All flags for a record, rule by rule, in a stable order."""
    flags: list[Flag] = list(r.flags)  # flags raised earlier (merge disagreements) are kept
    for rule in RULES:
        flags.extend(rule(r))
    return flags
