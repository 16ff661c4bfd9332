"""Orchestration: Prefect deployments of load tasks and the local stack (``ingestflow up``)."""
