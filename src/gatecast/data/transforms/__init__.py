"""Invertible per-series transforms (differencing, power, scaling) and their pipelines."""

from gatecast.data.transforms.base import BaseTransform, Pipeline, Transform, load_transform
from gatecast.data.transforms.difference import Difference
from gatecast.data.transforms.power import BoxCox, Log, Log1p
from gatecast.data.transforms.scale import MinMaxScaler, RobustScaler, StandardScaler
from gatecast.data.transforms.spec import make_pipeline

__all__ = [
    "BaseTransform",
    "BoxCox",
    "Difference",
    "Log",
    "Log1p",
    "MinMaxScaler",
    "Pipeline",
    "RobustScaler",
    "StandardScaler",
    "Transform",
    "load_transform",
    "make_pipeline",
]
