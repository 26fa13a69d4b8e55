"""The CUDA path on M4 Hourly: the default LSTM trained on a GPU in fp32, with bf16
autocast, and as a one-rank DDP group over NCCL, beside its CPU figure.

    .venv/bin/python benchmarks/cuda.py                  # needs a CUDA GPU
    GATECAST_M4_DIR=/path/to/m4 python benchmarks/cuda.py --rows fp32,amp,ddp

Each row fits the default ``lstm`` (season 24, horizon 48) on the 414 training series and
scores the official sMAPE / MASE / OWA on the test set. The cuDNN floor of one training step
(the bare fused-LSTM loop) is measured by ``trainer_overhead.py --device cuda``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import torch
from rich.console import Console
from rich.table import Table

from _m4 import H, M, Timer, load_hourly, score
from gatecast.data.validate import validate
from gatecast.models.registry import make_model
from gatecast.training.config import TrainerConfig

ROWS = {
    "fp32": ({"device": "cuda"}, None),
    "amp": ({"device": "cuda", "amp": True}, None),
    "ddp": ({"device": "cuda"}, 1),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="fp32,amp,ddp", help=f"any of {', '.join(ROWS)}")
    parser.add_argument("--model", default="lstm")
    parser.add_argument("--series", type=int, default=None, help="first N series only")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("cuda.py: no CUDA GPU here; run it on a machine with one", file=sys.stderr)
        return 2
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}; choose from {', '.join(ROWS)}")
    train, test = load_hourly(args.series)
    sf = validate(train, freq=1)
    console = Console(width=120)
    gpu = torch.cuda.get_device_name(0)
    table = Table(title=f"M4 Hourly on {gpu} ({dt.date.today()}, torch {torch.__version__},"
                        f" {sf.n_series} series)")
    for col in ("row", "sMAPE", "MASE", "OWA", "fit+predict s", "peak GPU MB"):
        table.add_column(col, justify="left" if col == "row" else "right")
    for row in rows:
        trainer, distributed = ROWS[row]
        model = make_model(args.model, season_length=M, horizon=H,
                           trainer=TrainerConfig(**trainer))
        torch.cuda.reset_peak_memory_stats()
        with Timer() as t:
            fitted = model.fit(sf, distributed=distributed) if distributed else model.fit(sf)
            fc = fitted.predict(H)
        s, m, o = score(train, test, fc, model.name)
        peak = torch.cuda.max_memory_allocated() / 2**20
        console.print(f"{row:5s} sMAPE {s:.3f} MASE {m:.3f} OWA {o:.3f} {t.seconds:.1f} s")
        table.add_row(f"{args.model} {row}", f"{s:.3f}", f"{m:.3f}", f"{o:.3f}",
                      f"{t.seconds:.1f}", f"{peak:.0f}")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
