"""riskcheck: rule-based integrity and nepotism-risk checks over appointment registries."""

__version__ = "0.1.0"
