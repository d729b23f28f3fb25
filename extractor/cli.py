"""Command line: extractor extract | text | sections | schema | check | eval."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from extractor import __version__
from extractor.ingest import Document, IngestError, read_document

if TYPE_CHECKING:
    from extractor.llm import LLMClient

app = typer.Typer(
    help=(
        "Turn Chinese government performance self-evaluation reports (部门整体支出绩效自评报告, 自评表, "
        "项目支出绩效自评) into typed, evidence-grounded JSON records, and reconcile their numbers.\n\n"
        "Every extracted value carries the verbatim quote and the offsets it came from in the text "
        "that `extractor text FILE` prints."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"extractor {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    """extractor: evidence-grounded records from 绩效自评 reports."""


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


def _read_or_exit(path: Path) -> Document:
    """The document at `path`, or one line saying why it cannot be read and exit status 1."""
    try:
        return read_document(path)
    except IngestError as e:
        _err(f"错误：{path}：{e}")
        raise typer.Exit(1) from None


@app.command()
def extract(
    reports: Annotated[list[Path], typer.Argument(help="Report files (.txt .md .pdf .docx, images with [ocr]) or folders of them (searched into subfolders).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: the batch store extractor.db and one JSON record per report, in the inputs' folder layout.")],
    backend: Annotated[
        str, typer.Option(help="rules (no model), llm, hybrid (rules + llm, cross-checked), or auto: hybrid when a model is configured, else rules.")
    ] = "auto",
    workers: Annotated[int, typer.Option("--workers", "-j", help="Processes for the rules backend (default: every core). The llm and hybrid backends use --concurrency.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Extract again the reports the store already has records for.")] = False,
    ray: Annotated[Optional[str], typer.Option("--ray", help="Run the rules backend on a Ray cluster: local (start one on this machine), auto (the cluster this machine is part of) or its address. Needs pip install -e '.[ray]'.")] = None,
    max_mb: Annotated[int, typer.Option(help="Refuse input files larger than this many MiB.")] = 64,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the summary.")] = False,
    base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name at that endpoint.")] = None,
    preset: Annotated[Optional[str], typer.Option(help="Provider preset: deepseek, qwen, glm, moonshot, openai, ollama, vllm, llamacpp.")] = None,
    concurrency: Annotated[Optional[int], typer.Option(help="LLM calls in flight at once (default: the preset's, else 4).")] = None,
) -> None:
    """Extract one JSON record per report into OUT, keeping the batch in OUT/extractor.db.

    Outputs mirror the inputs' folders (a/自评报告.pdf -> OUT/a/自评报告.pdf.json), so same-named
    files never collide. A report already extracted (same bytes, backend, model, prompt and
    extractor version) is skipped: re-running a batch, or resuming one that was interrupted,
    redoes nothing (--force redoes it). A file that cannot be read is one line (file and reason)
    and the batch goes on; the exit code is 1 if any failed. Progress and per-file lines go to
    stderr, the summary to stdout. Records are written atomically.
    """
    from extractor.batch import RayMissing, find_inputs, key_for, plan, run_many
    from extractor.pipeline import Options, write_json_atomic
    from extractor.store import Store

    files, passed_over = find_inputs(reports)
    by_folder: dict[tuple[Path, str], list[Path]] = {}
    for f, why in passed_over:
        by_folder.setdefault((f.parent, why), []).append(f)
    for (folder, why), skipped_files in by_folder.items():
        if len(skipped_files) > 3:  # a folder of other files (the golden JSON beside the reports): one line
            _err(f"跳过：{folder}/ 中 {len(skipped_files)} 个文件（如 {skipped_files[0].name}）：{why}")
        else:
            for f in skipped_files:
                _err(f"跳过：{f}：{why}")
    if not files:
        _err("错误：没有可读取的输入文件")
        raise typer.Exit(2)
    if backend not in ("auto", "rules", "llm", "hybrid"):
        _err(f"错误：未知的后端 {backend!r}；可选 rules、llm、hybrid 或 auto")
        raise typer.Exit(2)
    resolved, llm_client = _make_llm(backend, preset, base_url, model, concurrency)
    if ray is not None and llm_client is not None:
        _err("错误：--ray 目前只用于 rules 后端（模型调用由 --concurrency 控制）")
        raise typer.Exit(2)
    options = Options(backend=resolved, max_bytes=max_mb * 1024 * 1024)
    tasks = plan(files)
    store = Store(out)
    for stale in out.rglob(".*.json.*.tmp"):
        stale.unlink()  # a record half-written when an earlier run was killed; its document is redone or skipped below
    n_workers = workers or os.cpu_count() or 1
    run_id = store.start_run(key_for("", options, llm_client), n_workers if llm_client is None else 0, len(tasks))
    failed: list[tuple[Path, str]] = []
    done = skipped = twins = 0
    this_run: set[str] = set()  # records made in this run: a later file with the same bytes reuses one
    counts = {"error": 0, "warning": 0, "info": 0}
    t0 = time.perf_counter()
    show_bar = sys.stderr.isatty() and not quiet and len(tasks) > 1
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    console = Console(stderr=True, highlight=False)

    def say(line: str) -> None:
        if show_bar:
            console.print(line, markup=False)
        else:
            _err(line)

    i = 0
    with Progress(TextColumn("提取"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                  TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console, transient=True,
                  disable=not show_bar) as bar:
        progress = bar.add_task("extract", total=len(tasks), rate="")
        outcomes = run_many(tasks, options, done=lambda sha: store.record(key_for(sha, options, llm_client)),
                            workers=workers, llm=llm_client, force=force, ray=ray)
        try:
            for o in outcomes:
                i += 1
                target = out / o.task.output
                if o.record is None:
                    failed.append((o.task.path, o.error or ""))
                    store.failed(str(o.task.path), str(o.task.output), o.sha256, o.error or "")
                    say(f"错误：{o.task.path}：{o.error}")
                else:
                    key = key_for(o.sha256 or "", options, llm_client)
                    twin = o.skipped and key.id in this_run  # the same bytes as a file of this batch
                    if o.skipped:
                        skipped += 1
                        twins += twin
                        store.mark_done(str(o.task.path), str(o.task.output), key)
                        if not target.exists() or o.record["source"]["path"] != str(o.task.path):
                            o.record["source"]["path"] = str(o.task.path)  # the same bytes under another name
                            write_json_atomic(target, o.record)
                    else:
                        done += 1
                        this_run.add(key.id)
                        store.save(str(o.task.path), str(o.task.output), key, o.record)
                        write_json_atomic(target, o.record)
                    flags = o.record.get("flags", [])
                    for fl in flags:
                        counts[fl["severity"]] = counts.get(fl["severity"], 0) + 1
                    if not quiet:
                        errs = sum(1 for fl in flags if fl["severity"] == "error")
                        warns = sum(1 for fl in flags if fl["severity"] == "warning")
                        state = ("与本批另一文件内容相同，沿用其结果" if twin else "此前已完成") if o.skipped \
                            else f"{o.record['extraction']['seconds']:.2f} 秒"
                        say(f"[{i}/{len(tasks)}] {o.task.path} -> {target}（{errs} 个错误，{warns} 个警告，{state}）")
                elapsed = time.perf_counter() - t0
                bar.update(progress, advance=1, rate=f"{i / elapsed:.1f} 份/秒" if elapsed > 0 else "")
        except RayMissing as e:
            store.close()
            _err(f"错误：{e}")
            raise typer.Exit(2) from None
        except Exception as e:  # noqa: BLE001
            if type(e).__name__ != "LLMUnavailable":
                raise
            _err(f"错误：{e}")
            _err("已停止：无法连接模型服务，其余报告未处理；服务恢复后重新运行即可从此处继续")
            seen = {str(p) for p, _w in failed}
            failed.extend((t.path, "未处理：无法连接模型服务") for t in tasks[i:] if str(t.path) not in seen)
    seconds = time.perf_counter() - t0
    store.finish_run(run_id, done, skipped, len(failed), seconds)
    store.close()
    why_skipped = f"{skipped - twins} 份此前已完成，{twins} 份与本批另一文件内容相同" if twins else "此前已完成"
    typer.echo(f"共 {len(tasks)} 份报告：提取 {done} 份，跳过 {skipped} 份（{why_skipped}），失败 {len(failed)} 份；"
               f"标记：错误 {counts['error']} 条，警告 {counts['warning']} 条，提示 {counts['info']} 条；"
               f"后端 {resolved}，用时 {seconds:.1f} 秒；结果在 {out}/，批次库 {out / 'extractor.db'}")
    for f, why in failed:
        typer.echo(f"  失败：{f}：{why}")
    if failed:
        raise typer.Exit(1)


@app.command()
def text(report: Annotated[Path, typer.Argument(help="A report file.")]) -> None:
    """Print the text the tool read from REPORT: every quote and offset points into it."""
    doc = _read_or_exit(report)
    sys.stdout.write(doc.text)
    if not doc.text.endswith("\n"):
        sys.stdout.write("\n")


@app.command()
def sections(
    report: Annotated[Path, typer.Argument(help="A report file.")],
    grid: Annotated[bool, typer.Option("--grid", help="Also print every table's rows and cells as read.")] = False,
) -> None:
    """Print the section tree and the tables found in REPORT (whatever their flattening), with
    offsets; --grid shows each table's cells, to see how a table was understood."""
    from extractor.pipeline import read_layout

    doc = _read_or_exit(report)
    _reading, layout = read_layout(doc)
    for s in layout.flat():
        typer.echo(f"{'  ' * (s.level - 1)}{s.title}  [{s.start}:{s.end}] p{doc.page_of(s.start)}")
    for i, t in enumerate(layout.tables, 1):
        shape = f"{len(t.rows)} rows x {max(len(r.cells) for r in t.rows)} cells" if t.grid else f"a stream of {len(t.cells)} cells"
        typer.echo(f"table {i} ({t.kind}) [{t.start}:{t.end}] {shape}" + (f"  「{t.title}」" if t.title else ""))
        if grid:
            for r in t.rows if t.grid else [type(t.rows[0])(t.cells, t.start, t.end)]:
                typer.echo("  | " + " | ".join(c.clean for c in r.cells) + " |")
            for note in t.notes:
                typer.echo(f"  ({note})")


@app.command()
def mentions(
    report: Annotated[Path, typer.Argument(help="A report file.")],
) -> None:
    """Print what a model is shown of REPORT: every mention (number, table cell, department
    name) with its id, as the llm backend's calls carry them, one call after another with the
    fields it asks for. Needs no model."""
    from extractor import llm as llm_mod
    from extractor.mentions import find
    from extractor.pipeline import read_layout

    doc = _read_or_exit(report)
    reading, layout = read_layout(doc)
    found = find(reading, layout)
    calls = llm_mod.plan_calls(reading, layout, found)
    typer.echo(f"{len(found)} 个候选，{len(calls)} 次调用")
    for i, c in enumerate(calls, 1):
        typer.echo(f"\n# 第 {i} 次：{llm_mod.describe_fields(c)}")
        typer.echo(c.text)


SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


@app.command()
def check(
    records: Annotated[list[Path], typer.Argument(help="Record files (*.json) or folders of them, as written by `extract`.")],
    fail_on: Annotated[Optional[str], typer.Option(help="Exit 1 when any flag is at least this severe: error, warning or info.")] = None,
    min_severity: Annotated[str, typer.Option("--min-severity", help="Show flags at least this severe.")] = "info",
) -> None:
    """Print each report's flags in Chinese: severity, what the rule checks, the message, and for
    each value involved its quote and page (and, for a table cell whose quote is a bare number,
    its row and column labels, read again from the report when its file is there)."""
    from extractor.explain import cells_of, pointers, rule_name, severity_name
    from extractor.models import Record

    for level in (fail_on, min_severity):
        if level is not None and level not in SEVERITY_RANK:
            _err(f"错误：未知的严重程度 {level!r}；可选 error、warning 或 info")
            raise typer.Exit(2)
    files: list[Path] = []
    for r in records:
        files.extend(sorted(r.rglob("*.json")) if r.is_dir() else [r])
    if not files:
        _err("错误：没有记录文件")
        raise typer.Exit(2)
    worst = -1
    counts = {"error": 0, "warning": 0, "info": 0}
    unreadable = 0
    for f in files:
        try:
            rec = Record.model_validate_json(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            _err(f"错误：{f}：不是记录文件：{str(e).splitlines()[0][:120]}")
            unreadable += 1
            continue
        shown = [fl for fl in rec.flags if SEVERITY_RANK[fl.severity] >= SEVERITY_RANK[min_severity]]
        for fl in rec.flags:
            counts[fl.severity] += 1
            worst = max(worst, SEVERITY_RANK[fl.severity])
        typer.echo(f"{rec.source.path}（{len(rec.flags)} 个标记）")
        cells = cells_of(rec.source.path) if shown else None
        for fl in shown:
            typer.echo(f"  【{severity_name(fl.severity)}】{rule_name(fl.rule)}（{fl.rule}）：{fl.message}")
            for ptr in pointers(rec, fl, cells):
                where = f"，第 {ptr.page} 页" if ptr.page else ""
                if ptr.row and ptr.quote and re.fullmatch(r"[\d.,%\s万元-]+", ptr.quote):
                    where += f"，表格行「{ptr.row}」" + (f"列「{ptr.column}」" if ptr.column else "")
                quote = f"「{ptr.quote.strip()}」" if ptr.quote else "（无原文）"
                typer.echo(f"      {ptr.label}：{ptr.value if ptr.value is not None else '—'}  原文{quote}{where}")
    typer.echo(f"共 {len(files) - unreadable} 份记录：错误 {counts['error']} 条，警告 {counts['warning']} 条，提示 {counts['info']} 条")
    if unreadable or (fail_on is not None and worst >= SEVERITY_RANK[fail_on]):
        raise typer.Exit(1)


@app.command()
def review(
    out: Annotated[Path, typer.Argument(help="A batch's output folder (with its extractor.db), as written by `extract`.")],
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind. Anything but 127.0.0.1 prints a token that every request must carry.")] = "127.0.0.1",
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open the browser.")] = False,
    reviewer: Annotated[Optional[str], typer.Option(help="Name recorded with each decision (default: the OS user).")] = None,
) -> None:
    """Review a batch in a local web page: every report, its text with each value marked, its
    flags; confirm, dismiss (with a reason) or correct each, and the decisions are kept in the
    batch store for `export`."""
    import secrets
    import webbrowser

    import uvicorn

    from extractor.review.app import create_app

    token = None if host in ("127.0.0.1", "localhost", "::1") else secrets.token_urlsafe(24)
    try:
        web = create_app(out, reviewer=reviewer, token=token)
    except FileNotFoundError as e:
        _err(f"错误：{e}；请先运行 extractor extract … -o {out}")
        raise typer.Exit(2) from None
    url = f"http://{'127.0.0.1' if token is None else host}:{port}/" + (f"?token={token}" if token else "")
    _err(f"复核页面：{url}（Ctrl-C 结束）" + ("\n注意：已绑定到 127.0.0.1 以外的地址，请只把带令牌的地址给需要的人" if token else ""))
    if not no_browser:
        webbrowser.open(url)
    uvicorn.run(web, host=host, port=port, log_level="warning")


EXPORT_DEFAULTS = {"xlsx": "汇总.xlsx", "csv": "汇总-csv", "jsonl": "汇总.jsonl", "docx": "问题清单.docx"}


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="A batch's output folder (with its extractor.db), as written by `extract`.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="xlsx (a sheet each for reports, projects, indicators, outputs, flags), csv (a folder of those as CSV), jsonl, or docx (the 问题清单 of confirmed inconsistencies).")] = "xlsx",
    dst: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write (default: in OUT: 汇总.xlsx, 汇总-csv/, 汇总.jsonl, 问题清单.docx).")] = None,
) -> None:
    """Export a batch with its review decisions: one row per report, project, indicator, output
    and flag, Chinese headers with units, corrected values marked; or the 问题清单 (docx)."""
    from extractor.export import export as run_export
    from extractor.store import DB_NAME

    if fmt not in EXPORT_DEFAULTS:
        _err(f"错误：未知的格式 {fmt!r}；可选 xlsx、csv、jsonl 或 docx")
        raise typer.Exit(2)
    if not (out / DB_NAME).is_file():
        _err(f"错误：{out} 中没有批次库 {DB_NAME}；请先运行 extractor extract … -o {out}")
        raise typer.Exit(2)
    target = dst or out / EXPORT_DEFAULTS[fmt]
    if target.parent != Path("."):
        target.parent.mkdir(parents=True, exist_ok=True)
    typer.echo(run_export(out, fmt, target))


eval_app = typer.Typer(
    help="Score a backend against the golden set (fixtures/golden/), or compare two runs (eval diff).",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(eval_app, name="eval")


def _make_llm(backend: str, preset: str | None, base_url: str | None, model: str | None, concurrency: int | None) -> tuple[str, LLMClient | None]:
    """Resolve auto/llm/hybrid to a backend and a client; exits with one line when impossible."""
    if backend == "rules":
        return "rules", None
    from extractor.settings import ConfigError, resolve_settings

    try:
        settings = resolve_settings(preset=preset, base_url=base_url, model=model, concurrency=concurrency)
    except ConfigError as e:
        _err(f"错误：{e}")
        raise typer.Exit(2) from None
    if settings is None:
        if backend in ("llm", "hybrid"):
            _err("错误：未配置模型：请给出 --base-url 和 --model，或 --preset，或设置 EXTRACTOR_BASE_URL / EXTRACTOR_MODEL")
            raise typer.Exit(2)
        return "rules", None
    from extractor import llm as llm_mod

    return ("hybrid" if backend == "auto" else backend), llm_mod.LLMClient(settings)


@eval_app.callback()
def eval_run(
    ctx: typer.Context,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Run folder: report.json, report.md and the records.")] = None,
    backend: Annotated[str, typer.Option(help="rules, llm, hybrid, or auto (hybrid when a model is configured).")] = "rules",
    golden: Annotated[Path, typer.Option(help="Folder of golden records; fixture files are found relative to its parent.")] = Path("fixtures/golden"),
    base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible endpoint.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model name at that endpoint.")] = None,
    preset: Annotated[Optional[str], typer.Option(help="Provider preset (see extract --help).")] = None,
    concurrency: Annotated[Optional[int], typer.Option(help="LLM calls in flight at once (default: the preset's, else 4).")] = None,
    only: Annotated[Optional[list[str]], typer.Option(help="Score only golden files matching this glob (repeatable), e.g. '0*.txt.json'.")] = None,
) -> None:
    """Run BACKEND over every golden fixture and score it: per-field precision, recall and F1,
    correct / wrong / omitted / hallucinated counts, flag precision and recall, grounding rate,
    LLM calls, tokens and seconds per document. Prints a table; writes RUN/report.json and
    RUN/report.md."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        _err("错误：请用 -o 指定运行文件夹")
        raise typer.Exit(2)
    from extractor import evaluate as ev
    from extractor.pipeline import Options, record_from_document, record_to_json, write_json_atomic

    files = ev.golden_files(golden)
    if only:
        files = [f for f in files if any(f.match(pattern) for pattern in only)]
    if not files:
        _err(f"错误：{golden} 中没有金标准记录")
        raise typer.Exit(2)
    goldens = [(gf, ev.load_golden(gf)) for gf in files]
    absent = [ev.source_path(golden, g["file"]) for _, g in goldens if not ev.source_path(golden, g["file"]).exists()]
    if absent:
        _err(f"错误：金标准集的 {len(goldens)} 份报告中有 {len(absent)} 份不在此处，例如 {absent[0]}"
             + ("（开发集文本在共享文件夹中：请设置 EXTRACTOR_SHARED 指向它）" if "shared/" in str(goldens[0][1]["file"]) else ""))
        raise typer.Exit(2)
    resolved, client = _make_llm(backend, preset, base_url, model, concurrency)
    docs = []
    unread: list[dict[str, str]] = []
    for i, (gf, g) in enumerate(goldens, 1):
        src = ev.source_path(golden, g["file"])
        try:
            doc = read_document(src)
        except IngestError as e:  # scored without it, and listed: a scan with no OCR extra, a bad file
            unread.append({"file": g["file"], "reason": str(e)})
            _err(f"[{i}/{len(files)}] {g['file']}：未读取：{e}")
            continue
        record = record_from_document(doc, Options(backend=resolved), client)
        write_json_atomic(out / "records" / (Path(g["file"]).name + ".json"), record_to_json(record))
        docs.append(ev.score_document(g, record, doc.text))
        _err(f"[{i}/{len(files)}] {g['file']}")
    report = ev.aggregate(docs, resolved)
    report["golden"] = str(golden)
    report["only"] = only or []
    report["unread"] = unread
    if client is not None:
        report["model"] = getattr(client, "model_name", None)
    write_json_atomic(out / "report.json", report)
    (out / "report.md").write_text(ev.render_markdown(report), encoding="utf-8")
    typer.echo(ev.render_table(report))
    for u in unread:
        typer.echo(f"未读取（不计分）：{u['file']}：{u['reason']}")
    typer.echo(f"\nwrote {out / 'report.json'} and {out / 'report.md'}")


@eval_app.command("diff")
def eval_diff(
    run_a: Annotated[Path, typer.Argument(help="The earlier run folder (or its report.json).")],
    run_b: Annotated[Path, typer.Argument(help="The later run folder (or its report.json).")],
) -> None:
    """What got better and what got worse from RUN_A to RUN_B, per field and per document."""
    from extractor.evaluate import diff_reports

    def load(p: Path) -> dict:
        f = p / "report.json" if p.is_dir() else p
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            _err(f"错误：{f}：{e}")
            raise typer.Exit(2) from None

    typer.echo(diff_reports(load(run_a), load(run_b)))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the output record."""
    from extractor.models import record_json_schema

    typer.echo(json.dumps(record_json_schema(), ensure_ascii=False, indent=2))


if __name__ == "__main__":  # pragma: no cover
    app()
