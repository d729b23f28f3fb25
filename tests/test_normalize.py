"""Normalisation: every written form of a number the reports use."""

import time
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from extractor import normalize
from extractor.normalize import (
    QUANTITY_UNITS,
    declared_unit,
    fullwidth_to_ascii,
    parse_change,
    parse_chinese_integer,
    parse_count,
    parse_money,
    parse_number,
    parse_percent,
    scan_quantities,
    split_comparator,
)


@pytest.mark.parametrize(
    "written, value, decimals",
    [
        ("873.64", "873.64", 2),
        ("８７３．６４", "873.64", 2),  # full-width digits and point
        ("1,234.5", "1234.5", 1),  # thousands separator
        ("12,345,678", "12345678", 0),
        ("1.5万", "15000", 0),
        ("（12.5）", "-12.5", 1),  # accounting negative
        ("(3)", "-3", 0),
        ("－3", "-3", 0),  # full-width minus
    ],
)
def test_arabic_numbers(written, value, decimals):
    n = parse_number(written)
    assert n is not None and n.value == Decimal(value) and n.decimals == decimals


@pytest.mark.parametrize(
    "written, value",
    [("一千二百", 1200), ("三十", 30), ("十五", 15), ("两", 2), ("两万三千", 23000), ("一百零五", 105),
     ("壹贰叁", 123), ("贰拾", 20), ("二〇二二", 2022), ("九百", 900), ("一亿二千万", 120000000)],
)
def test_chinese_numerals(written, value):
    assert parse_chinese_integer(written) == value


def test_two_bare_digits_are_not_a_number():
    assert parse_chinese_integer("三四") is None


@pytest.mark.parametrize("written", ["三十多", "九百余", "约50", "近100", "50左右", "300余"])
def test_approximate_markers(written):
    n = parse_number(written)
    assert n is not None and n.approx


def test_exact_numbers_are_not_approximate():
    assert not parse_number("1002").approx


@pytest.mark.parametrize(
    "written, wan, raw_unit",
    [
        ("873.64万元", "873.64", "万元"),
        ("8736400元", "873.64", "元"),
        ("0.087364亿元", "873.64", "亿元"),
        ("８７３．６４万元", "873.64", "万元"),
        ("1,234.5 元", "0.12345", "元"),
        ("873.64\n\n万元", "873.64", "万元"),  # seed 000 wraps between number and unit
        ("152.2万元", "152.2", "万元"),
    ],
)
def test_money_is_normalised_to_wan_with_the_written_unit_kept(written, wan, raw_unit):
    m = parse_money(written)
    assert m is not None and m.wan == Decimal(wan) and m.raw_unit == raw_unit


def test_chinese_money_with_approximation():
    m = parse_money("九百余万元")
    assert m.wan == Decimal(900) and m.approx and m.raw_unit == "万元"
    m = parse_money("约九百余万元")
    assert m.approx


def test_money_precision_follows_the_written_unit():
    assert parse_money("873.64万元").tolerance == Decimal("0.005")
    assert parse_money("8736400元").tolerance == Decimal("0.00005")


def test_bare_number_needs_a_default_unit():
    assert parse_money("35.20") is None
    assert parse_money("35.20", default_unit="万元").wan == Decimal("35.20")


@pytest.mark.parametrize(
    "written, value, decimals, kind",
    [("62.90%", "62.90", 2, "percent"), ("９０％", "90", 0, "percent"), ("百分之百", "100", 0, "percent"),
     ("百分之九十五点五", "95.5", 1, "percent"), ("3个百分点", "3", 0, "points"), ("0.5百分点", "0.5", 1, "points")],
)
def test_percent_and_percentage_points(written, value, decimals, kind):
    p = parse_percent(written)
    assert p.value == Decimal(value) and p.decimals == decimals and p.kind == kind


def test_rate_precision_as_written():
    assert parse_percent("62.90%").tolerance == Decimal("0.005")
    assert parse_percent("99%").tolerance == Decimal("0.5")


def test_approximate_percent():
    assert parse_percent("99% 左右").approx


def test_changes_written_as_decrease_are_negative():
    assert parse_change("减少12.5万元").wan == Decimal("-12.5")
    assert parse_change("下降3个百分点").value == Decimal(-3)
    assert parse_change("增长5%").value == Decimal(5)
    assert parse_change("12.5万元") is None


@pytest.mark.parametrize(
    "written, value, unit, approx",
    [("1002件", 1002, "件", False), ("4000余起", 4000, "起", True), ("三十多场", 30, "场", True),
     ("6000余人次", 6000, "人次", True), ("２８６０件", 2860, "件", False)],
)
def test_counts(written, value, unit, approx):
    c = parse_count(written)
    assert (c.value, c.unit, c.approx) == (Decimal(value), unit, approx)


def test_fullwidth_conversion_keeps_length_and_chinese_commas():
    s = "８７３．６４万元，其中"
    out = fullwidth_to_ascii(s)
    assert out == "873.64万元，其中" and len(out) == len(s)


# ---------------------------------------------------------------- more written forms

@pytest.mark.parametrize(
    "written, value, decimals, approx",
    [
        ("九十四点三二", "94.32", 2, False),  # Chinese decimals
        ("零点五", "0.5", 1, False),
        ("三点零", "3.0", 1, False),
        ("一点五万", "15000", 0, False),
        ("3千万", "30000000", 0, False),
        ("１，２３４万", "12340000", 0, False),
        ("万余", "10000", 0, True),
        ("四千余万", "40000000", 0, True),
        ("≥80", "80", 0, False),  # the comparator is read by split_comparator / the scanner
        ("不低于85", "85", 0, False),
        ("60以下", "60", 0, False),
        ("50以上", "50", 0, True),
        ("−3", "-3", 0, False),  # U+2212 minus
    ],
)
def test_more_numbers(written, value, decimals, approx):
    n = parse_number(written)
    assert n is not None and (n.value, n.decimals, n.approx) == (Decimal(value), decimals, approx)


@pytest.mark.parametrize(
    "written, wan, raw_unit, decimals",
    [
        ("壹佰贰拾万元", "120", "万元", 0),  # 大写
        ("壹拾贰万叁仟肆佰元整", "12.34", "元", 4),
        ("人民币壹佰万元整", "100", "万元", 0),
        ("贰仟零伍拾元", "0.205", "元", 4),
        ("壹万元零伍角", "1.00005", "元", 5),
        ("伍角", "0.00005", "角", 5),
        ("叁分", "0.000003", "分", 6),
        ("壹佰萬元", "100", "萬元", 0),  # traditional
        ("陸仟貳佰元", "0.62", "元", 4),
        ("參億元", "30000", "億元", -4),
        ("一千二百万元", "1200", "万元", 0),
        ("三万五千元", "3.5", "元", 4),
        ("1.2亿元", "12000", "亿元", -3),
        ("3千万元", "3000", "万元", 0),
        ("四千余万元", "4000", "万元", 0),
        ("万余元", "1", "元", 4),
        ("一亿二千万元", "12000", "万元", 0),
        ("≤5300元/户", "0.53", "元", 4),
        ("不超过100万元", "100", "万元", 0),
        ("1,234.56 万元", "1234.56", "万元", 2),
    ],
)
def test_more_money(written, wan, raw_unit, decimals):
    m = parse_money(written)
    assert m is not None and (m.wan, m.raw_unit, m.decimals) == (Decimal(wan), raw_unit, decimals)


@pytest.mark.parametrize(
    "written, value, kind",
    [("百分之九十九", "99", "percent"), ("百分之九十九点五", "99.5", "percent"), ("百分之零点五", "0.5", "percent"),
     ("99.37％", "99.37", "percent"), ("≥80%", "80", "percent"), ("不低于85%", "85", "percent"),
     ("90%以上", "90", "percent"), ("两个百分点", "2", "points")],
)
def test_more_percent(written, value, kind):
    p = parse_percent(written)
    assert p is not None and (p.value, p.kind) == (Decimal(value), kind)


@pytest.mark.parametrize(
    "written, value, unit, approx",
    [("一百二十余人次", 120, "人次", True), ("两千余户", 2000, "户", True), ("２，８７８件", 2878, "件", False),
     ("2万余人次", 20000, "人次", True), (">=21933人", 21933, "人", False), ("不少于12种", 12, "种", False),
     ("3.5公里", Decimal("3.5"), "公里", False), ("万余人", 10000, "人", True)],
)
def test_more_counts(written, value, unit, approx):
    c = parse_count(written)
    assert c is not None and (c.value, c.unit, c.approx) == (Decimal(value), unit, approx)


def test_sizes_are_not_counts():
    assert parse_count("3.0m") is not None and parse_count("3.0m×3.0m") is None
    assert [q.kind for q in scan_quantities("设备房1间(3.0m×3.0m)")] == ["count", "number", "number"]


@pytest.mark.parametrize(
    "written, comparator, rest",
    [("≥80%", ">=", "80%"), ("≤0%", "<=", "0%"), (">=21933人", ">=", "21933人"), ("<=5300元/户", "<=", "5300元/户"),
     ("不低于85%", ">=", "85%"), ("不少于12种", ">=", "12种"), ("不高于5%", "<=", "5%"), ("不超过3次", "<=", "3次"),
     ("大于10", ">", "10"), ("小于5", "<", "5"), ("90%以上", ">=", "90%"), ("＞＝90%", ">=", "90%"), ("80%", None, "80%")],
)
def test_split_comparator(written, comparator, rest):
    assert split_comparator(written) == (comparator, rest)


@pytest.mark.parametrize(
    "written, unit",
    [("单位：万元", "万元"), ("单位:元", "元"), ("（万元）", "万元"), ("(万元)", "万元"), ("金额单位：万元", "万元"),
     ("资金情况(万元)", "万元"), ("项目资金（万元）", "万元"), ("预算数（元）", "元"), ("（单位：万元）", "万元"),
     ("全年预算数", None), ("单位：人", None), ("（2022年度）", None), ("标准（元/户）", None), ("", None)],
)
def test_declared_unit(written, unit):
    assert declared_unit(written) == unit


# ---------------------------------------------------------------- the scanner


@pytest.mark.parametrize(
    "written, value, kind, unit, approx",
    [
        # money, normalised to 万元
        ("873.64万元", "873.64", "money", "万元", False),
        ("８７３．６４万元", "873.64", "money", "万元", False),
        ("873.64\n\n万元", "873.64", "money", "万元", False),  # hard line wrap
        ("8736400元", "873.64", "money", "元", False),
        ("0.087364亿元", "873.64", "money", "亿元", False),
        ("1,234.56 万元", "1234.56", "money", "万元", False),
        ("１，２３４．５６万元", "1234.56", "money", "万元", False),
        ("1.2亿元", "12000", "money", "亿元", False),
        ("3千万元", "3000", "money", "万元", False),
        ("约50万元", "50", "money", "万元", True),
        ("100余万元", "100", "money", "万元", True),
        ("一千二百万元", "1200", "money", "万元", False),
        ("三万五千元", "3.5", "money", "元", False),
        ("四千余万元", "4000", "money", "万元", True),
        ("万余元", "1", "money", "万元", True),
        ("九百余万元", "900", "money", "万元", True),
        ("约九百余万元", "900", "money", "万元", True),
        ("一亿二千万元", "12000", "money", "万元", False),
        ("九十四点三二万元", "94.32", "money", "万元", False),
        ("壹佰贰拾万元", "120", "money", "万元", False),
        ("壹拾贰万叁仟肆佰元整", "12.34", "money", "元", False),
        ("人民币壹佰万元整", "100", "money", "万元", False),
        ("贰仟零伍拾元", "0.205", "money", "元", False),
        ("壹万元零伍角", "1.00005", "money", "元", False),
        ("伍角", "0.00005", "money", "角", False),
        ("叁分", "0.000003", "money", "分", False),
        ("壹佰萬元", "100", "money", "萬元", False),
        ("貳拾參億元", "230000", "money", "億元", False),
        ("<=5300元/户", "0.53", "money", "元/户", False),
        ("人民币100万元", "100", "money", "万元", False),
        # percent and points
        ("62.90%", "62.90", "percent", "%", False),
        ("99.37％", "99.37", "percent", "%", False),
        ("百分之九十九", "99", "percent", "%", False),
        ("百分之九十九点五", "99.5", "percent", "%", False),
        ("百分之百", "100", "percent", "%", False),
        ("百分之零点五", "0.5", "percent", "%", False),
        ("99% 左右", "99", "percent", "%", True),
        ("≥80%", "80", "percent", "%", False),
        ("≤0%", "0", "percent", "%", False),
        ("不低于85%", "85", "percent", "%", False),
        ("不高于 15%", "15", "percent", "%", False),
        ("90％以上", "90", "percent", "%", True),
        ("-3%", "-3", "percent", "%", False),
        ("3个百分点", "3", "points", "个百分点", False),
        ("两个百分点", "2", "points", "个百分点", False),
        # counts
        ("1002件", "1002", "count", "件", False),
        ("２，８７８件", "2878", "count", "件", False),
        ("4000 余起", "4000", "count", "起", True),
        ("三十多场", "30", "count", "场", True),
        ("一百二十余人次", "120", "count", "人次", True),
        ("两千余户", "2000", "count", "户", True),
        ("2万余人次", "20000", "count", "人次", True),
        ("5万人次", "5", "count", "万人次", False),
        (">=21933人", "21933", "count", "人", False),
        ("不少于12种", "12", "count", "种", False),
        ("不超过3次", "3", "count", "次", False),
        ("超过3000人次", "3000", "count", "人次", True),
        ("3.5公里", "3.5", "count", "公里", False),
        ("1100m", "1100", "count", "m", False),
        ("120平方米", "120", "count", "平方米", False),
        ("6个月", "6", "count", "个月", False),
        ("20 个课时以上", "20", "count", "个课时", True),
        ("2次/年", "2", "count", "次/年", False),
        # scores and plain numbers
        ("94.32 分", "94.32", "score", "分", False),
        ("93.85\n\n分", "93.85", "score", "分", False),
        ("35.20", "35.20", "number", "", False),
        ("1.5万", "15000", "number", "", False),
        ("50余", "50", "number", "", True),
        ("| -12.5 |", "-12.5", "number", "", False),
        # years and dates: not quantities of the report, but reported as such
        ("2021年", "2021", "year", "年", False),
        ("2021年度", "2021", "year", "年度", False),
        ("（2022年度）", "2022", "year", "年度", False),
        ("二〇二二年", "2022", "year", "年", False),
        ("2023年12月31日", "20231231", "date", "", False),
        ("2024 年 12 月 31 日", "20241231", "date", "", False),
        ("2024-03-20", "20240320", "date", "", False),
        ("2022年4月", "20220400", "date", "", False),
    ],
)
def test_scan_quantities_written_forms(written, value, kind, unit, approx):
    qs = scan_quantities(written)
    assert len(qs) == 1, qs
    q = qs[0]
    assert (q.value, q.kind, q.unit, q.approx) == (Decimal(value), kind, unit, approx)
    span = written[q.start:q.end]
    assert span == written.strip("|（） ")  # the whole written quantity, nothing around it
    assert q.start <= q.num_start < q.num_end <= q.end


@pytest.mark.parametrize(
    "written",
    [
        "财农〔2020〕90号", "红财社发〔2023〕128号", "【2023】10号", "双桥经开财务发〔20226号", "(2021)15号",  # document numbers
        "电话：0562-3211127", "（0562）3211127", "13912345678",  # phone numbers
        "索引号：11340722348722127R/202403-00037",  # index numbers
        "1. 加强管理", "\n2、细化预算", "（3）资金管理", "。3）强化", "1.2.3",  # list markers, section numbers
        "第三版", "第3期", "三四个", "三四", "一起", "一次性", "十分重要", "千家万户", "一点一滴", "十四五期间",  # words
        "单位：万元", "（万元）", "千米", "一是", "三大任务", "帮扶家庭", "百姓",
    ],
)
def test_scan_skips_what_is_not_a_quantity(written):
    assert scan_quantities(written) == []


@pytest.mark.parametrize(
    "written, comparator",
    [("≥80%", ">="), ("≤0%", "<="), (">=21933人", ">="), ("<=5300元/户", "<="), ("不低于85%", ">="),
     ("不少于12种", ">="), ("不高于5%", "<="), ("不超过3次", "<="), ("大于10个", ">"), ("小于5天", "<"),
     ("超过3000人次", ">"), ("90%以上", ">="), ("60%以下", "<="), ("＞＝90%", ">="), ("85%", None), ("<p>85%", None)],
)
def test_scan_reports_comparators(written, comparator):
    (q,) = scan_quantities(written)
    assert q.comparator == comparator and q.value in (80, 0, 21933, Decimal("0.53"), 85, 12, 5, 3, 10, 3000, 90, 60)


def test_scan_thousands_separators_only_between_groups_of_three():
    assert [q.value for q in scan_quantities("２，８７８件")] == [2878]
    assert [q.value for q in scan_quantities("2，3")] == [2, 3]
    assert [q.value for q in scan_quantities("12，345，6")] == [12, 345, 6]
    assert [q.value for q in scan_quantities("共1,234,567元")] == [Decimal("123.4567")]


def test_scan_default_money_unit_makes_bare_numbers_money():
    (q,) = scan_quantities("| 35.20 |", default_money_unit="万元")
    assert (q.kind, q.value, q.unit, q.decimals) == ("money", Decimal("35.20"), "万元", 2)
    (q,) = scan_quantities("352000", default_money_unit="元")
    assert (q.kind, q.value, q.decimals) == ("money", Decimal("35.2"), 4)
    assert scan_quantities("2024年", default_money_unit="万元")[0].kind == "year"


def test_scan_offsets_index_the_original_string():
    s = "全年预算数为８７３．６４万元，执行率９９．３７％，共２，８７８件。"
    qs = scan_quantities(s)
    assert [(s[q.start:q.end], q.kind) for q in qs] == [("８７３．６４万元", "money"), ("９９．３７％", "percent"),
                                                        ("２，８７８件", "count")]
    assert [s[q.num_start:q.num_end] for q in qs] == ["８７３．６４", "９９．３７", "２，８７８"]


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _reparse(q, span: str, number: str):
    if q.kind == "money":
        return parse_money(span).wan
    if q.kind in ("percent", "points"):
        return parse_percent(span).value
    if q.kind == "count":
        return parse_count(span).value
    return parse_number(number).value


@pytest.mark.parametrize("name", ["004_424dabb8b7582373.txt", "000_6edb1e7869f995cc.txt", "002_ad102a3d62571759.txt"])
def test_scan_round_trips_on_a_whole_report(name):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    qs = scan_quantities(text)
    assert qs and all(a.end <= b.start for a, b in zip(qs, qs[1:]))  # left to right, no overlap
    for q in qs:
        span, number = text[q.start:q.end], text[q.num_start:q.num_end]
        assert q.start <= q.num_start < q.num_end <= q.end and number in span
        if q.kind not in ("year", "date"):
            assert _reparse(q, span, number) == q.value, span


def test_scan_finds_the_amounts_of_report_004():
    text = (FIXTURES / "004_424dabb8b7582373.txt").read_text(encoding="utf-8")
    found = {(q.kind, q.value, q.unit) for q in scan_quantities(text)}
    for kind, value, unit in [("money", "1689.97", "万元"), ("money", "1519.17", "万元"), ("money", "170.8", "万元"),
                              ("money", "58.81", "万元"), ("money", "24.81", "万元"), ("score", "94.32", "分"),
                              ("score", "93.85", "分"), ("percent", "99.37", "%"), ("percent", "70.47", "%"),
                              ("count", "2878", "件"), ("count", "1500", "人次"), ("date", "20241231", ""),
                              ("year", "2024", "年度"), ("number", "35.20", "")]:
        assert (kind, Decimal(value), unit) in found, (kind, value, unit)
    approx = [q for q in scan_quantities(text) if q.kind == "count" and q.approx]
    assert {(q.value, q.unit) for q in approx} >= {(60, "场次"), (1500, "人次")}
    # the table of 004 is headed in 万元: with that unit its bare numbers are money
    table = text[text.index("序号"):]
    money = [q.value for q in scan_quantities(table, default_money_unit="万元") if q.kind == "money"]
    assert Decimal("35.20") in money and Decimal("49.50") in money


def test_scan_finds_the_wrapped_amount_of_report_000():
    text = (FIXTURES / "000_6edb1e7869f995cc.txt").read_text(encoding="utf-8")
    q = next(q for q in scan_quantities(text) if q.value == Decimal("873.64"))
    assert (q.kind, q.unit, q.decimals) == ("money", "万元", 2) and "\n" in text[q.start:q.end]


def test_scan_is_fast():
    text = "\n".join((FIXTURES / n).read_text(encoding="utf-8") for n in
                     ["002_ad102a3d62571759.txt", "004_424dabb8b7582373.txt", "003_dbfd8887bbff9196.txt"])[:20000]
    scan_quantities(text)
    t0 = time.perf_counter()
    for _ in range(5):
        scan_quantities(text)
    assert (time.perf_counter() - t0) / 5 < 0.05  # ~5 ms here; generous for slow CI machines


# ---------------------------------------------------------------- the lexicon


def test_measure_words_come_from_the_lexicon_file():
    lex = tomllib.loads((Path(normalize.__file__).parent / "lexicon" / "units.toml").read_text(encoding="utf-8"))
    assert set(lex["count"]["units"]) == set(QUANTITY_UNITS)
    for old in ("件次", "人次", "件", "宗", "起", "个课时", "万人次"):  # the units before the lexicon
        assert old in QUANTITY_UNITS
    for new in ("公里", "千米", "米", "km", "平方米", "立方米", "亩", "万亩", "座", "台", "盏", "辆", "套", "种", "例",
                "所", "户", "家", "张", "本", "册", "吨", "间", "栋", "处", "批", "期", "班", "门", "课时", "学时", "人天",
                "万人次", "个月"):
        assert new in QUANTITY_UNITS, new
    assert set(lex["money"]["units"]) == set(normalize.MONEY_UNITS)
