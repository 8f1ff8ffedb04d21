"""Exact arithmetic for outcome scores: checked inputs and half-up rounding to 2 decimals.

SPEC §5: all arithmetic in exact decimals; every non-integer result is rounded to
2 decimals, half up (ties away from zero). Values are kept as ``Fraction`` while they
are computed, so no intermediate step rounds, and turned into a ``Decimal`` with
exactly two places only at the end.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from spinestep.errors import InvalidInput

Exact = int | Fraction | Decimal
"""A number that carries no binary rounding error."""

_CENTS = Fraction(100)


def round_half_up_2dp(value: Exact) -> Decimal:
    """Round an exact value to 2 decimals, ties away from zero (35.555… → 35.56, 1.005 → 1.01)."""
    scaled = Fraction(value) * _CENTS
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    cents = -magnitude if scaled < 0 else magnitude
    return Decimal(cents).scaleb(-2)


def check_int(value: object, low: int, high: int, path: str, *, nullable: bool = False) -> int:
    """Return ``value`` if it is a true integer (not a bool) within ``low``..``high``."""
    if type(value) is int and low <= value <= high:
        return value
    or_null = " or null" if nullable else ""
    raise InvalidInput(path, f"must be an integer {low}-{high}{or_null}")


def check_number(value: object, low: int, high: int, path: str) -> Decimal:
    """Return ``value`` as an exact ``Decimal`` if it is a finite number within ``low``..``high``.

    Accepts ``int``, ``Decimal`` and ``float`` (not ``bool``). A float is read through its
    shortest decimal form (``repr``), so ``33.3`` means 33.3 and not the binary neighbour.
    """
    number: Decimal | None = None
    if type(value) is int:
        number = Decimal(value)
    elif isinstance(value, float) and math.isfinite(value):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal) and value.is_finite():
        number = value
    if number is None or not low <= number <= high:
        raise InvalidInput(path, f"must be a number {low}-{high}")
    return number


def decimal_to_json(value: Decimal) -> float:
    """A 2-decimal ``Decimal`` as a JSON number (``Decimal('4.00')`` → ``4.0``)."""
    return float(value)
