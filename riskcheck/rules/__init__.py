"""Rules: loading rule files with precise errors, evaluating them over a case (with what-if and the case's
jurisdictions), and running their inline tests. The grammar of rule files is riskcheck.grammar."""
