"""The review web page: a batch's reports, each report's text with every value marked, its flags
and the operator's decisions, over the batch store (OUT/extractor.db).

Starlette + Jinja2, served by uvicorn; every asset ships in the package. Safe by default:
- it binds 127.0.0.1; another address needs `--host` and then every request must carry the
  token printed at start (`?token=`, kept in a cookie);
- every piece of report text goes through Jinja2's autoescaping (a report is untrusted input);
- state changes are POST with a CSRF token (the form's must equal the cookie's);
- a report is addressed by its id in the store, never by a path: nothing outside what the batch
  registered is read;
- a decision carries the version the page showed: a second tab that saved first wins, and the
  other is told to reload rather than overwriting it.
"""

from __future__ import annotations

import getpass
import hmac
import secrets
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from extractor.explain import cells_in
from extractor.ingest import IngestError, read_document
from extractor.models import Record
from extractor.review.data import flag_views, overview_svg, row_of, rules_svg, segments, when
from extractor.store import DB_NAME, DECISIONS, Conflict, Store

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "extractor_csrf"
TOKEN_COOKIE = "extractor_token"


def create_app(out: Path, reviewer: str | None = None, token: str | None = None) -> Starlette:
    """The review app over the batch in OUT. `token`: required on every request (another host)."""
    if not (out / DB_NAME).is_file():
        raise FileNotFoundError(f"{out} 中没有批次库 {DB_NAME}")
    env = Environment(loader=PackageLoader("extractor.review", "templates"), autoescape=select_autoescape(["html"]))
    env.globals["when"] = when
    who = reviewer or getpass.getuser()

    def store() -> Store:
        return Store(out)

    def page(name: str, request: Request, **ctx: Any) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        body = env.get_template(name).render(csrf=csrf, reviewer=who, **ctx)
        resp = HTMLResponse(body)
        resp.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
        return resp

    def load(s: Store, doc_id: int) -> tuple[dict[str, Any], Record]:
        """A document of the batch and its record; 404 for any other id."""
        doc = s.document(doc_id)
        data = s.record_of(doc["record_key"]) if doc and doc.get("record_key") else None
        if data is None:
            raise HTTPException(404, "没有这份报告")
        return doc, Record.model_validate(data)  # type: ignore[return-value]

    async def batch(request: Request) -> Response:
        s = store()
        try:
            rows = []
            docs = s.documents()
            for d in docs:
                data = s.record_of(d["record_key"]) if d["status"] == "done" and d.get("record_key") else None
                if data is not None:
                    rows.append(row_of(d, Record.model_validate(data), s.decisions(d["path"])))
            failed = [d for d in docs if d["status"] == "failed"]
        finally:
            s.close()
        rules = sorted({r for row in rows for r in row.rules})
        return page("batch.html", request, rows=rows, failed=failed, rules=rules, out=str(out),
                    overview=overview_svg(rows), by_rule=rules_svg(rows))

    async def report(request: Request) -> Response:
        doc_id = int(request.path_params["doc_id"])
        s = store()
        try:
            doc, record = load(s, doc_id)
            decisions = s.decisions(doc["path"])
        finally:
            s.close()
        try:
            source = read_document(record.source.path)  # read once: its text and its table cells
        except (IngestError, OSError) as e:
            return page("report.html", request, doc=doc, record=record, segments=[], flags=flag_views(record, decisions, doc["sha256"], None),
                        missing=str(e), doc_id=doc_id, gone=[])
        flags = flag_views(record, decisions, doc["sha256"], cells_in(source))
        current = {f.key for f in flags}
        gone = [d for k, d in decisions.items() if k not in current]  # the flag changed or went since
        return page("report.html", request, doc=doc, record=record, segments=segments(source.text, record), flags=flags,
                    missing=None, doc_id=doc_id, gone=gone)

    async def decide(request: Request) -> Response:
        form = await request.form()
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie, str(form.get("csrf", ""))):
            return PlainTextResponse("请求缺少有效的 CSRF 令牌，已拒绝", status_code=403)
        doc_id = int(str(form.get("doc_id", "0")) or 0)
        decision = str(form.get("decision", ""))
        if decision not in DECISIONS:
            return PlainTextResponse("未知的复核结论", status_code=400)
        s = store()
        try:
            doc, record = load(s, doc_id)
            n = int(str(form.get("flag", "-1")))
            if not 0 <= n < len(record.flags):
                return PlainTextResponse("没有这个标记", status_code=404)
            flag = record.flags[n].model_dump(mode="json")
            value = str(form.get("value", "")).strip() or None
            span = None
            if form.get("span_start") and form.get("span_end"):
                span = (int(str(form["span_start"])), int(str(form["span_end"])))
            if decision == "dismiss" and not str(form.get("reason", "")).strip():
                return PlainTextResponse("排除误报需要写明理由", status_code=400)
            if decision == "correct" and value is None:
                return PlainTextResponse("更正需要给出正确的值", status_code=400)
            try:
                version = s.decide(doc["path"], doc["sha256"], flag, decision, who,
                                   reason=str(form.get("reason", "")).strip() or None,
                                   field=str(form.get("field", "")) or None, value=value, span=span,
                                   manual=span is None and value is not None, note=str(form.get("note", "")).strip() or None,
                                   seen_version=int(str(form.get("version", "0")) or 0))
            except Conflict as e:
                return PlainTextResponse(str(e), status_code=409)
        finally:
            s.close()
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"version": version})
        return RedirectResponse(f"{request.url_for('report', doc_id=doc_id)}#flag-{n}", status_code=303)

    async def page_image(request: Request) -> Response:
        """A page of a PDF or scan, rendered with pypdfium2, to set beside its text."""
        doc_id, n = int(request.path_params["doc_id"]), int(request.path_params["n"])
        s = store()
        try:
            _doc, record = load(s, doc_id)
        finally:
            s.close()
        if record.source.format != "pdf":
            return PlainTextResponse("没有这一页", status_code=404)
        try:
            png = _render(record.source.path, n)
        except (OSError, IndexError, ValueError):
            return PlainTextResponse("没有这一页", status_code=404)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    middleware = [Middleware(_TokenGate, token=token)] if token else []
    return Starlette(routes=[
        Route("/", batch, name="batch"),
        Route("/report/{doc_id:int}", report, name="report"),
        Route("/decide", decide, methods=["POST"], name="decide"),
        Route("/page/{doc_id:int}/{n:int}.png", page_image, name="page"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ], middleware=middleware)


def _render(path: str, n: int) -> bytes:
    """Page n (1-based) of the PDF at `path` as PNG."""
    import io

    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        if not 1 <= n <= len(pdf):
            raise IndexError(n)
        image = pdf[n - 1].render(scale=1.3).to_pil()
    finally:
        pdf.close()
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


class _TokenGate(BaseHTTPMiddleware):
    """Off 127.0.0.1 every request carries the token: as ?token= once, then in a cookie."""

    def __init__(self, app: Any, token: str):
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        given = request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE, "")
        if not hmac.compare_digest(given, self.token):
            return PlainTextResponse("需要访问令牌（启动时打印的 ?token=…）", status_code=401)
        resp = await call_next(request)
        if request.query_params.get("token"):
            resp.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
        return resp
