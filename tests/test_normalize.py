"""Normalisation: every written form of a number the reports use."""

from decimal import Decimal

import pytest

from extractor.normalize import (
    fullwidth_to_ascii,
    parse_change,
    parse_chinese_integer,
    parse_count,
    parse_money,
    parse_number,
    parse_percent,
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
