"""Test support: servers, ports, the live stack, corpora (used by tests and benchmarks, never by ingestflow)."""
