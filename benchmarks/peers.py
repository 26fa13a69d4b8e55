"""gatecast's LSTM beside NeuralForecast's LSTM and NHITS on M4 Hourly (h=48, m=24).

    pip install -e .[bench]        # neuralforecast (and darts), best in a separate venv
    .venv-bench/bin/python benchmarks/peers.py                  # all 414 series, ~30 minutes
    .venv-bench/bin/python benchmarks/peers.py --series 8 --steps 20   # smoke test

Rows, all fitted and scored in this one process (fit + predict seconds, official M4
sMAPE / MASE / OWA):

(a) NeuralForecast ``LSTM`` with its defaults at h=48 (input_size -1 = 3h = 144, encoder
    2 x 128, MLP decoder, 32 series x 128 windows per step, max_steps 1000, robust scaler,
    MAE, Adam 1e-3, no validation), and gatecast's ``LSTM`` set to the very same settings as
    far as gatecast allows: see :data:`MATCHED` and :data:`UNMATCHED`, which the run prints.
(b) gatecast's default ``lstm`` (``make_model("lstm", season_length=24, horizon=48)``,
    nothing else set) beside that NF LSTM run and NeuralForecast's ``NHITS`` (defaults,
    input_size 144, max_steps 1000); and, for the time to reach the peers' accuracy, the
    same default with a quarter of its step budget (:data:`QUARTER_STEPS` per network, the
    only change): the full default trains to convergence, not to the peers' level.

The ratio column is each row's seconds over the NF LSTM's. A full run writes
``benchmarks/results/peers.csv`` afresh (every row from the one run); ``--only`` replaces
just its own rows there. ``--steps`` overrides every model's number of optimiser
steps (for smoke tests only: the scores then mean nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from rich.console import Console
from rich.table import Table

from _m4 import H, M, Timer, add_common_args, load_hourly, merge_rows, score
from gatecast.data.validate import validate
from gatecast.models.recurrent import LSTM
from gatecast.models.registry import make_model
from gatecast.training.config import TrainerConfig

NF_STEPS = 1000  # NeuralForecast's default max_steps for LSTM and NHITS
NF_WINDOWS = 128  # NF LSTM's windows_batch_size: windows per optimiser step, in all
NF_SERIES = 32  # NF LSTM's batch_size: series drawn per step, the windows come from these
LOOK_BACK = 3 * H  # NF LSTM's input_size=-1 means 3 * h
SEED = 1  # NF's default random_seed
#: A quarter of the step budget the default gives each network of its pair on M4 Hourly
#: (6,000 steps shared by two networks: 3,000 each; see recurrent_defaults.auto_steps).
QUARTER_STEPS = 750

MATCHED = (  # {steps} is filled in with the run's number of steps
    f"look-back {LOOK_BACK} steps (no patching: patch_size=1), forecasts the {H} steps in one"
    " pass (NF's recurrent=False)",
    "encoder: nn.LSTM, 2 layers x 128 hidden, no dropout; one network (skip='none': on"
    " this much data gatecast's default trains a plain and a seasonal-skip pair)",
    "decoder: one hidden ReLU layer of 128 (NF decoder_layers=2 = input layer + output"
    " layer; gatecast head_layers=1)",
    f"{NF_WINDOWS} windows per optimiser step (NF: {NF_SERIES} series x windows_batch_size"
    f" {NF_WINDOWS} = {NF_WINDOWS} windows in all, not {NF_SERIES}x{NF_WINDOWS})",
    "{steps} optimiser steps (gatecast: max_steps={steps} in one epoch)",
    "MAE loss on per-window normalised targets; Adam, lr 1e-3, constant (NF num_lr_decays=-1)",
    "no gradient clipping (gatecast clip_norm=None), no validation / early stopping "
    "(val_size=0), the last weights are used",
    "CPU, one process, same torch threads; seed 1 (the two draw from different RNG streams)",
    "scaling: median / median absolute deviation of each input window (NF 'robust',"
    " gatecast normalize='robust')",
)
UNMATCHED = (
    "decoder wiring: NF applies its MLP to each of the last 48 hidden states (128 -> 128 -> 1"
    " per step, shared); gatecast maps the last hidden state to all 48 steps (128 -> 128 -> 48)",
    f"sampling: NF draws {NF_SERIES} series, then {NF_WINDOWS} of their windows, including"
    " windows whose targets run past the series end (zero-padded, masked); gatecast draws"
    f" {NF_WINDOWS} complete windows from all series (a permutation, without replacement)",
    "initialisation: gatecast starts LSTM forget-gate biases at 1 and its last layer near 0;"
    " NF uses PyTorch's defaults",
    "training loop: Lightning (NF) vs gatecast's plain PyTorch loop",
)


@dataclass
class Row:
    method: str
    part: str
    smape: float
    mase: float
    owa: float
    seconds: float


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        names = [line.partition(":")[2].strip()
                 for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{platform.platform()}, {cpu}, {os.cpu_count()} CPUs"


def quiet_lightning() -> dict[str, Any]:
    """Silence Lightning's loggers and warnings; the trainer kwargs that turn off its bars."""
    for name in ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric",
                 "lightning.fabric", "neuralforecast"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"(pytorch_)?lightning.*")
    warnings.filterwarnings("ignore", module=r"neuralforecast.*")
    return {"accelerator": "cpu", "devices": 1, "enable_progress_bar": False,
            "enable_model_summary": False, "logger": False, "enable_checkpointing": False}


def nf_runner(model: Any, train: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    from neuralforecast import NeuralForecast

    def run() -> pd.DataFrame:
        nf = NeuralForecast(models=[model], freq=1)
        nf.fit(train[["unique_id", "ds", "y"]], val_size=0)
        return nf.predict()

    return run


def gatecast_runner(model: Any, train: pd.DataFrame) -> Callable[[], pd.DataFrame]:
    def run() -> pd.DataFrame:
        return model.fit(validate(train, freq=1)).predict(H)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--steps", type=int, default=None,
                        help=f"optimiser steps for every model (default: NF's {NF_STEPS} for"
                             " the NF-matched rows, gatecast's own choice for its default)")
    parser.add_argument("--only", default=None,
                        help="run only these methods (comma-separated names as printed);"
                        " their rows replace the same rows of an earlier peers.csv")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args(argv)
    try:
        from neuralforecast.models import LSTM as NFLSTM
        from neuralforecast.models import NHITS
    except ImportError:
        print("neuralforecast is not installed: pip install -e .[bench]", file=sys.stderr)
        return 1
    if args.threads:
        torch.set_num_threads(args.threads)

    console = Console(width=None if sys.stdout.isatty() else 150)
    started = dt.datetime.now()
    trainer_kwargs = quiet_lightning()
    train, test = load_hourly(args.series)
    n_series = train["unique_id"].nunique()
    steps = args.steps or NF_STEPS

    nf_lstm = NFLSTM(h=H, input_size=-1, max_steps=steps, scaler_type="robust",
                     random_seed=SEED, alias="NF LSTM", **trainer_kwargs)
    matched = LSTM(
        horizon=H, look_back=LOOK_BACK, season_length=M, patch_size=1, hidden_size=128,
        num_layers=2, dropout=0.0, head_hidden=128, head_layers=1, normalize="robust",
        skip="none", loss="mae", max_steps=steps, val_size=0, alias="gatecast LSTM (NF settings)",
        trainer=TrainerConfig(optimizer="adam", lr=1e-3, schedule="none", epochs=1,
                              batch_size=NF_WINDOWS, clip_norm=None, seed=SEED, device="cpu"),
    )
    default_params: dict[str, Any] = {"season_length": M, "horizon": H}
    if args.steps:
        default_params["max_steps"] = args.steps
    default = make_model("lstm", **default_params)
    default.alias = "gatecast lstm (defaults)"
    quarter = make_model("lstm", season_length=M, horizon=H,
                         max_steps=args.steps or QUARTER_STEPS)
    quarter.alias = "gatecast lstm (defaults at 1/4 steps)"
    nhits = NHITS(h=H, input_size=LOOK_BACK, max_steps=steps, random_seed=SEED,
                  alias="NF NHITS", **trainer_kwargs)
    # NHITS's own default scaler is 'identity': on raw M4 levels it scored OWA 1.184 here,
    # so it is also run with the robust scaler NF's LSTM uses by default.
    nhits_robust = NHITS(h=H, input_size=LOOK_BACK, max_steps=steps, random_seed=SEED,
                         scaler_type="robust", alias="NF NHITS (robust)", **trainer_kwargs)

    jobs = [
        ("a", "NF LSTM", nf_runner(nf_lstm, train)),
        ("a", matched.name, gatecast_runner(matched, train)),
        ("b", default.name, gatecast_runner(default, train)),
        ("b", quarter.name, gatecast_runner(quarter, train)),
        ("b", "NF NHITS", nf_runner(nhits, train)),
        ("b", "NF NHITS (robust)", nf_runner(nhits_robust, train)),
    ]
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        jobs = [j for j in jobs if j[1] in wanted]
    rows: list[Row] = []
    for part, name, run in jobs:
        with Timer() as t:
            forecasts = run()
        s, m, o = score(train, test, forecasts, name)
        rows.append(Row(name, part, s, m, o, t.seconds))
        console.print(f"{name:30s} sMAPE {s:7.3f}  MASE {m:6.3f}  OWA {o:6.3f}  {t.seconds:8.1f}s")

    stamp = started.strftime("%Y-%m-%d %H:%M")
    out = pd.DataFrame([vars(r) for r in rows]).rename(
        columns={"smape": "sMAPE", "mase": "MASE", "owa": "OWA"})
    out = out.assign(date=stamp, machine=machine(), series=n_series, steps=steps,
                     threads=torch.get_num_threads())
    nf = out.loc[out["method"] == "NF LSTM", "seconds"]
    out["ratio"] = out["seconds"] / (nf.iloc[0] if len(nf) else out["seconds"].iloc[0])
    if args.only:  # a partial run replaces only its own rows
        merge_rows(args.out / "peers.csv", out, ["method", "series"])
    else:  # a full run is one run: its rows alone, all measured together
        args.out.mkdir(parents=True, exist_ok=True)
        out.to_csv(args.out / "peers.csv", index=False)
    reference = float(nf.iloc[0]) if len(nf) else rows[0].seconds

    from neuralforecast import __version__ as nf_version

    title = (
        f"M4 Hourly, {n_series} series, h={H}: gatecast vs NeuralForecast {nf_version}"
        f" ({steps} steps)\n{stamp}, {machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    table = Table(title=title)
    for col in ("part", "method", "sMAPE", "MASE", "OWA", "fit+predict s", "s / NF LSTM s"):
        table.add_column(col, justify="left" if col in ("part", "method") else "right")
    for r in rows:
        style = "bold green" if r.method.startswith("gatecast") else None
        table.add_row(r.part, r.method, f"{r.smape:.3f}", f"{r.mase:.3f}", f"{r.owa:.3f}",
                      f"{r.seconds:.1f}", f"{r.seconds / reference:.2f}", style=style)
    console.print(table)
    console.print("(a) matched between NF LSTM and gatecast LSTM (NF settings):")
    for line in MATCHED:
        console.print(f"  = {line.replace('{steps}', str(steps))}")
    console.print("    not matched (gatecast has no equivalent):")
    for line in UNMATCHED:
        console.print(f"  ~ {line}")
    if args.steps:
        console.print(f"[yellow]--steps {args.steps}: a smoke test; the scores mean nothing."
                      "[/yellow]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
