"""Reconciliation: one rule at a time, then the inconsistencies the fixtures really contain."""

from decimal import Decimal as D

import pytest

from extractor import reconcile as rc
from extractor.models import Amount, Breakdown, Evidence, GroundedNum, GroundedStr, Indicator, Project, Ratio, Record, Source


def num(x, quote=None, approx=False):
    q = quote or str(x)
    return GroundedNum(value=D(str(x)), quote=q, start=0, end=len(q), approx=approx)


def amt(x, quote=None):
    q = quote or f"{x}万元"
    return Amount(value=D(str(x)), quote=q, start=0, end=len(q), raw_unit="万元")


def rec(**kw):
    r = Record(source=Source(path="t", sha256="0", format="txt", pages=1))
    for k, val in kw.items():
        setattr(r, k, val)
    return r


EV = Evidence(quote="x", start=0, end=1)


def test_compare_follows_written_precision():
    assert rc.compare(D("62.8978"), D("62.90"), 2) is None  # rounds to the stated value
    assert rc.compare(D("70.4829"), D("70.48"), 2) is None
    assert rc.compare(D("99.1649"), D("99.16"), 2) is None
    assert rc.compare(D("62.899"), D("62.89"), 2) == "info"  # truncated instead of rounded
    assert rc.compare(D("70.483"), D("70.47"), 2) == "warning"  # one unit in the last digit
    assert rc.compare(D("97.93"), D("100"), 0) == "error"
    assert rc.compare(D("87.5"), D("99"), 0, approx=True) == "warning"  # 4000余起


def test_budget_parts_sum():
    r = rec()
    r.budget.total_budget, r.budget.basic_budget, r.budget.project_budget = amt("3096.04"), amt("1781.53"), amt("1314.51")
    assert rc.budget_parts(r) == []
    r.budget.project_budget = amt("1314.15")
    (f,) = rc.budget_parts(r)
    assert f.severity == "error" and f.expected == D("3095.68") and f.found == D("3096.04")
    assert f.paths == ["budget.total_budget", "budget.basic_budget", "budget.project_budget"]


def test_project_rows_vs_project_total():
    r = rec(projects=[Project(name="a", budget=amt("35.20"), executed=amt("24.81")),
                      Project(name="b", budget=amt("40.00"), executed=amt("18.00"))])
    r.budget.project_budget, r.budget.project_executed = amt("75.2"), amt("42.81")
    assert rc.project_totals(r) == []
    r.budget.project_executed = amt("42.82")  # a cent off: the rounding of the parts could explain it
    assert [f.severity for f in rc.project_totals(r)] == ["info"]
    r.budget.project_executed = amt("58.81")
    (f,) = rc.project_totals(r)
    assert f.rule == "projects_sum" and f.expected == D("42.81") and "projects[1].executed" in f.paths


def test_execution_rate_department_and_projects():
    r = rec(projects=[Project(name="a", budget=amt("35.20"), executed=amt("24.81"), execution_rate_pct=num("70.47"))])
    r.budget.total_budget, r.budget.executed, r.budget.execution_rate_pct = amt("873.64"), amt("549.50"), num("62.90")
    (f,) = rc.execution_rates(r)
    assert f.paths[0] == "projects[0].execution_rate_pct" and f.severity == "warning"
    r.budget.execution_rate_pct = num("72.90")
    assert [x.severity for x in rc.execution_rates(r)] == ["error", "warning"]


def test_truncated_rate_is_info():
    r = rec()
    r.budget.total_budget, r.budget.executed, r.budget.execution_rate_pct = amt("3"), amt("2"), num("66.66")
    (f,) = rc.execution_rates(r)
    assert f.severity == "info" and "截断" in f.message


def test_success_rate_and_approximate_totals():
    good = Ratio(name="x", total=num(1437), part=num(1425), rate_pct=num("99.16"), evidence=EV)
    vague = Ratio(name="y", total=num(4000, "4000余起", approx=True), part=num(3500), rate_pct=num(99), evidence=EV)
    exact = Ratio(name="z", total=num(4000), part=num(3500), rate_pct=num(99), evidence=EV)
    r = rec(ratios=[good, vague, exact])
    assert [(f.paths[0], f.severity) for f in rc.success_rates(r)] == [("ratios[1].rate_pct", "warning"), ("ratios[2].rate_pct", "error")]


def test_sub_counts():
    under = Breakdown(name="案件", unit="件", total=num(347), parts=[num(220), num(125)], evidence=EV)
    over = Breakdown(name="人员", unit="人", total=num(20), parts=[num(20), num(6)], evidence=EV)
    ok = Breakdown(name="离退休", unit="人", total=num(22), parts=[num(21), num(1)], evidence=EV)
    r = rec(breakdowns=[under, over, ok])
    assert [(f.severity, f.expected) for f in rc.sub_counts(r)] == [("warning", 345), ("error", 26)]


def test_shares():
    from extractor.models import Part

    r = rec()
    r.budget.revenue_total = amt("1817.12")
    r.budget.revenue_parts = [Part(name="财政拨款收入", amount=amt("1779.59"), share_pct=num(100)),
                              Part(name="事业收入", amount=amt(0), share_pct=num(0))]
    (f,) = rc.shares(r)
    assert f.expected == D("97.93") and f.found == 100 and f.severity == "error"


def test_integer_parts_leave_no_rounding_slack():
    inds = [Indicator(level=3, name=f"i{k}", weight=num(3), score=num(2)) for k in range(30)]
    inds.append(Indicator(level=3, name="half", weight=num("10"), score=num("0.5")))  # weights: 100
    r = rec(indicators=inds)
    r.score.total = num("61.5")  # the scores add up to 60.5
    (f,) = rc.indicator_total(r)
    assert f.severity == "error"


def test_rows_that_are_not_the_whole_system_are_not_held_against_the_total():
    """An excerpt or a second table: its leaves weigh 80 of 100, so their scores need not make the total."""
    inds = [Indicator(level=3, name=f"i{k}", weight=num(5), score=num(4)) for k in range(16)]
    r = rec(indicators=inds)
    r.score.total = num("90")
    assert rc.indicator_total(r) == []
    # rows that state no weight: whether they are all of the 100 points is not known (a cut-off table)
    r = rec(indicators=[Indicator(level=3, name=f"i{k}", score=num(4)) for k in range(9)])
    r.score.total = num("100")
    assert rc.indicator_total(r) == []


def test_indicator_scores_vs_total_and_weights():
    inds = [Indicator(level=1, name="A", weight=num(30), score=num("29.55")),
            Indicator(level=1, name="B", weight=num(70), score=num(64))]
    r = rec(indicators=inds)
    r.score.total = num("93.55")
    assert rc.indicator_total(r) == []
    r.score.total = num("95")
    (f,) = rc.indicator_total(r)
    assert f.expected == D("93.55") and f.paths[0] == "score.total"
    assert rc.weights_sum(r) == []
    inds[1].weight = num(60)
    (w,) = rc.weights_sum(r)
    assert w.rule == "weights_total" and w.found == 90


def test_children_weights_vs_parent():
    inds = [Indicator(level=2, name="资产管理", weight=num(10)),
            Indicator(level=3, name="a", parent="资产管理", weight=num(2), score=num(2)),
            Indicator(level=3, name="b", parent="资产管理", weight=num(6), score=num(7))]
    r = rec(indicators=inds)
    (f,) = rc.weights_sum(r)
    assert (f.expected, f.found) == (8, 10)
    (s,) = rc.score_within_weight(r)
    assert s.paths == ["indicators[2].score", "indicators[2].weight"]


def test_indicator_formula_with_inferred_weight():
    inds = [Indicator(level=1, name="预算执行率", score=num("6.99"),
                      target=GroundedStr(value="90%", quote="90%", start=0, end=3),
                      actual=GroundedStr(value="62.90%", quote="62.90%", start=0, end=6)),
            Indicator(level=1, name="投入", weight=num(30), score=num(29)),
            Indicator(level=1, name="产出", weight=num(60), score=num(50))]
    r = rec(indicators=inds)
    assert rc.indicator_formula(r) == []  # 62.90 / 90 × (100 − 90) = 6.99
    inds[0].score = num("8.5")
    (f,) = rc.indicator_formula(r)
    assert f.severity == "warning" and f.expected == D("6.99")


@pytest.mark.parametrize("score, grade, bad", [("93.5", "优", False), ("90", "优", False), ("89.9", "优", True),
                                               ("85", "良", False), ("59", "中", True), ("59", "差", False)])
def test_grade_band(score, grade, bad):
    r = rec()
    r.score.total = num(score)
    r.score.grade = GroundedStr(value=grade, quote=grade, start=0, end=1)
    assert bool(rc.grade_band(r)) == bad


# ---------------------------------------------------------------- the fixtures


def rules_of(r, severity=None):
    return sorted(f.rule for f in r.flags if severity is None or f.severity == severity)


def test_000_agrees_with_itself(records):
    assert records["000"].flags == [] and records["000.pdf"].flags == []


def test_001_staff_subcounts_do_not_cover_the_total(records):
    (f,) = records["001"].flags
    assert (f.rule, f.severity, f.expected, f.found) == ("sub_counts", "warning", 26, 47)


def test_002_weights_of_asset_management_and_running_costs_are_misplaced(records):
    flags = records["002"].flags
    assert rules_of(records["002"]) == ["weights_sum", "weights_sum"]
    assert {(f.found, f.expected) for f in flags} == {(10, 8), (4, 6)}
    assert not [f for f in flags if f.rule == "indicator_scores_sum"]  # the 93.5 total does add up


def test_003_income_does_not_add_up_and_the_success_rate_is_vague(records):
    r = records["003"]
    assert rules_of(r, "error") == ["income_parts_sum", "share"]
    assert rules_of(r, "warning") == ["sub_counts", "success_rate"]
    rate = next(f for f in r.flags if f.rule == "success_rate")
    assert rate.expected == D("87.50") and rate.found == 99


@pytest.mark.parametrize("key", ["004", "004.docx"])
def test_004_first_project_rate_is_off_by_one_in_the_last_digit(records, key):
    (f,) = records[key].flags
    assert (f.rule, f.severity, f.found, f.paths[0]) == ("execution_rate", "warning", D("70.47"), "projects[0].execution_rate_pct")


def test_004_narrative_and_table_agree(records):
    assert not [f for f in records["004"].flags if f.rule == "stated_twice"]
    r = records["004"].model_copy(deep=True)
    r.restatements[0].value = D("35.3")
    assert [f.rule for f in rc.stated_twice(r)] == ["stated_twice"]
