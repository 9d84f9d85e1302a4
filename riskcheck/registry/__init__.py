"""The registry: the data contract as a schema, partial dates, case discovery and loading into a store."""
