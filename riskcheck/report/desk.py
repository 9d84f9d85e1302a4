"""The findings as one table for the desk: CSV or XLSX, one row per finding, with its review.

A cell a spreadsheet would run as a formula (text starting with = + - @, or a tab or carriage return
before one) is neutralised: in CSV by a leading apostrophe, as OWASP advises; in XLSX by storing the
cell as text, so it shows exactly as written and never runs.
"""

from __future__ import annotations

import csv
import io

from riskcheck.report.render import finding_address
from riskcheck.review.state import review_states

COLUMNS = ["case", "finding", "rule", "rule_title", "status", "severity", "person", "person_id", "related",
           "summary", "as_of", "sources", "decision", "reviewer", "decided_at", "note", "changed_since", "report"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def desk_rows(view, histories: dict, report_base: str = "") -> list[dict]:
    """Rows for one checked case (a serve.cases.CaseView) and its decision histories."""
    findings = view.result.findings
    states, _ = review_states(histories, findings)
    rows = []
    for f in findings:
        state = states.get(f.id)
        sources = [view.sources.get(s) or {"title": s} for s in f.sources]
        rows.append({
            "case": view.id, "finding": f.id, "rule": f.rule, "rule_title": f.rule_title, "status": f.status,
            "severity": f.severity, "person": view.person_name(f.person) if f.unit is None else f.figures.get("unit_name", f.unit),
            "person_id": f.person if f.unit is None else f.unit,
            "related": "; ".join(view.person_name(r) for r in f.related), "summary": f.summary,
            "as_of": view.result.as_of.isoformat() if view.result.as_of else "",
            "sources": "; ".join(s.get("title", "") + (f" <{s['url']}>" if s.get("url") else "") for s in sources),
            "decision": state.decision if state else "open", "reviewer": state.current.reviewer if state else "",
            "decided_at": state.current.at if state else "", "note": state.current.note if state else "",
            "changed_since": "; ".join(state.changed) if state else "",
            "report": report_base + finding_address(view.result, f)})
    return rows


def neutralised(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralised(str(row[c])) for c in COLUMNS])
    return out.getvalue()


def xlsx_bytes(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "findings"
    sheet.append(COLUMNS)
    for number, row in enumerate(rows, start=2):
        for column, name in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=number, column=column)
            cell.value = str(row[name])
            cell.data_type = "s"  # text, never a formula, whatever it starts with
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
