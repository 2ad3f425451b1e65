"""How results look on a terminal: virsh's tables, ``Key:  value`` blocks and sizes.

Tables follow virsh's ``vshTable`` (tools/vsh-table.c): every cell is a space and its
text, columns are padded to their widest cell plus two spaces (the last one is not
padded), and the header is followed by a dashed rule as long as the sum of each column's
width plus three. ``-q`` drops the header and the rule, as ``virsh -q`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["block", "size", "table", "yes_no"]

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, quiet: bool = False
          ) -> str:
    """Return the rows as virsh prints a table (no header and rule with ``quiet``).

    Not quiet, the table ends with an empty line, as virsh's do.
    """
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [] if quiet else [_row(header, widths), "-" * sum(w + 3 for w in widths)]
    lines += [_row(row, widths) for row in rows]
    return "\n".join(lines) + ("\n" if lines else "") + ("" if quiet else "\n")


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    last = len(cells) - 1
    return "".join(f" {cell}" + ("" if i == last else " " * (widths[i] - len(cell) + 2))
                   for i, cell in enumerate(map(str, cells)))


def block(pairs: Sequence[tuple[str, object]], *, width: int = 15) -> str:
    """Return ``Key:  value`` lines as virsh's ``%-15s %s`` (net-info, pool-info)."""
    return "".join(f"{key + ':':<{width}} {value}\n" for key, value in pairs)


def yes_no(value: object) -> str:
    """virsh's spelling of a boolean."""
    return "yes" if value else "no"


def size(value: object) -> str:
    """A byte count as virsh's ``vshPrettyCapacity`` prints it (``64.00 MiB``)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "-"
    number, unit = float(value), 0
    while number >= 1024 and unit < len(_UNITS) - 1:
        number, unit = number / 1024, unit + 1
    return f"{number:.2f} {_UNITS[unit]}"
