"""The memory and disk a store may use: one place for the limits every connection is opened with.

Set once here so a national registry stays within a laptop and a runaway rule stops with a message
instead of filling the disk (docs/design.md, "Limits").
"""

# DuckDB spills to disk beyond this, so a national registry stays within a laptop's memory.
MEMORY_LIMIT = "2500MB"
# And spills no more than this: a rule that joins records without a link between them fails with a
# message naming it instead of filling the disk.
SPILL_LIMIT = "8GB"
