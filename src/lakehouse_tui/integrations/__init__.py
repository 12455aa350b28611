"""Plain synchronous clients for external systems (Airbyte, OpenLineage)."""
