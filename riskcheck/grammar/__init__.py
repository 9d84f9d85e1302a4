"""The rule file grammar: the rule model, kinship relations, and the words of findings (statuses, severities).

It sits below the engine and the indicators, which compile and judge rules written in it, and above the
registry, whose dates and schema it reads; riskcheck.rules loads rule files into it."""
