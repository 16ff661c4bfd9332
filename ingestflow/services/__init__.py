"""Application services shared by the API and the CLI (above flows and orchestration)."""
