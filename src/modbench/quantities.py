"""Numbers as a person reads them: an SI prefix and the unit, four significant digits.

Tables on a terminal or a page show ``14.65 M`` MACs, ``904.9 µs`` and ``56.1 KiB`` rather than
``14,651,400``, ``9.049e-04`` and ``57447``: one scale per number, no exponent form. JSON and CSV
keep the exact values. Bytes use binary prefixes (KiB = 1024 B), as allocators count them.
"""

from __future__ import annotations

import math

_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_TIME_FROM_MS = ((1e3, "s"), (1.0, "ms"), (1e-3, "µs"), (1e-6, "ns"))
_BYTES = ((2.0**40, "TiB"), (2.0**30, "GiB"), (2.0**20, "MiB"), (2.0**10, "KiB"))
_RATE_SUFFIX = {"samples/s": "/s"}


def format_quantity(value: float, unit: str) -> str:
    """``value`` (in ``unit``: ``ms``, ``s``, ``bytes``, a rate or a count) with its prefix and unit."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return {"ms": "0 ms", "s": "0 s", "bytes": "0 B"}.get(unit, "0" + _RATE_SUFFIX.get(unit, ""))
    if unit in ("ms", "s"):
        return _scaled(value * (1e3 if unit == "s" else 1.0), _TIME_FROM_MS, "", fallback="ns", floor=1e-6)
    if unit == "bytes":
        return _scaled(value, _BYTES, "", fallback="B", floor=1.0)
    suffix = _RATE_SUFFIX.get(unit, f" {unit}" if "/" in unit else "")
    if isinstance(value, int) and abs(value) < 1000:
        return f"{value}{suffix}"
    return _scaled(value, _SI, suffix, fallback="", floor=1.0)


def _scaled(value: float, scales: tuple[tuple[float, str], ...], suffix: str, fallback: str, floor: float) -> str:
    """``value`` divided by the largest scale it reaches (``floor`` and ``fallback`` below them all)."""
    magnitude = abs(value)
    for divisor, prefix in scales:
        if magnitude >= divisor * 0.99995:  # 999.96 ms rounds to 1000 at 4 digits: call it 1 s
            return _join(value / divisor, prefix, suffix)
    return _join(value / floor, fallback, suffix)


def _join(number: float, prefix: str, suffix: str) -> str:
    text = f"{number:.4g}"
    if "e" in text:  # only below the smallest scale: a time under a picosecond, a fraction of a byte
        text = f"{number:.2e}"
    unit = f"{prefix}{suffix}".strip()
    if not unit:
        return text
    return f"{text} {unit}" if not unit.startswith("/") else f"{text}{unit}"
