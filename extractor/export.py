"""A batch handed on: its records and the operators' decisions, read from the batch store
(OUT/extractor.db) and written as xlsx, csv, jsonl, or the 问题清单 (docx).

One row per report, project, indicator, output and flag, with Chinese headers that carry the
unit (全年预算数（万元）). A value an operator corrected is shown corrected and marked; every flag
row carries the decision on it (确认 / 排除 with the reason / 更正), who made it and when, and
whether it went stale (the document or the flag changed since). The 问题清单 lists, report by
report, each confirmed inconsistency in Chinese with the quotes and pages behind it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from extractor.explain import pointers, rule_name, severity_name
from extractor.models import Flag, Record
from extractor.store import Store, flag_key

DECISION_NAMES = {"confirm": "确认（报告自相矛盾）", "dismiss": "排除（误报）", "correct": "更正数值"}


@dataclass
class Sheet:
    name: str
    headers: list[str]
    rows: list[list[Any]]
    marked: set[tuple[int, int]]  # (row, column) of values an operator corrected
    widths: list[int]


@dataclass
class Report:
    path: str
    record: Record
    decisions: dict[str, dict[str, Any]]  # flag key -> decision
    sha256: str

    @cached_property
    def keyed(self) -> list[tuple[str, Flag]]:
        """The record's flags, in order, each with its key (store.flag_key), made once."""
        return [(flag_key(f.model_dump(mode="json")), f) for f in self.record.flags]

    @cached_property
    def flags(self) -> dict[str, Flag]:
        return dict(self.keyed)


def reports(store: Store) -> Iterator[Report]:
    """Every document of the batch that has a record, with its decisions."""
    for doc in store.documents():
        if doc["status"] != "done" or not doc.get("record_key"):
            continue
        data = store.record_of(doc["record_key"])
        if data is None:
            continue
        data["source"]["path"] = doc["path"]
        yield Report(doc["path"], Record.model_validate(data), store.decisions(doc["path"]), doc["sha256"])


def _num(v: Any) -> Any:
    value = getattr(v, "value", v)
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return int(f) if f.is_integer() else f


def _corrections(rep: Report) -> dict[str, dict[str, Any]]:
    """Field path -> the decision that corrected it (not stale)."""
    return {d["field"]: d for k, d in rep.decisions.items()
            if d["decision"] == "correct" and d.get("field") and k in rep.flags and d["sha256"] == rep.sha256}


def _value(rep: Report, path: str, v: Any, fixes: dict[str, dict[str, Any]]) -> tuple[Any, bool]:
    fix = fixes.get(path)
    if fix is not None:
        return _num(fix["value"]), True
    return _num(v), False


def sheets(items: list[Report]) -> list[Sheet]:
    out = {name: Sheet(name, headers, [], set(), [max(8, min(40, len(h) * 2 + 2)) for h in headers]) for name, headers in [
        ("报告", ["文件", "部门", "年度", "报告类型", "全年预算数（万元）", "年初预算数（万元）", "全年执行数（万元）",
                "执行率（%）", "自评得分（分）", "评价等级", "错误（条）", "警告（条）", "提示（条）", "已复核（条）", "人工更正"]),
        ("项目", ["文件", "部门", "项目名称", "预算数（万元）", "执行数（万元）", "执行率（%）", "自评得分（分）"]),
        ("指标", ["文件", "级别", "指标名称", "上级指标", "分值（分）", "得分（分）", "指标值", "实际完成值"]),
        ("产出", ["文件", "产出名称", "数量", "单位", "约数", "原文"]),
        ("标记", ["文件", "严重程度", "规则", "规则说明", "说明", "涉及数值（原文，页码）", "复核结论", "理由", "更正值",
                "复核人", "复核时间", "已过时"]),
    ]}
    for rep in items:
        r, fixes = rep.record, _corrections(rep)
        dept = r.department.value if r.department else None
        b = r.budget
        row: list[Any] = [rep.path, dept, r.fiscal_year.value if r.fiscal_year else None, r.report_kind]
        for path, v in [("budget.total_budget", b.total_budget), ("budget.initial_budget", b.initial_budget),
                        ("budget.executed", b.executed), ("budget.execution_rate_pct", b.execution_rate_pct),
                        ("score.total", r.score.total)]:
            value, fixed = _value(rep, path, v, fixes)
            if fixed:
                out["报告"].marked.add((len(out["报告"].rows), len(row)))
            row.append(value)
        counts = {s: sum(1 for f in r.flags if f.severity == s) for s in ("error", "warning", "info")}
        row += [r.score.grade.value if r.score.grade else None, counts["error"], counts["warning"], counts["info"],
                len(rep.decisions), "；".join(f"{p}：{d['value']}（{d['reviewer']}）" for p, d in fixes.items()) or None]
        out["报告"].rows.append(row)
        for i, p in enumerate(r.projects):
            prow: list[Any] = [rep.path, dept, p.name]
            for f in ("budget", "executed", "execution_rate_pct", "score"):
                value, fixed = _value(rep, f"projects[{i}].{f}", getattr(p, f), fixes)
                if fixed:
                    out["项目"].marked.add((len(out["项目"].rows), len(prow)))
                prow.append(value)
            out["项目"].rows.append(prow)
        for i, ind in enumerate(r.indicators):
            irow: list[Any] = [rep.path, ind.level, ind.name, ind.parent]
            for f in ("weight", "score"):
                value, fixed = _value(rep, f"indicators[{i}].{f}", getattr(ind, f), fixes)
                if fixed:
                    out["指标"].marked.add((len(out["指标"].rows), len(irow)))
                irow.append(value)
            irow += [ind.target.value if ind.target else None, ind.actual.value if ind.actual else None]
            out["指标"].rows.append(irow)
        for o in r.outputs:
            out["产出"].rows.append([rep.path, o.name, _num(o.value), o.unit, "是" if o.approx else "", o.value.quote])
        for key, f in rep.keyed:
            out["标记"].rows.append([rep.path, severity_name(f.severity), f.rule, rule_name(f.rule), f.message,
                                   _pointers_text(r, f)] + _decision_cells(rep.decisions.get(key), rep.sha256))
        stale = [d for k, d in rep.decisions.items() if k not in rep.flags]
        for d in stale:  # a decision whose flag is gone: kept, shown stale
            out["标记"].rows.append([rep.path, "", d["rule"], rule_name(d["rule"]), "（该标记在重新提取后已不存在）", ""]
                                  + _decision_cells(d, rep.sha256, gone=True))
    return list(out.values())


def _pointers_text(r: Record, f: Flag) -> str:
    parts = []
    for p in pointers(r, f):
        page = f"，第 {p.page} 页" if p.page else ""
        parts.append(f"{p.label}：{p.value}（「{(p.quote or '').strip()}」{page}）")
    return "；".join(parts)


def _decision_cells(d: dict[str, Any] | None, sha256: str, gone: bool = False) -> list[Any]:
    if d is None:
        return [None] * 6
    when = dt.datetime.fromtimestamp(d["decided"]).strftime("%Y-%m-%d %H:%M")
    stale = gone or d["sha256"] != sha256
    value = f"{d['value']}{'（手工输入）' if d.get('manual') else ''}" if d.get("value") is not None else None
    return [DECISION_NAMES.get(d["decision"], d["decision"]), d.get("reason"), value, d["reviewer"], when,
            "是" if stale else ""]


def write_xlsx(items: list[Report], dst: Path) -> None:
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for sh in sheets(items):
        ws = wb.create_sheet(sh.name)
        ws.append(sh.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sh.rows:
            ws.append(row)
        for r, c in sh.marked:
            ws.cell(r + 2, c + 1).fill = fill
            ws.cell(r + 2, c + 1).font = Font(bold=True, color="9C5700")
        ws.freeze_panes = "A2"
        for i, w in enumerate(sh.widths, 1):
            longest = max([len(str(row[i - 1])) for row in sh.rows if i - 1 < len(row) and row[i - 1] is not None] or [0])
            ws.column_dimensions[get_column_letter(i)].width = max(w, min(60, longest + 2))
    wb.save(dst)


def write_csv(items: list[Report], dst: Path) -> list[Path]:
    """A folder with one CSV per sheet (UTF-8 with BOM, so that Excel opens the Chinese right)."""
    dst.mkdir(parents=True, exist_ok=True)
    written = []
    for sh in sheets(items):
        p = dst / f"{sh.name}.csv"
        with open(p, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(sh.headers + (["人工更正的列"] if sh.marked else []))
            for i, row in enumerate(sh.rows):
                cols = [sh.headers[c] for r, c in sh.marked if r == i]
                w.writerow(row + (["、".join(cols)] if sh.marked else []))
        written.append(p)
    return written


def write_jsonl(items: list[Report], dst: Path) -> None:
    """One JSON object per line: {"类别": 报告 | 项目 | 指标 | 产出 | 标记, header: value, …}."""
    with open(dst, "w", encoding="utf-8") as f:
        for sh in sheets(items):
            for i, row in enumerate(sh.rows):
                obj = {"类别": sh.name, **dict(zip(sh.headers, row))}
                fixed = [sh.headers[c] for r, c in sh.marked if r == i]
                if fixed:
                    obj["人工更正"] = fixed
                f.write(json.dumps(obj, ensure_ascii=False) + "\n")


def write_docx(items: list[Report], dst: Path) -> int:
    """The batch's 问题清单: per report, each confirmed inconsistency with its quotes and pages.
    Returns how many problems it lists."""
    import docx

    d = docx.Document()
    d.add_heading("绩效自评报告问题清单", level=0)
    d.add_paragraph(f"生成时间：{dt.datetime.now():%Y-%m-%d %H:%M}。下列问题均经复核人员确认为报告本身的前后矛盾。")
    n = 0
    for rep in items:
        confirmed = [(rep.flags[k], dec) for k, dec in rep.decisions.items()
                     if dec["decision"] == "confirm" and k in rep.flags and dec["sha256"] == rep.sha256]
        if not confirmed:
            continue
        r = rep.record
        title = r.department.value if r.department else Path(rep.path).name
        d.add_heading(f"{title}（{r.fiscal_year.value if r.fiscal_year else '年度未知'}）", level=1)
        d.add_paragraph(f"文件：{rep.path}")
        for f, dec in confirmed:
            n += 1
            d.add_paragraph(f"{rule_name(f.rule)}：{f.message}", style="List Number")
            for p in pointers(r, f):
                page = f"第 {p.page} 页" if p.page else "页码未知"
                d.add_paragraph(f"{p.label}：原文「{(p.quote or '').strip()}」（{page}）", style="List Bullet")
            if dec.get("note"):
                d.add_paragraph(f"复核意见：{dec['note']}（{dec['reviewer']}）")
    if n == 0:
        d.add_paragraph("本批次尚无经确认的问题。")
    d.save(str(dst))
    return n


def export(out: Path, fmt: str, dst: Path) -> str:
    """Write the batch in OUT as `fmt` to `dst`; returns one line saying what was written."""
    store = Store(out)
    try:
        items = list(reports(store))
    finally:
        store.close()
    if fmt == "xlsx":
        write_xlsx(items, dst)
    elif fmt == "csv":
        write_csv(items, dst)
    elif fmt == "jsonl":
        write_jsonl(items, dst)
    elif fmt == "docx":
        n = write_docx(items, dst)
        return f"已写出问题清单 {dst}：{len(items)} 份报告，{n} 个经确认的问题"
    else:
        raise ValueError(fmt)
    decided = sum(len(i.decisions) for i in items)
    return f"已写出 {dst}：{len(items)} 份报告，{decided} 条复核结论"

