"""Reading and writing IDX files, the format of the MNIST digits (gzip-compressed or raw).

An IDX file is a 4-byte magic number, the dimensions, then the data, all big-endian::

    bytes 0-1   0x00 0x00
    byte  2     dtype code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d (>= 1)
    4 * d       each dimension as an unsigned 32-bit integer
    ...         prod(dims) values of that dtype, row-major

Everything is checked before the data are read (magic, dtype code, dimensions, exact file
size), so a truncated download or a wrong file fails with one line saying which.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from gatecast.errors import DataError

__all__ = ["IDX_DTYPES", "load_mnist", "read_idx", "write_idx"]

#: dtype code -> big-endian numpy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
#: a file claiming more values than this is corrupt rather than big (8 GiB of uint8)
_MAX_VALUES = 8 * 1024**3


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(f"IDX file not found: {path}")
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path} is a damaged or truncated gzip file ({exc}); "
                        "download it again") from exc


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` or raw, detected from the content).

    Returns the data in native byte order with the file's dtype and shape, e.g. MNIST
    images ``uint8 [n, 28, 28]`` and labels ``uint8 [n]``. Raises :class:`DataError` on a
    missing, malformed or truncated file.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path} is not an IDX file: {len(data)} bytes, shorter than the header")
    zero, code, ndim = data[:2], data[2], data[3]
    if zero != b"\x00\x00":
        raise DataError(f"{path} is not an IDX file: bad magic number 0x{data[:4].hex()} "
                        "(should start with 0x0000)")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DataError(f"{path} has unknown IDX dtype code 0x{code:02X}; expected one of {known}")
    if ndim < 1:
        raise DataError(f"{path} declares 0 dimensions; an IDX file needs at least one")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated: the header needs {header} bytes, "
                        f"the file has {len(data)}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    count = int(np.prod(dims, dtype=np.int64))
    if count > _MAX_VALUES:
        raise DataError(f"{path} declares dimensions {list(dims)}, which is implausibly large; "
                        "the header is corrupt")
    dtype = IDX_DTYPES[code]
    expected = header + count * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "longer than its header says"
        raise DataError(f"{path} is {what}: dimensions {list(dims)} of {dtype.itemsize}-byte "
                        f"values need {expected} bytes, the file has {len(data)}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # native order, and a writable copy


def write_idx(path: str | Path, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file; gzip-compressed when ``compress`` (default: the path
    ends in ``.gz``). The inverse of :func:`read_idx`."""
    path = Path(path)
    array = np.asarray(array)
    code = next((c for c, dt in IDX_DTYPES.items() if dt.newbyteorder("=") == array.dtype), None)
    if code is None:
        raise DataError(f"IDX cannot store dtype {array.dtype}; use uint8, int8, int16, int32, "
                        "float32 or float64")
    if array.ndim < 1 or array.ndim > 255:
        raise DataError(f"IDX needs 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path


def _find(folder: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"no {stem}[.gz] in {folder}; expected the MNIST files there")


def load_mnist(folder: str | Path, kind: str = "t10k") -> tuple[np.ndarray, np.ndarray]:
    """MNIST images ``uint8 [n, 28, 28]`` and labels ``uint8 [n]`` from ``folder``.

    ``kind`` is the file prefix: ``t10k`` (the 10,000 test digits) or ``train``; the files
    ``<kind>-images-idx3-ubyte[.gz]`` and ``<kind>-labels-idx1-ubyte[.gz]`` must be there.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"MNIST folder not found: {folder}")
    images = read_idx(_find(folder, f"{kind}-images-idx3-ubyte"))
    labels = read_idx(_find(folder, f"{kind}-labels-idx1-ubyte"))
    return check_images_labels(images, labels)


def check_images_labels(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check that IDX images [n, rows, cols] and labels [n] belong together."""
    if images.ndim != 3:
        raise DataError(f"IDX images must have 3 dimensions [n, rows, cols], got shape "
                        f"{list(images.shape)}")
    if labels.ndim != 1:
        raise DataError(f"IDX labels must have 1 dimension [n], got shape {list(labels.shape)}")
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{images.shape[0]} images but {labels.shape[0]} labels; "
                        "pass the label file that belongs to the image file")
    return images, labels
