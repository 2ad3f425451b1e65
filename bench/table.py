"""Plain-text tables for the benchmark reports (Markdown-compatible, so they paste into docs)."""

from __future__ import annotations

from collections.abc import Sequence


def render(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Lay out ``rows`` under ``headers`` as a Markdown table with padded columns."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def ms(seconds: float | None) -> str:
    """Seconds as milliseconds with three significant decimals, or "n/a"."""
    return "n/a" if seconds is None else f"{seconds * 1000:.3f}"


def ratio(numerator: float | None, denominator: float | None) -> str:
    """A ratio as ``1.23×``, or "n/a" when either side is missing."""
    if numerator is None or not denominator:
        return "n/a"
    return f"{numerator / denominator:.2f}×"
