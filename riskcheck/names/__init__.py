"""Person names across scripts and spellings.

skeleton.py turns words into Latin skeletons; parse.py reads a name into its parts; compare.py scores
two names with a reason per part; resolve.py links the records of one person and hints at relatives.
Nothing here knows about the store: riskcheck/registry/identity.py applies the results to a case.
"""
