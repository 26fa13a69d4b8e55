"""Fuzz gatecast: random frames through the Python API and random CSV files through the CLI.

Every case must end in success or a gatecast error (CLI: exit status 2); anything else is
a crash. Prints the count of each outcome per path and an example of each crash class::

    python benchmarks/fuzz.py --cases 100000 --seed 0

The cases come from ``tests/fuzz_cases.py`` (shared with ``tests/test_fuzz.py``), drawn
from a numpy generator seeded with ``--seed``, so a run is reproducible. Half the cases go
through ``gatecast.cli.main.main`` in this process (the CSV written to a temporary file
first), half through ``gatecast.validate`` and a naive-family model's fit and predict.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz_cases import (
    RandomChooser,
    build_csv,
    build_frame,
    outcome_of_api,
    outcome_of_cli,
    run_csv,
    run_frame,
)


def fuzz(cases: int, seed: int, examples: int = 3) -> tuple[dict[str, Counter[str]],
                                                            dict[str, list[str]]]:
    """Run ``cases`` cases; outcome counts per path and up to ``examples`` per crash."""
    rng = np.random.default_rng(seed)
    chooser = RandomChooser(rng)
    counts: dict[str, Counter[str]] = {"cli": Counter(), "api": Counter()}
    crashes: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for k in range(cases):
            if k % 2 == 0:
                text, args = build_csv(chooser)
                run = run_csv(text, args, folder)
                outcome = outcome_of_cli(run)
                counts["cli"][outcome] += 1
                detail = f"args={args} csv={text[:300]!r} -> {run.stderr.strip()[:300]}"
            else:
                df, options = build_frame(chooser)
                outcome, exc = outcome_of_api(lambda df=df, options=options:
                                              run_frame(df, options))
                counts["api"][outcome] += 1
                detail = (f"options={options} frame={df.head(4).to_dict('list')!r:.300}"
                          f" dtypes={dict(df.dtypes.astype(str))} -> {exc!r:.300}")
            if outcome.startswith("crash"):
                seen = crashes.setdefault(f"{'cli' if k % 2 == 0 else 'api'} {outcome}", [])
                if len(seen) < examples:
                    seen.append(detail)
    return counts, crashes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in all (default 10^5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples", type=int, default=3, help="examples shown per crash class")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts, crashes = fuzz(args.cases, args.seed, args.examples)
    seconds = time.perf_counter() - start
    print(f"{args.cases:,} cases (seed {args.seed}) in {seconds:.0f} s\n")
    print(f"{'path':<5} {'outcome':<45} {'cases':>8} {'share':>7}")
    for path, counter in counts.items():
        total = sum(counter.values()) or 1
        for outcome, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"{path:<5} {outcome:<45} {n:>8,} {n / total:>7.2%}")
    n_crash = sum(n for c in counts.values() for o, n in c.items() if o.startswith("crash"))
    print(f"\ncrashes: {n_crash:,} of {args.cases:,} ({n_crash / max(args.cases, 1):.2%})")
    for name, found in sorted(crashes.items()):
        print(f"\n{name}:")
        for line in found:
            print(f"  {line}")
    return 1 if n_crash else 0


if __name__ == "__main__":
    sys.exit(main())
