"""The one error the command line turns into a single line for the operator."""

from __future__ import annotations


class AdminError(ValueError):
    """An admin request that cannot be done; the message tells the operator why."""
