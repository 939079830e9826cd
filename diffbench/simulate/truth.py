"""Truth tables: the structured arrays every kind writes beside its data, one row per pattern
(scan frame, data set) and, where the kind has them, one row per particle (crystal, ice range)."""

from __future__ import annotations

import numpy as np


def table_dtype(fields: dict) -> np.dtype:
    """Structured dtype of a truth table from {name: dtype | (dtype, width)}."""
    return np.dtype([(k, v) if not isinstance(v, tuple) else (k, v[0], (v[1],)) for k, v in fields.items()])
