"""The engine: rule conditions compiled to set-oriented SQL over the store, and findings with evidence."""
