"""Shared helpers: the repository's paths, a writer for small case folders, and the CLI runner."""

from __future__ import annotations

import socket
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules" / "kz"  # the Kazakh pack, which most tests exercise
ALL_RULES = REPO / "rules"  # every shipped pack
CASES = REPO / "cases"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def shipped_reports(tmp_path_factory) -> Path:
    """`riskcheck run cases/` (each case by its own pack), run once for the whole session since several test
    files read it: read it, never write into it (copy it first)."""
    from riskcheck.cli import main

    out = tmp_path_factory.mktemp("shipped") / "reports"
    result = CliRunner().invoke(main, ["run", str(CASES), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


# A shipped case per language riskcheck writes besides English, run with --lang (tests/test_pages_languages.py
# and tests/test_browser_languages.py read them): the page's lang attribute -> (case, --lang).
LANGUAGE_RUNS = {"ru": ("imanaliev-appointment", "ru"), "kk": ("imanaliev-appointment", "kk"),
                 "uk": ("fictional-ua-close-persons", "uk"), "pt-BR": ("fictional-br-cross-appointments", "pt"),
                 "uz-Latn": ("fictional-uz-agency-relatives", "uz")}


@pytest.fixture(scope="session")
def language_reports(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Each of LANGUAGE_RUNS written as a large case is (an index, a page per person, the names page: the
    shipped cases are small, so the threshold is lowered for these runs), with what the run printed."""
    import riskcheck.report.render as render
    from riskcheck.cli import main

    out: dict[str, tuple[Path, str]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render, "MAX_FINDINGS_ON_ONE_PAGE", 0)
        for tag, (case, lang) in LANGUAGE_RUNS.items():
            folder = tmp_path_factory.mktemp(f"pages-{lang}") / "out"
            result = CliRunner().invoke(main, ["run", str(CASES / case), "--out", str(folder), "--lang", lang])
            assert result.exit_code == 0, result.output
            out[tag] = folder, result.output
    return out


@pytest.fixture(scope="session")
def checked_cases(tmp_path_factory):
    """The shipped cases checked once for the session with the Kazakh pack, as `riskcheck serve` checks them
    (about ten seconds), and the rules by id. The app only reads them, so a test serves them over its own copy
    of the cases folder and its own decision log (`served_app`)."""
    import shutil

    from riskcheck.rules.loader import load_rules
    from riskcheck.pipeline import check_cases

    root = tmp_path_factory.mktemp("checked") / "cases"
    shutil.copytree(CASES, root)
    rules = load_rules(RULES)
    return check_cases(root, rules, None), {r.id: r.rule for r in rules}


def served_app(root: Path, checked, **options):
    """`riskcheck serve`'s app over the checked cases, keeping its decisions in `root`'s log."""
    import copy

    from riskcheck.review.events import reviews_path
    from riskcheck.serve.app import make_app

    views, rules = checked
    return make_app(copy.deepcopy(views), reviews_path(root), rules, **options)



def free_port() -> int:
    """A local port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app) -> Iterator[str]:
    """The desk's app served on a free local port in a thread, for a browser to visit; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)

@pytest.fixture
def write_case(tmp_path):
    """write_case("case-id", {"case.yaml": "...", "tenures.yaml": "..."}) -> the cases folder."""

    def write(case_id: str, files: dict[str, str], root: Path | None = None) -> Path:
        root = root or tmp_path / "cases"
        folder = root / case_id
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return write


MINIMAL_CASE = """\
id: {id}
title: A small case
as_of: 2024-01-01
jurisdiction: KZ
persons:
  - {{id: p-son, name: {son}}}
  - {{id: p-father, name: Father}}
organizations: [{{id: o-min, name: Ministry}}]
positions: [{{id: pos-head, title: Head, organization_id: o-min}}]
tenures: [{{id: t-son, person_id: p-son, position_id: pos-head, start: 2022-03-01}}]
relations: [{{id: r1, person_id: p-son, relative_id: p-father, kind: parent, sources: [s1]}}]
verdicts:
  - {{id: v1, person_id: p-father, offence: bribery, category: corruption, outcome: convicted,
     in_force_date: 2021-07-01, sources: [s1]}}
sources:
  - {{id: s1, title: Court register, url: "{url}"}}
"""


def synthetic_registry(tmp_path_factory, persons: int, seed: int = 5) -> Path:
    """`riskcheck synth`'s registry of this many persons, in a folder of the session's (for a module's fixture)."""
    from riskcheck.cli import main

    root = tmp_path_factory.mktemp(f"synth-{persons}") / "registry"
    result = CliRunner().invoke(main, ["synth", str(root), "--persons", str(persons), "--seed", str(seed)])
    assert result.exit_code == 0, result.output
    return root


def minimal_case(case_id: str = "small", son: str = "Son", url: str = "https://example.org/x") -> str:
    return MINIMAL_CASE.format(id=case_id, son=son, url=url)
