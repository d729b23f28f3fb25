"""Pure number normalisation: full-width digits, thousands separators, Chinese numerals
(小写, 大写 and decimals), money units (元 / 万元 / 亿元 -> 万元, 角 / 分), percent vs 百分点,
approximate markers, comparators and negatives; and one scanner, `scan_quantities`, that finds
every written quantity of a text with its span.

Domain words (measure words, money units, approximation and comparator words) live in
extractor/lexicon/units.toml, read once at import.

Nothing here does I/O beyond reading that file; every function takes a string and returns a
value or None.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources

# ---------------------------------------------------------------- lexicon

_LEX = tomllib.loads(resources.files("extractor").joinpath("lexicon/units.toml").read_text("utf-8"))


def _alt(words) -> str:
    """Regex alternation of words in which the longest written word wins, as a trie
    (人(?:次|天)?) so that a regex tries each first character once."""
    words = sorted(set(words))

    def build(ws: list[str]) -> str:
        end = "" in ws
        by_first: dict[str, list[str]] = {}
        for w in ws:
            if w:
                by_first.setdefault(w[0], []).append(w[1:])
        alts = [re.escape(c) + build(rest) for c, rest in by_first.items()]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and len(by_first[next(iter(by_first))]) == 1 and not end else f"(?:{'|'.join(alts)})"
        return f"{body}?" if end else body

    return build(words)


# ---------------------------------------------------------------- characters

_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_FULLWIDTH.update({"．": ".", "％": "%", "－": "-", "＋": "+"})
# The scanner's wider table: also full-width comparison signs, slash, tilde and the minus sign.
# Every character maps to exactly one character, so offsets stay valid.
_SCAN_MAP = {**_FULLWIDTH, "−": "-", "＜": "<", "＞": ">", "＝": "=", "／": "/", "～": "~"}
_FW_RE = re.compile(f"[{''.join(_FULLWIDTH)}]")
_SCAN_CHARS_RE = re.compile(f"[{''.join(_SCAN_MAP)}]")


def _fw(m: re.Match) -> str:
    return _SCAN_MAP[m.group()]


def fullwidth_to_ascii(s: str) -> str:
    """Full-width digits and number punctuation to ASCII; other characters unchanged.

    The full-width comma is left alone: in Chinese prose it separates clauses, not thousands.
    The result has the same length as the input, so offsets stay valid.
    """
    return _FW_RE.sub(_fw, s)


def _scan_ascii(s: str) -> str:
    """fullwidth_to_ascii and also ＜ ＞ ＝ ／ ～ −; same length as `s`."""
    return _SCAN_CHARS_RE.sub(_fw, s)


# ---------------------------------------------------------------- Chinese numerals

_CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
    "三": 3, "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6,
    "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
CN_NUMERAL_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL_UNITS) + "".join(_CN_BIG_UNITS)
_CN_FRACTION_DIGITS = "零〇○一二三四五六七八九"  # after 点: 九十四点三二
_DAXIE_DIGITS = "壹贰貳叁參肆伍陆陸柒捌玖"  # 大写: 伍角, 叁分


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

APPROX_PREFIXES = tuple(_LEX["approx"]["prefixes"])
APPROX_SUFFIXES = tuple(_LEX["approx"]["suffixes"])
APPROX_INFIXES = tuple(_LEX["approx"]["infixes"])
COMPARATOR_PREFIXES: dict[str, str] = dict(_LEX["comparator"]["prefix"])
COMPARATOR_SUFFIXES: dict[str, str] = dict(_LEX["comparator"]["suffix"])

# An Arabic number as written: full-width digits, thousands separators, decimals. A comma
# (ASCII or full-width) is a thousands separator only between groups of exactly three digits:
# 2，878 is 2878, but 2，3 and 12，345，6 are separate numbers.
ARABIC = r"[0-9０-９]+(?:(?:[,，][0-9０-９]{3})+(?![,，]?[0-9０-９]))?(?:[.．][0-9０-９]+)?"
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


_CMP_PREFIX_WORDS = sorted(COMPARATOR_PREFIXES, key=len, reverse=True)
_CMP_SUFFIX_WORDS = sorted(COMPARATOR_SUFFIXES, key=len, reverse=True)


def split_comparator(s: str) -> tuple[str | None, str]:
    """'≥80%' -> ('>=', '80%'); '不低于85%' -> ('>=', '85%'); '90%以上' -> ('>=', '90%');
    '80%' -> (None, '80%'). Full-width ＞＝ read as >=."""
    s = s.strip()
    t = _scan_ascii(s)
    for w in _CMP_PREFIX_WORDS:
        if t.startswith(w) and len(t) > len(w):
            return COMPARATOR_PREFIXES[w], s[len(w):].strip()
    for w in _CMP_SUFFIX_WORDS:
        if t.endswith(w) and len(t) > len(w):
            return COMPARATOR_SUFFIXES[w], s[: -len(w)].strip()
    return None, s


def _strip_comparators(s: str) -> str:
    """Drop comparator words that are not also approximation words (those strip_approx reads)."""
    changed = True
    while changed:
        changed = False
        for w in _CMP_PREFIX_WORDS:
            if w not in APPROX_PREFIXES and s.startswith(w) and len(s) > len(w):
                s, changed = s[len(w):].strip(), True
                break
        for w in _CMP_SUFFIX_WORDS:
            if w not in APPROX_SUFFIXES and s.endswith(w) and len(s) > len(w):
                s, changed = s[: -len(w)].strip(), True
                break
    return s


_MANTISSA_RE = re.compile(r"([0-9][0-9,，]*(?:\.[0-9]+)?)\s*((?:[十百千]?[万萬亿億])|[千百])")
_CN_DECIMAL_RE = re.compile(rf"([{CN_NUMERAL_CHARS}]+)点([{_CN_FRACTION_DIGITS}]+)([万萬亿億]?)")


def _cn_decimal(s: str) -> Num | None:
    """九十四点三二 -> 94.32 (2 decimals); 零点五 -> 0.5; 一点五万 -> 15000."""
    m = _CN_DECIMAL_RE.fullmatch(s)
    if not m:
        return None
    whole = parse_chinese_integer(m.group(1))
    if whole is None:
        return None
    frac = "".join(str(_CN_DIGITS[c]) for c in m.group(2))
    value, decimals = Decimal(f"{whole}.{frac}"), len(frac)
    if m.group(3):
        factor = _CN_BIG_UNITS[m.group(3)]
        value, decimals = _clean(value * factor), max(decimals - (len(str(factor)) - 1), 0)
    return Num(value, decimals)


def parse_number(s: str) -> Num | None:
    """Parse a whole string as one number.

    '1,234.5' '８７３．６４' '一千二百' '三十多' '约50' '九百余' '1.5万' '3千万' '九十四点三二'
    '万余' '(12.5)' '－3' '≥80' '不低于85' -> Num; anything else -> None.
    Negative forms: leading '-' and accounting brackets (（12.5）). Comparators are dropped
    (split_comparator reads them); 超过 / 以上 also mark the number approximate.
    """
    s = _strip_comparators(_scan_ascii(s.strip()))
    negative = False
    m = re.fullmatch(r"[（(]\s*(.+?)\s*[）)]", s)
    if m:
        s, negative = m.group(1), True
    if s.startswith("-"):
        s, negative = s[1:].strip(), not negative
    s, approx = strip_approx(s)
    num = _arabic(s)
    if num is None:
        # Arabic mantissa with Chinese units: 1.5万, 3亿, 3千万
        m = _MANTISSA_RE.fullmatch(s)
        if m:
            base = _arabic(m.group(1))
            if base is None:
                return None
            factor = parse_chinese_integer("一" + m.group(2))
            exp = len(str(factor)) - 1
            num = Num(_clean(base.value * factor), max(base.decimals - exp, 0))
        else:
            # 余 / 多 can sit inside a Chinese numeral before its last unit: 九百余万 -> 九百万
            core = s
            for q in APPROX_INFIXES:
                if q in core[:-1]:
                    core, approx = core.replace(q, ""), True
            if core in _CN_BIG_UNITS and approx:  # 万余 -> 1万 approx
                num = Num(Decimal(_CN_BIG_UNITS[core]), 0)
            elif "点" in core:
                num = _cn_decimal(core)
                if num is None:
                    return None
            else:
                n = parse_chinese_integer(core)
                if n is None:
                    return None
                num = Num(Decimal(n), 0)
    value = -num.value if negative else num.value
    return Num(value, num.decimals, approx or num.approx)


# ---------------------------------------------------------------- money

# Factor to convert one written unit into 万元 (lexicon: money.units).
MONEY_UNITS: dict[str, Decimal] = {u: Decimal(f) for u, f in _LEX["money"]["units"].items()}
# 角 / 分: only after 元 or after 大写 digits, never on their own (3分 is a score).
_MONEY_SUBUNITS: dict[str, Decimal] = {u: Decimal(f) for u, f in _LEX["money"]["subunits"].items()}
_UNIT_DECIMAL_SHIFT = {u: -f.adjusted() for u, f in {**MONEY_UNITS, **_MONEY_SUBUNITS}.items()}
_MONEY_PREFIXES = tuple(_LEX["money"]["prefixes"])
_MONEY_UNIT_ALT = _alt(MONEY_UNITS)

# number, optional approx marker, optional whitespace/line break, unit. A Chinese numeral
# stops before 万/亿 so that 九百余万元 reads as 九百余 + 万元 (the unit as written).
_CN_SMALL = "零〇○一二两兩三四五六七八九十百千壹贰貳叁參肆伍陆陸柒捌玖拾佰仟余多"
_CN_NUM = (
    f"(?:[{_CN_SMALL}]+(?:点[{_CN_FRACTION_DIGITS}]+)?(?:[万萬][{_CN_SMALL}]+)?"
    f"|[万萬亿億](?=余|多))"
)
MONEY_RE = re.compile(
    rf"(?P<pre>{_alt(APPROX_PREFIXES)})?(?P<num>{ARABIC}(?:\s*[百千])?|{_CN_NUM})\s*(?P<approx>余|多)?\s*"
    rf"(?P<unit>{_MONEY_UNIT_ALT})"
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
    """Convert an amount in `unit` (元, 万元, 亿元, 角, 分 ...) into 万元."""
    factor = MONEY_UNITS.get(unit, _MONEY_SUBUNITS.get(unit))
    if factor is None:
        raise ValueError(f"unknown money unit: {unit!r}")
    return (value * factor).normalize() if value else Decimal(0)


def money_from(num: Num, unit: str) -> Money:
    wan = to_wan(num.value, unit)
    return Money(_clean(wan), unit, num.decimals + _UNIT_DECIMAL_SHIFT[unit], num.approx)


def parse_money(s: str, default_unit: str | None = None) -> Money | None:
    """'873.64万元' -> 873.64; '8736400元' -> 873.64; '0.087364亿元' -> 873.64;
    '九百余万元' -> 900 approx; '873.64\\n\\n万元' (hard line wrap) -> 873.64;
    '壹拾贰万叁仟肆佰元整' -> 12.34; '壹万元零伍角' -> 1.00005; '≤5300元/户' -> 0.53.
    A bare number takes `default_unit` (e.g. a table headed 万元), else None."""
    s = s.strip()
    m = MONEY_RE.fullmatch(fullwidth_to_ascii(s))
    if m:
        written = m.group("num")
        num = parse_number("一" + written if written in _CN_BIG_UNITS else written)  # 万余元
        if num is None:
            return None
        approx = num.approx or bool(m.group("pre")) or bool(m.group("approx"))
        return money_from(Num(num.value, num.decimals, approx), m.group("unit"))
    if default_unit:
        num = parse_number(s)
        if num is not None:
            return money_from(num, default_unit)
    q = _whole(s, ("money",), default_unit)
    if q is None:
        return None
    return Money(q.value, q.unit.split("/")[0], q.decimals, q.approx)


def _clean(d: Decimal) -> Decimal:
    """Drop exponent noise: Decimal('8.7364E+2') -> Decimal('873.64')."""
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return Decimal(format(d.normalize(), "f"))


_DECLARED_RE = re.compile(
    rf"单位\s*[:：]\s*(?:{_alt(_MONEY_PREFIXES)})?\s*(?P<a>{_MONEY_UNIT_ALT})(?!\s*[/／])"
    rf"|[（(]\s*(?:{_alt(_MONEY_PREFIXES)})?\s*(?P<b>{_MONEY_UNIT_ALT})\s*[）)]"
)


def declared_unit(s: str) -> str | None:
    """The money unit a heading or caption declares for the numbers under it, as written:
    '单位：万元' '金额单位：万元' '（万元）' '资金情况(万元)' '预算数（元）' -> '万元' / '元'; else None."""
    m = _DECLARED_RE.search(s)
    if not m:
        return None
    return m.group("a") or m.group("b")


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
    """'62.90%' -> 62.90 (2 decimals); '百分之百' -> 100; '3个百分点' -> points; '99% 左右' approx;
    '≥80%' / '不低于85%' / '90%以上' -> the number (the comparator: split_comparator)."""
    m = PERCENT_RE.fullmatch(fullwidth_to_ascii(s.strip()))
    if not m:
        q = _whole(s, ("percent", "points"))
        return None if q is None else Percent(q.value, q.decimals, q.kind, q.approx)
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

# Measure words of a count (lexicon: count.units), and words that start like one but are not.
QUANTITY_UNITS: tuple[str, ...] = tuple(dict.fromkeys(_LEX["count"]["units"]))
_NOT_UNITS = tuple(_LEX["count"]["not_units"])
_COUNT_UNIT_ALT = _alt(QUANTITY_UNITS)
_NOT_UNIT_ALT = _alt(_NOT_UNITS)

# A Chinese numeral that can carry a unit: it holds a digit or 十 (so 万元 / 千米 alone are
# units, not 1万元 / 1000米), or it is a bare 百 / 千 / 万 / 亿 before 余 / 多 (万余元, 百余人).
_CN_TOKEN = (
    rf"(?:(?=[{CN_NUMERAL_CHARS}]*?[{''.join(_CN_DIGITS)}十拾])[{CN_NUMERAL_CHARS}]+"
    rf"(?:点[{_CN_FRACTION_DIGITS}]+[万萬亿億]?)?(?:[余多][万萬亿億])?"
    rf"|[百千万萬亿億佰仟]{{1,2}}(?=[余多]))"
)
# a unit that ends in a Latin letter ends its word there: 5min is not 5 m
_WORD_END = r"(?:(?<=[A-Za-z])(?![A-Za-z])|(?<![A-Za-z]))"
COUNT_RE = re.compile(
    rf"(?P<pre>{_alt(APPROX_PREFIXES)})?(?<![0-9０-９.．×*])(?P<num>{ARABIC}(?:\s*[万萬亿億])??|{_CN_TOKEN})\s*(?P<approx>余|多)?\s*"
    rf"(?!{_NOT_UNIT_ALT})(?P<unit>{_COUNT_UNIT_ALT}){_WORD_END}(?![×*xX])"
)


@dataclass(frozen=True)
class Count:
    value: Decimal
    unit: str
    approx: bool
    decimals: int = 0


def parse_count(s: str) -> Count | None:
    """'1002件' -> 1002 件; '4000余起' -> 4000 起 approx; '三十多场' -> 30 场 approx;
    '2万余人次' -> 20000 人次 approx; '不少于12种' -> 12 种."""
    m = COUNT_RE.fullmatch(fullwidth_to_ascii(s.strip()))
    if not m:
        q = _whole(s, ("count",))
        return None if q is None else Count(q.value, q.unit, q.approx, q.decimals)
    written = m.group("num")
    num = parse_number("一" + written if written in _CN_BIG_UNITS else written)  # 万余人
    if num is None:
        return None
    approx = num.approx or bool(m.group("pre")) or bool(m.group("approx"))
    return Count(num.value, m.group("unit"), approx, num.decimals)


def nfkc_key(s: str) -> str:
    """Comparison key for grounding OCR'd or re-typed text: NFKC, no whitespace."""
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


# ---------------------------------------------------------------- the scanner


@dataclass(frozen=True)
class Quantity:
    """One written quantity found by scan_quantities."""

    start: int            # span in the scanned string: the whole written quantity, unit and
    end: int              # approximation / comparator words included
    value: Decimal        # money in 万元; percent as the percent number; counts as the count
    kind: str             # "money" | "percent" | "points" | "count" | "score" | "number" | "year" | "date"
    unit: str             # unit as written: "万元" "元" "元/户" "%" "件" "人次" "分" "" ...
    decimals: int         # decimals as written; for money in 万元 (Money.decimals)
    approx: bool
    comparator: str | None  # ">=", "<=", ">", "<" or None
    num_start: int        # span of the number alone, inside [start, end)
    num_end: int


_CNC = CN_NUMERAL_CHARS
# The scanner reads the text after _scan_ascii, so ASCII digits suffice here.
_AR = r"(?<![0-9A-Za-z.])(?>[0-9]+(?:(?:[,，][0-9]{3})+(?![,，]?[0-9]))?(?:\.[0-9]+)?)"  # atomic
# a minus sign before a number, not a range dash (60%-100%): read by the scanner after a match
_NEG_BEFORE = frozenset(" \t\r\n\u3000|>(（:：,，;；=")
_Y = r"(?:19|20)[0-9]{2}"
_MON = r"(?:1[0-2]|0?[1-9])"
_DAY = r"(?:3[01]|[12][0-9]|0?[1-9])"
_B = r"(?<![0-9A-Za-z.])"  # a number starts here, not inside another token
_PER = rf"(?:/(?:{_COUNT_UNIT_ALT}|年|月|日|季度))"  # 5300元/户, 2次/年
_CN_Y = "[〇零○一二三四五六七八九]{4}"
_CN_MON = "(?:十[一二]?|[一二三四五六七八九])"
_CN_DAY = "(?:三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九])"


def _lead_word(w: str) -> str:
    if w == ">":  # not the end of an HTML tag (<p>85%)
        return r"(?<![A-Za-z\"'/=\-])>(?!=)"
    if w == "<":
        return r"<(?![=/A-Za-z])"
    return re.escape(w)


_LEAD = "|".join(_lead_word(w) for w in sorted(set(COMPARATOR_PREFIXES) | set(APPROX_PREFIXES), key=len, reverse=True))
# after the unit: 以上 / 以下 / 以内 (comparators), 左右 (approximate)
_POST = _alt(set(COMPARATOR_SUFFIXES) | {w for w in APPROX_SUFFIXES if len(w) > 1})

_SKIP = "|".join([
    _alt(_LEX["words"]["not_quantities"]),                                   # 一起, 一次性, 千家万户
    rf"第[ \t]*(?:[0-9]+|[{_CNC}]+)",                                          # 第三版, 第3期
    r"[〔【\[［][ \t]*[0-9]{4,5}[ \t]*[〕】\]］]?[ \t]*[0-9]*[ \t]*号?",          # 〔2020〕90号, 〔20226号
    rf"[(（][ \t]*{_Y}[ \t]*[)）][ \t]*[0-9]+[ \t]*号",                          # (2020)90号
    r"(?<![0-9])0[0-9]{2,3}[ \t]?[-—][ \t]?[0-9]{7,8}(?![0-9])(?:-[0-9]{1,5})?",  # 0562-3211127
    r"[(（]0[0-9]{2,3}[)）][ \t]*[0-9]{7,8}(?![0-9])",
    r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])",                                     # mobile numbers
    r"(?<![0-9])[48]00-?[0-9]{3}-?[0-9]{4}(?![0-9])",
    r"(?<![0-9A-Za-z])(?=[0-9A-Z]{8})[0-9]*[A-Z][0-9A-Z]*(?:/[0-9A-Za-z\-]+)*",  # 11340722348722127R/202403-00037
    r"(?<![0-9A-Za-z])[0-9]{13,}(?:/[0-9A-Za-z\-]+)*",
])
_DATE = "|".join([
    rf"{_B}{_Y}\s*年\s*{_MON}\s*月(?:\s*{_DAY}\s*[日号])?",                       # 2023年12月31日, 2022年4月
    rf"{_B}{_Y}(?:-{_MON}-|/{_MON}/|\.{_MON}\.){_DAY}(?![0-9])",                 # 2024-03-20
    rf"{_B}{_Y}[-/](?:0[1-9]|1[0-2])(?![0-9.])",                                # 2024-03
    rf"{_B}{_MON}\s*月\s*{_DAY}\s*[日号]",                                       # 12月31日
    rf"{_B}{_MON}\s*月份?",                                                      # 4月
    rf"{_B}{_DAY}\s*日",                                                         # 31日
    rf"{_CN_Y}\s*年\s*{_CN_MON}\s*月(?:\s*{_CN_DAY}\s*日)?",                      # 二〇二三年十二月
])
_YEAR = rf"{_B}{_Y}(?![0-9.])(?:\s*年度?|(?=\s*[-~—至到]\s*{_Y}\s*年))|{_CN_Y}\s*年度?"
_SKIP2 = "|".join([
    r"(?<![^\s>|。；;：:！!？?])[0-9]{1,2}(?:\.[0-9]{1,2})?[ \t]*[.、](?![0-9])",  # list markers 1. 2、
    r"[(（][ \t]*[0-9]{1,2}[ \t]*[)）]",                                       # （3）
    r"(?<![^\s>|。；;：:])[0-9]{1,2}[)）]",                                     # 3）
    r"(?<![0-9.])[0-9]+(?:\.[0-9]+){2,}(?![0-9])",                             # section 1.2.3
    rf"{_AR}[ \t]*号",                                                         # 90号
    r"(?<![0-9A-Za-z])[0-9]+-0[0-9]{3,}(?![0-9])",                             # 202403-00037
])
_MONEY_PRE = rf"(?:{_alt(_MONEY_PREFIXES)})[ \t]*"
_CN_ALL_DIGITS = "".join(_CN_DIGITS)
# Every quantity, skipped token, date or year starts with one of these characters: the scanner
# tries its pattern only there (a regex tried at every position of a report is too slow).
_ANCHOR_RE = re.compile(rf"[0-9A-Z〔【\[［(（第人百{_CNC}{_DAXIE_DIGITS}]")
# comparator / approximation word just before a quantity: 不低于85%, 约50万元
_LEAD_RE = re.compile(rf"(?:{_LEAD})[ \t]*\Z")
_LEAD_LAST = frozenset(w[-1] for w in set(COMPARATOR_PREFIXES) | set(APPROX_PREFIXES)) | {" ", "\t"}
# The alternatives, in priority order at one position: skipped tokens, dates, years, then an
# Arabic number read once and followed by money > percent > count > score > nothing, then
# Chinese-numeral forms. A quantity's approximation / comparator words after it: `post`;
# before it: _LEAD_RE, read separately.
_SCAN_RE = re.compile(
    r"(?:"
    rf"(?P<skip>{_SKIP})"
    rf"|(?P<date>{_DATE})"
    rf"|(?P<year>{_YEAR})"
    rf"|(?P<skip2>{_SKIP2})"
    rf"|(?P<a>(?P<a_pre>{_MONEY_PRE})?(?P<a_num>{_AR})(?:"
    rf"(?P<a_mult>[ \t]*(?:[百千]|[万萬](?=[ \t]*[亿億])))?\s*(?P<a_minf>余|多)?\s*(?P<a_munit>{_MONEY_UNIT_ALT})整?(?P<a_mper>{_PER})?"
    rf"|\s*(?P<a_punit>%|个百分点|百分点)"
    rf"|(?P<a_big>[ \t]*[万萬亿億])??\s*(?P<a_cinf>余|多)?\s*(?!{_NOT_UNIT_ALT})(?P<a_cunit>{_COUNT_UNIT_ALT}){_WORD_END}(?P<a_cper>{_PER})?"
    rf"|\s*(?P<a_score>分)(?!{_alt(_LEX['score']['not_after'])})"
    rf"|(?P<a_nmult>[ \t]*(?:[百千]?[万萬亿億]|千))?(?:[ \t]*(?P<a_ninf>余|多))?"
    r"))"
    # 大写 角 / 分 on their own: 伍角, 叁分, 伍角叁分
    rf"|(?P<mx>[{_DAXIE_DIGITS}]角(?:零?[{_DAXIE_DIGITS}]分)?|[{_DAXIE_DIGITS}]分)"
    rf"|(?P<pb>百分之(?P<pb_num>{_CN_TOKEN}|{_AR}|百))"
    rf"|(?P<c>(?P<c_pre>{_MONEY_PRE})?(?P<c_num>{_CN_TOKEN})(?:"
    rf"\s*(?P<c_minf>余|多)?\s*(?P<c_munit>{_MONEY_UNIT_ALT})"
    rf"(?P<c_tail>零?[{_CN_ALL_DIGITS}]角(?:零?[{_CN_ALL_DIGITS}]分)?|零?[{_DAXIE_DIGITS}]分)?整?(?P<c_mper>{_PER})?"
    rf"|\s*(?P<c_punit>%|个百分点|百分点)"
    rf"|\s*(?P<c_cinf>余|多)?\s*(?!{_NOT_UNIT_ALT})(?P<c_cunit>{_COUNT_UNIT_ALT}){_WORD_END}(?P<c_cper>{_PER})?"
    r"))"
    r")"
    rf"(?:[ \t]*(?P<post>{_POST}))?"
)
_TIMES = "×*xX"  # 3.0m×3.0m is a size, not two counts
_KINDS = ("a", "year", "date", "skip", "skip2", "c", "mx", "pb")
_PLAIN_AR = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _num(s: str) -> Num | None:
    """A number group of the scanner (ASCII digits): fast path for plain digits."""
    if _PLAIN_AR.fullmatch(s):
        dot = s.find(".")
        return Num(Decimal(s), 0 if dot < 0 else len(s) - dot - 1)
    return parse_number(s)


def _jiao_fen(s: str) -> tuple[Decimal, int]:
    """'零伍角叁分' -> (0.53 元, 2 decimals in 元)."""
    value, decimals, digit = Decimal(0), 0, 0
    for c in s:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c == "角":
            value, decimals = value + Decimal(digit) / 10, max(decimals, 1)
        elif c == "分":
            value, decimals = value + Decimal(digit) / 100, 2
    return value, decimals


def scan_quantities(text: str, default_money_unit: str | None = None) -> list[Quantity]:
    """Every written quantity of `text` once, left to right, non-overlapping, the longest reading
    winning (money > percent > count > score > plain number). Offsets index `text` itself.

    A bare number is money in `default_money_unit` when one is given (unit = that unit), else
    kind "number". Years ('2021年', '2021年度') and dates ('2023年12月31日', '2024-03-20', '12月')
    come back as kind "year" / "date" (value: the year; yyyymmdd with 0 for a missing part, or
    mmdd / dd without a year); document numbers, phone numbers, index numbers, list markers,
    ordinals (第三版) and numeral words (一起, 三四) are skipped. Chinese numerals are read only
    with a unit (三十多场, 九百余万元, 百分之九十九), not bare (一是, 三大任务).
    """
    t = _scan_ascii(text)
    out: list[Quantity] = []
    anchor, match, lead_re, lead_last = _ANCHOR_RE.search, _SCAN_RE.match, _LEAD_RE.search, _LEAD_LAST
    pos = last_end = 0
    while (a := anchor(t, pos)) is not None:
        p = a.start()
        m = match(t, p)
        if m is None:
            pos = p + 1
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind == "post":
            kind = next(k for k in _KINDS if m.start(k) >= 0)
        if kind == "skip" or kind == "skip2":
            last_end = pos
            continue
        if kind == "year" or kind == "date":
            out.append(_date_or_year(t, m, kind))
            last_end = pos
            continue
        start = p
        negative = (kind == "a" and p - 1 >= last_end and t[p - 1] == "-" and m.start("a_pre") < 0
                    and (p < 2 or t[p - 2] in _NEG_BEFORE))
        if negative:
            start -= 1
        lead = None
        if start > last_end and t[start - 1] in lead_last:
            lm = lead_re(t, max(last_end, start - 12), start)
            if lm is not None:
                start, lead = lm.start(), lm.group().rstrip(" \t")
        last_end = pos
        post = m.group("post")
        approx = lead in APPROX_PREFIXES or post in APPROX_SUFFIXES
        comparator = COMPARATOR_PREFIXES.get(lead) if lead else None
        if comparator is None and post:
            comparator = COMPARATOR_SUFFIXES.get(post)
        if kind == "a":
            q = _arabic_quantity(m, start, negative, approx, comparator, default_money_unit)
        elif kind == "c":
            q = _cn_quantity(m, start, approx, comparator)
        elif kind == "pb":  # 百分之九十九
            raw = m.group("pb_num")
            num = Num(Decimal(100)) if raw == "百" else _num(raw)
            q = None if num is None else Quantity(
                start, pos, num.value, "percent", "%", num.decimals, approx or num.approx, comparator,
                m.start("pb_num"), m.end("pb_num"))
        else:  # mx: 伍角, 叁分
            yuan, dec = _jiao_fen(m.group("mx"))
            written = "角" if "角" in m.group("mx") else "分"
            q = Quantity(start, pos, _clean(to_wan(yuan, "元")), "money", written, dec + 4,
                         approx, comparator, m.start("mx"), m.end("mx"))
        if q is not None:
            out.append(q)
    return out


def _arabic_quantity(m: re.Match, start: int, negative: bool, approx: bool, comparator: str | None,
                     default_money_unit: str | None) -> Quantity | None:
    raw = m.group("a_num")
    num_start, num_end = m.span("a_num")
    if m.start("a_munit") >= 0:
        mult = m.group("a_mult")
        if mult:  # 3千万元
            raw, num_end = raw + mult.strip(), m.end("a_mult")
    elif m.start("a_nmult") >= 0:  # 1.5万
        raw, num_end = raw + m.group("a_nmult").strip(), m.end("a_nmult")
    elif m.start("a_big") >= 0:  # 2万余人次
        raw, num_end = raw + m.group("a_big").strip(), m.end("a_big")
    num = _num(raw)
    if num is None:
        return None
    value, decimals, approx = num.value, num.decimals, approx or num.approx
    if negative:
        value, num_start = -value, num_start - 1
    if m.start("a_munit") >= 0:
        unit = m.group("a_munit")
        money = money_from(Num(value, decimals), unit)
        return Quantity(start, m.end(), money.wan, "money", unit + (m.group("a_mper") or ""), money.decimals,
                        approx or m.start("a_minf") >= 0, comparator, num_start, num_end)
    if m.start("a_punit") >= 0:
        unit = m.group("a_punit")
        kind = "points" if unit.endswith("百分点") else "percent"
        return Quantity(start, m.end(), value, kind, unit, decimals, approx, comparator, num_start, num_end)
    if m.start("a_cunit") >= 0:
        t, cend = m.string, m.end("a_cunit")
        if negative or (cend < len(t) and t[cend] in _TIMES) or (num_start > 0 and t[num_start - 1] in _TIMES):
            # a size (3.0m×3.0m) or a negative count: the number alone
            return Quantity(start, num_end, value, "number", "", decimals, approx, comparator, num_start, num_end)
        unit = m.group("a_cunit") + (m.group("a_cper") or "")
        return Quantity(start, m.end(), value, "count", unit, decimals, approx or m.start("a_cinf") >= 0,
                        comparator, num_start, num_end)
    if m.start("a_score") >= 0:
        return Quantity(start, m.end(), value, "score", "分", decimals, approx, comparator, num_start, num_end)
    approx = approx or m.start("a_ninf") >= 0
    if default_money_unit:
        money = money_from(Num(value, decimals), default_money_unit)
        return Quantity(start, m.end(), money.wan, "money", default_money_unit, money.decimals, approx,
                        comparator, num_start, num_end)
    return Quantity(start, m.end(), value, "number", "", decimals, approx, comparator, num_start, num_end)


def _cn_quantity(m: re.Match, start: int, approx: bool, comparator: str | None) -> Quantity | None:
    """A Chinese-numeral quantity: 九百余万元, 一亿二千万元, 壹拾贰万叁仟肆佰元整, 壹万元零伍角,
    三十多场, 两个百分点."""
    tok = m.group("c_num")
    num = parse_number("一" + tok if tok[0] in _CN_BIG_UNITS else tok)  # 万余元: 一万
    if num is None:
        return None
    num_start, num_end = m.span("c_num")
    approx = approx or num.approx
    if m.start("c_punit") >= 0:
        unit = m.group("c_punit")
        kind = "points" if unit.endswith("百分点") else "percent"
        return Quantity(start, m.end(), num.value, kind, unit, num.decimals, approx, comparator, num_start, num_end)
    if m.start("c_cunit") >= 0:
        unit = m.group("c_cunit") + (m.group("c_cper") or "")
        return Quantity(start, m.end(), num.value, "count", unit, num.decimals, approx or m.start("c_cinf") >= 0,
                        comparator, num_start, num_end)
    unit, tail = m.group("c_munit"), m.group("c_tail")
    approx = approx or m.start("c_minf") >= 0
    frac = len(tok.split("点", 1)[1].rstrip("万萬亿億")) if "点" in tok else 0
    wan = to_wan(num.value, unit)
    if unit == "元" and tok[-1] in _CN_BIG_UNITS and not tail:
        unit = tok[-1] + "元"  # 九百余万元 is written in 万元: its precision is that of 万元
        num_end -= len(tok) > 1
    decimals = frac + _UNIT_DECIMAL_SHIFT[unit]
    if tail:
        yuan, dec = _jiao_fen(tail)
        wan += to_wan(yuan, "元")
        decimals = dec + _UNIT_DECIMAL_SHIFT["元"]
    return Quantity(start, m.end(), _clean(wan), "money", unit + (m.group("c_mper") or ""), decimals, approx,
                    comparator, num_start, num_end)


def _cn_small(s: str) -> int:
    """十二 -> 12, 三十一 -> 31, 五 -> 5 (month and day numerals)."""
    if "十" not in s:
        return _CN_DIGITS[s]
    tens, _, ones = s.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _date_or_year(t: str, m: re.Match, kind: str) -> Quantity:
    start, end = m.start(kind), m.end(kind)
    s = t[start:end]
    digits = re.findall(r"[0-9]+", s)
    if not digits:  # Chinese: 二〇二三年十二月三十一日
        y = int("".join(str(_CN_DIGITS[c]) for c in s[:4]))
        rest = re.findall(r"[十一二三四五六七八九]+", s[4:])
        parts = [y] + [_cn_small(p) for p in rest]
    else:
        parts = [int(d) for d in digits]
    if kind == "year":
        unit = "年度" if s.endswith("年度") else ("年" if s.endswith("年") else "")
        return Quantity(start, end, Decimal(parts[0]), "year", unit, 0, False, None, start, start + len(s.split("年")[0].rstrip()))
    has_year = len(str(parts[0])) == 4
    if has_year:
        y, mo, d = (parts + [0, 0])[:3]
        value = y * 10000 + mo * 100 + d
    elif "月" in s and len(parts) >= 2:
        value = parts[0] * 100 + parts[1]
    else:
        value = parts[0]
    return Quantity(start, end, Decimal(value), "date", "", 0, False, None, start, end)


def _whole(s: str, kinds: tuple[str, ...], default_money_unit: str | None = None) -> Quantity | None:
    """The one quantity of one of `kinds` that `s` consists of (surrounding blanks aside)."""
    s = s.strip()
    qs = scan_quantities(s, default_money_unit)
    if len(qs) == 1 and qs[0].kind in kinds and qs[0].start == 0 and qs[0].end == len(s):
        return qs[0]
    return None
