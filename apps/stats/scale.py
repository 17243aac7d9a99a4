"""The rating scales agreement is measured on, and the checks every rating array goes through.

Ratings come as parallel int arrays: `item` (pair index 0..n-1), `rater` (annotator index) and
`value` (a category code); a missing rating is an absent row, and each (item, rater) appears at
most once.
"""

from typing import Literal

import numpy as np
import numpy.typing as npt

# The signed eight-point scale in the frame every rater shares (samples A and B, not screen
# sides): +s when A was chosen, -s when B was, s = 4 significantly better ... 1 negligibly/unsure.
SIGNED_SCALE = np.array([-4, -3, -2, -1, 1, 2, 3, 4])
STRENGTH_LEVELS = {
    "significantly_better": 4,
    "better": 3,
    "slightly_better": 2,
    "negligibly_better_or_unsure": 1,
}
WeightKind = Literal["identity", "ordinal", "linear", "quadratic"]


def signed_scale_codes(*, chose_a: npt.ArrayLike, strength_level: npt.ArrayLike) -> np.ndarray:
    """Codes on the signed eight-point scale from the side chosen (A or B) and levels 1..4."""
    chose_a = np.asarray(chose_a, dtype=bool)
    level = np.asarray(strength_level)
    if chose_a.shape != level.shape:
        raise ValueError("chose_a and strength_level must have the same shape")
    if level.size and (
        not np.issubdtype(level.dtype, np.integer) or level.min() < 1 or level.max() > 4
    ):
        raise ValueError("strength levels must be integers 1..4")
    return np.where(chose_a, level, -level).astype(np.int64)


def agreement_weights(*, n_categories: int, kind: WeightKind = "ordinal") -> np.ndarray:
    """Gwet's agreement weights between ordered categories, from their ranks (irrCAC's formulas).

    Ranks rather than code values, so the signed scale's missing 0 does not make -1 and +1
    (both "negligibly better / unsure") twice as far apart as 1 and 2.
    """
    if n_categories < 2:
        raise ValueError("agreement needs at least two categories")
    rank = np.arange(n_categories)
    distance = np.abs(rank[:, None] - rank[None, :])
    if kind == "identity":
        return np.eye(n_categories)
    if kind == "ordinal":
        pairs = (distance + 1) * distance / 2
        return 1 - pairs / pairs.max()
    if kind == "linear":
        return 1 - distance / (n_categories - 1)
    if kind == "quadratic":
        return 1 - (distance / (n_categories - 1)) ** 2
    raise ValueError(f"unknown weights {kind!r}")


def category_counts(
    *, item: npt.ArrayLike, rater: npt.ArrayLike, value: npt.ArrayLike, categories: npt.ArrayLike
) -> np.ndarray:
    """Ratings per item and category: an (items rated at least once, categories) int array."""
    item, _, category = rating_arrays(item=item, rater=rater, value=value, categories=categories)
    n_categories = len(np.asarray(categories))
    if item.size == 0:
        return np.zeros((0, n_categories), dtype=np.int64)
    flat = np.bincount(item * n_categories + category, minlength=(item.max() + 1) * n_categories)
    counts = flat.reshape(-1, n_categories)
    return counts[counts.sum(axis=1) > 0]


def rating_arrays(
    *, item: npt.ArrayLike, rater: npt.ArrayLike, value: npt.ArrayLike, categories: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated int arrays (item, rater, category index into the sorted `categories`)."""
    arrays = [np.asarray(a) for a in (item, rater, value)]
    categories = np.asarray(categories)
    if any(a.ndim != 1 for a in arrays) or len({a.size for a in arrays}) != 1:
        raise ValueError("item, rater and value must be 1-D arrays of one length")
    if any(a.size and not np.issubdtype(a.dtype, np.integer) for a in arrays):
        raise ValueError("item, rater and value must be integer arrays")
    if categories.ndim != 1 or len(categories) < 2 or (np.diff(categories) <= 0).any():
        raise ValueError("categories must be at least two increasing codes")
    item, rater, value = (a.astype(np.int64) for a in arrays)
    if item.size == 0:
        return item, rater, value
    if item.min() < 0 or rater.min() < 0:
        raise ValueError("item and rater indices must be non-negative")
    category = np.searchsorted(categories, value)
    if (category >= len(categories)).any() or (
        categories[np.minimum(category, len(categories) - 1)] != value
    ).any():
        raise ValueError("a value is not one of the categories")
    if (np.diff(np.sort(item * (rater.max() + 1) + rater)) == 0).any():
        raise ValueError("an (item, rater) pair appears twice: keep one rating per rater and item")
    return item, rater, category
