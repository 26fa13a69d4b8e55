"""A directory of Parquet files read lazily, one partition of series at a time.

:func:`scan_parquet` reads only file footers and the id column (nothing at all for a layout
partitioned by ``unique_id``, ``root/unique_id=A/*.parquet``), and plans partitions: groups
of whole files such that every series lies in exactly one partition (files that share a
series are kept together). A worker then reads its partition with :func:`read_partition`, so
no process holds the whole frame. Forecasts go back with :func:`write_part` as
``part-00000.parquet``, ``part-00001.parquet``, ... (a directory that
``pandas.read_parquet`` reads as one frame).

Every error names the file: a corrupt file, a missing column, a series whose rows are bad
(the validation message, plus the file(s) holding that series), or a series planned for a
partition that is no longer there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gatecast.checks import whole_number
from gatecast.data.frame import as_long
from gatecast.data.validate import SeriesFrame, validate
from gatecast.errors import DataError, series_list

SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class ParquetPartition:
    """One unit of work: the files a worker reads and the series it must find there."""

    index: int
    files: tuple[str, ...]
    ids: np.ndarray  # [n_series] sorted unique ids planned for this partition
    rows: int
    hive_ids: tuple[str | None, ...]  # per file: the id from a ``unique_id=...`` folder


@dataclass(frozen=True)
class ParquetSeries:
    """A planned, not yet read, directory of long-format Parquet files."""

    root: Path
    partitions: list[ParquetPartition]
    id_col: str = "unique_id"
    time_col: str = "ds"
    target_col: str = "y"

    @property
    def n_series(self) -> int:
        return sum(p.ids.size for p in self.partitions)

    @property
    def n_rows(self) -> int:
        return sum(p.rows for p in self.partitions)

    def read(self, k: int, *, freq: Any = None, fill: Any = None) -> SeriesFrame:
        return read_partition(self, self.partitions[k], freq=freq, fill=fill)


def is_dataset_dir(path: Any) -> bool:
    """True for a directory (the lazy path); files keep the in-memory path."""
    return isinstance(path, (str, Path)) and Path(path).is_dir()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _list_files(root: Path) -> list[Path]:
    # Spark/Arrow side files (_SUCCESS, _metadata, .crc) start with "_" or ".".
    files = [f for f in sorted(root.rglob("*")) if f.is_file() and f.suffix.lower() in SUFFIXES
             and not any(part.startswith(("_", ".")) for part in f.relative_to(root).parts)]
    if not files:
        raise DataError(f"no Parquet files (*.parquet) under {root}; give a directory of"
                        " long-format Parquet files (unique_id, ds, y)")
    return files


def _hive_id(root: Path, file: Path, id_col: str) -> str | None:
    for part in file.relative_to(root).parts[:-1]:
        key, sep, value = part.partition("=")
        if sep and key == id_col:
            return unquote(value)
    return None


def _open(file: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(file)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read Parquet file {file}: {_first_line(exc)}; rewrite or"
                        " remove the file") from exc


def _check_columns(file: Path, names: list[str], need: list[str]) -> None:
    missing = [c for c in need if c not in names]
    if missing:
        raise DataError(f"Parquet file {file} has no column(s) {missing} (found"
                        f" {names[:8]}); name them with id_col=/time_col=/target_col=")


def _file_ids(file: Path, handle: pq.ParquetFile, id_col: str) -> np.ndarray:
    try:
        column = handle.read(columns=[id_col]).column(0)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read Parquet file {file}: {_first_line(exc)}; rewrite or"
                        " remove the file") from exc
    return np.asarray(pc.unique(column).to_pylist(), dtype=object)


def _components(file_ids: list[np.ndarray]) -> np.ndarray:
    """Component of each file when files sharing a series are joined (union-find)."""
    parent = list(range(len(file_ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs = pd.DataFrame({"id": np.concatenate(file_ids) if file_ids else [],
                          "file": np.repeat(np.arange(len(file_ids)),
                                            [ids.size for ids in file_ids])})
    first = pairs.groupby("id", sort=False)["file"].transform("min").to_numpy()
    for a, b in zip(first, pairs["file"].to_numpy(), strict=True):
        if a != b:
            parent[find(b)] = find(a)
    return np.array([find(i) for i in range(len(file_ids))])


def scan_parquet(
    path: str | Path,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    series_per_partition: int = 20_000,
) -> ParquetSeries:
    """Plan the lazy read of a directory of Parquet files (see the module docstring).

    Partitions hold whole groups of files, packed up to ``series_per_partition`` series (a
    group larger than that stays one partition). Partitions are ordered by their smallest
    id, so when files hold disjoint id ranges the concatenated output is sorted like the
    in-memory path's.
    """
    series_per_partition = whole_number(series_per_partition, "series_per_partition")
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"not a directory: {root}")
    files = _list_files(root)
    hive = [_hive_id(root, f, id_col) for f in files]
    rows, file_ids = [], []
    for f, hid in zip(files, hive, strict=True):
        handle = _open(f)
        names = handle.schema_arrow.names
        _check_columns(f, names, [time_col, target_col] + ([] if hid else [id_col]))
        rows.append(handle.metadata.num_rows)
        file_ids.append(np.array([hid], dtype=object) if hid is not None
                        else _file_ids(f, handle, id_col))
    file_ids = [np.asarray([str(i) for i in ids], dtype=object) for ids in file_ids]
    comp = _components(file_ids)
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(comp):
        groups.setdefault(int(c), []).append(i)
    units = []  # (smallest id, files, ids)
    for members in groups.values():
        ids = np.unique(np.concatenate([file_ids[i] for i in members]))
        if ids.size:
            units.append((ids[0], members, ids))
    units.sort(key=lambda u: u[0])
    partitions: list[ParquetPartition] = []
    pending: list[tuple[Any, list[int], np.ndarray]] = []

    def flush() -> None:
        if pending:
            members = [i for _, m, _ in pending for i in m]
            ids = np.concatenate([u[2] for u in pending])
            partitions.append(ParquetPartition(
                len(partitions), tuple(str(files[i]) for i in members), np.sort(ids),
                int(sum(rows[i] for i in members)), tuple(hive[i] for i in members)))
            pending.clear()

    for unit in units:
        if pending and sum(u[2].size for u in pending) + unit[2].size > series_per_partition:
            flush()
        pending.append(unit)
    flush()
    if not partitions:
        raise DataError(f"the Parquet files under {root} hold no rows")
    return ParquetSeries(root, partitions, id_col, time_col, target_col)


def _read_file(data: ParquetSeries, file: str, hive_id: str | None) -> pd.DataFrame:
    try:
        frame = pq.read_table(file).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"cannot read Parquet file {file}: {_first_line(exc)}; rewrite or"
                        " remove the file") from exc
    if hive_id is not None:
        frame[data.id_col] = hive_id
    return as_long(frame, id_col=data.id_col, time_col=data.time_col,
                   target_col=data.target_col)


_SERIES = re.compile(r"series '([^']*)'")


def _where(message: str, files: tuple[str, ...], frames: list[pd.DataFrame]) -> str:
    """The file(s) holding the series a validation message names."""
    match = _SERIES.search(message)
    if match:
        holding = [f for f, fr in zip(files, frames, strict=True)
                   if (fr["unique_id"].astype(str) == match.group(1)).any()]
        if holding:
            return ", ".join(holding[:3]) + (f" and {len(holding) - 3} more" if
                                             len(holding) > 3 else "")
    return ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")


def read_partition(data: ParquetSeries, part: ParquetPartition, *, freq: Any = None,
                   fill: Any = None, min_length: int | None = None) -> SeriesFrame:
    """Read and validate one partition; every error names its file(s)."""
    frames = [_read_file(data, f, h) for f, h in zip(part.files, part.hive_ids, strict=True)]
    raw = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    try:
        sf = validate(raw, freq=freq, fill=fill, min_length=min_length)
    except DataError as exc:
        raise DataError(f"{exc} (in {_where(str(exc), part.files, frames)})") from exc
    found = np.asarray(sf.ids, dtype=object).astype(str)
    missing = np.setdiff1d(part.ids, found)
    extra = np.setdiff1d(found, part.ids)
    if missing.size or extra.size:
        what = (f"series {series_list(list(missing))} planned for partition {part.index}"
                " are missing from it" if missing.size else
                f"series {series_list(list(extra))} appeared in partition {part.index}")
        raise DataError(f"{what} (files {', '.join(part.files[:3])}): the dataset changed"
                        " after it was scanned; scan it again")
    return sf


def write_part(frame: pd.DataFrame, out_dir: str | Path, index: int) -> Path:
    """Write ``out_dir/part-<index>.parquet`` atomically (a retried task overwrites it)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"part-{index:05d}.parquet"
    tmp = out / f".part-{index:05d}.parquet.tmp"
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path
