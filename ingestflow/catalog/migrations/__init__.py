"""Alembic migrations of the catalog (see catalog/db.py)."""
