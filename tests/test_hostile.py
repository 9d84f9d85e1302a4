"""Hostile and broken input: escaped, not linked, confined, refused quickly, and isolated."""

import json

from riskcheck.cli import main

from conftest import RULES, minimal_case


def run(runner, root, out, *extra):
    return runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out), *extra])


def test_a_script_in_a_name_comes_out_escaped(runner, write_case, tmp_path):
    root = write_case("xss", {"case.yaml": minimal_case("xss", son="<script>alert(1)</script>")})
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "xss" / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    summary = json.loads((tmp_path / "out" / "xss" / "findings.json").read_text())["findings"][0]["summary"]
    assert "<script>alert(1)</script>" in summary  # JSON is data: the name as written


def test_a_javascript_source_address_is_not_a_link(runner, write_case, tmp_path):
    root = write_case("jsurl", {"case.yaml": minimal_case("jsurl", url="javascript:alert(1)")})
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0
    html = (tmp_path / "out" / "jsurl" / "report.html").read_text()
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in html and "not http(s); not linked" in html
    assert "not an http(s) address" in result.output


def test_ids_cannot_write_outside_the_output_folder(runner, write_case, tmp_path):
    root = write_case("ok-case", {"case.yaml": minimal_case("ok-case").replace("p-son", "../../p-son")})
    (root / "evil").mkdir()
    (root / "evil" / "case.yaml").write_text("id: ../x\nas_of: 2024-01-01\n")
    out = tmp_path / "out"
    result = run(runner, root, out)
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file() and "out" in p.parts}
    assert written == {"out/index.html", "out/ok-case/report.html", "out/ok-case/findings.json"}
    assert result.exit_code == 3 and "id '../x' must equal the folder name 'evil'" in result.output
    assert not (tmp_path / "x").exists()


def test_an_alias_bomb_is_refused_and_other_cases_still_run(runner, write_case, tmp_path):
    bomb = "id: bomb\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for level in "bcdefghi":
        bomb += f"{level}: &{level} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
        prev = level
    root = write_case("bomb", {"case.yaml": bomb})
    write_case("fine", {"case.yaml": minimal_case("fine")}, root)
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 3
    assert "alias bomb" in result.output
    assert (tmp_path / "out" / "fine" / "report.html").exists()


def test_a_broken_case_keeps_its_earlier_report(runner, write_case, tmp_path):
    root = write_case("steady", {"case.yaml": minimal_case("steady")})
    out = tmp_path / "out"
    assert run(runner, root, out).exit_code == 0
    before = (out / "steady" / "report.html").read_bytes()
    (root / "steady" / "tenures.yaml").write_text("- {id: t9, person_id: nobody, position_id: pos-head, start: 2022}\n")
    result = run(runner, root, out)
    assert result.exit_code == 3
    assert "cases/steady/tenures.yaml line 1: record 't9', field 'person_id': 'nobody' names no person" in result.output
    assert (out / "steady" / "report.html").read_bytes() == before
    index = (out / "index.html").read_text()
    assert "Not checked: the case has errors." in index and "earlier run is left in place" in index
