"""Sequence classification with recurrent networks (e.g. MNIST digits read row by row).

* :class:`SequenceClassifier`: ``fit(X, y)`` / ``predict`` / ``predict_proba`` / ``score``
  on ``X [samples, time, features]``, or ``fit_frame(frame, labels)`` on a long frame with
  one label per ``unique_id``; saved as ``config.json`` + ``weights.safetensors``.
* :func:`read_idx` / :func:`write_idx` / :func:`load_mnist`: the IDX format of MNIST.
* :func:`accuracy` / :func:`confusion_matrix`.
"""

from gatecast.classify.classifier import SequenceClassifier
from gatecast.classify.data import sequences_from_frame
from gatecast.classify.idx import load_mnist, read_idx, write_idx
from gatecast.classify.metrics import accuracy, confusion_matrix

__all__ = [
    "SequenceClassifier",
    "accuracy",
    "confusion_matrix",
    "load_mnist",
    "read_idx",
    "sequences_from_frame",
    "write_idx",
]
