"""Output paths: checked before the work starts, written atomically, never over an input.

Every file gatecast writes goes through :func:`atomic_write`: the content goes to a
temporary file in the target's folder, which then replaces the target in one
``os.replace``; a failure part-way (disk full, a bug, Ctrl-C) leaves the old file or none,
never half a file. :func:`check_output` runs before any model is fitted: a known suffix, a
folder that can really be written (probed by creating a file there, so ``/proc/x`` fails
at once even as root), and not the same file as any input (``os.path.samefile``, which sees
through symbolic and hard links).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gatecast.errors import ConfigError

FRAME_SUFFIXES = (".csv", ".parquet", ".pq")
FIGURE_SUFFIXES = (".png", ".svg")
REPORT_SUFFIXES = (".html", ".htm")


def _existing_ancestor(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path.cwd()


def _probe(folder: Path, what: str, target: Path) -> None:
    """Create and remove a file in ``folder``: the only check that root cannot pass wrongly."""
    if not folder.is_dir():
        raise ConfigError(f"{what} {str(target)!r}: {str(folder)!r} is not a folder")
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".gatecast-probe-")
    except OSError as exc:
        raise ConfigError(f"{what} {str(target)!r} cannot be written: folder {str(folder)!r}"
                          f" is not writable ({exc.strerror or exc})") from exc
    os.close(fd)
    os.unlink(name)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def inputs_of(*paths: Any) -> list[Path]:
    """The given input paths that are set (skips ``None`` and empty strings)."""
    return [Path(p) for p in paths if p]


def check_output(path: str | Path, *, suffixes: Iterable[str] = FRAME_SUFFIXES,
                 inputs: Iterable[str | Path] = (), what: str = "output file") -> Path:
    """``path`` as a :class:`Path` if it can be written as a new file or replace an old one.

    Refused: an unknown suffix (``.xlsx`` is not silently written as CSV), an existing
    folder, device or other non-regular file, the same file as any of ``inputs`` (also
    through links, or inside an input folder), and a folder that cannot be written.
    """
    path = Path(path)
    allowed = tuple(s.lower() for s in suffixes)
    if path.suffix.lower() not in allowed:
        listed = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1
                             else allowed)
        raise ConfigError(f"{what} {str(path)!r} must end in {listed};"
                          f" {path.suffix or 'no suffix'} is not a format gatecast writes")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ConfigError(f"{what} {str(path)!r} exists and is not a regular file;"
                              " choose a new file name")
    for source in inputs:
        source = Path(source)
        inside = source.is_dir() and path.resolve().is_relative_to(source.resolve())
        if _same_file(path, source) or path.resolve() == source.resolve() or inside:
            raise ConfigError(f"{what} {str(path)!r} is the input {str(source)!r}; gatecast"
                              " never writes over its input, choose another file name")
    parent = path.parent if path.parent.exists() else _existing_ancestor(path)
    _probe(parent, what, path)
    return path


def check_output_dir(folder: str | Path, names: Iterable[str] = (), *,
                     inputs: Iterable[str | Path] = (), what: str = "output folder") -> Path:
    """``folder`` if it can hold the files ``names`` without touching any input."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{what} {str(folder)!r} exists and is not a folder")
    inputs = list(inputs)
    for source in inputs:
        source = Path(source)
        inside = source.is_dir() and folder.resolve().is_relative_to(source.resolve())
        if _same_file(folder, source) or inside:
            raise ConfigError(f"{what} {str(folder)!r} is (inside) the input {str(source)!r};"
                              " gatecast never writes into its input, choose another folder")
    for name in names:
        target = folder / name
        if target.suffix:
            check_output(target, suffixes=(target.suffix,), inputs=inputs, what=f"{what} file")
        elif any(_same_file(target, source) for source in inputs):
            raise ConfigError(f"{what} {str(target)!r} is an input; choose another folder")
    _probe(folder if folder.exists() else _existing_ancestor(folder), what, folder)
    return folder


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path`` (same suffix, so writers that
    pick the format by suffix still work), then put it in place with ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if path.exists() and path.is_file():
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_frame(df: Any, path: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Write a DataFrame as CSV or Parquet (by suffix), atomically, never over an input."""
    path = check_output(path, inputs=inputs)
    if path.suffix.lower() in {".parquet", ".pq"}:
        return atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))
    return atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))
