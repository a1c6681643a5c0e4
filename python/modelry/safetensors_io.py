"""Reading and writing the safetensors format for dicts of numpy arrays,
without the copies ``safetensors.numpy`` makes.

The format (https://github.com/huggingface/safetensors): an 8-byte
little-endian header length N, N bytes of JSON ``{name: {"dtype", "shape",
"data_offsets": [begin, end]}}`` padded with spaces to a multiple of 8, then
the tensors' bytes, back to back. :func:`plan` lays a dict out (tensors by
decreasing item size, then name, so every tensor stays aligned) and yields
the file as memoryviews of the arrays themselves, so that a save can hash,
write and upload the bytes in one pass. :func:`read` maps a file
copy-on-write: the arrays share the page cache with the file, are
writable, and writing to them never changes the file.

What the mapping (``MAP_PRIVATE``) guarantees: a page the program writes
becomes its own copy; a page it never writes stays shared with the file.
Deleting or renaming the file does not affect the arrays (the kernel keeps
an unlinked file's pages while a mapping holds them), but writing into the
file in place, or truncating it, would show through (or raise SIGBUS past
the new end). The cache never does either: its blobs are read-only, added
by rename and removed by unlink (modelry.cache), so arrays loaded from it
stay as verified until something outside the SDK writes into its files.
"""

from __future__ import annotations

import json
import mmap
import struct
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .errors import IntegrityError

#: Size of the pieces a file is sent in: large, so that the sending thread
#: takes the GIL rarely.
CHUNK = 4 << 20

_CODES = {
    "float64": "F64", "float32": "F32", "float16": "F16",
    "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8",
    "uint64": "U64", "uint32": "U32", "uint16": "U16", "uint8": "U8",
    "bool": "BOOL", "complex64": "C64",
}
_DTYPES = {v: np.dtype(k).newbyteorder("<") for k, v in _CODES.items()}


def supported(arrays: Dict[str, Any]) -> bool:
    """Whether every array has a dtype this module writes."""
    return all(isinstance(a, np.ndarray) and a.dtype.newbyteorder("=").name in _CODES for a in arrays.values())


@dataclass
class Plan:
    """Tensors laid out as a safetensors file of ``size`` bytes."""

    size: int
    header: bytes
    buffers: List[np.ndarray]  # each tensor's bytes, as uint8, in file order

    def chunks(self) -> Iterator[memoryview]:
        """The file's bytes, as views of the tensors' memory (no copies)."""
        yield memoryview(self.header)
        for b in self.buffers:
            mv = memoryview(b)  # type: ignore[arg-type]
            for i in range(0, len(mv), CHUNK):
                yield mv[i:i + CHUNK]

    def views(self) -> Iterator[memoryview]:
        """The file's bytes in as few pieces as possible (the header, then
        each tensor whole): hashing them takes the GIL once per tensor."""
        yield memoryview(self.header)
        for b in self.buffers:
            yield memoryview(b)  # type: ignore[arg-type]

    def write(self, path: str, tap: Callable[[memoryview], None] = lambda b: None) -> None:
        """Writes the file, passing every chunk to ``tap`` too (e.g. a hash)."""
        with open(path, "wb", buffering=0) as f:
            for c in self.chunks():
                tap(c)
                f.write(c)


def plan(arrays: Dict[str, np.ndarray], metadata: Optional[Dict[str, str]] = None) -> Plan:
    """Lays out a dict of numpy arrays (see the module doc)."""
    entries = []
    for name, a in arrays.items():
        a = a if a.flags.c_contiguous else a.copy(order="C")  # (ascontiguousarray would turn 0-d into 1-d)
        if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and not np.little_endian):
            a = a.astype(a.dtype.newbyteorder("<"))
        code = _CODES[a.dtype.newbyteorder("=").name]
        entries.append((name, code, list(a.shape), a.dtype.itemsize, a.reshape(-1).view(np.uint8)))
    return plan_raw(entries, metadata)


def plan_raw(entries: Sequence[Tuple[str, str, List[int], int, np.ndarray]], metadata: Optional[Dict[str, str]] = None) -> Plan:
    """Lays out tensors given as (name, dtype code, shape, item size, bytes
    as a 1-d uint8 array), with optional string metadata (written sorted,
    so that equal inputs give equal files)."""
    order = sorted(entries, key=lambda e: (-e[3], e[0]))
    header: Dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    offset = 0
    for name, code, shape, _, data in order:
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + data.nbytes]}
        offset += data.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(len(text) + 8) % 8)
    head = struct.pack("<Q", len(text)) + text
    return Plan(len(head) + offset, head, [e[4] for e in order if e[4].nbytes])


def read(path: str) -> Dict[str, np.ndarray]:
    """Maps a safetensors file copy-on-write and returns its arrays, in
    header order. Offsets and sizes are checked against the file."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        if size < 8:
            raise IntegrityError(f"{path} is too short for a safetensors file", code="BAD_FILE")
        (n,) = struct.unpack("<Q", f.read(8))
        if n > size - 8:
            raise IntegrityError(f"{path}: safetensors header of {n} bytes runs past the end", code="BAD_FILE")
        header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) if size > 0 else None
    base = 8 + n
    out: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info.get("dtype"))
        shape: Tuple[int, ...] = tuple(int(d) for d in info["shape"])
        begin, end = (int(x) for x in info["data_offsets"])
        if dtype is None:
            raise IntegrityError(f"{path}: tensor {name!r} has dtype {info.get('dtype')!r}, which this reader does not know", code="BAD_FILE")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * dtype.itemsize or begin < 0 or base + end > size:
            raise IntegrityError(f"{path}: tensor {name!r} does not fit its offsets", code="BAD_FILE")
        if count == 0:
            out[name] = np.empty(shape, dtype)
        else:
            out[name] = np.frombuffer(mm, dtype=dtype, count=count, offset=base + begin).reshape(shape)  # type: ignore[arg-type]
    return out
