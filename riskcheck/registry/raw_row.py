"""A record as written, before the store: the one type the YAML and workbook readers and the CSV fallback share.

In a module of its own so that the readers (reader.py, workbook.py) and the store's loaders import it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RawRow:
    """One record as written: field -> text, list of texts, or None."""

    file: str
    line: int
    values: dict[str, str | list[str] | None]
    field_lines: dict[str, int]
    by_row: bool = False  # a spreadsheet row (problems say "row N"), not a YAML line
