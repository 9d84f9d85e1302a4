"""The review app: Starlette routes over the checked cases, HTML forms that work without JavaScript.

It listens on 127.0.0.1 only and answers only requests addressed to it by that name (a web page cannot
reach it through DNS rebinding); every form carries a token the server made at start, so another site
cannot post decisions in a reviewer's name. Pages use the report's own templates and styles.
"""

from __future__ import annotations

import math
import secrets
from pathlib import Path
from urllib.parse import urlencode

from anyascii import anyascii
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from riskcheck.engine.findings import SEVERITY_ORDER
from riskcheck.report.render import _env
from riskcheck.review.decisions import DECISIONS, DecisionLog, ReviewError
from riskcheck.review.state import REVIEW_STATES, review_counts, review_states
from riskcheck.serve.cases import CaseView

PAGE_SIZE = 50
MAX_QUERY_CHARS = 200


def _fold(text: str) -> str:
    return anyascii(text).casefold()


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class PasswordRequired:
    """HTTP Basic authentication for serving beyond this machine: any user name, the password set at start."""

    def __init__(self, app, password: str):
        self.app, self.password = app, password

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self._allowed(dict(scope["headers"]).get(b"authorization", b"")):
            response = Response("A password is needed.", status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="riskcheck review"'})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, header: bytes) -> bool:
        import base64
        import binascii

        if not header.startswith(b"Basic "):
            return False
        try:
            _, _, given = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(given.encode("utf-8"), self.password.encode("utf-8"))


def make_app(views: dict[str, CaseView], log_path: Path, rules: dict,
             hosts: tuple[str, ...] = LOCAL_HOSTS, password: str | None = None) -> Starlette:
    env = _env()
    token = secrets.token_urlsafe(32)
    by_id = {cid: {f.id: f for f in v.result.findings} for cid, v in views.items()}
    folded = {cid: {f.id: _fold(" ".join([v.person_name(f.person), *(v.person_name(r) for r in f.related),
                                          f.person, *f.related, f.unit or "", f.figures.get("unit_name", "")]))
                    for f in v.result.findings} for cid, v in views.items()}

    def decisions(case_id: str) -> dict[str, str]:
        with DecisionLog(log_path) as log:
            return log.current_decisions(case_id)

    def gone(case_id: str) -> list:
        """Decided findings this run does not give (read in full: they are few)."""
        with DecisionLog(log_path) as log:
            keys = [k for k in log.current_decisions(case_id) if k not in by_id[case_id]]
            histories = {k: log.history(case_id, k) for k in keys}
        return review_states(histories, [])[1]

    def state_of(case_id: str, finding) -> dict:
        with DecisionLog(log_path) as log:
            history = log.history(case_id, finding.id)
        return review_states({finding.id: history}, [finding])[0] if history else {}

    for name in ("served_cases.html", "served_case.html", "served_finding.html", "served_message.html",
                 "served_rules.html"):
        env.get_template(name)  # compiled now, not on a reviewer's first click

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(name).render(rules=rules, token=token, **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store",
                                                               "X-Content-Type-Options": "nosniff",
                                                               "Referrer-Policy": "no-referrer"})

    def not_found(what: str) -> HTMLResponse:
        return page("served_message.html", 404, title="Not found", message=f"There is no {what} here.")

    async def index(request: Request) -> Response:
        cases = []
        for cid, view in sorted(views.items()):
            counts = review_counts([f.id for f in view.result.findings], decisions(cid) if view.result.ok else {})
            cases.append({"id": cid, "title": view.result.title, "ok": view.result.ok,
                          "findings": len(view.result.findings), "review_counts": counts,
                          "problems": [str(p) for p in view.result.problems[:20]]})
        return page("served_cases.html", cases=cases)

    async def case_page(request: Request) -> Response:
        cid = request.path_params["case"]
        view = views.get(cid)
        if view is None or not view.result.ok:
            return not_found("checked case by that name")
        q = request.query_params
        chosen = {k: q.get(k, "") for k in ("status", "rule", "severity", "review")}
        text = q.get("q", "")[:MAX_QUERY_CHARS].strip()
        current = decisions(cid)
        rows = []
        needle = _fold(text) if text else ""
        for f in view.result.findings:
            review = current.get(f.id, "open")
            if ((chosen["status"] and f.status != chosen["status"]) or (chosen["rule"] and f.rule != chosen["rule"])
                    or (chosen["severity"] and f.severity != chosen["severity"])
                    or (chosen["review"] and review != chosen["review"])
                    or (needle and needle not in folded[cid][f.id])):
                continue
            rows.append((f, review))
        pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
        try:
            number = min(max(1, int(q.get("page", "1"))), pages)
        except ValueError:
            number = 1
        shown = rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        keep = {k: v for k, v in {**chosen, "q": text}.items() if v}
        return page("served_case.html", case=view.result, view=view, rows=shown, total=len(rows), page=number,
                    pages=pages, chosen=chosen, text=text, gone=gone(cid), review_states=REVIEW_STATES,
                    case_rules=sorted({f.rule for f in view.result.findings}),
                    severities=sorted({f.severity for f in view.result.findings}, key=lambda s: SEVERITY_ORDER.get(s, 9)),
                    page_link=lambda n: "?" + urlencode({**keep, "page": n}))

    async def finding_page(request: Request) -> Response:
        cid, fid = request.path_params["case"], request.path_params["finding"]
        view = views.get(cid)
        finding = by_id.get(cid, {}).get(fid)
        if view is None or finding is None:
            return not_found("finding by that id")
        return page("served_finding.html", case=view.result, f=finding, reviews=state_of(cid, finding), reviewing=True,
                    sources=view.sources, person_name=view.person_name, rules_page=f"/cases/{cid}/rules",
                    decisions=DECISIONS, reviewer=request.cookies.get("reviewer", ""),
                    error=request.query_params.get("error", "")[:200])

    async def record(request: Request) -> Response:
        cid, fid = request.path_params["case"], request.path_params["finding"]
        finding = by_id.get(cid, {}).get(fid)
        if finding is None:
            return not_found("finding by that id")
        form = await request.form()
        if not secrets.compare_digest(str(form.get("token", "")), token):
            return page("served_message.html", 403, title="Refused",
                        message="This form did not come from this riskcheck app. Reload the page and try again.")
        reviewer = str(form.get("reviewer", ""))[:200]
        try:
            with DecisionLog(log_path) as log:
                log.record(cid, finding.to_json(), str(form.get("decision", "")), reviewer, str(form.get("note", "")))
        except ReviewError as exc:
            return RedirectResponse(f"/cases/{cid}/findings/{fid}?" + urlencode({"error": str(exc)}), status_code=303)
        response = RedirectResponse(f"/cases/{cid}/findings/{fid}#review", status_code=303)
        response.set_cookie("reviewer", reviewer, samesite="strict", httponly=True)
        return response

    async def download(request: Request) -> Response:
        from riskcheck.report.desk import csv_text, desk_rows, xlsx_bytes

        cid, fmt = request.path_params["case"], request.path_params["fmt"]
        view = views.get(cid)
        if view is None or not view.result.ok or fmt not in ("csv", "xlsx"):
            return not_found("export by that name")
        with DecisionLog(log_path) as log:
            rows = desk_rows(view, log.histories(cid))
        headers = {"Content-Disposition": f'attachment; filename="{cid}-findings.{fmt}"', "Cache-Control": "no-store"}
        if fmt == "csv":
            return Response(csv_text(rows), media_type="text/csv; charset=utf-8", headers=headers)
        return Response(xlsx_bytes(rows), headers=headers,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    async def rules_page(request: Request) -> Response:
        view = views.get(request.path_params["case"])
        if view is None:
            return not_found("case by that name")
        return page("served_rules.html", case=view.result)

    return Starlette(
        routes=[Route("/", index), Route("/cases/{case}/", case_page), Route("/cases/{case}/rules", rules_page),
                Route("/cases/{case}/findings.{fmt}", download),
                Route("/cases/{case}/findings/{finding}", finding_page),
                Route("/cases/{case}/findings/{finding}/review", record, methods=["POST"])],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
                    *([Middleware(PasswordRequired, password=password)] if password else [])],
    )

