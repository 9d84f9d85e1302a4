"""`riskcheck serve`: the reports as a local web app where reviewers record decisions on findings."""
