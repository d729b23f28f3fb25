"""What the model fills: small pydantic models, one part per kind of chunk.

Every fact carries `value` as written and a verbatim `quote`. Validators run with the chunk
text as validation context and raise, so that instructor re-asks the model, when the quote is
not in the chunk, when the value does not parse from its quote, or when the value is
impossible (a budget below zero, a score above 100, a year outside 1990-2100). The field
descriptions are in Chinese: they are rendered into the prompt (prompts/v1/fields.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, create_model, field_validator, model_validator

from extractor.grounding import key, locate, numbers_in
from extractor.normalize import parse_money, parse_number, parse_percent


def _chunk(info: ValidationInfo) -> str | None:
    ctx = info.context or {}
    return ctx.get("chunk")


def _check_quote(quote: str, info: ValidationInfo) -> str:
    chunk = _chunk(info)
    if chunk is not None and locate(chunk, quote) is None:
        raise ValueError(f"quote 「{quote[:40]}」 不在原文片段中：请从原文逐字复制一段连续文字")
    return quote


def _number_in_quote(value: Decimal, quote: str, what: str) -> None:
    if not any(n == value for n in numbers_in(quote)):
        raise ValueError(f"{what} {value} 没有出现在 quote 「{quote[:40]}」 中：quote 必须包含该数字")


class _QuoteChecked(BaseModel):
    """Checks `quote` (declared by each subclass, to keep the schema's field order) against
    the chunk text given as validation context."""

    @field_validator("quote", check_fields=False)
    @classmethod
    def _quote_in_chunk(cls, v: str, info: ValidationInfo) -> str:
        return _check_quote(v, info)


class MoneyFact(_QuoteChecked):
    value: str = Field(description="金额数字，照抄原文中的数字")
    unit: Literal["元", "万元", "亿元"] = Field(description="金额单位，照抄原文")
    quote: str = Field(description="原文逐字摘录（10-40字），包含该金额")

    @model_validator(mode="after")
    def _v(self) -> MoneyFact:
        m = parse_money(f"{self.value}{self.unit}")
        if m is None:
            raise ValueError(f"金额 「{self.value}{self.unit}」 无法解析为数字")
        if m.wan < 0 or m.wan > Decimal("1e8"):
            raise ValueError(f"金额 {self.value}{self.unit} 不合理")
        n = parse_number(self.value)
        assert n is not None
        _number_in_quote(n.value, self.quote, "金额")
        return self


class PercentFact(_QuoteChecked):
    value: str = Field(description="百分数的数字部分，照抄原文中的数字")
    quote: str = Field(description="原文逐字摘录（10-40字），包含该百分数")

    @model_validator(mode="after")
    def _v(self) -> PercentFact:
        p = parse_percent(self.value if "%" in self.value else f"{self.value}%")
        if p is None:
            raise ValueError(f"百分数 「{self.value}」 无法解析")
        if p.value < 0 or p.value > 1000:
            raise ValueError(f"百分数 {p.value}% 不合理")
        _number_in_quote(p.value, self.quote, "百分数")
        return self


class PointsFact(_QuoteChecked):
    value: str = Field(description="分数，照抄原文中的数字")
    quote: str = Field(description="原文逐字摘录（10-40字），包含该分数")

    @model_validator(mode="after")
    def _v(self) -> PointsFact:
        n = parse_number(self.value)
        if n is None:
            raise ValueError(f"分数 「{self.value}」 无法解析")
        if n.value < 0 or n.value > 100:
            raise ValueError(f"分数 {n.value} 不在 0 到 100 之间")
        _number_in_quote(n.value, self.quote, "分数")
        return self


class TextFact(_QuoteChecked):
    value: str = Field(description="原文中的文字")
    quote: str = Field(description="原文逐字摘录（10-40字），包含该文字")

    @model_validator(mode="after")
    def _v(self) -> TextFact:
        if key(self.value) not in key(self.quote):
            raise ValueError(f"「{self.value}」 没有出现在 quote 中")
        return self


class YearFact(_QuoteChecked):
    value: int = Field(description="评价年度，四位数字（不是落款日期）")
    quote: str = Field(description="原文逐字摘录，包含该年度")

    @model_validator(mode="after")
    def _v(self) -> YearFact:
        if not 1990 <= self.value <= 2100:
            raise ValueError(f"年度 {self.value} 不合理")
        if str(self.value) not in self.quote:
            raise ValueError(f"年度 {self.value} 没有出现在 quote 中")
        return self


class CountFact(_QuoteChecked):
    value: str = Field(description="人数，照抄原文数字")
    quote: str = Field(description="原文逐字摘录，包含该人数")

    @model_validator(mode="after")
    def _v(self) -> CountFact:
        n = parse_number(self.value)
        if n is None or n.value < 0 or n.value > 10**6:
            raise ValueError(f"人数 「{self.value}」 不合理")
        _number_in_quote(n.value, self.quote, "人数")
        return self


class GradeFact(_QuoteChecked):
    value: Literal["优", "良", "中", "差"] = Field(description="评价等级：优 / 良 / 中 / 差")
    quote: str = Field(description="原文逐字摘录，包含该等级")


# ---------------------------------------------------------------- parts


class ProfilePart(BaseModel):
    department: TextFact | None = Field(default=None, description="部门名称：照抄本片段原文中的部门全称（含行政区划）")
    fiscal_year: YearFact | None = Field(default=None, description="评价年度")
    authorized: CountFact | None = Field(default=None, description="编制人数")
    actual: CountFact | None = Field(default=None, description="实有人数")
    retired: CountFact | None = Field(default=None, description="退休人数")


class BudgetPart(BaseModel):
    total_budget: MoneyFact | None = Field(default=None, description="全年预算数 / 预算金额 / 总预算（整个部门）")
    initial_budget: MoneyFact | None = Field(default=None, description="年初预算数")
    executed: MoneyFact | None = Field(default=None, description="全年执行数 / 执行金额 / 决算支出合计（整个部门）")
    execution_rate_pct: PercentFact | None = Field(default=None, description="部门预算执行率")
    basic_budget: MoneyFact | None = Field(default=None, description="基本支出预算数")
    basic_executed: MoneyFact | None = Field(default=None, description="基本支出执行数 / 决算数")
    project_budget: MoneyFact | None = Field(default=None, description="项目支出预算数（全部项目合计）")
    project_executed: MoneyFact | None = Field(default=None, description="项目支出执行数 / 决算数（全部项目合计）")
    revenue_total: MoneyFact | None = Field(default=None, description="预算收入合计")
    fiscal_appropriation: MoneyFact | None = Field(default=None, description="财政拨款收入")


class ScorePart(BaseModel):
    total: PointsFact | None = Field(default=None, description="部门整体自评总得分")
    grade: GradeFact | None = Field(default=None, description="评价等级")


class IndicatorItem(BaseModel):
    level: Literal[1, 2, 3] = Field(description="指标级别：1 一级指标，2 二级指标，3 三级指标")
    name: str = Field(description="指标名称，照抄原文")
    parent: str | None = Field(default=None, description="上级指标名称")
    weight: PointsFact | None = Field(default=None, description="分值（满分）")
    score: PointsFact | None = Field(default=None, description="得分")


class IndicatorPart(BaseModel):
    indicators: list[IndicatorItem] = Field(default_factory=list, description="绩效指标")


class ProjectItem(BaseModel):
    name: str = Field(description="项目名称，照抄原文")
    budget: MoneyFact | None = Field(default=None, description="项目全年预算数")
    executed: MoneyFact | None = Field(default=None, description="项目全年执行数")
    execution_rate_pct: PercentFact | None = Field(default=None, description="项目预算执行率")
    score: PointsFact | None = Field(default=None, description="项目自评得分")


class ProjectPart(BaseModel):
    projects: list[ProjectItem] = Field(default_factory=list, description="项目")


class OutputItem(_QuoteChecked):
    name: str = Field(description="产出名称，照抄原文")
    value: str = Field(description="数量，照抄原文中的数字（可带 余 / 多）")
    unit: str = Field(description="量词，照抄原文（件 / 人次 / 场 / 个 等）")
    quote: str = Field(description="原文逐字摘录，包含数量和量词")

    @model_validator(mode="after")
    def _v(self) -> OutputItem:
        n = parse_number(self.value)
        if n is None:
            raise ValueError(f"数量 「{self.value}」 无法解析")
        _number_in_quote(n.value, self.quote, "数量")
        if self.unit not in self.quote:
            raise ValueError(f"量词 「{self.unit}」 没有出现在 quote 中")
        return self


class OutputPart(BaseModel):
    outputs: list[OutputItem] = Field(default_factory=list, description="产出数量")


class ProblemPart(BaseModel):
    problems: list[str] = Field(default_factory=list, description="存在的问题，每条一句")
    measures: list[str] = Field(default_factory=list, description="改进措施，每条一句")


PARTS: dict[str, type[BaseModel]] = {
    "profile": ProfilePart,
    "budget": BudgetPart,
    "score": ScorePart,
    "indicators": IndicatorPart,
    "projects": ProjectPart,
    "outputs": OutputPart,
    "problems": ProblemPart,
}


def chunk_model(parts: list[str]) -> type[BaseModel]:
    """The response model for one chunk: only the parts that chunk can fill."""
    fields: dict[str, Any] = {p: (PARTS[p] | None, Field(default=None, description=PARTS[p].__doc__ or p)) for p in parts}
    return create_model("ChunkFacts_" + "_".join(parts), **fields)


def describe_fields(part: str) -> list[str]:
    """One line per field of a part, from the Chinese descriptions: the prompt's field list."""
    lines = []
    for name, f in PARTS[part].model_fields.items():
        lines.append(f"  - {name}: {f.description or name}")
        ann = f.annotation
        inner = getattr(ann, "__args__", (ann,))
        for t in inner:
            sub = getattr(t, "__args__", (t,))
            for s in sub:
                if isinstance(s, type) and issubclass(s, BaseModel) and name in ("indicators", "projects", "outputs"):
                    for sn, sf in s.model_fields.items():
                        lines.append(f"      - {sn}: {sf.description or sn}")
    return lines


def salvage(parts: list[str], raw: dict[str, Any], chunk: str) -> tuple[dict[str, Any], int]:
    """Keep every fact of a rejected answer that passes its own validators; count the rest.

    A small model often gets most facts right and one wrong; after the last re-ask, one bad
    fact should not cost the chunk all the good ones."""
    from pydantic import ValidationError

    ctx = {"chunk": chunk}
    out: dict[str, Any] = {}
    dropped = 0
    for part in parts:
        model = PARTS[part]
        data = raw.get(part) if isinstance(raw, dict) else None
        if not isinstance(data, dict):
            continue
        clean: dict[str, Any] = {}
        for name, f in model.model_fields.items():
            v = data.get(name)
            if v is None:
                continue
            if isinstance(v, list):
                item_type = f.annotation.__args__[0] if hasattr(f.annotation, "__args__") else None  # type: ignore[union-attr]
                kept = []
                for it in v:
                    try:
                        if item_type is str:
                            if isinstance(it, str):
                                kept.append(it)
                            continue
                        kept.append(item_type.model_validate(it, context=ctx).model_dump(mode="json"))  # type: ignore[union-attr]
                    except (ValidationError, AttributeError, TypeError):
                        dropped += 1
                clean[name] = kept
            else:
                try:
                    ok = model.model_validate({name: v}, context=ctx)
                    clean[name] = getattr(ok, name).model_dump(mode="json")
                except (ValidationError, AttributeError, TypeError):
                    dropped += 1
        out[part] = clean
    return out, dropped
