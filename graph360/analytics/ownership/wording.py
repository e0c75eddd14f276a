"""The small words the audit's advice and its report share: counts, amounts, lists of owners."""

from __future__ import annotations


def amount(value: float) -> str:
    """Money as the audit writes it: two decimals, thousands separated, no currency."""
    return f"{value:,.2f}"


def and_list(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def all_or_both(owners: list[str]) -> str:
    """How many owners "own it": both of two, else all."""
    return "both" if len(owners) == 2 else "all"


def plural(n: int, word: str) -> str:
    """A count with its noun, plural unless one: ``1 customer``, ``1,204 customers``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")
