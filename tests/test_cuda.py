"""The CUDA path: training and prediction on a GPU, bf16 autocast, a one-rank NCCL group.

Skipped where there is no CUDA GPU (CI has none); run on a GPU machine with
``python -m pytest tests/test_cuda.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gatecast.models.recurrent import LSTM
from gatecast.training.config import TrainerConfig
from helpers import seasonal_frame

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


def _forecast(device: str, amp: bool = False, distributed: int | None = None) -> np.ndarray:
    df = seasonal_frame(n_series=8, length=200)
    model = LSTM(season_length=12, horizon=12, max_steps=60, skip="none",
                 trainer=TrainerConfig(device=device, amp=amp, seed=0))
    fitted = model.fit(df, distributed=distributed) if distributed else model.fit(df)
    return fitted.predict(12)[model.name].to_numpy()


def test_gpu_training_matches_cpu_training_closely() -> None:
    cpu, gpu = _forecast("cpu"), _forecast("cuda")
    assert np.isfinite(gpu).all()
    # Same seed and data: the two devices differ only by floating-point reduction order.
    scale = np.abs(cpu).mean()
    assert np.abs(gpu - cpu).mean() < 0.05 * scale


def test_bf16_autocast_trains_to_a_similar_forecast() -> None:
    fp32, amp = _forecast("cuda"), _forecast("cuda", amp=True)
    assert np.isfinite(amp).all()
    assert np.abs(amp - fp32).mean() < 0.1 * np.abs(fp32).mean()


def test_one_rank_nccl_group_equals_the_plain_fit() -> None:
    plain, ddp = _forecast("cuda"), _forecast("cuda", distributed=1)
    np.testing.assert_allclose(ddp, plain, rtol=1e-3, atol=1e-3 * np.abs(plain).mean())
