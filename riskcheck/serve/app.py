"""The review app: Starlette routes over the checked cases, HTML forms that work without JavaScript.

It listens on this machine only (127.0.0.1 or ::1) and answers only requests addressed to it by that name
(a web page cannot reach it through DNS rebinding); every form carries a token the server made at start, so
another site cannot post decisions in a reviewer's name, and no page may be framed by another site. A form
is read only up to a few hundred kilobytes, before it is parsed. Messages shown on a page are the app's
own, chosen by a code in the address, never text from the address. Beyond this machine a password of some
strength is asked for and wrong guesses from one address are slowed, then refused for a while. Pages use
the report's own templates and styles.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode

from anyascii import anyascii
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from riskcheck.errors import RiskcheckError
from riskcheck.grammar.vocabulary import severity_rank
from riskcheck.report.render import report_environment
from riskcheck.review.decisions import (DECISIONS, MAX_NOTE_CHARS, MAX_REVIEWER_CHARS, DecisionLog, ReviewError,
                                       link_decisions)
from riskcheck.results import CaseView
from riskcheck.review.links import current_links
from riskcheck.review.state import REVIEW_STATES, desk_counts, review_counts, review_states

PAGE_SIZE = 50
MAX_QUERY_CHARS = 200


def _fold(text: str) -> str:
    return anyascii(text).casefold()


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_FORM_BYTES = 256 * 1024  # a note of 10,000 characters, each up to 4 bytes and %-encoded, and the rest
MAX_FORM_FIELDS = 8
MIN_PASSWORD_CHARS = 12
MIN_PASSWORD_DISTINCT = 6
MAX_FAILED_GUESSES = 10  # wrong passwords from one address within GUESS_WINDOW before it is refused
GUESS_WINDOW = 15 * 60.0

# Every message a page shows is one of these, chosen by its code: text in the address is never shown as ours.
MESSAGES = {
    "decision": "Choose confirmed, dismissed or unsure.",
    "reviewer": "Write your name: a decision needs the reviewer's name.",
    "reviewer-long": f"Your name is longer than {MAX_REVIEWER_CHARS} characters.",
    "note-long": f"The note is longer than {MAX_NOTE_CHARS:,} characters.",
    "not-text": "The note or the name holds a character that is not text.",
    "invalid": "The decision could not be recorded as given.",
    "link": "Choose relatives (with the kind), not related or unsure; or same person, not the same or unsure.",
    "link-recorded": "Recorded. The next run of riskcheck uses it (restart the app to see its findings).",
}
HINT_CHOICES = ("relatives", "not_related", "unsure")  # what a reviewer may say of a kinship hint
PAIR_CHOICES = ("same_as", "not_same_as", "unsure")  # and of a possible same person
CHOICE_WORDS = {"relatives": "relatives", "not_related": "not related", "unsure": "unsure",
                "same_as": "same person", "not_same_as": "not the same"}
SECURITY_HEADERS = [(b"content-security-policy", b"frame-ancestors 'none'"), (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


def password_problem(password: str | None) -> str:
    """Why a password cannot protect the app on a network ("" when it can)."""
    if password is None or len(password) < MIN_PASSWORD_CHARS:
        return f"a password of {MIN_PASSWORD_CHARS} characters or more"
    if len(set(password.strip())) < MIN_PASSWORD_DISTINCT:
        return f"a password of at least {MIN_PASSWORD_DISTINCT} different characters (not spaces or one key repeated)"
    return ""


def host_name(header: str) -> str:
    """The host a request names, without its port: '[::1]:8000' -> '::1', 'localhost:8000' -> 'localhost'."""
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """Answer only requests addressed to one of `hosts` (IPv6 literals in brackets understood); '*' allows any."""

    def __init__(self, app, hosts: tuple[str, ...]):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and "*" not in self.hosts:
            header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host_name(header).lower() not in self.hosts:
                await Response("Invalid host header", status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Every answer, pages and redirects alike, may not be framed by another site nor sniffed as another type."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in SECURITY_HEADERS if k not in names)]
            await send(message)
        await self.app(scope, receive, with_headers)


class PasswordRequired:
    """HTTP Basic authentication for serving beyond this machine: any user name, the password set at start.

    Each wrong password from an address waits a little longer (up to `delay` x 8 seconds); after
    MAX_FAILED_GUESSES within GUESS_WINDOW the address is refused until the window has passed."""

    def __init__(self, app, password: str, delay: float = 0.25):
        self.app, self.password, self.delay = app, password, delay
        self.failures: dict[str, list[float]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        now = time.monotonic()
        recent = [t for t in self.failures.get(client, []) if now - t < GUESS_WINDOW]
        self.failures[client] = recent
        if len(recent) >= MAX_FAILED_GUESSES:
            wait = int(GUESS_WINDOW - (now - recent[0])) + 1
            await Response(f"Too many wrong passwords from this address: try again in {wait // 60 + 1} minute(s).",
                           status_code=429, headers={"Retry-After": str(wait)})(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"")
        if not self._allowed(header):
            if header:
                recent.append(now)
                await asyncio.sleep(self.delay * min(len(recent), 8))
            response = Response("A password is needed.", status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="riskcheck review", charset="UTF-8"'})
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


class FormRefused(RiskcheckError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


async def read_form(request: Request) -> dict[str, str]:
    """A posted form, read only up to MAX_FORM_BYTES and MAX_FORM_FIELDS, before anything is parsed."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormRefused(415, "This form must be sent as the app's own page sends it.")
    try:
        declared = int(request.headers.get("content-length", "0"))
    except ValueError:
        raise FormRefused(400, "The form's length is not a number.") from None
    if declared > MAX_FORM_BYTES:
        raise FormRefused(413, "The form is too large.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRefused(413, "The form is too large.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS,
                          errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise FormRefused(400, "The form could not be read.") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


def _relation_kinds() -> tuple[str, ...]:
    from riskcheck.registry.schema import load_schema
    return load_schema().types["relations"].fields["kind"].values


def make_app(views: dict[str, CaseView], log_path: Path, rules: dict,
             hosts: tuple[str, ...] = LOCAL_HOSTS, password: str | None = None,
             guess_delay: float = 0.25) -> Starlette:
    env = report_environment()
    token = secrets.token_urlsafe(32)
    by_id = {cid: {f.id: f for f in v.result.findings} for cid, v in views.items()}
    folded = {cid: {f.id: _fold(" ".join([v.person_name(f.person), *(v.person_name(r) for r in f.related),
                                          f.person, *f.related, f.unit or "", f.figures.get("unit_name", "")]))
                    for f in v.result.findings} for cid, v in views.items()}

    def states(case_id: str) -> tuple[dict, list]:
        """(finding id -> review state for the decided findings, decided findings this run does not give)."""
        with DecisionLog(log_path) as log:
            histories = log.histories(case_id)
        view = views[case_id]
        decided = [f for f in view.result.findings if f.id in histories]
        return review_states(histories, decided, view.evidence_json)

    def state_of(case_id: str, finding) -> dict:
        with DecisionLog(log_path) as log:
            history = log.history(case_id, finding.id)
        return review_states({finding.id: history}, [finding], views[case_id].evidence_json)[0] if history else {}

    def link_states(case_id: str) -> dict[tuple[str, str], object]:
        """(person, relative) of each pair, either way round -> its current decision."""
        with DecisionLog(log_path) as log:
            found = current_links(log, case_id)
        return {pair: d for d in found for pair in ((d.person, d.relative), (d.relative, d.person))}

    def to_check(case_id: str) -> int:
        """Listed pairs no reviewer has settled yet (an 'unsure' is not settled)."""
        decided = link_states(case_id)
        return sum(1 for p in views[case_id].pairs
                   if getattr(decided.get((p["person"], p["relative"])), "decision", "unsure") == "unsure")

    for name in ("served_cases.html", "served_case.html", "served_finding.html", "served_message.html",
                 "served_rules.html", "served_links.html"):
        env.get_template(name)  # compiled now, not on a reviewer's first click

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(name).render(rules=rules, token=token, **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def not_found(what: str) -> HTMLResponse:
        return page("served_message.html", 404, title="Not found", message=f"There is no {what} here.")

    async def index(request: Request) -> Response:
        cases = []
        for cid, view in sorted(views.items()):
            ids = [f.id for f in view.result.findings]
            decided, gone = states(cid) if view.result.ok else ({}, [])
            cases.append({"id": cid, "title": view.result.title, "ok": view.result.ok,
                          "findings": len(view.result.findings),
                          "review_counts": review_counts(ids, {k: s.decision for k, s in decided.items()}),
                          "desk_counts": desk_counts(ids, decided, gone),
                          "to_check": to_check(cid) if view.result.ok else 0,
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
        decided, gone = states(cid)
        rows = []
        needle = _fold(text) if text else ""
        for f in view.result.findings:
            state = decided.get(f.id)
            review = state.decision if state else "open"
            if ((chosen["status"] and f.status != chosen["status"]) or (chosen["rule"] and f.rule != chosen["rule"])
                    or (chosen["severity"] and f.severity != chosen["severity"])
                    or (chosen["review"] == "changed" and not (state and state.changed))
                    or (chosen["review"] not in ("", "changed") and review != chosen["review"])
                    or (needle and needle not in folded[cid][f.id])):
                continue
            rows.append((f, review, bool(state and state.changed)))
        pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
        try:
            number = min(max(1, int(q.get("page", "1"))), pages)
        except ValueError:
            number = 1
        shown = rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        keep = {k: v for k, v in {**chosen, "q": text}.items() if v}
        return page("served_case.html", case=view.result, view=view, rows=shown, total=len(rows), page=number,
                    pages=pages, chosen=chosen, text=text, gone=gone, review_states=(*REVIEW_STATES, "changed"),
                    desk_counts=desk_counts([f.id for f in view.result.findings], decided, gone),
                    case_rules=sorted({f.rule for f in view.result.findings}),
                    severities=sorted({f.severity for f in view.result.findings}, key=severity_rank),
                    page_link=lambda n: "?" + urlencode({**keep, "page": n}))

    async def finding_page(request: Request) -> Response:
        cid, fid = request.path_params["case"], request.path_params["finding"]
        view = views.get(cid)
        finding = by_id.get(cid, {}).get(fid)
        if view is None or finding is None:
            return not_found("finding by that id")
        reviews = state_of(cid, finding)
        history = reviews[fid].history if reviews else []
        since = []
        if request.query_params.get("notice") == "decided-since":
            seen = request.query_params.get("seen", "")
            uids = [e.uid for e in history]
            after = history[uids.index(seen) + 1:] if seen in uids else history
            since = after[:-1]  # the reviewer's own decision is the last
        return page("served_finding.html", case=view.result, f=finding, reviews=reviews, reviewing=True,
                    sources=view.sources, person_name=view.person_name, rules_page=f"/cases/{cid}/rules",
                    decisions=DECISIONS, reviewer=unquote(request.cookies.get("reviewer", ""))[:MAX_REVIEWER_CHARS],
                    error=MESSAGES.get(request.query_params.get("error", ""), ""), decided_since=since,
                    seen=history[-1].uid if history else "")

    async def record(request: Request) -> Response:
        cid, fid = request.path_params["case"], request.path_params["finding"]
        finding = by_id.get(cid, {}).get(fid)
        if finding is None:
            return not_found("finding by that id")
        try:
            form = await read_form(request)
        except FormRefused as exc:
            return page("served_message.html", exc.status, title="Refused", message=exc.message)
        if not secrets.compare_digest(form.get("token", "").encode("utf-8"), token.encode("utf-8")):
            return page("served_message.html", 403, title="Refused",
                        message="This form did not come from this riskcheck app. Reload the page and try again.")
        reviewer, note, decision = form.get("reviewer", "").strip(), form.get("note", ""), form.get("decision", "")
        code = ("decision" if decision.strip().lower() not in DECISIONS else "reviewer" if not reviewer
                else "reviewer-long" if len(reviewer) > MAX_REVIEWER_CHARS
                else "note-long" if len(note) > MAX_NOTE_CHARS else "")
        back = f"/cases/{cid}/findings/{fid}"
        if code:
            return RedirectResponse(back + "?" + urlencode({"error": code}) + "#review", status_code=303)
        try:
            with DecisionLog(log_path) as log:
                history = log.history(cid, fid)
                latest = history[-1].uid if history else ""
                log.record(cid, views[cid].evidence_json(finding), decision, reviewer, note)
        except ReviewError:
            return RedirectResponse(back + "?" + urlencode({"error": "invalid"}) + "#review", status_code=303)
        seen = form.get("seen")
        if seen is not None and seen != latest:  # a colleague decided after this reviewer's page was loaded
            back += "?" + urlencode({"notice": "decided-since", "seen": seen})
        response = RedirectResponse(back + "#review", status_code=303)
        response.set_cookie("reviewer", quote(reviewer, safe=""), samesite="strict", httponly=True)
        return response

    async def links_page(request: Request) -> Response:
        """The hints that would change a finding (most telling first) and the possible same persons, paged."""
        cid = request.path_params["case"]
        view = views.get(cid)
        if view is None or not view.result.ok:
            return not_found("checked case by that name")
        decided = link_states(cid)
        pages = max(1, math.ceil(len(view.pairs) / PAGE_SIZE))
        try:
            number = min(max(1, int(request.query_params.get("page", "1"))), pages)
        except ValueError:
            number = 1
        shown = view.pairs[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        code = request.query_params.get("error") or request.query_params.get("notice") or ""
        return page("served_links.html", case=view.result, pairs=shown, total=len(view.pairs), page=number,
                    pages=pages, decided=decided, to_check=to_check(cid), hint_choices=HINT_CHOICES,
                    pair_choices=PAIR_CHOICES, words=CHOICE_WORDS, relation_kinds=_relation_kinds(),
                    reviewer=unquote(request.cookies.get("reviewer", ""))[:MAX_REVIEWER_CHARS],
                    message=MESSAGES.get(code, ""), error=bool(request.query_params.get("error")),
                    page_link=lambda n: "?" + urlencode({"page": n}))

    async def record_link(request: Request) -> Response:
        cid = request.path_params["case"]
        view = views.get(cid)
        if view is None or not view.result.ok:
            return not_found("checked case by that name")
        try:
            form = await read_form(request)
        except FormRefused as exc:
            return page("served_message.html", exc.status, title="Refused", message=exc.message)
        if not secrets.compare_digest(form.get("token", "").encode("utf-8"), token.encode("utf-8")):
            return page("served_message.html", 403, title="Refused",
                        message="This form did not come from this riskcheck app. Reload the page and try again.")
        pair = next((p for p in view.pairs if (p["person"], p["relative"]) == (form.get("person"),
                                                                                form.get("relative"))), None)
        if pair is None:
            return not_found("pair of persons listed by that name")
        reviewer, note, choice = form.get("reviewer", "").strip(), form.get("note", ""), form.get("decision", "")
        choices = HINT_CHOICES if pair["kind"] == "hint" else PAIR_CHOICES
        decision = form.get("relation", "") if choice == "relatives" else choice
        code = ("link" if choice not in choices or decision not in link_decisions() else "reviewer" if not reviewer
                else "reviewer-long" if len(reviewer) > MAX_REVIEWER_CHARS
                else "note-long" if len(note) > MAX_NOTE_CHARS else "")
        back = f"/cases/{cid}/links"
        if code:
            return RedirectResponse(back + "?" + urlencode({"error": code}), status_code=303)
        try:
            with DecisionLog(log_path) as log:
                log.record_link(cid, pair["person"], pair["relative"], decision, reviewer, note,
                                hint=pair["why"] + pair["changes"])
        except ReviewError:
            return RedirectResponse(back + "?" + urlencode({"error": "invalid"}), status_code=303)
        response = RedirectResponse(back + "?" + urlencode({"notice": "link-recorded"}), status_code=303)
        response.set_cookie("reviewer", quote(reviewer, safe=""), samesite="strict", httponly=True)
        return response

    async def download(request: Request) -> Response:
        from riskcheck.report.desk import csv_text, desk_rows, xlsx_bytes

        cid, fmt = request.path_params["case"], request.path_params["fmt"]
        view = views.get(cid)
        if view is None or not view.result.ok or fmt not in ("csv", "xlsx"):
            return not_found("export by that name")
        base = str(request.base_url).rstrip("/")
        with DecisionLog(log_path) as log:
            rows = desk_rows(view, log.histories(cid), link=lambda fid, _: f"{base}/cases/{quote(cid)}/" + (
                f"findings/{quote(fid)}" if fid else "#reviewed-no-longer-found"))
        headers = {"Content-Disposition": f'attachment; filename="{cid}-findings.{fmt}"', "Cache-Control": "no-store"}
        if fmt == "csv":
            return Response(csv_text(rows).encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
        return Response(xlsx_bytes(rows), headers=headers,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    async def rules_page(request: Request) -> Response:
        view = views.get(request.path_params["case"])
        if view is None:
            return not_found("case by that name")
        return page("served_rules.html", case=view.result)

    return Starlette(
        routes=[Route("/", index), Route("/cases/{case}/", case_page), Route("/cases/{case}/rules", rules_page),
                Route("/cases/{case}/findings.{fmt}", download), Route("/cases/{case}/links", links_page),
                Route("/cases/{case}/links/review", record_link, methods=["POST"]),
                Route("/cases/{case}/findings/{finding}", finding_page),
                Route("/cases/{case}/findings/{finding}/review", record, methods=["POST"])],
        middleware=[Middleware(SecurityHeaders), Middleware(HostCheck, hosts=tuple(h.lower() for h in hosts)),
                    *([Middleware(PasswordRequired, password=password, delay=guess_delay)] if password else [])],
    )

