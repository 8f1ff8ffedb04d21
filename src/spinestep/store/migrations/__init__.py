"""Alembic migrations of the spinestep schema, shipped inside the package."""
