"""Unit indicators: the permutation null is right, the run is reproducible, the report accuses no one, and a
rule author's mistakes are named by file, line and field."""

import json
from math import comb

import numpy as np
import pytest

from riskcheck.cli import main
from riskcheck.errors import ProblemError
from riskcheck.indicators.null import KinNull, SurnameNull, _sample, curtailed_stop, draws_needed
from riskcheck.registry.schema import load_schema
from riskcheck.rules.loader import load_rule

from conftest import CASES, REPO

SIGNALS = REPO / "rules" / "signals"
EXAMPLE = CASES / "fictional-kz-akimat-staff"


# -- the null ----------------------------------------------------------------------------------------------

def test_every_subset_is_equally_likely_in_both_ways_of_sampling():
    rng = np.random.default_rng(7)
    for size, n in ((6, 2), (6, 4)):  # with replacement and redraws; random keys (more than half the pool)
        rows = _sample(rng, size, n, 30_000)
        assert all(len(set(r)) == n for r in rows[:2000].tolist()), "an index drawn twice in one sample"
        counts = {}
        for r in rows.tolist():
            key = tuple(sorted(r))
            counts[key] = counts.get(key, 0) + 1
        assert len(counts) == comb(size, n)
        expected = 30_000 / comb(size, n)
        assert max(abs(c - expected) for c in counts.values()) < 5 * expected ** 0.5


def test_the_draws_are_the_ones_a_seed_always_gave():
    """The samples a seed gives are the figures of every unit finding (its p-value, its expected figure): a
    faster sampler must draw the very same ones, or a re-run's reports would change. The digest is of the
    samples the first sampler drew (64-bit indices, every row sorted, every row redrawn), then of the stream."""
    import hashlib
    rng = np.random.default_rng([2026, 7])
    digest = hashlib.sha256()
    for size, n in ((12, 1), (47, 3), (50, 4), (129, 11), (285, 24), (40, 30)):
        digest.update(np.sort(np.asarray(_sample(rng, size, n, 500)), axis=1).astype(np.int64).tobytes())
    digest.update(rng.integers(0, 2**31, 4).astype(np.int64).tobytes())
    assert digest.hexdigest()[:16] == "2cce804d49a133ec"


def test_the_exact_expectation_is_the_mean_of_the_draws():
    pools = {("north",): ["ahmet"] * 6 + ["omar"] * 3 + [f"x{i}" for i in range(20)],
             ("south",): ["ahmet"] * 2 + ["bek"] * 5 + [f"y{i}" for i in range(15)]}
    null = SurnameNull(pools)
    composition = {("north",): 7, ("south",): 5}
    rng = np.random.default_rng(3)
    draws = null._statistic(null._draw_labels(rng, composition, 40_000))
    assert abs(draws.mean() - null.expected(composition)) < 4 * draws.std() / 40_000 ** 0.5


def test_p_values_of_units_hired_at_random_are_calibrated():
    """Units drawn from the null itself: a test at 5% rejects about 5% of them, never much more."""
    rng = np.random.default_rng(11)
    stems = [f"s{min(int(rng.zipf(1.6)), 400)}" for _ in range(3000)]
    null = SurnameNull({("all",): stems})
    pool = np.array(stems)
    rejected = {False: 0, True: 0}
    for unit in range(400):
        staff = pool[rng.choice(len(pool), size=int(rng.integers(8, 40)), replace=False)].tolist()
        for weighted in (False, True):
            test = null.test({("all",): len(staff)}, staff, f"u{unit}", seed=1, max_draws=999, weighted=weighted)
            rejected[weighted] += test.p_value <= 0.05
    for weighted, count in rejected.items():
        assert 0 < count / 400 <= 0.075, f"weighted={weighted}: {count} of 400 rejected at 5%"


def test_rarity_weighting_sees_a_family_with_a_rare_name_among_common_ones():
    """Five of a rare name in a unit of 30, where three names are everyone's: the plain pair count is lost in
    the common names' pairs; weighted by rarity, it stands out."""
    rng = np.random.default_rng(5)
    common = ["a"] * 400 + ["b"] * 300 + ["c"] * 200
    stems = common + [f"r{i}" for i in range(95)] + ["rare"] * 5
    null = SurnameNull({("all",): stems})
    staff = ["rare"] * 5 + rng.choice(common, size=25, replace=False).tolist()
    plain = null.test({("all",): 30}, staff, "u", seed=1, max_draws=20_000)
    weighted = null.test({("all",): 30}, staff, "u", seed=1, max_draws=20_000, weighted=True)
    assert weighted.p_value < 0.001 < plain.p_value
    assert weighted.score > weighted.expected_score


def test_a_units_p_value_depends_only_on_its_own_staff_and_id():
    null = SurnameNull({("all",): ["a"] * 5 + [f"z{i}" for i in range(40)]})
    staff = ["a"] * 3 + [f"z{i}" for i in range(7)]
    first = null.test({("all",): 10}, staff, "o-roads", seed=2017, max_draws=5000)
    again = null.test({("all",): 10}, list(reversed(staff)), "o-roads", seed=2017, max_draws=5000)
    other = null.test({("all",): 10}, staff, "o-health", seed=2017, max_draws=5000)
    assert first == again
    assert other.expected == first.expected and other.observed == first.observed


def test_draws_stop_once_a_unit_can_no_longer_pass_and_never_before():
    for units in (1, 14, 1800):
        draws = draws_needed(units, 0.05, "bonferroni")
        stop = curtailed_stop(0.05 / units, draws)
        if stop < 20:  # else the plain sequential stop of Besag and Clifford comes first
            assert (stop + 1) / (draws + 1) > 0.05 / units  # that many draws reaching it: it cannot pass
            assert stop / (draws + 1) <= 0.05 / units        # one fewer: it still could


def test_enough_draws_for_the_correction_to_be_reachable():
    assert 1 / (draws_needed(1500, 0.05, "bonferroni") + 1) * 1500 <= 0.05
    assert draws_needed(3, 0.05, "none") == 999


# -- the worked example, end to end --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from click.testing import CliRunner

    outs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(name)
        result = CliRunner().invoke(main, ["run", str(EXAMPLE), "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs.append(out / EXAMPLE.name)
    return outs


def test_the_same_case_gives_the_same_report_byte_for_byte(example):
    a, b = example
    assert (a / "findings.json").read_bytes() == (b / "findings.json").read_bytes()
    assert (a / "report.html").read_bytes() == (b / "report.html").read_bytes()


def test_a_unit_finding_gives_its_figures_and_names_no_relative(example):
    doc = json.loads((example[0] / "findings.json").read_text(encoding="utf-8"))
    surname = next(f for f in doc["findings"] if f["rule"] == "surname-clustering")
    assert surname["unit"] == "o-roads-a" and surname["person"] == "" and surname["related"] == []
    figures = surname["figures"]
    assert figures["observed"] == 10 and figures["expected"] < 1 and figures["p_adjusted"] <= 0.05
    assert figures["p_adjusted"] == pytest.approx(min(1, figures["p_value"] * figures["units_tested"]))
    assert "not a family tie" in surname["limits"]
    for word in ("Akhmet", "Ахмет", "relative", "son", "brother"):
        assert word not in surname["summary"]
    cluster = next(f for f in doc["findings"] if f["rule"] == "family-cluster")
    assert cluster["unit"] == "o-land-a" and cluster["figures"]["group"] == 4
    assert cluster["figures"]["expected"] < 1 and cluster["figures"]["p_adjusted"] <= 0.05
    assert "would put about" in cluster["summary"] and "its own null" in cluster["limits"]
    assert {"src-press", "src-staff-list"} <= set(cluster["sources"])  # the family links' source is cited
    html = (example[0] / "report.html").read_text(encoding="utf-8")
    assert html.count("What this figure cannot show") == 2
    assert "about the unit Roads Department (Region A), as a whole" in html
    assert "FICTIONAL regional newspaper" in html  # every family link shows its source


# -- a rule author's mistakes ------------------------------------------------------------------------------

BASE = (SIGNALS / "surname-clustering.yaml").read_text(encoding="utf-8")


def _problems(tmp_path, text: str) -> list[str]:
    path = tmp_path / "surname-clustering.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemError) as info:
        load_rule(path, load_schema())
    return [str(p) for p in info.value.problems]


def test_a_stratum_that_is_no_field_is_named_with_its_line(tmp_path):
    text = BASE.replace("default: [organization.region, position.rank]", "default: [organization.colour]")
    (problem,) = _problems(tmp_path, text)
    line = text.splitlines().index("    default: [organization.colour]") + 1
    assert f"line {line}" in problem and "parameters.strata.default" in problem and "organization.region" in problem


def test_a_setting_naming_an_undeclared_parameter_is_an_error(tmp_path):
    (problem,) = _problems(tmp_path, BASE.replace("alpha: $alpha", "alpha: $alfa"))
    assert "unknown parameter $alfa" in problem


def test_a_probability_outside_zero_and_one_is_an_error(tmp_path):
    (problem,) = _problems(tmp_path, BASE.replace("    default: 0.05", "    default: 1.5"))
    assert "not a probability" in problem


def test_a_measure_that_is_no_method_names_the_methods_with_its_line(tmp_path):
    text = BASE.replace("  same_surname_pairs:", "  same_surname_pears:")
    (problem,) = _problems(tmp_path, text)
    line = text.splitlines().index("  same_surname_pears:") + 1
    assert f"line {line}" in problem and "measure.same_surname_pears" in problem
    assert "same_surname_pairs or close_kin_group" in problem


def test_a_setting_the_method_does_not_read_is_named_with_its_line(tmp_path):
    text = BASE.replace("    names: $names", "    names: $names\n    nmaes: surname")
    (problem,) = _problems(tmp_path, text)
    line = text.splitlines().index("    nmaes: surname") + 1
    assert f"line {line}" in problem and "measure.same_surname_pairs.nmaes" in problem and "unknown key" in problem


def test_a_method_setting_of_the_wrong_type_is_named_with_its_line(tmp_path):
    text = BASE.replace("    min_pairs: $min_pairs", "    min_pairs: two")
    (problem,) = _problems(tmp_path, text)
    line = text.splitlines().index("    min_pairs: two") + 1
    assert f"line {line}" in problem and "measure.same_surname_pairs.min_pairs" in problem
    assert "'two' is not a whole number" in problem


def test_every_method_is_found_by_the_name_a_rule_gives_and_documents_its_steps():
    from riskcheck.indicators.methods import METHODS

    assert list(METHODS) == ["same_surname_pairs", "close_kin_group"]
    for name, method in METHODS.items():
        assert method.name == name
        assert set(method.setting_types) == set(method.Settings.model_fields)
        assert all(line.startswith(f"{i}. ") for i, line in enumerate(method.doc_steps, 1))


def test_a_bad_override_on_the_command_line_names_the_setting(tmp_path, runner):
    result = runner.invoke(main, ["run", str(EXAMPLE), "--out", str(tmp_path),
                                  "--param", "surname-clustering.strata=position.colour"])
    assert result.exit_code != 0
    assert "strata" in result.output and "position.colour" in result.output


# -- groups of close relatives against chance --------------------------------------------------------------

def _families(people: list[str], sizes: list[int]) -> list[tuple[str, str]]:
    """Links joining consecutive people into families of the sizes given (a chain: parent, child, grandchild)."""
    links, at = [], 0
    for size in sizes:
        links += [(people[at + i], people[at + i + 1]) for i in range(size - 1)]
        at += size
    return links


def test_groups_found_for_all_draws_at_once_are_those_found_one_at_a_time():
    from riskcheck.indicators.kin_groups import KinLink, groups

    rng = np.random.default_rng(4)
    people = [f"p{i:03d}" for i in range(120)]
    links = sorted({tuple(sorted(rng.choice(people, 2, replace=False).tolist())) for _ in range(90)})
    null = KinNull({("all",): people}, links)
    drawn = np.array([rng.choice(len(people), 30, replace=False) for _ in range(300)])
    kin = [KinLink(f"k{i}", a, b, "sibling", True) for i, (a, b) in enumerate(links)]
    numbered = np.array([[null.index[people[i]] for i in row] for row in drawn.tolist()])  # as KinNull numbers them
    for min_group in (2, 3, 4):
        at_once = null._statistic(numbered, min_group)
        one_by_one = [sum(len(g) for g, _ in groups([people[i] for i in row], kin) if len(g) >= min_group)
                      for row in drawn.tolist()]
        assert at_once.tolist() == one_by_one


def test_drawing_only_the_linked_people_gives_the_figure_drawing_everyone_gives():
    """The groups' null draws how many linked people each stratum gives (hypergeometric), then which: the
    figure must have the very distribution of whole samples, here computed exactly by going through every
    sample, with a person serving in both strata (drawn in both, counted once)."""
    from itertools import combinations

    north, south = [f"p{i}" for i in range(6)], [f"p{i}" for i in range(4, 10)]
    links = [("p0", "p1"), ("p1", "p6"), ("p4", "p7"), ("p7", "p8"), ("p2", "p3")]
    null = KinNull({("north",): north, ("south",): south}, links)
    composition = {("north",): 3, ("south",): 3}
    rng = np.random.default_rng(21)
    for min_group in (2, 3):
        whole = [[null.index[p] for p in a + b] for a in combinations(north, 3) for b in combinations(south, 3)]
        exact = np.bincount(null._statistic(np.array(whole), min_group), minlength=10) / len(whole)
        rows, people = null._draw_linked(rng, composition, 40_000, max(min_group, 2))
        drawn = np.bincount(null._groups_of(40_000, rows, people, min_group), minlength=10) / 40_000
        assert exact[min_group:].sum() > 0.2, "too few samples with a group to compare"
        spread = np.sqrt(exact * (1 - exact) / 40_000)
        assert np.all(np.abs(drawn - exact) <= 5 * spread + 1e-12), (min_group, exact, drawn)


def test_a_unit_hired_at_random_is_flagged_at_most_as_often_as_alpha():
    """Calibration: units whose staff are placed uniformly at random among the pool's people (who include
    families) give p <= 0.05 for about 5% of them or fewer, never much more."""
    rng = np.random.default_rng(12)
    people = [f"p{i:04d}" for i in range(400)]
    links = _families(people, [2, 3, 4, 6, 8] * 12)  # 276 of the 400 have relatives in the pool
    null = KinNull({("all",): people}, links)
    for min_group in (2, 3):
        rejected = tested = 0
        for unit in range(300):
            staff = rng.choice(people, size=int(rng.integers(10, 80)), replace=False).tolist()
            test = null.test({("all",): len(staff)}, staff, f"u{unit}", seed=3, max_draws=999, min_group=min_group)
            tested += test.observed > 0
            rejected += test.p_value <= 0.05
        assert tested >= 50, "too few units with a group to calibrate on"
        assert rejected / 300 <= 0.075, f"min_group={min_group}: {rejected} of 300 units hired at random rejected at 5%"


def _region_case(seed: int) -> str:
    """A region of 500 posts: a ministry of 300 and 40 offices of 5. Forty families of three are placed at
    random on its posts (one of them wholly in the ministry); four of the five staff of office 0 are one family."""
    import random

    rng = random.Random(seed)
    posts = [("o-ministry", f"pos-m{i}") for i in range(300)]
    posts += [(f"o-office{k}", f"pos-o{k}-{i}") for k in range(40) for i in range(5)]
    lines = ["id: region", "as_of: 2024-01-01", "sources: [{id: s, title: Staff list (fictional)}]", "organizations:",
             "  - {id: o-region, name: Region (fictional), region: R, sources: [s]}",
             "  - {id: o-ministry, name: Ministry, parent_id: o-region, sources: [s]}"]
    lines += [f"  - {{id: o-office{k}, name: Office {k}, parent_id: o-region, sources: [s]}}" for k in range(40)]
    lines += ["positions:"] + [f"  - {{id: {p}, title: Post, organization_id: {o}}}" for o, p in posts]
    family = ["pos-o0-0", "pos-o0-1", "pos-o0-2", "pos-o0-3"]
    ministry_family = ["pos-m0", "pos-m1", "pos-m2"]
    rest = [p for _, p in posts if p not in family + ministry_family]
    rng.shuffle(rest)
    order = family + ministry_family + rest  # person i holds order[i]
    lines += ["persons:"] + [f"  - {{id: p{i}, name: Person {i}}}" for i in range(len(order))]
    lines += ["tenures:"] + [f"  - {{id: t{i}, person_id: p{i}, position_id: {p}, start: 2020-01-01, sources: [s]}}"
                             for i, p in enumerate(order)]
    chains = [[0, 1, 2, 3], [4, 5, 6]] + [[7 + 3 * f, 8 + 3 * f, 9 + 3 * f] for f in range(39)]
    lines.append("relations:")
    lines += [f"  - {{id: r{a}-{b}, person_id: p{a}, relative_id: p{b}, kind: sibling, sources: [s]}}"
              for chain in chains for a, b in zip(chain, chain[1:])]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def region_findings(tmp_path_factory):
    from datetime import date

    from riskcheck.registry.load import load_case
    from riskcheck.rules.evaluation import evaluate_loaded
    from riskcheck.rules.loader import load_rules

    (rule,) = [r for r in load_rules(SIGNALS) if r.id == "family-cluster"]
    runs = []
    for name in ("a", "b"):
        root = tmp_path_factory.mktemp(name)
        (root / "region").mkdir()
        (root / "region" / "case.yaml").write_text(_region_case(7), encoding="utf-8")
        registry = load_case((root / "region").resolve(), root.resolve())
        runs.append(evaluate_loaded(rule, registry, date(2024, 1, 1), resolve_rule_params(rule)))
        registry.close()
    return runs


def resolve_rule_params(rule):
    from riskcheck.engine.evaluate import resolve_params

    return resolve_params(rule.compiled, {})


def test_a_large_unit_with_a_few_relatives_is_not_flagged_and_a_small_family_office_is(region_findings):
    found = {f.unit: f for f in region_findings[0]}
    assert set(found) == {"o-office0"}, "the ministry of 300 holds families by chance; the region is its own null"
    office = found["o-office0"]
    assert office.status == "flagged" and office.figures["group"] == 4 and office.figures["staff"] == 5
    assert office.figures["units_tested"] == 41  # the ministry and the 40 offices; not the region itself
    assert office.figures["expected"] < 0.5 and office.figures["p_adjusted"] <= 0.05
    words = " ".join(s.text for s in office.steps)
    assert "expected" in words and "random draws" in words and "corrected for the 41 units tested" in words


def test_the_same_region_gives_the_same_figures(region_findings):
    first, again = region_findings
    assert [(f.id, f.status, f.figures) for f in first] == [(f.id, f.status, f.figures) for f in again]


def test_units_tested_on_several_threads_give_the_figures_of_one(tmp_path, monkeypatch):
    """The units are tested at once on every core; each has its own seed, so the findings, in unit order, are
    those of a run on one thread, figure for figure."""
    from datetime import date

    import riskcheck.indicators.workers as workers
    from riskcheck.registry.load import load_case
    from riskcheck.rules.evaluation import evaluate_loaded
    from riskcheck.rules.loader import load_rules

    (tmp_path / "region").mkdir()
    (tmp_path / "region" / "case.yaml").write_text(_region_case(3), encoding="utf-8")
    runs = []
    for threads in (1, 3):
        monkeypatch.setattr(workers, "workers", lambda threads=threads: threads)
        found = []
        for case, root in ((tmp_path / "region", tmp_path), (EXAMPLE, CASES)):
            registry = load_case(case.resolve(), root.resolve())
            for rule in load_rules(SIGNALS):
                params = resolve_rule_params(rule) | {"correction": "none"}
                found += [(f.id, f.status, f.figures) for f in
                          evaluate_loaded(rule, registry, date(2024, 1, 1), params)]
            registry.close()
        runs.append(found)
    assert len(runs[0]) >= 3, "too few findings to compare"
    assert runs[0] == runs[1]


def test_a_setting_that_would_draw_for_ever_is_refused_naming_the_rule(tmp_path, runner):
    result = runner.invoke(main, ["run", str(EXAMPLE), "--out", str(tmp_path),
                                  "--param", "family-cluster.alpha=1e-300"])
    assert "family-cluster" in result.output and "10,000,000" in result.output and "alpha" in result.output
    assert not (tmp_path / EXAMPLE.name / "findings.json").exists()
