"""What gatecast's training loop costs on top of a bare PyTorch loop over the same network.

    .venv/bin/python benchmarks/trainer_overhead.py              # ~1 minute on 2 cores
    .venv/bin/python benchmarks/trainer_overhead.py --steps 50 --threads 1

Network: ``build_network(NetworkConfig(kind="lstm", look_back=144, horizon=48, ...))``, a
2-layer LSTM(128) encoder + 2x128 MLP head, at NeuralForecast's training batch shape (128
windows x 144 steps). Data: M4 Hourly windows (look_back 144 + horizon 48) from
``../shared/data/m4``, or synthetic seasonal series when that folder is missing.

Rows:

* **bare loop** (the floor): the batches are gathered and normalised up front into plain
  tensors, then each step is only forward + MAE loss + backward + Adam step.
* **gatecast train()**: :func:`gatecast.training.trainer.train` with a ``WindowSource`` over
  the same windows, ``TrainerConfig(batch_size=128, epochs=1, steps_per_epoch=N)``, with
  and without gradient clipping (``clip_norm=1.0`` is the default). A step is timed from
  one ``batch()`` call to the next, so it includes gathering and normalising the batch and
  the per-step loss read-back.

Two timings per case: the **median** step (robust to a neighbour's burst on a shared
machine: the headline number) and the **mean** over the whole timed stretch, which for
``train()`` runs on to its return and so also pays for its epilogue (the state-dict copies
that keep the best epoch's weights). Each case first runs ``--warmup`` untimed steps (for
``train()``, inside the same call), and the whole set is repeated ``--repeats`` times,
interleaved, each case keeping its fastest repeat.

Achieved GFLOP/s counts the LSTM's matrix products only, ``2 * 4 * hidden * (input +
hidden)`` per sample-step per layer, times 3 for forward + backward (the head adds < 1%);
the peak beside it is an *estimate*: cores x fp32 lanes (8 with AVX2, 16 with AVX-512) x 2
FMA units x 2 flops x the clock /proc/cpuinfo reports (a VM's "cores" may be hyperthreads,
turbo is ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from torch import Tensor, nn

from gatecast.data.frame import read_m4
from gatecast.data.grouped import GroupedArray
from gatecast.data.validate import validate
from gatecast.data.windows import WindowSpec, make_windows
from gatecast.models.recurrent_data import WindowSource
from gatecast.nn import NetworkConfig, build_network
from gatecast.training.config import TrainerConfig
from gatecast.training.losses import make_loss
from gatecast.training.trainer import train

ROOT = Path(__file__).resolve().parents[1]
M4_TRAIN = ROOT.parent / "shared" / "data" / "m4" / "Hourly-train.csv"
LOOK_BACK, HORIZON, HIDDEN, LAYERS, BATCH = 144, 48, 128, 2, 128


@dataclass
class Case:
    name: str
    median: float = float("inf")  # seconds per step, median of the timed steps
    mean: float = float("inf")  # seconds per step over the whole timed stretch
    note: str = ""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    model = _cpuinfo("model name") or cpu
    return f"{platform.platform()}, {model}, {os.cpu_count()} CPUs"


def _cpuinfo(key: str) -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def peak_gflops(cores: int) -> tuple[float | None, str]:
    """Estimated fp32 peak: cores x fp32 lanes (16 with AVX-512, else 8 with AVX2) x 2 FMA
    units x 2 flops x clock (GHz)."""
    mhz = _cpuinfo("cpu MHz")
    if mhz is None:
        return None, "no clock in /proc/cpuinfo"
    ghz = float(mhz) / 1000
    flags = (_cpuinfo("flags") or "").split()
    lanes, isa = (16, "AVX-512") if "avx512f" in flags else (8, "AVX2")
    return (cores * lanes * 2 * 2 * ghz,
            f"{cores} cores x {lanes} lanes ({isa}) x 2 FMA x 2 x {ghz:.2f} GHz")


def lstm_flops_per_sample_step(input_size: int, hidden: int, layers: int) -> float:
    """Forward + backward flops of the LSTM's matrix products per sample per time step."""
    total = 0.0
    width = input_size
    for _ in range(layers):
        total += 2 * 4 * hidden * (width + hidden) * 3
        width = hidden
    return total


def load_series(m4_train: Path = M4_TRAIN) -> tuple[GroupedArray, str]:
    if m4_train.is_file():
        (train_frame,) = read_m4(m4_train)
        sf = validate(train_frame, freq=1)
        return sf.grouped(), f"M4 Hourly, {sf.n_series} series"
    rng = np.random.default_rng(0)
    t = np.arange(700)
    arrays = [10 + 3 * np.sin(2 * np.pi * t / 24 + rng.uniform(0, 6)) + rng.normal(0, 1, t.size)
              for _ in range(414)]
    return GroupedArray.from_arrays(arrays), "synthetic (414 seasonal series of 700; no M4)"


def make_net() -> nn.Module:
    config = NetworkConfig(kind="lstm", input_size=1, look_back=LOOK_BACK, horizon=HORIZON,
                           hidden_size=HIDDEN, num_layers=LAYERS, patch_size=1,
                           head_layers=2, head_hidden=128)
    torch.manual_seed(0)
    return build_network(config)


class TimedSource:
    """A batch source that stamps the time of every ``batch()`` call: in ``train()`` the gap
    between two calls is one whole step of the loop (gather + forward + backward + step)."""

    def __init__(self, source: WindowSource) -> None:
        self.source = source
        self.stamps: list[float] = []

    def __len__(self) -> int:
        return len(self.source)

    def batch(self, idx: np.ndarray) -> tuple[tuple[Tensor, ...], Tensor]:
        self.stamps.append(time.perf_counter())
        return self.source.batch(idx)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bare_loop(source: WindowSource, steps: int, warmup: int, device: torch.device,
              amp: bool = False) -> tuple[float, float]:
    """(median, mean) seconds per step of forward + MAE + backward + Adam on pre-built
    tensors already on ``device`` (on CUDA: cuDNN's fused LSTM, the floor)."""
    rng = np.random.default_rng(1)
    batches: list[tuple[tuple[Tensor, ...], Tensor]] = []
    for _ in range(warmup + steps):
        inputs, target = source.batch(rng.integers(0, len(source), BATCH))
        batches.append((tuple(t.to(device) for t in inputs), target.to(device)))
    net = make_net().to(device)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = make_loss("mae", [0.5])
    times = []
    for inputs, target in batches:
        _sync(device)
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = loss_fn(net(*inputs), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _sync(device)
        times.append(time.perf_counter() - start)
    timed = times[warmup:]
    return statistics.median(timed), sum(timed) / steps


def gatecast_loop(source: WindowSource, steps: int, warmup: int, clip: float | None,
                  device: torch.device, amp: bool = False) -> tuple[float, float]:
    """(median, mean) seconds per step of one ``train()`` call of ``warmup + steps`` steps;
    the mean runs from the first timed step to the return of ``train()``."""
    cfg = TrainerConfig(batch_size=BATCH, epochs=1, steps_per_epoch=warmup + steps,
                        clip_norm=clip, device=device.type, amp=amp, seed=1)
    timed = TimedSource(source)
    net = make_net()
    train(net, make_loss("mae", [0.5]), timed, cfg)
    _sync(device)
    end = time.perf_counter()
    stamps = [*timed.stamps[warmup:], end]
    gaps = np.diff(stamps)[:-1]  # whole steps only: the last gap holds train()'s epilogue
    return float(np.median(gaps)), (end - stamps[0]) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed optimiser steps per case")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2,
                        help="interleaved repeats; each case keeps its fastest")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (on CUDA the bare loop"
                        " is cuDNN's fused LSTM: the floor)")
    parser.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA only)")
    parser.add_argument("--data", type=Path, default=M4_TRAIN,
                        help="M4 Hourly-train.csv (default: ../shared/data/m4)")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda asked for but no CUDA GPU is available")
    if args.amp and device.type != "cuda":
        parser.error("--amp needs --device cuda")
    if args.threads:
        torch.set_num_threads(args.threads)

    console = Console(width=None if sys.stdout.isatty() else 170)
    started = dt.datetime.now()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    ga, data_label = load_series(args.data)
    windows = make_windows(ga, WindowSpec(LOOK_BACK, HORIZON))
    source = WindowSource(windows, "standard", HORIZON)
    console.print(f"{data_label}: {len(source):,} windows of {LOOK_BACK}+{HORIZON}")

    cases = [
        Case("bare loop, pre-built tensors", note="the floor"),
        Case("gatecast train(), clip_norm=None", note="same update as the floor"),
        Case("gatecast train(), clip_norm=1.0", note="the default: + global-norm clipping"),
    ]
    runs = [
        lambda: bare_loop(source, args.steps, args.warmup, device, args.amp),
        lambda: gatecast_loop(source, args.steps, args.warmup, None, device, args.amp),
        lambda: gatecast_loop(source, args.steps, args.warmup, 1.0, device, args.amp),
    ]
    for repeat in range(args.repeats):
        for case, run in zip(cases, runs, strict=True):
            median, mean = run()
            case.median, case.mean = min(case.median, median), min(case.mean, mean)
            console.print(f"repeat {repeat + 1}: {case.name:44s} median {median:.3f} s/step,"
                          f" mean {mean:.3f} s/step")

    threads = torch.get_num_threads()
    flops_step = lstm_flops_per_sample_step(1, HIDDEN, LAYERS) * BATCH * LOOK_BACK
    if device.type == "cuda":
        peak, peak_how = None, f"{torch.cuda.get_device_name(device)}; bare loop = cuDNN floor"
    else:
        peak, peak_how = peak_gflops(threads)
    floor, floor_mean = cases[0].median, cases[0].mean
    title = (
        f"Training loop overhead: 2-layer LSTM({HIDDEN}) + 2x128 head, batch {BATCH} x "
        f"{LOOK_BACK} steps, horizon {HORIZON}, MAE, Adam; {args.steps} timed steps after "
        f"{args.warmup} warm-up, fastest of {args.repeats}\n"
        f"{started:%Y-%m-%d %H:%M}, {machine()}, torch {torch.__version__}, {threads} threads, "
        f"device {device}{' bf16 autocast' if args.amp else ''}, "
        f"load average at start {load:.1f}; data: {data_label}"
    )
    table = Table(title=title)
    for col in ("case", "s / step (median)", "sample-steps/s", "speed vs bare",
                "s / step (mean, whole call)", "speed vs bare (mean)", "LSTM GFLOP/s", "note"):
        table.add_column(col, justify="left" if col in ("case", "note") else "right")
    for case in cases:
        table.add_row(case.name, f"{case.median:.3f}", f"{BATCH * LOOK_BACK / case.median:,.0f}",
                      f"{floor / case.median:.2f}", f"{case.mean:.3f}",
                      f"{floor_mean / case.mean:.2f}", f"{flops_step / case.median / 1e9:.1f}",
                      case.note)
    console.print(table)
    console.print(
        f"LSTM work per step: {flops_step / 1e9:.1f} GFLOP (fwd+bwd matrix products). "
        f"Bare loop achieves {flops_step / floor / 1e9:.1f} GFLOP/s"
        + (f" = {flops_step / floor / 1e9 / peak:.0%} of an ESTIMATED fp32 peak of "
           f"{peak:.0f} GFLOP/s ({peak_how}; turbo ignored)."
           if peak else f" (no peak estimate: {peak_how}).")
    )
    ratio = floor / cases[1].median
    verdict = "meets" if ratio >= 0.90 else "misses"
    console.print(f"gatecast/bare throughput ratio (clip_norm=None, medians): {ratio:.2f} "
                  f"({verdict} the 0.90 target); whole-call means: "
                  f"{floor_mean / cases[1].mean:.2f}")
    if load > 0.5:
        hint = " (try --threads 1)" if threads > 1 else ""
        console.print(f"[yellow]note: load average {load:.1f} at start: other processes share "
                      f"the CPU, so these timings are noisy{hint}.[/yellow]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
