"""Forecasting gridded series (frames that move in time) with ConvLSTM.

* :class:`ConvLSTMForecaster`: the encoder-forecaster ConvLSTM of Shi et al. (2015).
* :class:`FCLSTMForecaster`: the paper's fully connected baseline on flattened frames.
* :class:`CopyLastFrame`: the naive baseline.
* :func:`moving_mnist`: Moving MNIST sequences generated offline from digit images.
* :func:`frame_mse` / :func:`frame_bce`: per-frame scores (sums over pixels).
"""

from gatecast.grid.forecaster import (
    ConvLSTMForecaster,
    CopyLastFrame,
    FCLSTMForecaster,
    GridForecaster,
)
from gatecast.grid.metrics import frame_bce, frame_mse
from gatecast.grid.moving_mnist import moving_mnist, resize_area

__all__ = [
    "ConvLSTMForecaster",
    "CopyLastFrame",
    "FCLSTMForecaster",
    "GridForecaster",
    "frame_bce",
    "frame_mse",
    "moving_mnist",
    "resize_area",
]
