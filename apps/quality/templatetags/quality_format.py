"""Figures as the quality page prints them: NaN (nothing to measure) shows as a dash."""

import math

from django import template

register = template.Library()
DASH = "\u2013"  # an en dash


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


@register.filter
def pct(value, digits: int = 0) -> str:
    """0.125 -> "12.5%" with `digits` decimals."""
    return DASH if _missing(value) else f"{value * 100:.{int(digits)}f}%"


@register.filter
def num(value, digits: int = 2) -> str:
    return DASH if _missing(value) else f"{value:.{int(digits)}f}"


@register.filter
def interval(estimate, kind: str = "num") -> str:
    """An Estimate's 95% interval as "[low, high]" (`kind` "pct" for percentages)."""
    if _missing(estimate.low) or _missing(estimate.high):
        return ""
    show = (lambda v: pct(v, 1)) if kind == "pct" else (lambda v: num(v, 2))
    return f"[{show(estimate.low)}, {show(estimate.high)}]"


@register.filter
def sort_key(value) -> str:
    """A data-sort value for the table script: numbers as they are, NaN last."""
    return "" if _missing(value) else f"{value}"
