"""CPU training throughput of the recurrent kernels behind gatecast's networks.

    .venv/bin/python benchmarks/kernel_lstm.py                # about 2-3 minutes on 2 cores
    .venv/bin/python benchmarks/kernel_lstm.py --iters 5 --skip-compile
    .venv/bin/python benchmarks/kernel_lstm.py --threads 1      # when other jobs load the CPU

One iteration is forward + backward + Adam step on a batch of ``--batch`` windows of
``--steps`` time steps (default 128 x 144, NeuralForecast's default LSTM shape: input 1,
hidden 128, 2 layers). Throughput is reported as sample-steps per second,
``batch * time_steps * iterations / seconds``, twice: counting the recurrent steps the
kernel actually runs, and counting the original time steps of the window, which is the
number to compare across rows (patching 144 steps into 6 patches of 24 reads the same 144
values per window in 24x fewer sequential steps).

Rows: ``nn.LSTM`` (PyTorch's fused kernel), the same under ``torch.compile``, gatecast's
``PeepholeLSTMLayers`` with its TorchScript loop and with the eager loop, and the full
``DirectRecurrent`` "lstm" network (encoder + MLP head) without and with ``patch_size=24``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from rich.console import Console
from rich.table import Table
from torch import Tensor, nn
from torch.nn import functional as F

from gatecast.nn import NetworkConfig, PeepholeLSTMLayers, build_network, empty_inputs

Loss = Callable[[Tensor, Tensor], Tensor]


@dataclass
class Result:
    name: str
    recurrent_steps: int
    seconds_per_iter: float | None = None
    error: str | None = None
    note: str = ""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{platform.platform()}, {cpu}, {os.cpu_count()} CPUs"


class LastStepRegressor(nn.Module):
    """A bare recurrent stack + Linear on its last output: what the kernel rows train."""

    def __init__(self, rnn: nn.Module, hidden: int) -> None:
        super().__init__()
        self.rnn = rnn
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: Tensor) -> Tensor:
        h, _ = self.rnn(x)  # [batch, time, hidden]
        return self.out(h[:, -1])  # [batch, 1]


def time_training(model: nn.Module, loss_fn: Loss, x: Tensor, y: Tensor, iters: int,
                  warmup: int) -> float:
    """Median seconds of one zero_grad + forward + backward + Adam step (after warm-up)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss_fn(x, y).backward()
        opt.step()

    for _ in range(warmup):  # first calls pay for TorchScript profiling / compilation
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    # the median, not the mean: on a shared machine one iteration that collided with another
    # process's burst would otherwise decide the row
    return statistics.median(times)


def kernel_row(name: str, rnn: nn.Module, args: argparse.Namespace) -> Result:
    torch.manual_seed(0)
    model = LastStepRegressor(rnn, args.hidden)
    x = torch.randn(args.batch, args.steps, 1)
    y = torch.randn(args.batch, 1)

    def loss_fn(x: Tensor, y: Tensor) -> Tensor:
        return F.mse_loss(model(x), y)

    result = Result(name, args.steps)
    result.seconds_per_iter = time_training(model, loss_fn, x, y, args.iters, args.warmup)
    return result


def compiled_row(name: str, args: argparse.Namespace, allow_rnn: bool) -> Result:
    """nn.LSTM with its loss under torch.compile; failures and graph breaks are reported."""
    import torch._dynamo
    import torch._dynamo.utils as dynamo_utils

    torch._dynamo.reset()  # no compiled code or counters left over from another row
    dynamo_utils.counters.clear()
    torch.manual_seed(0)
    model = LastStepRegressor(nn.LSTM(1, args.hidden, args.layers, batch_first=True), args.hidden)
    x = torch.randn(args.batch, args.steps, 1)
    y = torch.randn(args.batch, 1)

    def loss_fn(x: Tensor, y: Tensor) -> Tensor:
        return F.mse_loss(model(x), y)

    result = Result(name, args.steps)
    try:
        # scoped: allow_rnn is Dynamo's (experimental) switch to trace into nn.LSTM at all
        with torch._dynamo.config.patch(allow_rnn=allow_rnn):
            compiled = torch.compile(loss_fn)
            # the warm-up call is where compilation happens, so it is never skipped here
            result.seconds_per_iter = time_training(
                model, compiled, x, y, args.iters, max(1, args.warmup))
    except Exception as exc:  # a failed compile is a result to report, not a crash
        lines = [line for line in str(exc).splitlines() if line.strip()] or [""]
        result.error = f"{type(exc).__name__}: {lines[0][:70]}"
        return result
    breaks = dynamo_utils.counters.get("graph_break", {})
    if breaks:
        result.note = "graph break: " + next(iter(breaks)).splitlines()[0]
    return result


def network_row(name: str, patch: int, args: argparse.Namespace) -> Result:
    config = NetworkConfig(kind="lstm", input_size=1, look_back=args.steps, horizon=args.horizon,
                           hidden_size=args.hidden, num_layers=args.layers, patch_size=patch)
    torch.manual_seed(0)
    net = build_network(config)
    x = torch.randn(args.batch, args.steps, 1)
    y = torch.randn(args.batch, args.horizon, 1)
    future, static = empty_inputs(config, args.batch)

    def loss_fn(x: Tensor, y: Tensor) -> Tensor:
        return F.mse_loss(net(x, future, static), y)

    steps = args.steps // patch
    note = f"{steps} steps of {patch} values; MLP head, horizon {args.horizon}"
    result = Result(name, steps, note=note)
    result.seconds_per_iter = time_training(net, loss_fn, x, y, args.iters, args.warmup)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=144)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--patch", type=int, default=24)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--iters", type=int, default=5, help="timed iterations per row")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--skip-compile", action="store_true")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's choice); 1 avoids the "
                             "collapse of OpenMP threads competing with other busy processes")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    # rich falls back to 80 columns when piped, which would fold the table beyond reading
    console = Console(width=None if sys.stdout.isatty() else 170)
    started = dt.datetime.now()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results: list[Result] = []

    def run(make: Callable[[], Result]) -> None:
        result = make()
        results.append(result)
        shown = f"failed: {result.error}" if result.error else (
            f"{result.seconds_per_iter:.3f} s/iteration")
        console.print(f"{result.name:40s} {shown}")

    # A fresh process's first LSTM training steps run slower than later ones beyond what
    # each row's own warm-up absorbs (2026-11-29: the first row took 0.24-0.26 s/iteration
    # against 0.18-0.20 s for the same row timed later in the process), which made the
    # baseline look slow and every other row look faster: one untimed pass first.
    kernel_row("process warm-up", nn.LSTM(1, args.hidden, args.layers, batch_first=True),
               argparse.Namespace(**{**vars(args), "iters": 3, "warmup": 3}))
    lstm = nn.LSTM(1, args.hidden, args.layers, batch_first=True)
    run(lambda: kernel_row("nn.LSTM (fused kernel)", lstm, args))
    for allow_rnn in (False, True):
        label = "nn.LSTM + torch.compile" + (" (allow_rnn)" if allow_rnn else "")
        if args.skip_compile:
            results.append(Result(label, args.steps, error="skipped"))
        else:
            run(lambda label=label, allow_rnn=allow_rnn: compiled_row(label, args, allow_rnn))
    for jit in (True, False):
        def peephole(jit: bool = jit) -> Result:
            rnn = PeepholeLSTMLayers(1, args.hidden, args.layers)
            rnn.use_jit = jit
            label = "TorchScript loop" if jit else "eager loop"
            return kernel_row(f"PeepholeLSTM ({label})", rnn, args)

        run(peephole)
    run(lambda: network_row("DirectRecurrent lstm, patch_size 1", 1, args))
    run(lambda: network_row(f"DirectRecurrent lstm, patch_size {args.patch}", args.patch, args))

    base = results[0].seconds_per_iter
    title = (
        f"Recurrent kernels, CPU training throughput: batch {args.batch} x {args.steps} steps, "
        f"hidden {args.hidden}, {args.layers} layers, forward+backward+Adam, "
        f"median of {args.iters} timed iterations after {args.warmup} warm-up\n"
        f"{started:%Y-%m-%d %H:%M}, {machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, load average at start {load:.1f}"
    )
    table = Table(title=title)
    for col in ("case", "recurrent steps", "s / iteration", "sample-steps/s (recurrent)",
                "sample-steps/s (original time)", "vs nn.LSTM", "note"):
        table.add_column(col, justify="left" if col in ("case", "note") else "right")
    for r in results:
        if r.seconds_per_iter is None:
            status = "skipped" if r.error == "skipped" else "failed"
            reason = "" if r.error == "skipped" else f"{status}: {r.error}"
            table.add_row(r.name, str(r.recurrent_steps), status, "", "", "", reason)
            continue
        recurrent = args.batch * r.recurrent_steps / r.seconds_per_iter
        original = args.batch * args.steps / r.seconds_per_iter
        ratio = f"{base / r.seconds_per_iter:.2f}x" if base else ""
        table.add_row(r.name, str(r.recurrent_steps), f"{r.seconds_per_iter:.3f}",
                      f"{recurrent:,.0f}", f"{original:,.0f}", ratio, r.note)
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
