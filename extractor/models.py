"""The report record: pydantic models of ../shared/spec/record-contract.md.

These models are the single source of truth for the output JSON, the JSON Schema printed by
`extractor schema`, the schema sent to the LLM and the exports.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from extractor import SCHEMA_VERSION


def _decimal_to_json(d: Decimal) -> int | float:
    """Emit a JSON number: integral decimals as ints, others as the shortest float."""
    return int(d) if d == d.to_integral_value() else float(d)


# Decimal inside the code, a JSON number outside.
Dec = Annotated[Decimal, PlainSerializer(_decimal_to_json, return_type=float, when_used="json")]


def _flag_value_to_json(v: Decimal | str | None) -> int | float | str | None:
    return _decimal_to_json(v) if isinstance(v, Decimal) else v


# A flag's expected / found: a number, or a word such as a grade.
FlagValue = Annotated[Decimal | str | None, PlainSerializer(_flag_value_to_json, when_used="json")]


class Evidence(BaseModel):
    """A verbatim span of the document text: quote == text[start:end]."""

    quote: str = Field(description="原文中逐字引用的文字")
    start: int = Field(ge=0, description="quote 在文档文本中的起始偏移")
    end: int = Field(ge=0, description="quote 在文档文本中的结束偏移（不含）")
    page: int | None = Field(default=None, description="页码（从 1 开始），纯文本为 1")


class _Grounded(Evidence):
    grounded: bool = Field(
        default=True, description="False: the quote could not be found in the text; not a fact"
    )


class GroundedStr(_Grounded):
    value: str


class GroundedInt(_Grounded):
    value: int


class GroundedNum(_Grounded):
    value: Dec
    approx: bool = Field(default=False, description="余 / 多 / 约 / 左右 / 近: an approximate quantity")


class Amount(GroundedNum):
    """Money, normalised to 万元; the unit as written is kept in raw_unit."""

    raw_unit: str = Field(description="单位原文：元 / 万元 / 亿元")


class Source(BaseModel):
    path: str
    sha256: str
    # the contract's five, and the formats units also send (issue 12): spreadsheets, Word 97 / WPS
    # files converted by LibreOffice, OFD; the format is the file's own, not what it was converted to
    format: Literal["txt", "md", "pdf", "docx", "image", "xlsx", "xls", "doc", "wps", "et", "rtf", "ofd"]
    pages: int
    ocr: bool = False
    encoding: str | None = Field(default=None, description="detected text encoding (txt / md)")
    chars: int = 0


class Part(BaseModel):
    """One line of a breakdown: 财政拨款收入 1779.59 万元，占 100%."""

    name: str
    amount: Amount
    share_pct: GroundedNum | None = Field(default=None, description="占 x%")


class FundingPart(BaseModel):
    """A 其中 row of a project table's funding block (财政拨款 / 上年结转 / 其他资金), a part of 年度资金总额."""

    name: str
    initial: Amount | None = Field(default=None, description="年初预算数")
    budget: Amount | None = Field(default=None, description="全年预算数")
    executed: Amount | None = Field(default=None, description="全年执行数")
    execution_rate_pct: GroundedNum | None = Field(default=None, description="执行率 (%)")


class Budget(BaseModel):
    total_budget: Amount | None = Field(default=None, description="全年预算数 / 总预算 / 预算金额")
    initial_budget: Amount | None = Field(default=None, description="年初预算数")
    executed: Amount | None = Field(default=None, description="全年执行数 / 执行金额 / 决算支出合计")
    execution_rate_pct: GroundedNum | None = Field(default=None, description="预算执行率 (%)")
    basic_budget: Amount | None = Field(default=None, description="基本支出预算")
    basic_executed: Amount | None = Field(default=None, description="基本支出执行")
    project_budget: Amount | None = Field(default=None, description="项目支出预算")
    project_executed: Amount | None = Field(default=None, description="项目支出执行")
    revenue_total: Amount | None = Field(default=None, description="预算收入合计")
    fiscal_appropriation: Amount | None = Field(default=None, description="财政拨款收入")
    revenue_parts: list[Part] = Field(default_factory=list, description="预算收入合计 其中 各项收入")
    expenditure_parts: list[Part] = Field(default_factory=list, description="支出合计 其中 基本支出 / 项目支出 …")
    funding_parts: list[FundingPart] = Field(default_factory=list, description="年度资金总额 其中 财政拨款 / 上年结转 / 其他资金")


class Score(BaseModel):
    total: GroundedNum | None = Field(default=None, description="自评得分 / 总分")
    grade: GroundedStr | None = Field(default=None, description="评价等级：优 / 良 / 中 / 差")


class Indicator(BaseModel):
    level: Literal[1, 2, 3]
    name: str = Field(description="指标名称")
    parent: str | None = Field(default=None, description="上级指标名称")
    weight: GroundedNum | None = Field(default=None, description="分值")
    score: GroundedNum | None = Field(default=None, description="得分")
    target: GroundedStr | None = Field(default=None, description="年度指标值")
    actual: GroundedStr | None = Field(default=None, description="实际完成值")
    evidence: Evidence | None = None


class Project(BaseModel):
    name: str = Field(description="项目名称")
    budget: Amount | None = Field(default=None, description="项目预算数")
    executed: Amount | None = Field(default=None, description="项目执行数")
    execution_rate_pct: GroundedNum | None = Field(default=None, description="预算执行率 (%)")
    score: GroundedNum | None = Field(default=None, description="项目自评得分")
    note: str | None = Field(default=None, description="偏差说明")
    evidence: Evidence | None = None


class Output(BaseModel):
    name: str = Field(description="产出名称，如 法律援助案件")
    value: GroundedNum
    unit: str = Field(description="计量单位，如 件 / 人次 / 场")
    approx: bool = False
    target: GroundedNum | None = Field(default=None, description="年度目标值")
    evidence: Evidence | None = None


class Ratio(BaseModel):
    """A stated rate next to the counts it is computed from: 排查1437宗，成功化解1425宗，成功率99.16%."""

    name: str
    total: GroundedNum
    part: GroundedNum
    rate_pct: GroundedNum
    evidence: Evidence


class Breakdown(BaseModel):
    """A total and the sub-counts the report lists under it (其中 …)."""

    name: str
    unit: str
    total: GroundedNum
    parts: list[GroundedNum]
    evidence: Evidence


class Restatement(BaseModel):
    """The same quantity stated a second time (narrative vs table), as the second statement says it."""

    path: str
    value: Dec
    evidence: Evidence


class Allocation(BaseModel):
    """Money a document allocates: 「呼财农指【2023】41号文件《…》，下达…资金5万元」."""

    name: str = Field(description="文号 as written")
    amount: Amount
    evidence: Evidence


class Staffing(BaseModel):
    authorized: GroundedInt | None = Field(default=None, description="编制人数")
    actual: GroundedInt | None = Field(default=None, description="实有人数")
    retired: GroundedInt | None = Field(default=None, description="退休人数")


Severity = Literal["error", "warning", "info"]


class Flag(BaseModel):
    rule: str
    severity: Severity
    message: str
    paths: list[str] = Field(default_factory=list)
    expected: FlagValue = None
    found: FlagValue = None


class Extraction(BaseModel):
    backend: Literal["rules", "llm", "hybrid"] = "rules"
    model: str | None = None
    prompt_version: str | None = None
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: int = Field(default=0, description="LLM answers served from the cache")
    reasks: int = Field(default=0, description="answers the model had to give again because they did not fit the schema")
    seconds: float = 0.0
    chosen_by: dict[str, str] = Field(default_factory=dict, description="hybrid: path -> rules / llm / both, which backend chose each value")


class Record(BaseModel):
    """One report, as the contract describes it."""

    model_config = ConfigDict(title="extractor report record")

    schema_version: str = SCHEMA_VERSION
    source: Source
    department: GroundedStr | None = None
    fiscal_year: GroundedInt | None = None
    report_kind: str | None = None
    budget: Budget = Field(default_factory=Budget)
    score: Score = Field(default_factory=Score)
    indicators: list[Indicator] = Field(default_factory=list)
    projects: list[Project] = Field(default_factory=list)
    outputs: list[Output] = Field(default_factory=list)
    staffing: Staffing = Field(default_factory=Staffing)
    problems: list[str] = Field(default_factory=list)
    measures: list[str] = Field(default_factory=list)
    ratios: list[Ratio] = Field(default_factory=list)
    breakdowns: list[Breakdown] = Field(default_factory=list)
    restatements: list[Restatement] = Field(default_factory=list)
    allocations: list[Allocation] = Field(default_factory=list, description="文号 -> the amount it allocates")
    flags: list[Flag] = Field(default_factory=list)
    extraction: Extraction = Field(default_factory=Extraction)


def get_path(obj: Any, path: str) -> Any:
    """The value at a dotted path (budget.total_budget), None where a step is missing."""
    for part in path.split("."):
        obj = getattr(obj, part, None)
    return obj


def set_path(obj: Any, path: str, value: Any) -> None:
    """Set the value at a dotted path (budget.total_budget)."""
    *head, last = path.split(".")
    for part in head:
        obj = getattr(obj, part)
    setattr(obj, last, value)


def record_json_schema() -> dict:
    return Record.model_json_schema(mode="serialization")
