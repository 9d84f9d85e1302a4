"""Rules: the grammar of rule files, loading them with precise errors, and running their inline tests."""
