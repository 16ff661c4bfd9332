"""The metadata catalog (SQLAlchemy 2.0)."""
