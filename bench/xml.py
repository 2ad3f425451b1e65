"""Hostile XML: what a 10 MiB definition built to be expensive costs corral to refuse.

Every document is as large as the 10 MiB cap allows and shaped to hurt one stage: a root
with as many attributes as fit, as many DHCP hosts as fit, millions of empty elements,
nesting past libxml2's depth limit. Each is loaded the way ``corral validate`` loads a
``<network>`` (parse, count limits, RelaxNG, explainer, builder) and the time is set
against the parse alone, measured in the same run: the target is that refusing costs at
most a few parses, however the document is built. Two rows lift the count limits on the
issue's own 64k cases, to show what the limits save (libxml2's validation) and that the
explainer itself is linear. Run on its own with ``python bench/xml.py`` or through
``bench/run.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable

from table import ms, ratio, render
from timing import MIB, timed_rounds

TARGET = 4.0  # a hostile document's whole load / parsing the same bytes
CAP = 10 * MIB
INFORMATIVE = ("largest accepted", "64k")  # rows left out of the target


def _fill(head: str, item: Callable[[int], str], tail: str, size: int = CAP - 64) -> bytes:
    """``head`` + as many ``item(i)`` as fit under ``size`` bytes + ``tail``."""
    parts, used, index = [head], len(head) + len(tail), 0
    while True:
        piece = item(index)
        if used + len(piece) > size:
            break
        parts.append(piece)
        used += len(piece)
        index += 1
    parts.append(tail)
    return "".join(parts).encode()


def _host(index: int) -> str:
    a, b, c = index >> 16 & 255, index >> 8 & 255, index & 255
    return f"<host mac='52:54:00:{a:02x}:{b:02x}:{c:02x}' ip='10.{a}.{b}.{c}'/>\n"


def _hosts(count: int) -> bytes:
    body = "".join(_host(i) for i in range(count))
    return ("<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>\n"
            f"{body}</dhcp></ip></network>").encode()


def _attributes(count: int) -> bytes:
    return ("<network " + " ".join(f"a{i}='x'" for i in range(count)) +
            "><name>n</name></network>").encode()


def documents() -> dict[str, bytes]:
    """The hostile documents, each just under the cap."""
    return {
        # One start tag of 10 MB is over libxml2's own node limit (10,000,000 bytes), which
        # would refuse it at parse time: this one is just under.
        "attributes on the root": _fill("<network", lambda i: f" a{i}='x'", "/>", 9_990_000),
        "DHCP hosts": _fill("<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>\n",
                            _host, "</dhcp></ip></network>"),
        "empty elements": _fill("<network>", lambda i: "<a/>", "</network>"),
        "nesting past the depth limit": _fill("", lambda i: "<a>", ""),
    }


def _outcome(load: Callable[[], object]) -> str:
    from corral.core import CorralError

    try:
        load()
    except CorralError as exc:
        rule = str(exc.detail.get("rule") or exc)
        return rule if len(rule) <= 60 else rule[:57] + "..."
    return "accepted"


def measure(rounds: int) -> list[list[str]]:
    """One row per hostile document: size, parse, whole load, ratio, what was said."""
    from corral.core.xml import MAX_ELEMENTS, load_schema, parse_xml
    from corral.drivers.network.conf import NETWORK

    rows = []
    for name, data in documents().items():
        def parse(data: bytes = data) -> None:
            try:
                parse_xml(data)
            except Exception:  # noqa: BLE001, S110 - a refusal still costs what it costs
                pass

        def load(data: bytes = data) -> object:
            return NETWORK.parse(data)

        said = _outcome(load)
        parse_s, load_s = map(statistics.median, timed_rounds([parse, lambda: _outcome(load)],
                                                              rounds))
        rows.append([name, f"{len(data) / MIB:.2f}", ms(parse_s), ms(load_s),
                     ratio(load_s, parse_s), said])
    # Not hostile, so not in the target: the largest network the limits accept, and the
    # issue's own cases with the limits lifted (what the limits save).
    schema = load_schema(NETWORK.schema)
    largest = MAX_ELEMENTS - 4  # <network>, <name>, <ip>, <dhcp>
    for name, data, lift in (
        (f"largest accepted: {largest} DHCP hosts", _hosts(largest), {}),
        ("64k attributes, limits lifted", _attributes(65536), {"max_attributes": 10**6}),
        ("64k DHCP hosts, limits lifted", _hosts(65536), {"max_elements": 10**6}),
    ):
        tree = parse_xml(data)
        parse_s = statistics.median(timed_rounds([lambda data=data: parse_xml(data)], rounds)[0])
        validate_s = statistics.median(timed_rounds(
            [lambda tree=tree, lift=lift: _outcome(lambda: schema.validate(tree, **lift))], 1)[0])
        said = _outcome(lambda tree=tree, lift=lift: schema.validate(tree, **lift))
        rows.append([name, f"{len(data) / MIB:.2f}", ms(parse_s), ms(validate_s),
                     ratio(validate_s, parse_s), said])
    return rows


def report(rows: list[list[str]]) -> str:
    """The table and the verdict, as text."""
    headers = ["document", "MiB", "parse ms", "load ms", "load / parse", "outcome"]
    hostile = [row for row in rows if not row[0].startswith(INFORMATIVE)]
    worst = max(float(row[4].rstrip("×")) for row in hostile)
    verdict = (f"{'PASS' if worst <= TARGET else 'FAIL'} (worst {worst:.2f}× a parse of the "
               f"same bytes; target ≤ {TARGET}×)")
    return (f"Hostile XML under the 10 MiB cap (median of the rounds)\n"
            f"{render(headers, rows)}\nhostile XML target: {verdict}")


def main(argv: list[str] | None = None) -> int:
    """Measure and print; exit 1 with ``--strict`` when the target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per document (5)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target fails")
    args = parser.parse_args(argv)
    text = report(measure(args.rounds))
    print(text)
    return 1 if args.strict and "hostile XML target: PASS" not in text else 0


if __name__ == "__main__":
    sys.exit(main())
