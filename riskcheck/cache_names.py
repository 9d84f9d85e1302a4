"""Where a run keeps its cache (riskcheck.reuse), named where the command line can read it without importing the
cache's code: `riskcheck run` looks there before it starts reading a case (riskcheck.registry.read_ahead)."""

# Inside the output folder unless --cache names another; a case's folder in it is named by the case's id
# (riskcheck.reuse.CaseCache.case_dir).
CACHE_NAME = ".riskcheck-cache"
