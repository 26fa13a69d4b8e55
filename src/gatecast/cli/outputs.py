"""Every output option of every command, checked once before the command starts its work.

``--output``, ``--plot``, ``--report`` and ``--save`` are checked with
:mod:`gatecast.io.paths`: a known suffix, a writable folder, and never the same file as an
input. The inputs are every path a command was given that exists (the data file,
``--future``, ``--static``, ``--labels``, ...), so a new input option is covered without
listing it here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gatecast.io.paths import (
    FIGURE_SUFFIXES,
    FRAME_SUFFIXES,
    REPORT_SUFFIXES,
    check_output,
    check_output_dir,
)

OUTPUT_OPTIONS = ("output", "plot", "report", "save")
#: Commands whose --output is a folder, and the files they write there.
FOLDER_OUTPUTS: dict[str, tuple[str, ...]] = {
    "demo": ("leaderboard.csv", "leaderboard.png", "forecasts.csv", "forecast.png",
             "report.html"),
    "diagnose": ("summary.csv", "stationarity.csv", "leaderboard.csv", "shift.csv",
                 "residuals.csv", "diagnostics.json"),
    "gradients": ("gradients.csv", "gradients.png"),
    "grid": ("forecast.npy", "history.csv", "model"),
    "classify": ("predictions.csv", "model"),
    "pretrain": ("config.json", "model.safetensors"),
}


def input_paths(args: argparse.Namespace) -> list[Path]:
    """Every existing file or folder named by a non-output option."""
    found = []
    for key, value in vars(args).items():
        if key in OUTPUT_OPTIONS or not isinstance(value, str) or not value:
            continue
        path = Path(value)
        try:
            if path.exists():
                found.append(path)
        except (OSError, ValueError):  # a name too long or with a NUL byte is no input
            continue
    return found


def check_outputs(args: argparse.Namespace) -> None:
    """Raise :class:`~gatecast.errors.ConfigError` for the first output that cannot be
    written, before any data is read or model fitted."""
    command = getattr(args, "command", "")
    inputs = input_paths(args)
    output = getattr(args, "output", None)
    if output:
        if command in FOLDER_OUTPUTS:
            check_output_dir(output, FOLDER_OUTPUTS[command], inputs=inputs, what="--output")
        elif command == "report":
            check_output(output, suffixes=REPORT_SUFFIXES, inputs=inputs, what="--output")
        elif command == "forecast" and not Path(output).suffix:
            # forecasting on an engine writes part-*.parquet files into a folder
            check_output_dir(output, inputs=inputs, what="--output")
        else:
            check_output(output, suffixes=FRAME_SUFFIXES, inputs=inputs, what="--output")
    if getattr(args, "plot", None):
        check_output(args.plot, suffixes=FIGURE_SUFFIXES, inputs=inputs, what="--plot")
    if getattr(args, "report", None):
        check_output(args.report, suffixes=REPORT_SUFFIXES, inputs=inputs, what="--report")
    if getattr(args, "save", None):
        check_output_dir(args.save, inputs=inputs, what="--save")
