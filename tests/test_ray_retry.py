"""A killed Ray worker's partition is retried; one that keeps dying is reported, by series."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("ray")

KILLED_WORKER_SCRIPT = """
import os, sys
from pathlib import Path
import ray.cloudpickle
from gatecast.engine.ray import PartitionLostError, RayEngine

class DieOnce:
    # Kills its worker process the first time it meets item 1 (a marker file remembers).
    def __init__(self, marker, always=False):
        self.marker, self.always = marker, always

    def __call__(self, item):
        if item == 1 and (self.always or not os.path.exists(self.marker)):
            Path(self.marker).touch()
            os._exit(1)
        return 2 * item

marker = sys.argv[1]
with RayEngine(num_cpus=2, object_store_mb=128, max_retries=2) as engine:
    assert engine.map(DieOnce(marker), [0, 1, 2, 3]) == [0, 2, 4, 6]
    assert os.path.exists(marker)  # the worker did die once
    try:
        RayEngine(max_retries=0).map(DieOnce(marker, always=True), [0, 1],
                                     labels=["series 'a'", "series 'b'"])
    except PartitionLostError as exc:
        # one write: print("LOST:", exc) writes its parts separately, and Ray's log
        # forwarding thread can land its "(raylet) A worker died" line between them
        sys.stdout.write(f"LOST: {exc}\\n")
print("RETRIED OK")
"""


def test_killed_worker_partition_is_retried(tmp_path) -> None:
    # Killing Ray workers runs in a process of its own with its own Ray runtime (this module
    # starts none), so whatever a killed worker does to its driver stays out of the session.
    script = tmp_path / "killed.py"
    script.write_text(KILLED_WORKER_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # a runtime of its own
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "died")],
                          capture_output=True, text=True, timeout=300, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "RETRIED OK" in proc.stdout
    assert "LOST: partition 1 (series 'b') was lost" in proc.stdout
