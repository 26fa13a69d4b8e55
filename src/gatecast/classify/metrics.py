"""Classification scores: accuracy and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gatecast.errors import DataError

__all__ = ["accuracy", "confusion_matrix"]


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Share of samples whose predicted label equals the true one: ``mean(ŷ_i == y_i)``."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape or t.ndim != 1:
        raise DataError(f"y_true and y_pred must be 1-D of equal length, got {list(t.shape)} "
                        f"and {list(p.shape)}")
    if t.size == 0:
        raise DataError("accuracy of zero samples is undefined")
    return float(np.mean(t == p))


def confusion_matrix(y_true: Any, y_pred: Any, labels: Sequence[Any] | None = None
                     ) -> pd.DataFrame:
    """Counts ``C[i, j]`` of samples of true class i predicted as class j.

    Rows are the true classes, columns the predicted ones (in ``labels`` order, default all
    labels seen, sorted); the diagonal holds the correct predictions.
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    accuracy(t, p)  # same shape checks
    if labels is None:
        labels = np.unique(np.concatenate([t, p]))
    labels = list(labels)
    pos = {lab: k for k, lab in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for a, b in zip(t.tolist(), p.tolist(), strict=True):
        if a in pos and b in pos:
            counts[pos[a], pos[b]] += 1
    names = [str(v) for v in labels]
    return pd.DataFrame(counts, index=pd.Index(names, name="true \\ predicted"), columns=names)
