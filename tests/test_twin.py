"""The SQL twin (bench/peer.py) beside riskcheck on a small registry built to hold what made them differ on
`riskcheck synth`'s: partial dates, a conviction with no date of entry into force, in-laws seen from either
end, a person recorded twice. Where riskcheck decides a finding the twin gives the same; where riskcheck
cannot decide, the twin keeps no row and the comparison counts riskcheck's finding apart, saying why.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import national  # noqa: E402
import peer  # noqa: E402

AS_OF = "2025-11-01"
HEADERS = {
    "persons": "id,name,surname,given_name,patronymic,birth_date,gender,sources",
    "organizations": "id,name,kind,parent_id,region,sources",
    "positions": "id,title,organization_id,category,kind,reports_to,rank,sources",
    "tenures": "id,person_id,position_id,start,end,end_reason,sources",
    "relations": "id,person_id,relative_id,kind,status,start,end,sources",
    "verdicts": "id,person_id,offence,category,outcome,offence_start,offence_end,verdict_date,in_force_date,sources",
    "resignations": "id,person_id,submitted,position_id,sources",
    "programs": "id,name,sources",
    "memberships": "id,person_id,program_id,admitted,sources",
}


def person(pid: str, surname: str, given: str, born: str, source: str = "s-reg") -> list[str]:
    return [pid, f"{surname} {given}", surname, given, "", born, "m", source]


def adviser(n: int, who: str, start: str) -> tuple[list[str], list[str]]:
    return ([f"pos-{n}", f"Adviser {n}", "o-min", "administrative", "adviser", "", "6", "s-reg"],
            [f"t-{n}", who, f"pos-{n}", start, "", "", "s-reg"])


def conviction(vid: str, who: str, in_force: str, verdict: str = "2013-07-01") -> list[str]:
    return [vid, who, "bribery", "corruption", "convicted", "2012-01-10", "", verdict, in_force, "s-reg"]


def registry(folder: Path) -> Path:
    """One case, each situation with people of its own (fictional names)."""
    rows: dict[str, list[list[str]]] = {name: [] for name in HEADERS}
    rows["organizations"].append(["o-min", "Ministry (fictional)", "ministry", "", "", "s-reg"])
    rows["programs"].append(["prog-r", "Reserve (fictional)", "s-reg"])
    people = [("a1", "Abenov", "Arman"), ("w1", "Abenova", "Aida"), ("f1", "Beisenov", "Bolat"),
              ("a2", "Dauletov", "Daulet"), ("w2", "Dauletova", "Dana"), ("f2", "Yermekov", "Yerlan"),
              ("a3", "Kairatov", "Kairat"), ("f3", "Kairatov", "Marat"),
              ("a4", "Nurlanov", "Nurlan"), ("c4", "Nurlanov", "Timur"), ("x4", "Omarova", "Olga"),
              ("m5", "Sultanova", "Saule"), ("f5", "Sultanov", "Serik"),
              ("a6", "Tokayev", "Talgat"), ("f6", "Zhakenov", "Zhanat")]
    rows["persons"] += [person(f"p-{pid}", s, g, f"19{60 + i}-03-0{1 + i % 9}") for i, (pid, s, g) in enumerate(people)]
    # 1. Married "in 2014", appointed on 20 December 2014: the spouse's father's conviction may or may not count.
    # 2. Married in 2010: the same appointment is flagged on both sides.
    for n, (who, wife, father, married) in enumerate([("a1", "w1", "f1", "2014"), ("a2", "w2", "f2", "2010")], 1):
        post, tenure = adviser(n, f"p-{who}", "2014-12-20")
        rows["positions"].append(post)
        rows["tenures"].append(tenure)
        rows["relations"] += [[f"r-s{n}", f"p-{who}", f"p-{wife}", "spouse", "reported", married, "", "s-reg"],
                              [f"r-p{n}", f"p-{wife}", f"p-{father}", "parent", "reported", "", "", "s-reg"]]
        rows["verdicts"].append(conviction(f"v-{n}", f"p-{father}", "2013-09-01"))
    # 3. A father's conviction with a verdict date and no date of entry into force: never surely before.
    post, tenure = adviser(3, "p-a3", "2016-05-01")
    rows["positions"].append(post)
    rows["tenures"].append(tenure)
    rows["relations"].append(["r-p3", "p-a3", "p-f3", "parent", "confirmed", "", "", "s-reg"])
    rows["verdicts"].append(conviction("v-3", "p-f3", "", verdict="2015-02-01"))
    # 4. The appointee's son's wife, convicted: a child-in-law, recorded from the son's side only.
    post, tenure = adviser(4, "p-a4", "2018-01-15")
    rows["positions"].append(post)
    rows["tenures"].append(tenure)
    rows["relations"] += [["r-p4", "p-c4", "p-a4", "parent", "reported", "", "", "s-reg"],
                          ["r-s4", "p-c4", "p-x4", "spouse", "reported", "2012-06-01", "", "s-reg"]]
    rows["verdicts"].append(conviction("v-4", "p-x4", "2016-03-01"))
    # 5. A reserve member whose father left a vice minister's post "in 2017", admitted on 20 December 2022:
    #    within the five years or not, by the day.
    rows["positions"].append(["pos-vm", "Vice Minister", "o-min", "political", "vice_minister", "", "9", "s-reg"])
    rows["tenures"].append(["t-vm", "p-f5", "pos-vm", "2013-03-01", "2017", "", "s-reg"])
    rows["relations"].append(["r-p5", "p-m5", "p-f5", "parent", "confirmed", "", "", "s-reg"])
    rows["memberships"].append(["m-5", "p-m5", "prog-r", "2022-12-20", "s-reg"])
    # 6. The convicted father recorded again by a court, in Cyrillic: both take the two records as one man.
    post, tenure = adviser(6, "p-a6", "2019-04-01")
    rows["positions"].append(post)
    rows["tenures"].append(tenure)
    rows["relations"].append(["r-p6", "p-a6", "p-f6", "parent", "confirmed", "", "", "s-reg"])
    rows["persons"].append(["pc-6", "Жакенов Жанат", "", "", "", rows["persons"][14][5], "m", "s-court"])
    rows["verdicts"].append(conviction("v-6", "pc-6", "2016-09-01"))
    case = folder / "twin"
    case.mkdir(parents=True)
    (case / "case.yaml").write_text(f"id: twin\ntitle: Twin beside riskcheck (fictional)\nas_of: {AS_OF}\n"
                                    "jurisdiction: KZ\n", encoding="utf-8")
    (case / "sources.csv").write_text("id,title,kind\ns-reg,Registry (fictional),other\n"
                                      "s-court,Court register (fictional),court\n", encoding="utf-8")
    for name, header in HEADERS.items():
        with open(case / f"{name}.csv", "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header.split(","))
            writer.writerows(rows[name])
    return case


def test_the_twin_gives_what_riskcheck_decides_and_nothing_it_cannot(tmp_path):
    case = registry(tmp_path / "cases")
    twin = {(r, p, tuple(rel), st) for r, p, rel, st in peer.finding_keys(peer.run(case, AS_OF))}
    assert twin == {("kinship-convicted-official", "p-a2", ("p-f2",), "flagged"),
                    ("kinship-convicted-official", "p-a4", ("p-x4",), "flagged"),
                    ("kinship-convicted-official", "p-a6", ("p-f6",), "flagged")}

    done = subprocess.run([sys.executable, "-m", "riskcheck", "run", str(case.parent), "--rules",
                           str(REPO / "rules" / "kz"), "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = json.loads((tmp_path / "out" / "twin" / "findings.json").read_text())["findings"]
    beside = national.beside_twin(found, twin)
    assert (beside["only_riskcheck"], beside["only_twin"]) == (0, 0), beside["listed"]
    listed = beside["listed"]
    assert listed["undetermined in riskcheck, no row in the twin"] == [
        ("kinship-convicted-official", "p-a1", ("p-f1",), "undetermined"),
        ("kinship-convicted-official", "p-a3", ("p-f3",), "undetermined"),
        ("reserve-relative-conflict", "p-m5", ("p-f5",), "undetermined")]
    assert listed["resting on an identity link riskcheck made"] == []
    linked = [f for f in found if f["person"] == "p-a6"]
    assert [link["record"] for f in linked for link in f["identity_links"]] == ["pc-6"]


def test_a_finding_on_an_identity_link_the_twin_did_not_make_is_counted_apart():
    found = [{"rule": "kinship-convicted-official", "person": "p-a6", "related": ["p-f6"], "status": "flagged",
              "identity_links": [{"record": "pc-6", "taken_as": "p-f6"}]},
             {"rule": "kinship-convicted-official", "person": "p-a2", "related": ["p-f2"], "status": "flagged",
              "identity_links": []}]
    beside = national.beside_twin(found, set())
    assert (beside["only_riskcheck"], beside["identity_apart"]) == (1, 1)


def test_a_twin_finding_riskcheck_leaves_undetermined_is_a_difference():
    """The old twin read "married in 2014" as married forever: that flag is not counted apart."""
    found = [{"rule": "kinship-convicted-official", "person": "p-a1", "related": ["p-f1"], "status": "undetermined",
              "identity_links": []}]
    beside = national.beside_twin(found, {("kinship-convicted-official", "p-a1", ("p-f1",), "flagged")})
    assert (beside["only_riskcheck"], beside["only_twin"], beside["undetermined_apart"]) == (0, 1, 1)


def test_the_twin_is_held_to_a_memory_budget_and_spills_into_a_folder_it_removes(tmp_path, monkeypatch):
    """At ten million persons an unbounded twin grew to 14.6 GB; it now has riskcheck's store budget."""
    monkeypatch.setattr(peer, "SPILL_DIR", str(tmp_path / "spill"))
    conn, folder = peer.connect("100MB")
    limit, where = conn.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    conn.close()
    assert (limit, where) == ("95.3 MiB", str(folder)) and folder.parent == tmp_path / "spill"
    case, spill = registry(tmp_path / "cases"), []
    assert len(peer.finding_keys(peer.run(case, AS_OF, memory_limit="100MB", spill=spill))) == 3
    assert spill == [0.0] and not folder.exists() and not list((tmp_path / "spill").glob("*"))


def test_a_plant_a_chance_namesake_makes_undecidable_is_counted_apart_and_the_twin_printed_beside():
    """At ten million persons two plants rested on a court record that fits two namesakes: the ground truth lists
    them apart, and the national line neither misses them nor counts a finding on one as unexpected."""
    def plant(person, father):
        return {"rule": "kinship-convicted-official", "person": person, "related": [father], "status": "flagged",
                "planted": True}
    truth = {"expected": [plant("p-1", "p-f1")],
             "planted_ambiguous": [{**plant("p-2", "p-f2"), "fits": ["p-f2", "p-n2"]},
                                   {**plant("p-3", "p-f3"), "fits": ["p-f3", "p-n3"]}]}
    found = [{**plant("p-1", "p-f1")}, {**plant("p-3", "p-f3"), "status": "undetermined"}]
    counts = national.against_truth(truth, found)
    assert counts == {"planted_found": 1, "planted": 1, "unexpected": 0, "missed": 0, "unexpected_undetermined": 0,
                      "ambiguous": 2, "ambiguous_linked": 1}
    side = {"persons": 10_000_000, "wall": 600.0, "peak": 12_000.0, "code": 0, "cpu": 800.0, "peer_wall": 300.0,
            "peer_peak": 9_000.0, "peer_code": 0, "peer_cpu": 200.0, **counts}
    line = national.national_line(side, "Kazakh pack")
    assert "findings equal to the ground truth" in line and "2 planted apart" in line
    assert "the SQL twin beside it: 300 s, peak 9,000 MB (2.0x wall, 4.0x CPU)" in line
    assert "the SQL twin beside it did not finish: exit -9" in national.national_line({**side, "peer_code": -9}, "")
