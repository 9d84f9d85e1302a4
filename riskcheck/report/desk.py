"""The findings as one table for the desk: CSV or XLSX, one row per finding, with its review.

Reviewed findings this run no longer gives are rows too, marked, so an export never drops a decision.

A spreadsheet must never run a cell as a formula. A cell that starts like one (= + - @, a tab or a
carriage return) is text-prefixed. In CSV with an apostrophe, as OWASP advises - and so is every part of a
cell that would start like one once Excel splits the line on a comma or a semicolon (its list separator in
Russian and Kazakh settings), so "Nurlan;=2+5;Zhaksylykov" cannot become a `=2+5` cell; the CSV starts with
a byte-order mark (or Excel reads UTF-8 Cyrillic as mojibake) and quotes every cell. The XLSX stores every
text cell as text, formula-like ones with Excel's own quote prefix (shown as written, still text when
edited); it has headers in words, real date cells, a filter, a frozen header row, column widths and links
to the reports. In both, control and invisible formatting characters are
shown as the pages show them: [U+202E].
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone
from typing import Callable

from riskcheck.report.render import finding_address
from riskcheck.registry.dates import parse_time
from riskcheck.review.events import Event
from riskcheck.review.state import ReviewState, review_states
from riskcheck.results import CaseView
from riskcheck.i18n import N_, _
from riskcheck.textsafety import reveal

# column key -> header in words (the XLSX and CSV header, in the language being written), width in characters (XLSX)
COLUMNS = {
    "case": (N_("Case"), 22), "finding": (N_("Finding id"), 30), "rule": (N_("Rule"), 26), "rule_title": (N_("Rule title"), 36),
    "status": (N_("Status"), 13), "severity": (N_("Severity"), 9), "person": (N_("Person or unit"), 26),
    "person_id": (N_("Person or unit id"), 16), "related": (N_("Related persons"), 26), "summary": (N_("Summary"), 60),
    "as_of": (N_("Judged as of"), 12), "sources": (N_("Sources"), 40), "decision": (N_("Review"), 11),
    "reviewer": (N_("Reviewer"), 18), "decided_at": (N_("Decided at (UTC)"), 17), "note": (N_("Note"), 40),
    "changed_since": (N_("Changed since reviewed"), 40), "in_this_run": (N_("In this run"), 22),
    "report": (N_("Report"), 40),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SPLIT_FORMULA = re.compile(r'([,;\t\r\n][\s"]*)([=+\-@])')  # a part after a separator, spaces or quotes


def desk_rows(view: CaseView, histories: dict[str, list[Event]], report_base: str = "",
              link: Callable[[str | None, str], str] | None = None) -> list[dict]:
    """Rows for one checked case (a riskcheck.results.CaseView) and its decision histories, gone findings last.

    `report_base` is put before each finding's place in the reports ("imanaliev/report.html#id"): a URL
    or a folder's file: URI, so the link works from wherever the spreadsheet is opened; `link(finding id)`,
    when given, is the link instead (the app links to its own pages)."""
    link = link or (lambda fid, address: report_base + address)
    findings = view.result.findings
    decided = [f for f in findings if f.id in histories]
    states, gone = review_states(histories, decided, getattr(view, "evidence_json", None))
    as_of = view.result.as_of.isoformat() if view.result.as_of else ""
    rows = []
    for f in findings:
        state = states.get(f.id)
        sources = [view.sources.get(s) or {"title": s} for s in f.sources]
        rows.append({
            "case": view.id, "finding": f.id, "rule": f.rule, "rule_title": f.rule_title, "status": _(f.status),
            "severity": _(f.severity), "person": view.person_name(f.person) if f.unit is None else f.figures.get("unit_name", f.unit),
            "person_id": f.person if f.unit is None else f.unit,
            "related": "; ".join(view.person_name(r) for r in f.related), "summary": f.summary,
            "as_of": as_of,
            "sources": "; ".join(s.get("title", "") + (f" <{s['url']}>" if s.get("url") else "") for s in sources),
            **_review_cells(state), "in_this_run": _("found"),
            "report": link(f.id, finding_address(view.result, f))})
    for g in gone:
        was = g.was
        rows.append({
            "case": view.id, "finding": g.finding, "rule": str(was.get("rule", "")), "rule_title": "",
            "status": _word(was.get("status")), "severity": _word(was.get("severity")),
            "person": str(was.get("person") or was.get("unit") or ""), "person_id": str(was.get("person") or ""),
            "related": "", "summary": str(was.get("summary", "")), "as_of": as_of, "sources": "",
            **_review_cells(g),
            "in_this_run": _("no longer found") + (_(" (imported decision)") if g.current.imported else ""),
            "report": link(None, f"{view.id}/report.html#reviewed-no-longer-found")})
    return rows


def _word(value: object) -> str:
    """A status or severity a decision recorded (a machine word), as the table's language says it."""
    return _(value) if isinstance(value, str) and value else ""


def _review_cells(state: ReviewState | None) -> dict:
    if state is None:
        return {"decision": _("open"), "reviewer": "", "decided_at": "", "note": "", "changed_since": ""}
    return {"decision": _(state.decision), "reviewer": state.current.reviewer, "decided_at": state.current.at,
            "note": state.current.note, "changed_since": "; ".join(state.changed)}


def neutralised(value: str) -> str:
    """The text as a cell that no spreadsheet runs, however it splits the line: formula-like parts text-prefixed."""
    value = _SPLIT_FORMULA.sub(lambda m: m.group(1) + "'" + m.group(2), value)
    return "'" + value if value.startswith(FORMULA_START) else value


def cell_text(value: object) -> str:
    return neutralised(reveal(str(value)))


def csv_text(rows: list[dict]) -> str:
    """The table as CSV for Excel: a byte-order mark, every cell quoted, CRLF line ends."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([_(header) for header, _width in COLUMNS.values()])
    for row in rows:
        writer.writerow([cell_text(row[c]) for c in COLUMNS])
    return out.getvalue()


SAFE_LINK = re.compile(r"(https?|file)://", re.IGNORECASE)


def xlsx_bytes(rows: list[dict]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one sheet, the active one
    sheet.title = "findings"
    sheet.append([_(header) for header, _width in COLUMNS.values()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for column, name in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=number, column=column)
            value = row[name]
            when = _date_value(name, value)
            if when is not None:
                cell.value = when
                cell.number_format = "yyyy-mm-dd" if isinstance(when, date) and not isinstance(when, datetime) \
                    else "yyyy-mm-dd hh:mm"
                continue
            text = reveal(str(value))
            cell.value = text
            cell.data_type = "s"  # text, never a formula, whatever it starts with
            if name == "report" and SAFE_LINK.match(text):
                cell.hyperlink = text
                cell.style = "Hyperlink"
            if text.startswith(FORMULA_START):
                cell.quotePrefix = True  # Excel's own text prefix: shown as written, kept text when edited
    for column, (_header, width) in enumerate(COLUMNS.values(), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, len(rows) + 1)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _date_value(name: str, value: object) -> date | datetime | None:
    """A date cell for the as-of date and a UTC date-time (without zone: Excel has none) for a decision's time."""
    if name == "as_of" and value:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return None
    if name == "decided_at" and value:
        when = parse_time(str(value))
        return when.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0) if when else None
    return None
