"""`riskcheck serve`: filter, read and decide on findings in the browser; forms that work without scripts."""

from __future__ import annotations

import copy
import re

import pytest
from starlette.testclient import TestClient

from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import reviews_path
from riskcheck.serve.app import make_app

from conftest import CASES, served_app


@pytest.fixture
def checked(checked_cases):
    return checked_cases


def app_for(root, checked, **options):
    return served_app(root, checked, **options)


@pytest.fixture
def shipped(tmp_path, checked):
    import shutil
    root = tmp_path / "cases"
    shutil.copytree(CASES, root)
    return root, TestClient(app_for(root, checked), base_url="http://127.0.0.1")


def token_of(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_the_index_lists_every_case_with_review_counts(shipped):
    _, client = shipped
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/cases/imanaliev-appointment/"' in page.text
    assert "2 not reviewed" in page.text


def test_findings_are_filtered_on_the_server(shipped):
    _, client = shipped
    every = client.get("/cases/fictional-akimat-resignations/").text
    flagged = client.get("/cases/fictional-akimat-resignations/?status=flagged").text
    assert flagged.count('class="badge flagged"') >= 1
    assert 'class="badge complied"' in every and 'class="badge complied"' not in flagged
    by_name = client.get("/cases/fictional-names-across-scripts/", params={"q": "Арман"}).text  # Cyrillic for Arman
    assert "1 of 1 finding(s) match" in by_name and "Arman Serikovich Zhaksybekov" in by_name
    assert "No finding matches these filters." in client.get("/cases/imanaliev-appointment/?q=nobody-at-all").text


def test_a_decision_posted_from_the_form_is_kept_and_shown(shipped):
    root, client = shipped
    listing = client.get("/cases/imanaliev-appointment/").text
    first = re.search(r'href="findings/([^"]+)"', listing).group(1)
    page = client.get(f"/cases/imanaliev-appointment/findings/{first}")
    assert "<form method=\"post\"" in page.text and "form-action 'self'" in page.text
    response = client.post(f"/cases/imanaliev-appointment/findings/{first}/review", follow_redirects=False,
                           data={"token": token_of(page.text), "decision": "unsure", "reviewer": "Anna",
                                 "note": "asked the press office"})
    assert response.status_code == 303
    shown = client.get(f"/cases/imanaliev-appointment/findings/{first}").text
    assert "review-unsure" in shown and "asked the press office" in shown
    assert 'value="Anna"' in shown  # the reviewer's name is remembered for the next form
    with DecisionLog(reviews_path(root)) as log:
        assert [(e.finding, e.decision) for e in log.events()] == [(first, "unsure")]
    assert "1 unsure" in client.get("/").text
    assert first in client.get("/cases/imanaliev-appointment/?review=unsure").text


def test_a_form_from_elsewhere_is_refused(shipped):
    root, client = shipped
    listing = client.get("/cases/imanaliev-appointment/").text
    first = re.search(r'href="findings/([^"]+)"', listing).group(1)
    response = client.post(f"/cases/imanaliev-appointment/findings/{first}/review",
                           data={"token": "guess", "decision": "dismissed", "reviewer": "Mallory"})
    assert response.status_code == 403
    assert not reviews_path(root).exists() or DecisionLog(reviews_path(root)).count() == 0


def test_only_requests_addressed_to_this_machine_are_answered(shipped):
    _, client = shipped
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_a_form_without_a_decision_says_why(shipped):
    _, client = shipped
    listing = client.get("/cases/imanaliev-appointment/").text
    first = re.search(r'href="findings/([^"]+)"', listing).group(1)
    page = client.get(f"/cases/imanaliev-appointment/findings/{first}").text
    shown = client.post(f"/cases/imanaliev-appointment/findings/{first}/review",
                        data={"token": token_of(page), "decision": "maybe", "reviewer": "Anna"})
    assert "Choose confirmed, dismissed or unsure." in shown.text


def test_unknown_cases_and_findings_are_a_plain_404(shipped):
    _, client = shipped
    assert client.get("/cases/nope/").status_code == 404
    assert client.get("/cases/imanaliev-appointment/findings/nope").status_code == 404


def many_findings(root, checked, n: int):
    """The checked cases with one case's findings repeated n times under new ids (as in a national case)."""
    from dataclasses import replace

    views, rules = copy.deepcopy(checked[0]), checked[1]
    view = views["imanaliev-appointment"]
    base = view.result.findings
    view.result.findings = [replace(base[i % len(base)], id=f"{base[i % len(base)].id}-{i:05d}") for i in range(n)]
    return make_app(views, reviews_path(root), rules)


def test_a_long_list_is_paged_and_the_filters_survive_paging(shipped, checked):
    root, _ = shipped
    client = TestClient(many_findings(root, checked, 120), base_url="http://127.0.0.1")
    first = client.get("/cases/imanaliev-appointment/?status=undetermined").text
    assert "120 of 120 finding(s) match" in first and "Page 1 of 3" in first
    assert 'href="?status=undetermined&amp;page=2" rel="next"' in first
    last = client.get("/cases/imanaliev-appointment/?status=undetermined&page=3").text
    assert last.count('href="findings/') == 20 and 'rel="next"' not in last
    assert "Page 1 of 3" in client.get("/cases/imanaliev-appointment/?page=nonsense").text


def test_the_desk_export_has_one_row_per_finding_with_its_review_and_no_live_formulas(shipped, runner, tmp_path):
    import io

    from openpyxl import load_workbook

    from riskcheck.cli import main

    root, client = shipped
    listing = client.get("/cases/imanaliev-appointment/").text
    first = re.search(r'href="findings/([^"]+)"', listing).group(1)
    page = client.get(f"/cases/imanaliev-appointment/findings/{first}").text
    client.post(f"/cases/imanaliev-appointment/findings/{first}/review",
                data={"token": token_of(page), "decision": "dismissed", "reviewer": "Anna",
                      "note": "=HYPERLINK(\"http://evil.example\",\"click\")"})
    download = client.get("/cases/imanaliev-appointment/findings.xlsx")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(download.content)).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 2 and {r["Finding id"] for r in rows} >= {first}
    mine = next(r for r in rows if r["Finding id"] == first)
    assert (mine["Review"], mine["Reviewer"]) == ("dismissed", "Anna")
    note_cell = next(c for row in sheet.iter_rows(min_row=2) for c in row if str(c.value).startswith("=HYPER"))
    assert note_cell.data_type == "s" and note_cell.quotePrefix  # shown as text, never run
    out = tmp_path / "desk.csv"
    result = runner.invoke(main, ["export", "findings", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "dismissed" in text
    # The header and the shipped cases' 25 findings (family-cluster now weighs a unit against chance, so the
    # Russian, Ukrainian and Uzbek examples, whose families hold every post of their case, give it no finding).
    assert out.read_bytes().count(b"\r\n") == 1 + 25


def test_serving_beyond_this_machine_needs_a_password(runner, monkeypatch):
    from riskcheck.cli import main

    monkeypatch.delenv("RISKCHECK_PASSWORD", raising=False)
    result = runner.invoke(main, ["serve", str(CASES), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "set RISKCHECK_PASSWORD" in result.output


def test_with_a_password_every_request_must_give_it(shipped, checked):
    root, _ = shipped
    app = app_for(root, checked, hosts=("*",), password="correct horse battery")
    client = TestClient(app, base_url="http://newsroom-server")
    assert client.get("/").status_code == 401
    assert client.get("/", auth=("anna", "wrong")).status_code == 401
    assert client.get("/", auth=("anna", "correct horse battery")).status_code == 200


def test_a_finding_links_to_the_legal_basis_of_its_rule(shipped):
    _, client = shipped
    page = client.get("/cases/imanaliev-appointment/rules")
    assert page.status_code == 200
    assert 'id="rule-kinship-convicted-official"' in page.text and "Legal basis" in page.text


def first_finding(client, case="imanaliev-appointment") -> str:
    return re.search(r'href="findings/([^"]+)"', client.get(f"/cases/{case}/").text).group(1)


def post_decision(client, fid, page_html, case="imanaliev-appointment", **data):
    form = {"token": token_of(page_html), "decision": "unsure", "reviewer": "Anna", "note": "",
            **({"seen": re.search(r'name="seen" value="([^"]*)"', page_html).group(1)} if "seen" not in data else {}),
            **data}
    return client.post(f"/cases/{case}/findings/{fid}/review", data=form, follow_redirects=False)


def test_a_reviewer_named_in_any_script_is_remembered(shipped):
    root, client = shipped
    fid = first_finding(client)
    page = client.get(f"/cases/imanaliev-appointment/findings/{fid}").text
    response = post_decision(client, fid, page, reviewer="Айгерим Нурланова", note="звонила в пресс-службу")
    assert response.status_code == 303
    shown = client.get(f"/cases/imanaliev-appointment/findings/{fid}")
    assert shown.status_code == 200 and 'value="Айгерим Нурланова"' in shown.text
    with DecisionLog(reviews_path(root)) as log:
        assert [e.reviewer for e in log.events()] == ["Айгерим Нурланова"]


def test_a_form_is_refused_by_its_size_before_it_is_parsed(shipped):
    root, client = shipped
    fid = first_finding(client)
    url = f"/cases/imanaliev-appointment/findings/{fid}/review"
    big = client.post(url, content=b"a=" + b"x" * (300 * 1024),
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    many = client.post(url, content="&".join(f"f{i}=1" for i in range(900)).encode(),
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert many.status_code == 400
    multipart = client.post(url, files={"note": ("a.txt", b"x")})
    assert multipart.status_code == 415

    def chunks():  # no length given: the body is still read only up to the limit
        for _ in range(400):
            yield b"x" * 1024
    streamed = client.post(url, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    assert not reviews_path(root).exists() or DecisionLog(reviews_path(root)).count() == 0


def test_no_page_or_redirect_may_be_framed(shipped):
    _, client = shipped
    fid = first_finding(client)
    page = client.get(f"/cases/imanaliev-appointment/findings/{fid}")
    redirect = post_decision(client, fid, page.text)
    for response in (client.get("/"), page, client.get("/cases/nope/"), redirect):
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"


def test_a_message_is_the_apps_own_never_text_from_the_address(shipped):
    _, client = shipped
    fid = first_finding(client)
    url = f"/cases/imanaliev-appointment/findings/{fid}"
    forged = client.get(url, params={"error": "Your session expired: log in at evil.example"}).text
    assert "evil.example" not in forged
    assert "Choose confirmed, dismissed or unsure." in client.get(url, params={"error": "decision"}).text


def test_the_ipv6_loopback_is_answered(shipped):
    _, client = shipped
    assert client.get("/", headers={"host": "[::1]:8000"}).status_code == 200
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200
    assert client.get("/", headers={"host": "[::2]:8000"}).status_code == 400


@pytest.mark.parametrize("password", [" " * 12, "aaaaaaaaaaaaaaaa", "short"])
def test_a_weak_password_cannot_open_the_app_to_the_network(runner, monkeypatch, password):
    from riskcheck.cli import main

    monkeypatch.setenv("RISKCHECK_PASSWORD", password)
    result = runner.invoke(main, ["serve", str(CASES), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "set RISKCHECK_PASSWORD" in result.output


def test_wrong_passwords_from_one_address_are_refused_after_ten(shipped, checked):
    root, _ = shipped
    app = app_for(root, checked, hosts=("*",), password="correct horse battery", guess_delay=0)
    client = TestClient(app, base_url="http://newsroom-server")
    assert client.get("/").status_code == 401  # a browser's first request, without a password, is no guess
    for i in range(10):
        assert client.get("/", auth=("anna", f"guess {i}")).status_code == 401
    refused = client.get("/", auth=("anna", "correct horse battery"))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_a_reviewer_is_told_when_a_colleague_decided_after_the_page_loaded(shipped):
    root, client = shipped
    fid = first_finding(client)
    url = f"/cases/imanaliev-appointment/findings/{fid}"
    annas_page = client.get(url).text
    bolats_page = client.get(url).text
    assert post_decision(client, fid, bolats_page, reviewer="Bolat", decision="confirmed",
                         note="court record").headers["location"] == url + "#review"
    late = post_decision(client, fid, annas_page, reviewer="Anna", decision="dismissed")
    assert "notice=decided-since" in late.headers["location"]
    shown = client.get(late.headers["location"]).text
    assert "Someone decided after you opened this page" in shown and "court record" in shown
    assert re.search(r"by Bolat at \d{4}-\d\d-\d\d \d\d:\d\d UTC", shown)
    with DecisionLog(reviews_path(root)) as log:
        assert [e.reviewer for e in log.history("imanaliev-appointment", fid)] == ["Bolat", "Anna"]


def test_the_case_list_counts_open_changed_and_no_longer_found_and_shows_gone_summaries(shipped):
    root, client = shipped
    fid = first_finding(client)
    page = client.get(f"/cases/imanaliev-appointment/findings/{fid}").text
    post_decision(client, fid, page, decision="confirmed")
    with DecisionLog(reviews_path(root)) as log:
        old = log.history("imanaliev-appointment", fid)[-1].evidence_json()
        log.record("imanaliev-appointment", {**old, "status": "pending"}, "confirmed", "Anna")
        log.record("imanaliev-appointment", {**old, "id": "kinship-convicted-official-000000000000",
                                             "rule": "kinship-convicted-official", "summary": "A lead of last year"},
                   "dismissed", "Anna")
    index = client.get("/").text
    assert "1 changed" in index and "1 no longer found" in index
    case_page = client.get("/cases/imanaliev-appointment/").text
    assert "A lead of last year" in case_page and "changed since reviewed" in case_page
    assert fid in client.get("/cases/imanaliev-appointment/?review=changed").text
    finding_page = client.get(f"/cases/imanaliev-appointment/findings/{fid}").text
    assert "status was pending, now" in finding_page


def test_each_reviewer_chooses_the_desk_language_and_it_is_remembered(shipped):
    _, client = shipped
    first = client.get("/")
    assert '<html lang="en">' in first.text and 'href="?lang=kk"' in first.text and 'lang="kk">Қазақша</a>' in first.text
    chosen = client.get("/?lang=kk")
    assert '<html lang="kk">' in chosen.text and '<strong lang="kk">Қазақша</strong>' in chosen.text
    assert "lang=kk" in chosen.headers["set-cookie"]
    assert '<html lang="kk">' in client.get("/").text  # remembered by this reviewer's cookie
    other = TestClient(client.app, base_url="http://127.0.0.1")
    assert '<html lang="en">' in other.get("/").text  # another reviewer's desk is not changed
    assert '<html lang="kk">' in client.get("/?lang=tlh").text  # an unknown choice keeps the one made


def test_the_desk_starts_in_the_language_serve_was_given(tmp_path, checked):
    client = TestClient(app_for(tmp_path, checked, language="uk"), base_url="http://127.0.0.1")
    assert '<html lang="uk">' in client.get("/").text
