"""Evaluation: score records against golden records (fixtures/golden/).

Each field instance is one of: correct (both present and equal within the golden's written
precision), wrong (both present, different), omitted (golden has it, prediction does not),
hallucinated (prediction has it, golden says the report does not state it). An invented value
is worse than a missing one: it lowers precision and is counted and shown on its own.

List fields (indicators, projects, outputs) are aligned by name similarity before their
sub-fields are scored; an unaligned golden item counts its sub-fields as omitted, an unaligned
predicted item its sub-fields as hallucinated. Flags match when the rule is the same and the
golden's field is among the fields the predicted flag names (list items resolved by name).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from extractor.grounding import is_grounded, key
from extractor.models import Evidence, Record

OUTCOMES = ("correct", "wrong", "omitted", "hallucinated")
DIAGNOSTIC_RULES = {"ungrounded", "backends_disagree", "llm_error", "table_not_understood"}  # about the extraction, not the report

SCALARS = [
    "department", "fiscal_year", "report_kind",
    "budget.total_budget", "budget.initial_budget", "budget.executed", "budget.execution_rate_pct",
    "budget.basic_budget", "budget.basic_executed", "budget.project_budget", "budget.project_executed",
    "budget.revenue_total", "budget.fiscal_appropriation",
    "score.total", "score.grade",
    "staffing.authorized", "staffing.actual", "staffing.retired",
]
LIST_FIELDS = {
    "indicators": ["weight", "score"],
    "projects": ["budget", "executed", "execution_rate_pct", "score"],
    "outputs": ["value", "unit", "approx"],
}


# ---------------------------------------------------------------- golden records


def load_golden(path: Path) -> dict[str, Any]:
    """A golden record, with `inherit` resolved and `set` applied; numbers as Decimal."""
    data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal, parse_int=Decimal)
    if "inherit" in data:
        base = load_golden(path.parent / data["inherit"])
        for k, v in data.items():
            if k not in ("inherit", "set"):
                base[k] = v
        for p, v in data.get("set", {}).items():
            _set_path(base, p, v)
        data = base
    return data


def _set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = re.findall(r"[a-z_]+|\[[^\]]+\]", path)
    cur: Any = obj
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part.startswith("["):
            name = part[1:-1]
            cur = next(it for it in cur if key(it["name"]) == key(name))
        elif last:
            cur[part] = value
        else:
            cur = cur[part]


def _golden_value(g: dict[str, Any], path: str) -> Any:
    cur: Any = g
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return cur


def _pred_value(r: Record, path: str) -> Any:
    cur: Any = r
    for part in path.split("."):
        cur = getattr(cur, part, None)
        if cur is None:
            return None
    return cur.value if isinstance(cur, Evidence) else cur


# ---------------------------------------------------------------- comparison


def decimals(d: Decimal) -> int:
    e = d.as_tuple().exponent
    return -e if isinstance(e, int) and e < 0 else 0


def same(gold: Any, pred: Any) -> bool:
    """Equal within the golden's written precision (62.90 -> +-0.005); strings by NFKC key."""
    if isinstance(gold, bool) or isinstance(pred, bool):
        return bool(gold) == bool(pred)
    if isinstance(gold, Decimal) or isinstance(pred, (Decimal, int, float)):
        try:
            g, p = Decimal(str(gold)), Decimal(str(pred))
        except ArithmeticError:
            return False
        return abs(g - p) <= Decimal(5) * Decimal(10) ** (-(decimals(g) + 1)) + Decimal("1e-9")
    return key(str(gold)) == key(str(pred))


def outcome(gold: Any, pred: Any) -> str | None:
    if gold is None and pred is None:
        return None
    if gold is None:
        return "hallucinated"
    if pred is None:
        return "omitted"
    return "correct" if same(gold, pred) else "wrong"


def name_similarity(a: str, b: str) -> float:
    ka, kb = key(a), key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 1.0
    r = SequenceMatcher(None, ka, kb).ratio()
    if ka in kb or kb in ka:
        r = max(r, 0.85)
    return r


def align(gold: list[dict[str, Any]], pred: list[dict[str, Any]], value_field: str | None = None) -> list[tuple[int | None, int | None]]:
    """Greedy best-first alignment by name similarity (plus agreement of the value, for outputs)."""
    cands = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            s = name_similarity(g["name"], p["name"])
            if value_field and g.get(value_field) is not None and p.get(value_field) is not None and same(g[value_field], p[value_field]):
                s += 0.3
            if g.get("level") is not None and g.get("level") == p.get("level"):
                s += 0.1  # an indicator's level is part of what it is
            if s >= 0.5:
                cands.append((s, i, j))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs: list[tuple[int | None, int | None]] = []
    for _, i, j in cands:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((i, j))
    pairs += [(i, None) for i in range(len(gold)) if i not in used_g]
    pairs += [(None, j) for j in range(len(pred)) if j not in used_p]
    return pairs


def _pred_items(r: Record, list_name: str) -> list[dict[str, Any]]:
    out = []
    for item in getattr(r, list_name):
        d: dict[str, Any] = {"name": item.name, "level": getattr(item, "level", None)}
        for f in LIST_FIELDS[list_name]:
            v = getattr(item, f, None)
            d[f] = v.value if isinstance(v, Evidence) else v
        out.append(d)
    return out


# ---------------------------------------------------------------- flags


def canonical_paths(r: Record, paths: list[str]) -> list[str]:
    """projects[0].execution_rate_pct -> projects[人民调解].execution_rate_pct."""
    out = []
    for p in paths:
        def name_of(m: re.Match[str]) -> str:
            seq_path, idx = m.group(1), int(m.group(2))
            cur: Any = r
            for part in seq_path.split("."):
                cur = getattr(cur, part, None)
            if isinstance(cur, list) and idx < len(cur) and hasattr(cur[idx], "name"):
                return f"{seq_path}[{cur[idx].name}]"
            return m.group(0)

        out.append(re.sub(r"([a-z_.]+?)\[(\d+)\]", name_of, p))
    return out


def _field_matches(gold_field: str, pred_field: str) -> bool:
    gm = re.fullmatch(r"(.*?)\[(.+?)\](.*)", gold_field)
    pm = re.fullmatch(r"(.*?)\[(.+?)\](.*)", pred_field)
    if not gm or not pm:
        return gold_field == pred_field
    return gm.group(1) == pm.group(1) and gm.group(3) == pm.group(3) and name_similarity(gm.group(2), pm.group(2)) >= 0.5


def match_flags(gold_flags: list[dict[str, Any]], r: Record) -> dict[str, Any]:
    preds = [f for f in r.flags if f.rule not in DIAGNOSTIC_RULES]
    canon = [canonical_paths(r, f.paths) for f in preds]
    used: set[int] = set()
    matched = []
    missed = []
    for g in gold_flags:
        hit = next((j for j, f in enumerate(preds) if j not in used and f.rule == g["rule"]
                    and any(_field_matches(g["field"], c) for c in canon[j])), None)
        if hit is None:
            missed.append(g)
        else:
            used.add(hit)
            matched.append({"gold": g, "pred_severity": preds[hit].severity})
    spurious = [{"rule": f.rule, "severity": f.severity, "field": canon[j][0] if canon[j] else ""}
                for j, f in enumerate(preds) if j not in used]
    return {
        "tp": len(matched), "fp": len(spurious), "fn": len(missed),
        "severity_agree": sum(1 for m in matched if m["gold"]["severity"] == m["pred_severity"]),
        "missed": missed, "spurious": spurious,
    }


# ---------------------------------------------------------------- one document


@dataclass
class DocScore:
    file: str
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # {field, outcome, gold, pred, item}
    flags: dict[str, Any] = field(default_factory=dict)
    grounded: int = 0
    grounded_total: int = 0
    extraction: dict[str, Any] = field(default_factory=dict)


def _json(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def score_document(golden: dict[str, Any], r: Record, text: str) -> DocScore:
    ds = DocScore(file=golden["file"])

    def add(fieldname: str, gold: Any, pred: Any, item: str | None = None) -> None:
        o = outcome(gold, pred)
        if o:
            ds.outcomes.append({"field": fieldname, "outcome": o, "gold": _json(gold), "pred": _json(pred), "item": item})

    for path in SCALARS:
        add(path, _golden_value(golden, path), _pred_value(r, path))
    for list_name, subfields in LIST_FIELDS.items():
        gold_items = golden.get(list_name, [])
        pred_items = _pred_items(r, list_name)
        for gi, pj in align(gold_items, pred_items, "value" if list_name == "outputs" else None):
            g = gold_items[gi] if gi is not None else {}
            p = pred_items[pj] if pj is not None else {}
            name = g.get("name") or p.get("name")
            add(f"{list_name}.item", name if g else None, p.get("name") if p else None, name)
            if g and p:
                ds.outcomes[-1]["outcome"] = "correct"  # an aligned item is found, whatever its name
            for f in subfields:
                gv = g.get(f) if g else None
                pv = p.get(f) if p else None
                if f == "approx" and (not g or not p):
                    continue  # a flag of an item that is missing or invented adds nothing
                add(f"{list_name}.{f}", gv, pv, name)
    ds.flags = match_flags(golden.get("flags", []), r)
    from extractor.grounding import iter_grounded

    for _, g in iter_grounded(r):
        ds.grounded_total += 1
        ds.grounded += int(is_grounded(text, g))  # type: ignore[arg-type]
    ds.extraction = r.extraction.model_dump(mode="json")
    return ds


# ---------------------------------------------------------------- aggregation


def prf(c: dict[str, int]) -> dict[str, float]:
    tp = c.get("correct", 0)
    pred = tp + c.get("wrong", 0) + c.get("hallucinated", 0)
    gold = tp + c.get("wrong", 0) + c.get("omitted", 0)
    p = tp / pred if pred else 1.0
    rcl = tp / gold if gold else 1.0
    f1 = 2 * p * rcl / (p + rcl) if p + rcl else 0.0
    return {"precision": round(p, 4), "recall": round(rcl, 4), "f1": round(f1, 4)}


def _count(outcomes: list[dict[str, Any]]) -> dict[str, int]:
    c = {o: 0 for o in OUTCOMES}
    for x in outcomes:
        c[x["outcome"]] += 1
    return c


def aggregate(docs: list[DocScore], backend: str) -> dict[str, Any]:
    all_outcomes = [o for d in docs for o in d.outcomes]
    field_names = sorted({o["field"] for o in all_outcomes}, key=lambda f: (f.split(".")[0] not in ("department", "fiscal_year", "report_kind"), f))
    fields = {}
    for f in field_names:
        c = _count([o for o in all_outcomes if o["field"] == f])
        fields[f] = {**c, **prf(c)}
    documents = {}
    for d in docs:
        c = _count(d.outcomes)
        fl = d.flags
        documents[d.file] = {**c, **prf(c), "flags": {k: fl[k] for k in ("tp", "fp", "fn")},
                             "grounding_rate": round(d.grounded / d.grounded_total, 4) if d.grounded_total else 1.0,
                             "extraction": d.extraction,
                             "details": d.outcomes, "missed_flags": fl["missed"], "spurious_flags": fl["spurious"]}
    overall_c = _count(all_outcomes)
    tp = sum(d.flags["tp"] for d in docs)
    fp = sum(d.flags["fp"] for d in docs)
    fn = sum(d.flags["fn"] for d in docs)
    fp_ = tp / (tp + fp) if tp + fp else 1.0
    fr_ = tp / (tp + fn) if tp + fn else 1.0
    n = len(docs) or 1
    ext = [d.extraction for d in docs]
    return {
        "backend": backend,
        "documents_scored": len(docs),
        "overall": {**overall_c, **prf(overall_c)},
        "flags": {"tp": tp, "fp": fp, "fn": fn, "precision": round(fp_, 4), "recall": round(fr_, 4),
                  "f1": round(2 * fp_ * fr_ / (fp_ + fr_), 4) if fp_ + fr_ else 0.0,
                  "severity_agree": sum(d.flags["severity_agree"] for d in docs)},
        "grounding_rate": round(sum(d.grounded for d in docs) / max(1, sum(d.grounded_total for d in docs)), 4),
        "per_document": {
            "llm_calls": round(sum(e.get("llm_calls", 0) for e in ext) / n, 2),
            "prompt_tokens": round(sum(e.get("prompt_tokens", 0) for e in ext) / n, 1),
            "completion_tokens": round(sum(e.get("completion_tokens", 0) for e in ext) / n, 1),
            "seconds": round(sum(e.get("seconds", 0) for e in ext) / n, 3),
        },
        "fields": fields,
        "documents": documents,
    }


# ---------------------------------------------------------------- rendering


def render_table(report: dict[str, Any]) -> str:
    lines = [f"backend {report['backend']}: {report['documents_scored']} documents",
             f"{'field':<30} {'correct':>7} {'wrong':>6} {'omit':>5} {'halluc':>6} {'P':>6} {'R':>6} {'F1':>6}"]
    for f, c in report["fields"].items():
        lines.append(f"{f:<30} {c['correct']:>7} {c['wrong']:>6} {c['omitted']:>5} {c['hallucinated']:>6} "
                     f"{c['precision']:>6.3f} {c['recall']:>6.3f} {c['f1']:>6.3f}")
    o = report["overall"]
    lines.append(f"{'OVERALL':<30} {o['correct']:>7} {o['wrong']:>6} {o['omitted']:>5} {o['hallucinated']:>6} "
                 f"{o['precision']:>6.3f} {o['recall']:>6.3f} {o['f1']:>6.3f}")
    lines.append("")
    lines.append(f"{'document':<44} {'P':>6} {'R':>6} {'F1':>6} {'halluc':>6} {'flags tp/fp/fn':>15} {'ground':>7} {'calls':>5} {'tokens':>7} {'s':>6}")
    for name, d in report["documents"].items():
        e = d["extraction"]
        toks = e.get("prompt_tokens", 0) + e.get("completion_tokens", 0)
        fl = d["flags"]
        lines.append(f"{name:<44} {d['precision']:>6.3f} {d['recall']:>6.3f} {d['f1']:>6.3f} {d['hallucinated']:>6} "
                     f"{fl['tp']:>5}/{fl['fp']}/{fl['fn']:<5} {d['grounding_rate']:>7.3f} {e.get('llm_calls', 0):>5} {toks:>7} {e.get('seconds', 0):>6.2f}")
    f = report["flags"]
    pd = report["per_document"]
    lines.append("")
    lines.append(f"flags: precision {f['precision']:.3f}, recall {f['recall']:.3f}, F1 {f['f1']:.3f} "
                 f"(tp {f['tp']}, fp {f['fp']}, fn {f['fn']}; severity agrees on {f['severity_agree']} of {f['tp']})")
    lines.append(f"grounding rate {report['grounding_rate']:.3f}; per document: {pd['llm_calls']} LLM calls, "
                 f"{pd['prompt_tokens']} prompt + {pd['completion_tokens']} completion tokens, {pd['seconds']} s")
    lines.append(f"overall: F1 {o['f1']:.3f} (precision {o['precision']:.3f}, recall {o['recall']:.3f}); "
                 f"{o['hallucinated']} hallucinated, {o['wrong']} wrong, {o['omitted']} omitted")
    return "\n".join(lines)


def render_markdown(report: dict[str, Any]) -> str:
    o = report["overall"]
    f = report["flags"]
    pd = report["per_document"]
    md = [f"# Evaluation: backend `{report['backend']}`", "",
          f"{report['documents_scored']} documents. Overall F1 **{o['f1']:.3f}** (precision {o['precision']:.3f}, "
          f"recall {o['recall']:.3f}); {o['hallucinated']} hallucinated, {o['wrong']} wrong, {o['omitted']} omitted values.",
          f"Flags: precision {f['precision']:.3f}, recall {f['recall']:.3f}, F1 {f['f1']:.3f}. "
          f"Grounding rate {report['grounding_rate']:.3f}. Per document: {pd['llm_calls']} LLM calls, "
          f"{pd['prompt_tokens']} prompt and {pd['completion_tokens']} completion tokens, {pd['seconds']} s.", ""]
    if report.get("unread"):
        md += [f"Not read, so not scored ({len(report['unread'])}):", ""]
        md += [f"- `{u['file']}`: {u['reason']}" for u in report["unread"]]
        md.append("")
    md += ["## Fields", "", "| field | correct | wrong | omitted | hallucinated | P | R | F1 |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, c in report["fields"].items():
        md.append(f"| {name} | {c['correct']} | {c['wrong']} | {c['omitted']} | {c['hallucinated']} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} |")
    md += ["", "## Documents", "", "| document | P | R | F1 | hallucinated | flags tp/fp/fn | grounding | LLM calls | tokens | s |",
           "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    for name, d in report["documents"].items():
        e = d["extraction"]
        fl = d["flags"]
        md.append(f"| {name} | {d['precision']:.3f} | {d['recall']:.3f} | {d['f1']:.3f} | {d['hallucinated']} | "
                  f"{fl['tp']}/{fl['fp']}/{fl['fn']} | {d['grounding_rate']:.3f} | {e.get('llm_calls', 0)} | "
                  f"{e.get('prompt_tokens', 0) + e.get('completion_tokens', 0)} | {e.get('seconds', 0)} |")
    md += ["", "## Misses and inventions", ""]
    for name, d in report["documents"].items():
        bad = [x for x in d["details"] if x["outcome"] != "correct"]
        if not bad and not d["missed_flags"] and not d["spurious_flags"]:
            continue
        md.append(f"### {name}")
        for x in bad:
            item = f" [{x['item']}]" if x["item"] else ""
            md.append(f"- {x['outcome']}: `{x['field']}`{item}: golden {x['gold']!r}, predicted {x['pred']!r}")
        for g in d["missed_flags"]:
            md.append(f"- missed flag: {g['rule']} on `{g['field']}`")
        for s in d["spurious_flags"]:
            md.append(f"- spurious flag: {s['rule']} ({s['severity']}) on `{s['field']}`")
        md.append("")
    return "\n".join(md) + "\n"


def diff_reports(a: dict[str, Any], b: dict[str, Any]) -> str:
    """What got better and what got worse from run A to run B, per field and per document."""
    lines = [f"A: backend {a['backend']}, overall F1 {a['overall']['f1']:.3f}, flags F1 {a['flags']['f1']:.3f}",
             f"B: backend {b['backend']}, overall F1 {b['overall']['f1']:.3f}, flags F1 {b['flags']['f1']:.3f}", ""]
    for title, sa, sb in (("fields", a["fields"], b["fields"]), ("documents", a["documents"], b["documents"])):
        better, worse = [], []
        for k in sorted(set(sa) | set(sb)):
            fa = sa.get(k, {}).get("f1")
            fb = sb.get(k, {}).get("f1")
            if fa is None or fb is None:
                lines.append(f"  {title}: {k} only in {'B' if fa is None else 'A'}")
                continue
            ha, hb = sa[k]["hallucinated"], sb[k]["hallucinated"]
            row = f"  {k:<44} F1 {fa:.3f} -> {fb:.3f} ({fb - fa:+.3f}); hallucinated {ha} -> {hb}"
            if fb > fa + 1e-9 or (abs(fb - fa) <= 1e-9 and hb < ha):
                better.append(row)
            elif fb < fa - 1e-9 or hb > ha:
                worse.append(row)
        lines.append(f"{title} better in B ({len(better)}):")
        lines += better or ["  (none)"]
        lines.append(f"{title} worse in B ({len(worse)}):")
        lines += worse or ["  (none)"]
        lines.append("")
    return "\n".join(lines)


def golden_files(golden_dir: Path) -> list[Path]:
    return sorted(p for p in golden_dir.glob("*.json"))


REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    """The team's shared folder (dev-set texts live there, never in the repository):
    $EXTRACTOR_SHARED, else `shared/` beside the repository."""
    import os

    env = os.environ.get("EXTRACTOR_SHARED")
    return Path(env) if env else REPO_ROOT.parent / "shared"


def source_path(golden_dir: Path, file: str) -> Path:
    """Where a golden record's report is: `shared/...` under the shared folder, anything else
    relative to the golden folder's parent (fixtures/)."""
    if file.startswith("shared/"):
        return shared_root() / file.removeprefix("shared/")
    return golden_dir.parent / file
