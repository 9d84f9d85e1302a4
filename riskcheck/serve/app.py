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

import math
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from anyascii import anyascii
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from riskcheck.engine.findings import Finding
from riskcheck.grammar.translations import rule_text
from riskcheck.i18n import N_, _, current, format_number
from riskcheck.grammar.vocabulary import severity_rank
from riskcheck.report.drawing import drawing_of
from riskcheck.report.render import report_environment
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.event_checks import link_decisions
from riskcheck.review.events import DECISIONS, MAX_NOTE_CHARS, MAX_REVIEWER_CHARS, Event, ReviewError
from riskcheck.review.links import current_links
from riskcheck.review.state import REVIEW_STATES, ReviewState, desk_counts, review_counts, review_states
from riskcheck.results import CaseView
from riskcheck.serve.languages import ReviewerLanguage, language_links
from riskcheck.templating import kinship_word
from riskcheck.serve.guards import (LOCAL_HOSTS, FormRefused, HostCheck, PasswordRequired, SecurityHeaders,
                                    read_form)

PAGE_SIZE = 50
MAX_QUERY_CHARS = 200


def _fold(text: str) -> str:
    return anyascii(text).casefold()


# Every message a page shows is one of these, chosen by its code: text in the address is never shown as ours.
# Marked for the catalogs here, shown in the reviewer's language by `message`.
MESSAGES = {
    "decision": N_("Choose confirmed, dismissed or unsure."),
    "reviewer": N_("Write your name: a decision needs the reviewer's name."),
    "reviewer-long": N_("Your name is longer than %(n)s characters."),
    "note-long": N_("The note is longer than %(n)s characters."),
    "not-text": N_("The note or the name holds a character that is not text."),
    "invalid": N_("The decision could not be recorded as given."),
    "link": N_("Choose relatives (with the kind), not related or unsure; or same person, not the same or unsure."),
    "link-recorded": N_("Recorded. The next run of riskcheck uses it (restart the app to see its findings)."),
}
MESSAGE_LIMITS = {"reviewer-long": MAX_REVIEWER_CHARS, "note-long": MAX_NOTE_CHARS}
HINT_CHOICES = ("relatives", "not_related", "unsure")  # what a reviewer may say of a kinship hint
PAIR_CHOICES = ("same_as", "not_same_as", "unsure")  # and of a possible same person
CHOICE_WORDS = {"relatives": N_("relatives"), "not_related": N_("not related"), "unsure": N_("unsure"),
                "same_as": N_("same person"), "not_same_as": N_("not the same")}
# A settled pair as its badge says it; any other decision is a relation kind, said as the kinship word.
LINK_WORDS = {"not_related": N_("not related"), "same_as": N_("the same person"),
              "not_same_as": N_("not the same person"), "unsure": N_("unsure")}


def message(code: str) -> str:
    """The app's message for a code from the address, in the reviewer's language ("" for an unknown code)."""
    if code not in MESSAGES:
        return ""
    return _(MESSAGES[code]) % {"n": format_number(MESSAGE_LIMITS[code])} if code in MESSAGE_LIMITS \
        else _(MESSAGES[code])


def review_word(state: str) -> str:
    """A review state as the desk shows it: "not reviewed" for open, a decision in the reviewer's language."""
    if state == "open":
        return _("not reviewed")
    if state == "changed":
        return _("changed since reviewed")
    return _(state)


def rule_words(rule: Any, field: str) -> dict[str, Any]:
    """A rule's title or description in the reviewer's language: {"text", "english": whether it fell back}."""
    text, english = rule_text(rule, field, current())
    return {"text": text, "english": english}


def link_word(decision: Any) -> str:
    """A decision on a pair of persons in words: not related, the same person, ... or the relation's kinship word."""
    return _(LINK_WORDS[decision.decision]) if decision.decision in LINK_WORDS else kinship_word(decision.decision)


def _relation_kinds() -> tuple[str, ...]:
    from riskcheck.registry.schema import load_schema
    return load_schema().types["relations"].fields["kind"].values


def make_app(views: dict[str, CaseView], log_path: Path, rules: dict,
             hosts: tuple[str, ...] = LOCAL_HOSTS, password: str | None = None,
             guess_delay: float = 0.25, stale: dict[str, str] | None = None,
              language: str | None = None) -> Starlette:
    """The app over the checked cases: its pages, then its guards (headers, host, and a password if given).

    `stale`: case id -> what changed since its view (read from the last run's cache) was made; its pages say
    so until `app.state.pages.replace` gives the case checked again."""
    app = ReviewPages(views, log_path, rules, stale)
    starlette = Starlette(
        routes=[Route("/", app.index), Route("/cases/{case}/", app.case_page),
                Route("/cases/{case}/rules", app.rules_page),
                Route("/cases/{case}/findings.{fmt}", app.download), Route("/cases/{case}/links", app.links_page),
                Route("/cases/{case}/links/review", app.record_link, methods=["POST"]),
                Route("/cases/{case}/findings/{finding}", app.finding_page),
                Route("/cases/{case}/findings/{finding}/review", app.record, methods=["POST"])],
        middleware=[Middleware(SecurityHeaders), Middleware(HostCheck, hosts=tuple(h.lower() for h in hosts)),
                    *([Middleware(PasswordRequired, password=password, delay=guess_delay)] if password else []),
                    Middleware(ReviewerLanguage, default=language)],
    )
    starlette.state.pages = app
    return starlette


class ReviewPages:
    """The app's pages and forms over the checked cases and the decision log.

    The log is opened for each request and closed after it, so a decision recorded by another reviewer (or
    another process) is seen on the next page; the findings are the run's, fixed while the app runs.
    """

    TEMPLATES = ("served_cases.html", "served_case.html", "served_finding.html", "served_message.html",
                 "served_rules.html", "served_links.html")

    def __init__(self, views: dict[str, CaseView], log_path: Path, rules: dict,
                 stale: dict[str, str] | None = None):
        self.views, self.log_path, self.rules = views, log_path, rules
        self.stale = dict(stale or {})  # case id -> why its findings may be out of date
        self.env = report_environment()
        self.env.globals.update(number=format_number, review_word=review_word, link_word=link_word,
                                rule_words=rule_words)
        self.token = secrets.token_urlsafe(32)
        self.by_id: dict[str, dict[str, Finding]] = {}
        self.folded: dict[str, dict[str, str]] = {}
        for cid, v in views.items():
            self.replace(cid, v, keep_stale=True)
        for name in self.TEMPLATES:
            self.env.get_template(name)  # compiled now, not on a reviewer's first click

    def replace(self, case_id: str, view: CaseView, keep_stale: bool = False) -> None:
        """Show this view of the case from now on (checked again after the app started from a stale one).

        Its finding index is built before the view is swapped in, so a page never sees half of each."""
        self.by_id[case_id] = {f.id: f for f in view.result.findings}
        self.folded[case_id] = {f.id: _fold(" ".join([view.person_name(f.person),
                                                      *(view.person_name(r) for r in f.related), f.person,
                                                      *f.related, f.unit or "", f.figures.get("unit_name", "")]))
                                for f in view.result.findings}
        self.views[case_id] = view
        if not keep_stale:
            self.stale.pop(case_id, None)

    # What the log says

    def states(self, case_id: str) -> tuple[dict, list]:
        """(finding id -> review state for the decided findings, decided findings this run does not give)."""
        with DecisionLog(self.log_path) as log:
            histories = log.histories(case_id)
        view = self.views[case_id]
        decided = [f for f in view.result.findings if f.id in histories]
        return review_states(histories, decided, view.evidence_json)

    def state_of(self, case_id: str, finding: Finding) -> dict[str, ReviewState]:
        """The review state of one finding ({} when no one has decided it)."""
        with DecisionLog(self.log_path) as log:
            history = log.history(case_id, finding.id)
        return (review_states({finding.id: history}, [finding], self.views[case_id].evidence_json)[0]
                if history else {})

    def link_states(self, case_id: str) -> dict[tuple[str, str], object]:
        """(person, relative) of each pair, either way round -> its current decision."""
        with DecisionLog(self.log_path) as log:
            found = current_links(log, case_id)
        return {pair: d for d in found for pair in ((d.person, d.relative), (d.relative, d.person))}

    def to_check(self, case_id: str) -> int:
        """Listed pairs no reviewer has settled yet (an 'unsure' is not settled)."""
        decided = self.link_states(case_id)
        return sum(1 for p in self.views[case_id].pairs
                   if getattr(decided.get((p["person"], p["relative"])), "decision", "unsure") == "unsure")

    # Answers

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:  # the template's own values
        html = self.env.get_template(name).render(rules=self.rules, token=self.token, languages=language_links(),
                                                  **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def not_found(self, what: str) -> HTMLResponse:
        return self.page("served_message.html", 404, title=_("Not found"), message=_(what))

    async def posted_form(self, request: Request) -> dict[str, str]:
        """A posted form read within limits, that must carry this app's token (FormRefused otherwise)."""
        form = await read_form(request)
        if not secrets.compare_digest(form.get("token", "").encode("utf-8"), self.token.encode("utf-8")):
            raise FormRefused(403, _("This form did not come from this riskcheck app. Reload the page and try "
                                     "again."))
        return form

    def refused(self, exc: FormRefused) -> HTMLResponse:
        return self.page("served_message.html", exc.status, title=_("Refused"), message=exc.message)

    # Pages

    async def index(self, request: Request) -> Response:
        cases = []
        for cid, view in sorted(self.views.items()):
            ids = [f.id for f in view.result.findings]
            decided, gone = self.states(cid) if view.result.ok else ({}, [])
            cases.append({"id": cid, "title": view.result.title, "ok": view.result.ok,
                          "findings": len(view.result.findings),
                          "review_counts": review_counts(ids, {k: s.decision for k, s in decided.items()}),
                          "desk_counts": desk_counts(ids, decided, gone),
                          "to_check": self.to_check(cid) if view.result.ok else 0,
                          "problems": [str(p) for p in view.result.problems[:20]],
                          "stale": self.stale.get(cid, "")})
        return self.page("served_cases.html", cases=cases)

    async def case_page(self, request: Request) -> Response:
        """A case's findings, filtered by the choices in the address and paged."""
        cid = request.path_params["case"]
        view = self.views.get(cid)
        if view is None or not view.result.ok:
            return self.not_found(N_("There is no checked case by that name here."))
        q = request.query_params
        chosen = {k: q.get(k, "") for k in ("status", "rule", "severity", "review")}
        text = q.get("q", "")[:MAX_QUERY_CHARS].strip()
        decided, gone = self.states(cid)
        needle = _fold(text) if text else ""
        rows = []
        for f in view.result.findings:
            state = decided.get(f.id)
            review = state.decision if state else "open"
            if _chosen(f, state, review, chosen) and not (needle and needle not in self.folded[cid][f.id]):
                rows.append((f, review, bool(state and state.changed)))
        number, pages, shown = _paged(rows, q.get("page", "1"))
        keep = {k: v for k, v in {**chosen, "q": text}.items() if v}
        return self.page("served_case.html", case=view.result, view=view, rows=shown, total=len(rows), page=number,
                         stale=self.stale.get(cid, ""),
                         pages=pages, chosen=chosen, text=text, gone=gone, review_states=(*REVIEW_STATES, "changed"),
                         desk_counts=desk_counts([f.id for f in view.result.findings], decided, gone),
                         case_rules=sorted({f.rule for f in view.result.findings}),
                         severities=sorted({f.severity for f in view.result.findings},
                                           key=severity_rank),
                         page_link=lambda n: "?" + urlencode({**keep, "page": n}))

    async def finding_page(self, request: Request) -> Response:
        """One finding with its review history; after a decision, the ones colleagues made since the page was
        loaded."""
        cid, fid = request.path_params["case"], request.path_params["finding"]
        view = self.views.get(cid)
        finding = self.by_id.get(cid, {}).get(fid)
        if view is None or finding is None:
            return self.not_found(N_("There is no finding by that id here."))
        reviews = self.state_of(cid, finding)
        history = reviews[fid].history if reviews else []
        since: list[Event] = []
        if request.query_params.get("notice") == "decided-since":
            seen = request.query_params.get("seen", "")
            uids = [e.uid for e in history]
            after = history[uids.index(seen) + 1:] if seen in uids else history
            since = after[:-1]  # the reviewer's own decision is the last
        drawing = drawing_of(finding, view.evidence_json(finding).get("facts") or {}, view.person_name)
        return self.page("served_finding.html", case=view.result, f=finding, reviews=reviews, reviewing=True,
                         drawings={finding.id: drawing} if drawing is not None else {},
                         sources=view.sources, person_name=view.person_name, rules_page=f"/cases/{cid}/rules",
                         decisions=DECISIONS, reviewer=_reviewer_of(request),
                         error=message(request.query_params.get("error", "")), decided_since=since,
                         seen=history[-1].uid if history else "")

    async def record(self, request: Request) -> Response:
        """A reviewer's decision on a finding, recorded; back to the finding, with a notice where a colleague
        decided after the page was loaded."""
        cid, fid = request.path_params["case"], request.path_params["finding"]
        finding = self.by_id.get(cid, {}).get(fid)
        if finding is None:
            return self.not_found(N_("There is no finding by that id here."))
        try:
            form = await self.posted_form(request)
        except FormRefused as exc:
            return self.refused(exc)
        reviewer, note, decision = form.get("reviewer", "").strip(), form.get("note", ""), form.get("decision", "")
        code = "decision" if decision.strip().lower() not in DECISIONS else _reviewer_problem(reviewer, note)
        back = f"/cases/{cid}/findings/{fid}"
        if code:
            return RedirectResponse(back + "?" + urlencode({"error": code}) + "#review", status_code=303)
        try:
            with DecisionLog(self.log_path) as log:
                history = log.history(cid, fid)
                latest = history[-1].uid if history else ""
                log.record(cid, self.views[cid].evidence_json(finding), decision, reviewer, note)
        except ReviewError:
            return RedirectResponse(back + "?" + urlencode({"error": "invalid"}) + "#review", status_code=303)
        seen = form.get("seen")
        if seen is not None and seen != latest:  # a colleague decided after this reviewer's page was loaded
            back += "?" + urlencode({"notice": "decided-since", "seen": seen})
        return _remembering(RedirectResponse(back + "#review", status_code=303), reviewer)

    async def links_page(self, request: Request) -> Response:
        """The hints that would change a finding (most telling first) and the possible same persons, paged."""
        cid = request.path_params["case"]
        view = self.views.get(cid)
        if view is None or not view.result.ok:
            return self.not_found(N_("There is no checked case by that name here."))
        decided = self.link_states(cid)
        number, pages, shown = _paged(view.pairs, request.query_params.get("page", "1"))
        code = request.query_params.get("error") or request.query_params.get("notice") or ""
        return self.page("served_links.html", case=view.result, pairs=shown, total=len(view.pairs), page=number,
                         pages=pages, decided=decided, to_check=self.to_check(cid), hint_choices=HINT_CHOICES,
                         pair_choices=PAIR_CHOICES, words=CHOICE_WORDS, relation_kinds=_relation_kinds(),
                         reviewer=_reviewer_of(request),
                         message=message(code), error=bool(request.query_params.get("error")),
                         page_link=lambda n: "?" + urlencode({"page": n}))

    async def record_link(self, request: Request) -> Response:
        """A reviewer's decision on a listed pair of persons, recorded for the next run."""
        cid = request.path_params["case"]
        view = self.views.get(cid)
        if view is None or not view.result.ok:
            return self.not_found(N_("There is no checked case by that name here."))
        try:
            form = await self.posted_form(request)
        except FormRefused as exc:
            return self.refused(exc)
        pair = next((p for p in view.pairs if (p["person"], p["relative"]) == (form.get("person"),
                                                                                form.get("relative"))), None)
        if pair is None:
            return self.not_found(N_("There is no pair of persons listed by that name here."))
        reviewer, note, choice = form.get("reviewer", "").strip(), form.get("note", ""), form.get("decision", "")
        choices = HINT_CHOICES if pair["kind"] == "hint" else PAIR_CHOICES
        decision = form.get("relation", "") if choice == "relatives" else choice
        code = ("link" if choice not in choices or decision not in link_decisions()
                else _reviewer_problem(reviewer, note))
        back = f"/cases/{cid}/links"
        if code:
            return RedirectResponse(back + "?" + urlencode({"error": code}), status_code=303)
        try:
            with DecisionLog(self.log_path) as log:
                log.record_link(cid, pair["person"], pair["relative"], decision, reviewer, note,
                                hint=pair["why"] + pair["changes"])
        except ReviewError:
            return RedirectResponse(back + "?" + urlencode({"error": "invalid"}), status_code=303)
        return _remembering(RedirectResponse(back + "?" + urlencode({"notice": "link-recorded"}), status_code=303),
                            reviewer)

    async def download(self, request: Request) -> Response:
        """A case's findings with their reviews, as the desk's CSV or spreadsheet."""
        from riskcheck.report.desk import csv_text, desk_rows, xlsx_bytes

        cid, fmt = request.path_params["case"], request.path_params["fmt"]
        view = self.views.get(cid)
        if view is None or not view.result.ok or fmt not in ("csv", "xlsx"):
            return self.not_found(N_("There is no export by that name here."))
        base = str(request.base_url).rstrip("/")
        with DecisionLog(self.log_path) as log:
            rows = desk_rows(view, log.histories(cid), link=lambda fid, _: f"{base}/cases/{quote(cid)}/" + (
                f"findings/{quote(fid)}" if fid else "#reviewed-no-longer-found"))
        headers = {"Content-Disposition": f'attachment; filename="{cid}-findings.{fmt}"', "Cache-Control": "no-store"}
        if fmt == "csv":
            return Response(csv_text(rows).encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
        return Response(xlsx_bytes(rows), headers=headers,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    async def rules_page(self, request: Request) -> Response:
        view = self.views.get(request.path_params["case"])
        if view is None:
            return self.not_found(N_("There is no case by that name here."))
        return self.page("served_rules.html", case=view.result)


def _chosen(f: Finding, state: ReviewState | None, review: str, chosen: dict[str, str]) -> bool:
    """Whether a finding passes the case page's filters (status, rule, severity, review; "" passes all)."""
    return not ((chosen["status"] and f.status != chosen["status"]) or (chosen["rule"] and f.rule != chosen["rule"])
                or (chosen["severity"] and f.severity != chosen["severity"])
                or (chosen["review"] == "changed" and not (state and state.changed))
                or (chosen["review"] not in ("", "changed") and review != chosen["review"]))


def _paged(rows: list, asked: str) -> tuple[int, int, list]:
    """(page number, number of pages, the rows on that page): a page asked beyond the last is the last, one
    that is not a number the first."""
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    try:
        number = min(max(1, int(asked)), pages)
    except ValueError:
        number = 1
    return number, pages, rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]


def _reviewer_problem(reviewer: str, note: str) -> str:
    """The message code for a reviewer's name or note that cannot be recorded ("" when both can)."""
    return ("reviewer" if not reviewer else "reviewer-long" if len(reviewer) > MAX_REVIEWER_CHARS
            else "note-long" if len(note) > MAX_NOTE_CHARS else "")


def _reviewer_of(request: Request) -> str:
    """The name the reviewer gave last time, from the cookie, so a form need not ask it again."""
    return unquote(request.cookies.get("reviewer", ""))[:MAX_REVIEWER_CHARS]


def _remembering(response: Response, reviewer: str) -> Response:
    response.set_cookie("reviewer", quote(reviewer, safe=""), samesite="strict", httponly=True)
    return response
