"""Shared fixtures."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import seasonal_frame


@pytest.fixture
def monthly() -> pd.DataFrame:
    return seasonal_frame()
