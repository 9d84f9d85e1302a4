"""Unit indicators: the permutation null is right, the run is reproducible, the report accuses no one, and a
rule author's mistakes are named by file, line and field."""

import json
from math import comb

import numpy as np
import pytest

from riskcheck.cli import main
from riskcheck.errors import ProblemError
from riskcheck.indicators.null import SurnameNull, _sample, curtailed_stop, draws_needed
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


def test_a_bad_override_on_the_command_line_names_the_setting(tmp_path, runner):
    result = runner.invoke(main, ["run", str(EXAMPLE), "--out", str(tmp_path),
                                  "--param", "surname-clustering.strata=position.colour"])
    assert result.exit_code != 0
    assert "strata" in result.output and "position.colour" in result.output
