"""The weights of one appraisal's items on one scale that sums to 100.

Files write weights as fractions (0.4), percents (40%), bare percent points ("40"), and nest them: a
category carries a share of the whole (业绩 50%) and its items share the category (0.4/0.2/0.2/0.2). The
rule, a pure function of the items:

1. Each level (the categories, and the items inside one category, or all items when there are no
   categories) is read on one scale: a value written with % is percent points; when every value of the
   level written without % is at most 1, those are fractions (×100); otherwise they are points.
2. Nested: an item's weight is its category's share × its share within the category / 100. Items are
   nested when every category's items add up to 100 on their own; they are already flat when all items
   add up to 100 and each category's items add up to that category's weight.
3. A sum within ``TOLERANCE`` points of 100 is rounding and is scaled to exactly 100; anything further
   off is inconsistent: it is reported with the sum found and the weights are kept as written, never
   rescaled.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

TOLERANCE = 0.5  # percent points: 99.6 … 100.4 is rounding; 98 or 102 is an error in the file


@dataclass(frozen=True)
class WeightIn:
    """One item as the file writes it: its weight and, when the file nests weights, its category and
    the category's weight (the same on every item of the category)."""

    weight: object
    category: str | None = None
    category_weight: object = None


@dataclass(frozen=True)
class Weights:
    """The resolved weights in percent points, in the order of the items (None where an item has no
    weight), whether they add up to 100, the sum found before any rounding fix, and what is wrong
    (a Chinese sentence) when they do not."""

    weights: tuple[float | None, ...]
    consistent: bool
    total: float | None
    problem: str | None = None


@dataclass(frozen=True)
class _Number:
    value: float
    percent: bool


_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(%?)$")


def _number(raw: object) -> _Number | None:
    """0.4, '0.4', '40%', '４０％', '40' → a number and whether it was written with %; None when blank."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return None if math.isnan(raw) else _Number(float(raw), False)
    s = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "")
    if not s:
        return None
    m = _NUMBER.match(s)
    if not m:
        return None
    return _Number(float(m.group(1)), m.group(2) == "%")


def on_one_scale(raws: Sequence[object]) -> list[float | None]:
    """One level's weights in percent points (rule 1)."""
    numbers = [_number(r) for r in raws]
    bare = [n.value for n in numbers if n is not None and not n.percent]
    fractions = bool(bare) and max(bare) <= 1.0
    return [None if n is None else n.value if n.percent else n.value * 100 if fractions else n.value for n in numbers]


def _near_100(total: float) -> bool:
    return abs(total - 100) <= TOLERANCE


def _rounded(weights: list[float | None]) -> tuple[float | None, ...]:
    """Weights whose sum is within the tolerance, scaled to exactly 100."""
    total = sum(w for w in weights if w is not None)
    if total == 0:
        return tuple(weights)
    return tuple(None if w is None else w * 100 / total for w in weights)


def resolve_weights(items: Sequence[WeightIn]) -> Weights:
    """The items' weights on one scale summing to 100 (see the module docstring for the rule)."""
    if not items:
        return Weights((), True, None)
    if all(i.category_weight is None or _number(i.category_weight) is None for i in items):
        flat = on_one_scale([i.weight for i in items])
        return _judged(flat)
    return _nested(items)


def _judged(weights: list[float | None]) -> Weights:
    present = [w for w in weights if w is not None]
    if not present:
        return Weights(tuple(weights), False, None, "各项都没有写权重")
    total = sum(present)
    if len(present) == len(weights) and _near_100(total):
        return Weights(_rounded(weights), True, total)
    if len(present) < len(weights):
        return Weights(tuple(weights), False, total, f"有 {len(weights) - len(present)} 项没有写权重")
    return Weights(tuple(weights), False, total, f"各项权重合计为 {total:g}%，不是 100%")


def _nested(items: Sequence[WeightIn]) -> Weights:
    order: list[str] = []
    shares: dict[str, object] = {}
    for i in items:
        cat = i.category or ""
        if cat not in shares:
            order.append(cat)
            shares[cat] = i.category_weight
        elif _number(shares[cat]) is None:
            shares[cat] = i.category_weight
    cat_pp = dict(zip(order, on_one_scale([shares[c] for c in order]), strict=True))
    if any(v is None for v in cat_pp.values()):
        missing = "、".join(c or "（未写类别）" for c, v in cat_pp.items() if v is None)
        return Weights(tuple(on_one_scale([i.weight for i in items])), False, None, f"类别「{missing}」没有写权重")
    cat_total = sum(v for v in cat_pp.values() if v is not None)
    by_cat: dict[str, list[int]] = {c: [] for c in order}
    for k, i in enumerate(items):
        by_cat[i.category or ""].append(k)
    # within each category on its own scale (a category may write 0.4/0.6 while another writes 50%/50%)
    inner: list[float | None] = [None] * len(items)
    for idx in by_cat.values():
        for k, w in zip(idx, on_one_scale([items[k].weight for k in idx]), strict=True):
            inner[k] = w
    if any(w is None for w in inner):
        n = sum(w is None for w in inner)
        return Weights(tuple(inner), False, None, f"有 {n} 项没有写权重")
    sums = {c: sum(inner[k] or 0.0 for k in idx) for c, idx in by_cat.items()}
    if not _near_100(cat_total):
        return Weights(tuple(inner), False, cat_total, f"各类别权重合计为 {cat_total:g}%，不是 100%")
    if all(_near_100(s) for s in sums.values()):
        nested: list[float | None] = [
            cat_pp[items[k].category or ""] * (inner[k] or 0.0) / sums[items[k].category or ""]
            for k in range(len(items))
        ]
        total = sum(w or 0.0 for w in nested)
        return Weights(_rounded(nested), True, total)
    flat = on_one_scale([i.weight for i in items])
    flat_total = sum(w or 0.0 for w in flat)
    by_share = all(abs(sum(flat[k] or 0.0 for k in idx) - (cat_pp[c] or 0.0)) <= TOLERANCE for c, idx in by_cat.items())
    if _near_100(flat_total) and by_share:
        return Weights(_rounded(flat), True, flat_total)
    bad = next(c for c, s in sums.items() if not _near_100(s))
    return Weights(
        tuple(inner),
        False,
        sums[bad],
        f"类别「{bad or '（未写类别）'}」内各项权重合计为 {sums[bad]:g}%，既不是 100%，也不等于该类别的权重",
    )
