"""The ingestflow HTTP API (seed 002): connectors, volumes, load tasks."""
