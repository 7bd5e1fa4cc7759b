"""Factories for this app's scoped models (tests/factories.for_model finds them here)."""
