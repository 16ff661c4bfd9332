"""The ingestflow command line (``ingestflow …``)."""
