"""Errors of the staff tools, in words staff use."""

from __future__ import annotations


class AdminError(ValueError):
    """Something staff asked for that cannot be done; the message says why, in words staff use."""
