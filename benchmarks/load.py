"""Quiet and loaded side by side: the default LSTM with gatecast's thread choice and with
torch's default threads, and StatsForecast's AutoETS + Theta as the reference slowdown.

    nice -n 5 .venv/bin/python benchmarks/load.py                  # a few minutes on 2 cores
    .venv/bin/python benchmarks/load.py --cpus 0,1                 # 2 cores of a bigger machine
    .venv/bin/python benchmarks/load.py --sweep --cpus 0,1         # where a 2nd thread pays

Workload: ``--series`` (645) synthetic yearly series of 19 to 40 points (random walks with
drift, seeded), forecast ``h = 6`` steps by ``gatecast.LSTM()`` with its defaults (fit +
predict), and by ``StatsForecast([AutoETS(), Theta()])``. Each case runs in a fresh
process (timed from after the imports and a warm-up on 3 series), (a) on a quiet machine,
(b) beside one and (c) beside two busy processes (``while True: pass``, started and killed
here). ``--cpus`` pins this script, its cases and its busy processes to those CPUs, so a
bigger machine emulates a small one. Threads: ``gatecast`` is the automatic choice
(:mod:`gatecast.threads`), ``torch default`` fixes ``TrainerConfig.threads`` to what torch
starts with (one per core), which is what gatecast did before.

``--sweep`` trains single LSTMs of growing width (batch 256) for a fixed number of steps
with 1 thread and with one per core, quiet: the work (batch x parameters) above which the
threads pay for themselves is :data:`gatecast.threads.WORK_PER_THREAD`.

Writes ``benchmarks/results/load.csv`` (``load_sweep.csv`` for ``--sweep``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gatecast.models.recurrent import LSTM
from gatecast.training.config import TrainerConfig

ROOT = Path(__file__).resolve().parents[1]
H = 6
BUSY_CODE = "while True: pass"


# -- the cases, each run in its own process ---------------------------------------------------
def yearly_series(n: int, seed: int) -> pd.DataFrame:
    """``n`` yearly random walks with drift, 19 to 40 points each, positive."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        length = int(rng.integers(19, 41))
        steps = rng.normal(rng.normal(0.03, 0.03), rng.uniform(0.02, 0.1), length)
        y = 1000 * rng.uniform(0.5, 5) * np.exp(np.cumsum(steps))
        ds = pd.date_range(end="2020-01-01", periods=length, freq="YS")
        frames.append(pd.DataFrame({"unique_id": f"Y{i}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


class _Chosen(logging.Handler):
    """Collects the thread counts gatecast.threads chose."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.counts.append(int(record.args[0]))  # type: ignore[index]


def run_lstm(data: pd.DataFrame, mode: str, hidden: int | None = None,
             max_steps: int | None = None) -> dict[str, object]:
    default = torch.get_num_threads()
    threads = {"gatecast": None, "torch": default, "one": 1}[mode]
    chosen = _Chosen()
    log = logging.getLogger("gatecast.threads")
    log.setLevel(logging.DEBUG)
    log.addHandler(chosen)
    extra = {} if hidden is None else {"hidden_size": hidden, "head_hidden": hidden,
                                       "skip": "none"}

    def make() -> LSTM:
        return LSTM(max_steps=max_steps, trainer=TrainerConfig(threads=threads), **extra)

    warm = data[data["unique_id"].isin(["Y0", "Y1", "Y2"])]
    make().fit(warm).predict(H)
    chosen.counts.clear()
    t0 = time.perf_counter()
    model = make().fit(data)
    fc = model.predict(H)
    seconds = time.perf_counter() - t0
    params = sum(p.numel() for p in model.nets_[0].parameters())
    return {"seconds": seconds, "threads": ",".join(map(str, sorted(set(chosen.counts))))
            or str(threads), "torch_default": default, "params": params,
            "checksum": float(fc[model.name].sum())}


def run_stats(data: pd.DataFrame) -> dict[str, object]:
    # Imported here: the LSTM cases (and a machine without it, --skip-stats) do without.
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Theta

    def once(frame: pd.DataFrame) -> pd.DataFrame:
        return StatsForecast(models=[AutoETS(), Theta()], freq="YS", n_jobs=1).forecast(
            df=frame, h=H)

    once(data[data["unique_id"].isin(["Y0", "Y1", "Y2"])])
    t0 = time.perf_counter()
    fc = once(data)
    return {"seconds": time.perf_counter() - t0, "threads": "-", "torch_default": 0,
            "params": 0, "checksum": float(fc["AutoETS"].sum())}


def worker(args: argparse.Namespace) -> None:
    data = yearly_series(args.series, args.seed)
    if args.worker == "stats":
        out = run_stats(data)
    else:
        out = run_lstm(data, args.worker, args.hidden, args.max_steps)
    print(json.dumps(out))


# -- the driver -------------------------------------------------------------------------------
def pinned(cpus: list[int] | None) -> dict[str, object]:
    if not cpus:
        return {}
    return {"preexec_fn": lambda: os.sched_setaffinity(0, cpus)}


def run_case(args: argparse.Namespace, kind: str, extra: list[str] | None = None
             ) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--worker", kind, "--series", str(args.series),
           "--seed", str(args.seed), *(extra or [])]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("GATECAST_THREADS", None)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                              env=env, check=False, **pinned(args.cpus))
    except subprocess.TimeoutExpired:
        return {"seconds": float("nan"), "threads": "", "note": f"> {args.timeout} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": float("nan"), "threads": "", "note": last[:120]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_busy(n: int, cpus: list[int] | None) -> list[subprocess.Popen[bytes]]:
    procs = [subprocess.Popen([sys.executable, "-c", BUSY_CODE], **pinned(cpus))
             for _ in range(n)]
    time.sleep(0.5)  # running before the case starts
    return procs


def stop_busy(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.kill()
        p.wait()


def machine(cpus: list[int] | None) -> str:
    n = len(cpus) if cpus else len(os.sched_getaffinity(0))
    return f"{platform.platform()}, {platform.processor() or platform.machine()}, {n} CPUs"


def load_table(args: argparse.Namespace) -> pd.DataFrame:
    cases = [("lstm", "gatecast", "gatecast"), ("lstm", "torch default", "torch")]
    if not args.skip_stats:
        cases.append(("AutoETS+Theta", "-", "stats"))
    rows = []
    for busy in args.busy:
        procs = start_busy(busy, args.cpus)
        try:
            for model, threads, kind in cases:
                out = run_case(args, kind)
                rows.append({"busy": busy, "model": model, "threads_mode": threads, **out})
                print(f"busy {busy}  {model:14s} {threads:14s} {out['seconds']:8.2f} s"
                      f"  threads {out.get('threads')}", flush=True)
        finally:
            stop_busy(procs)
    table = pd.DataFrame(rows)
    quiet = table[table["busy"] == 0].set_index(["model", "threads_mode"])["seconds"]
    table["slowdown"] = [r.seconds / quiet.get((r.model, r.threads_mode), np.nan)
                         for r in table.itertuples()]
    return table


def sweep_table(args: argparse.Namespace) -> pd.DataFrame:
    rows = []
    for hidden in args.widths:
        for mode in ("one", "torch"):
            extra = ["--hidden", str(hidden), "--max-steps", str(args.max_steps)]
            out = run_case(args, mode, extra)
            work = 256 * out.get("params", 0)
            rows.append({"hidden": hidden, "mode": mode, "work": work, **out})
            print(f"hidden {hidden:4d} {mode:6s} work {work:10.3g} {out['seconds']:8.2f} s"
                  f"  threads {out.get('threads')}", flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--series", type=int, default=645)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cpus", type=lambda s: [int(c) for c in s.split(",")], default=None,
                   help="pin everything to these CPUs, e.g. 0,1")
    p.add_argument("--busy", type=lambda s: [int(c) for c in s.split(",")], default=[0, 1, 2],
                   help="busy processes per condition (default 0,1,2)")
    p.add_argument("--timeout", type=float, default=600, help="seconds per case")
    p.add_argument("--skip-stats", action="store_true")
    p.add_argument("--sweep", action="store_true", help="the 1 vs N threads sweep instead")
    p.add_argument("--widths", type=lambda s: [int(c) for c in s.split(",")],
                   default=[32, 64, 128, 256, 512])
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--hidden", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--worker", choices=["gatecast", "torch", "one", "stats"],
                   help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    if args.worker:
        worker(args)
        return
    if args.cpus:
        os.sched_setaffinity(0, args.cpus)
    print(f"{machine(args.cpus)}; {args.series} series", flush=True)
    if args.sweep:
        args.max_steps = args.max_steps or 200
        args.series = min(args.series, 200)
        table, name = sweep_table(args), "load_sweep.csv"
    else:
        table, name = load_table(args), "load.csv"
    print(table.drop(columns=["checksum"], errors="ignore").to_string(index=False,
                                                                        float_format="%.3g"))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    tmp = args.out / f".{name}.tmp"
    table.assign(date=stamp, machine=machine(args.cpus)).to_csv(tmp, index=False)
    tmp.replace(args.out / name)


if __name__ == "__main__":
    main()
