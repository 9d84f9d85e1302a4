"""How fast `riskcheck serve` starts and answers on a national-size case: prints figures, asserts nothing.

First how long the app takes to have its cases: checking every case (cold) against reading the last run's
results from its cache (bench/reuse.py measures both on a national registry).

The shipped cases are checked, then one case's findings are repeated under new ids to N findings (the
issue's national case has about 15,000), with a decision recorded on every tenth. Every listing page is
fetched unfiltered and under each filter, and each finding page of a sample; the slowest and the median
are printed.

    python bench/serve.py                 # 15,000 findings
    python bench/serve.py --findings 50000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from riskcheck.review.decisions import DecisionLog  # noqa: E402
from riskcheck.review.events import reviews_path  # noqa: E402
from riskcheck.rules.loader import load_rules  # noqa: E402
from riskcheck.rules.shipped import shipped_rules_dir  # noqa: E402
from riskcheck.serve.app import make_app  # noqa: E402
from riskcheck.pipeline import cached_views, check_cases, run_cases  # noqa: E402
from riskcheck.results import RunOptions  # noqa: E402
from riskcheck.reuse import CaseCache  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--findings", type=int, default=15_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cases"
        shutil.copytree(REPO / "cases", root)
        rules = load_rules(shipped_rules_dir())
        start = time.perf_counter()
        views = check_cases(root, rules, None)
        cold = time.perf_counter() - start
        cache = Path(tmp) / "cache"
        run_cases(root, rules, RunOptions(), cache=CaseCache(cache))
        start = time.perf_counter()
        cached, stale, missing = cached_views(root, rules, None, True, CaseCache(cache))
        warm = time.perf_counter() - start
        print(f"serve start, {len(views)} shipped cases: cold {cold:.1f} s (checks every case), from the last run's "
              f"results {warm:.2f} s ({len(cached)} read, {len(stale)} out of date, {len(missing)} to check)")
        view = views["imanaliev-appointment"]
        base = view.result.findings
        view.result.findings = [replace(base[i % len(base)], id=f"{base[i % len(base)].id}-{i:06d}")
                                for i in range(args.findings)]
        with DecisionLog(reviews_path(root)) as log:
            for f in view.result.findings[::10]:
                log.record(view.id, f.to_json(), "unsure", "bench")
        client = TestClient(make_app(views, reviews_path(root), {r.id: r.rule for r in rules}),
                            base_url="http://127.0.0.1")
        pages = args.findings // 50
        queries = [f"?page={p}" for p in (1, pages // 2, pages)] + ["?review=unsure", "?review=open&page=2",
                                                                   "?status=undetermined&page=100", "?q=imanaliev"]
        timings = {}
        for query in queries:
            start = time.perf_counter()
            assert client.get(f"/cases/{view.id}/{query}").status_code == 200
            timings[query] = 1000 * (time.perf_counter() - start)
        finding_times = []
        for f in view.result.findings[:: max(1, args.findings // 20)]:
            start = time.perf_counter()
            assert client.get(f"/cases/{view.id}/findings/{f.id}").status_code == 200
            finding_times.append(1000 * (time.perf_counter() - start))
        index_start = time.perf_counter()
        client.get("/")
        index_ms = 1000 * (time.perf_counter() - index_start)
    print(f"{args.findings:,} findings, {args.findings // 10:,} decided")
    for query, ms in timings.items():
        print(f"  listing {query:<32} {ms:7.1f} ms")
    print(f"  finding pages (x{len(finding_times)}): median {statistics.median(finding_times):.1f} ms, "
          f"slowest {max(finding_times):.1f} ms")
    print(f"  index of cases: {index_ms:.1f} ms")


if __name__ == "__main__":
    main()
