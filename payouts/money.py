"""Showing amounts of money and multipliers. ``format_money`` lives in core.money, since
tickets shows money too; it is re-exported here for payouts' own callers."""

from __future__ import annotations

from core.money import format_money

__all__ = ["format_money", "format_multiplier"]


def format_multiplier(pct: int) -> str:
    """A multiplier stored in percent, as people read it: ``150`` → ``"1.5"``, ``200`` →
    ``"2"``; integer arithmetic, no float."""
    return f"{pct // 100}.{pct % 100:02d}".rstrip("0").rstrip(".")
