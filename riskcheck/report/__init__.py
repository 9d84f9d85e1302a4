"""Reports: findings.json per the contract, and self-contained HTML pages a journalist can read and print."""
