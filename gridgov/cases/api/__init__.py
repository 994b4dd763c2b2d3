"""The cases API (``/api/v1/cases/`` …)."""
