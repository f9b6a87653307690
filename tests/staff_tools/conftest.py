"""Fixtures for the staff tools: see helpers.py."""

from tests.staff_tools.helpers import ledger  # noqa: F401 - a fixture, used by name
