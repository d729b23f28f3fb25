"""Pure number normalisation: full-width digits, thousands separators, Chinese numerals,
money units (元 / 万元 / 亿元 -> 万元), percent vs 百分点, approximate markers and negatives.

Nothing here does I/O; every function takes a string and returns a value or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ---------------------------------------------------------------- characters

_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_FULLWIDTH.update({"．": ".", "％": "%", "－": "-", "＋": "+", "，": "，"})


def fullwidth_to_ascii(s: str) -> str:
    """Full-width digits and number punctuation to ASCII; other characters unchanged.

    The full-width comma is left alone: in Chinese prose it separates clauses, not thousands.
    The result has the same length as the input, so offsets stay valid.
    """
    return "".join(_FULLWIDTH.get(c, c) for c in s)


# ---------------------------------------------------------------- Chinese numerals

_CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
    "三": 3, "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6,
    "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
CN_NUMERAL_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL_UNITS) + "".join(_CN_BIG_UNITS)


def parse_chinese_integer(s: str) -> int | None:
    """一千二百 -> 1200, 三十 -> 30, 十五 -> 15, 两万 -> 20000, 壹贰叁 -> 123, 二〇二二 -> 2022."""
    if not s or any(c not in CN_NUMERAL_CHARS for c in s):
        return None
    if all(c in _CN_DIGITS for c in s):  # digit-by-digit: 二〇二二, 壹贰叁
        if len(s) == 1:
            return _CN_DIGITS[s]
        if len(s) == 2 and not set(s) & set("零〇○"):
            return None  # 三四 means "three or four", not 34
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    total = 0      # finished big sections (亿, 万)
    section = 0    # current section below 万
    digit: int | None = None
    for c in s:
        if c in _CN_DIGITS:
            if digit is not None and digit != 0 and _CN_DIGITS[c] != 0:
                return None  # two digits in a row without a unit: 三四 is not a number
            digit = _CN_DIGITS[c]
        elif c in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[c]
            section += (1 if digit is None else digit) * unit
            digit = None
        else:
            unit = _CN_BIG_UNITS[c]
            section += digit or 0
            digit = None
            if unit == 10**8:
                total = (total + section) * unit
            else:
                total += section * unit
            section = 0
    section += digit or 0
    return total + section


# ---------------------------------------------------------------- numbers

APPROX_PREFIXES = ("约", "近", "大约", "将近", "接近", "超过")
APPROX_SUFFIXES = ("余", "多", "左右", "以上", "来")

# An Arabic number as written: full-width digits, thousands separators, decimals.
ARABIC = r"[0-9０-９]+(?:[,，][0-9０-９]{3})*(?:[.．][0-9０-９]+)?"
NUMBER_RE = re.compile(ARABIC)


@dataclass(frozen=True)
class Num:
    """A number as written: its value, how many decimals were written, and approximation."""

    value: Decimal
    decimals: int = 0
    approx: bool = False

    @property
    def tolerance(self) -> Decimal:
        """Half a unit of the last written digit: 62.90 -> 0.005."""
        return Decimal(5) * Decimal(10) ** (-(self.decimals + 1))


def _arabic(s: str) -> Num | None:
    s = fullwidth_to_ascii(s).replace("，", ",")
    if not re.fullmatch(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?", s):
        return None
    plain = s.replace(",", "")
    try:
        value = Decimal(plain)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    return Num(value, decimals)


def strip_approx(s: str) -> tuple[str, bool]:
    """Remove approximate markers (约 / 近 / 余 / 多 / 左右 ...) from both ends."""
    approx = False
    s = s.strip()
    changed = True
    while changed:
        changed = False
        for p in APPROX_PREFIXES:
            if s.startswith(p) and len(s) > len(p):
                s, approx, changed = s[len(p):].strip(), True, True
        for q in APPROX_SUFFIXES:
            if s.endswith(q) and len(s) > len(q):
                s, approx, changed = s[: -len(q)].strip(), True, True
    return s, approx


def parse_number(s: str) -> Num | None:
    """Parse a whole string as one number.

    '1,234.5' '８７３．６４' '一千二百' '三十多' '约50' '九百余' '1.5万' '(12.5)' '－3' -> Num;
    anything else -> None. Negative forms: leading '-' and accounting brackets (（12.5）).
    """
    s = fullwidth_to_ascii(s.strip())
    negative = False
    m = re.fullmatch(r"[（(]\s*(.+?)\s*[）)]", s)
    if m:
        s, negative = m.group(1), True
    if s.startswith("-"):
        s, negative = s[1:].strip(), not negative
    s, approx = strip_approx(s)
    num = _arabic(s)
    if num is None:
        # Arabic mantissa with a Chinese big unit: 1.5万, 3亿
        m = re.fullmatch(r"([0-9][0-9,]*(?:\.[0-9]+)?)\s*([万萬亿億千百])", s)
        if m:
            base = _arabic(m.group(1))
            if base is None:
                return None
            factor = {**_CN_BIG_UNITS, "千": 1000, "百": 100}[m.group(2)]
            exp = len(str(factor)) - 1
            num = Num(_clean(base.value * factor), max(base.decimals - exp, 0))
        else:
            # 余 / 多 can sit inside a Chinese numeral before its last unit: 九百余万 -> 九百万
            core = s
            for q in ("余", "多"):
                if q in core[:-1]:
                    core, approx = core.replace(q, ""), True
            n = parse_chinese_integer(core)
            if n is None:
                return None
            num = Num(Decimal(n), 0)
    value = -num.value if negative else num.value
    return Num(value, num.decimals, approx or num.approx)


# ---------------------------------------------------------------- money

# Factor to convert one written unit into 万元.
MONEY_UNITS: dict[str, Decimal] = {
    "元": Decimal("0.0001"),
    "千元": Decimal("0.1"),
    "万元": Decimal(1),
    "萬元": Decimal(1),
    "亿元": Decimal(10000),
    "億元": Decimal(10000),
}
_UNIT_DECIMAL_SHIFT = {"元": 4, "千元": 1, "万元": 0, "萬元": 0, "亿元": -4, "億元": -4}

# number, optional approx marker, optional whitespace/line break, unit. A Chinese numeral
# stops before 万/亿 so that 九百余万元 reads as 九百余 + 万元 (the unit as written).
_CN_SMALL = "零〇一二两三四五六七八九十百千壹贰叁肆伍陆柒捌玖拾佰仟余多"
_CN_NUM = f"[{_CN_SMALL}]+(?:[万萬][{_CN_SMALL}]+)?"
MONEY_RE = re.compile(
    rf"(?P<pre>约|近|大约|将近|超过)?(?P<num>{ARABIC}(?:\s*[百千])?|{_CN_NUM})\s*(?P<approx>余|多)?\s*"
    r"(?P<unit>千元|万元|萬元|亿元|億元|元)"
)


@dataclass(frozen=True)
class Money:
    """An amount normalised to 万元, with the unit as written."""

    wan: Decimal
    raw_unit: str
    decimals: int  # decimals of the value expressed in 万元 (may be negative for 亿元)
    approx: bool = False

    @property
    def tolerance(self) -> Decimal:
        return Decimal(5) * Decimal(10) ** (-(self.decimals + 1))


def to_wan(value: Decimal, unit: str) -> Decimal:
    """Convert an amount in `unit` (元, 万元, 亿元 ...) into 万元."""
    factor = MONEY_UNITS.get(unit)
    if factor is None:
        raise ValueError(f"unknown money unit: {unit!r}")
    return (value * factor).normalize() if value else Decimal(0)


def money_from(num: Num, unit: str) -> Money:
    wan = to_wan(num.value, unit)
    return Money(_clean(wan), unit, num.decimals + _UNIT_DECIMAL_SHIFT[unit], num.approx)


def parse_money(s: str, default_unit: str | None = None) -> Money | None:
    """'873.64万元' -> 873.64; '8736400元' -> 873.64; '0.087364亿元' -> 873.64;
    '九百余万元' -> 900 approx; '873.64\\n\\n万元' (hard line wrap) -> 873.64.
    A bare number takes `default_unit` (e.g. a table headed 万元), else None."""
    s = s.strip()
    m = MONEY_RE.fullmatch(fullwidth_to_ascii(s))
    if m:
        num = parse_number(m.group("num"))
        if num is None:
            return None
        approx = num.approx or bool(m.group("pre")) or bool(m.group("approx"))
        return money_from(Num(num.value, num.decimals, approx), m.group("unit"))
    if default_unit:
        num = parse_number(s)
        if num is not None:
            return money_from(num, default_unit)
    return None


def _clean(d: Decimal) -> Decimal:
    """Drop exponent noise: Decimal('8.7364E+2') -> Decimal('873.64')."""
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return Decimal(format(d.normalize(), "f"))


# ---------------------------------------------------------------- percentages

PERCENT_RE = re.compile(
    rf"(?P<pre>约|近|超过)?(?P<num>-?{ARABIC})\s*(?P<unit>%|％|个百分点|百分点)\s*(?P<post>左右|以上)?"
    r"|百分之(?P<cn>[零〇一二两三四五六七八九十百点]+)"
)


@dataclass(frozen=True)
class Percent:
    """A percentage (kind='percent') or a difference in percentage points (kind='points')."""

    value: Decimal
    decimals: int
    kind: str = "percent"
    approx: bool = False

    @property
    def tolerance(self) -> Decimal:
        return Decimal(5) * Decimal(10) ** (-(self.decimals + 1))


def parse_percent(s: str) -> Percent | None:
    """'62.90%' -> 62.90 (2 decimals); '百分之百' -> 100; '3个百分点' -> points; '99% 左右' approx."""
    m = PERCENT_RE.fullmatch(fullwidth_to_ascii(s.strip()))
    if not m:
        return None
    if m.group("cn"):
        cn = m.group("cn")
        if "点" in cn:
            whole, frac = cn.split("点", 1)
            w = parse_chinese_integer(whole)
            if w is None or not frac or any(c not in _CN_DIGITS for c in frac):
                return None
            digits = "".join(str(_CN_DIGITS[c]) for c in frac)
            return Percent(Decimal(f"{w}.{digits}"), len(digits))
        n = parse_chinese_integer("一百" if cn == "百" else cn)
        return None if n is None else Percent(Decimal(n), 0)
    num = parse_number(m.group("num"))
    if num is None:
        return None
    kind = "points" if "百分点" in m.group("unit") else "percent"
    approx = num.approx or bool(m.group("pre")) or bool(m.group("post"))
    return Percent(num.value, num.decimals, kind, approx)


# ---------------------------------------------------------------- changes

_DECREASE = ("减少", "下降", "降低", "减", "下降了", "减少了")
_INCREASE = ("增加", "增长", "上升", "提高", "增", "增长了", "增加了")


def parse_change(s: str) -> Num | Percent | Money | None:
    """'减少12.5万元' -> -12.5 (Money); '下降3个百分点' -> -3 points; '增长5%' -> 5."""
    s = s.strip()
    sign = 0
    for w in sorted(_DECREASE + _INCREASE, key=len, reverse=True):
        if s.startswith(w):
            sign = -1 if w in _DECREASE else 1
            s = s[len(w):].strip()
            break
    if not sign:
        return None
    for parse in (parse_money, parse_percent, parse_number):
        v = parse(s)
        if v is not None:
            if isinstance(v, Money):
                return Money(-v.wan if sign < 0 else v.wan, v.raw_unit, v.decimals, v.approx)
            if isinstance(v, Percent):
                return Percent(-v.value if sign < 0 else v.value, v.decimals, v.kind, v.approx)
            return Num(-v.value if sign < 0 else v.value, v.decimals, v.approx)
    return None


# ---------------------------------------------------------------- counts

QUANTITY_UNITS = (
    "件次", "人次", "场次", "件", "宗", "起", "次", "场", "人", "名", "个", "份", "册", "所", "家", "户",
    "期", "条", "篇", "处", "项", "批", "个课时", "课时", "小时", "天", "万人次",
)
COUNT_RE = re.compile(
    rf"(?P<pre>约|近|超过)?(?P<num>{ARABIC}|[{CN_NUMERAL_CHARS}]+)\s*(?P<approx>余|多)?\s*"
    rf"(?P<unit>{'|'.join(sorted(QUANTITY_UNITS, key=len, reverse=True))})"
)


@dataclass(frozen=True)
class Count:
    value: Decimal
    unit: str
    approx: bool
    decimals: int = 0


def parse_count(s: str) -> Count | None:
    """'1002件' -> 1002 件; '4000余起' -> 4000 起 approx; '三十多场' -> 30 场 approx."""
    m = COUNT_RE.fullmatch(fullwidth_to_ascii(s.strip()))
    if not m:
        return None
    num = parse_number(m.group("num"))
    if num is None:
        return None
    approx = num.approx or bool(m.group("pre")) or bool(m.group("approx"))
    return Count(num.value, m.group("unit"), approx, num.decimals)


def nfkc_key(s: str) -> str:
    """Comparison key for grounding OCR'd or re-typed text: NFKC, no whitespace."""
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))
