"""The QR code of a leaflet's online address: segno's symbol, with segno's mask, found faster.

A QR code's data are masked with the one of eight patterns that scores the lowest penalty
(ISO/IEC 18004:2015, 7.8.3: runs, blocks, finder-like patterns, the share of dark modules).
``segno.make`` masks and scores each of the eight matrices in pure Python one module at a
time, most of its cost (about 5 of 7 ms for a leaflet's address). :func:`make` masks and
scores the same eight matrices by the same rules as segno (its ``encoder.mask_scores``,
read as it counts, quirks included), a whole matrix or line at a time with bytes, regular
expressions and integer operations, and takes the mask segno would take (the first of the
lowest scores): the symbol is the one ``segno.make`` returns, module for module
(``tests/render/test_qr.py`` compares the two, and each score, over many addresses).
Nothing about the code changes: the version, the error correction level (M), the mask and
the quiet zone are segno's.

The matrix is built, and the format and version information added, by segno's own encoder
steps (``segno.encoder``, not its public API): should a segno release rename them,
:func:`make` falls back to ``segno.make`` (slower, the same symbol).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

#: The error correction level of a leaflet's code: M (15%), never raised or lowered.
ERROR = "m"
#: The 1:1:3:1:1 (dark:light:dark:light:dark) finder-like pattern of penalty rule N3.
_N3_PATTERN = bytes((0x1, 0x0, 0x1, 0x1, 0x1, 0x0, 0x1))
#: Runs of five or more light, or dark, modules in a row or column (penalty rule N1),
#: spelt out: a literal prefix makes the regular expression engine skip ahead quickly.
_RUNS = (re.compile(rb"\x00\x00\x00\x00\x00+"), re.compile(rb"\x01\x01\x01\x01\x01+"))


def make(address: str) -> Any:
    """``segno.make(address, error="m", micro=False, boost_error=False)``: the same
    ``segno.QRCode``, its mask found by :func:`mask_scores`."""
    import segno  # imported where used: only leaflets of brands with a leaflet_url need it

    try:
        code = _encode(address)
    except (AttributeError, ImportError, TypeError):  # segno's internals changed
        code = None
    if code is None:  # segno evaluates the masks itself
        return segno.make(address, error=ERROR, micro=False, boost_error=False)
    return segno.QRCode(code)


def _encode(address: str) -> Any:
    """What ``segno.encoder.encode`` returns for :func:`make` (its ``Code``: matrix,
    version, error, mask, segments), with the mask :func:`mask_scores` finds; None for a
    matrix it does not score."""
    from segno import encoder  # where used, as in make

    segments, version, error, matrix = _unmasked(address)
    scores = _scores(matrix)
    if scores is None:
        return None
    mask = scores.index(min(scores))  # the first of the lowest, as segno chooses
    size = len(matrix)
    rows, _ = _joined(matrix)
    masked = (rows ^ _masks(size)[mask][0]).to_bytes(size * (size + 1) - 1, "big")
    final = tuple(bytearray(row) for row in masked.split(SEPARATOR))
    encoder.add_format_info(final, version, error, mask)
    encoder.add_version_info(final, version)
    return encoder.Code(final, version, error, mask, segments)


def mask_scores(address: str) -> list[int] | None:
    """The penalty score of each of the eight masked matrices of ``address``'s code, as
    segno's ``encoder.evaluate_mask`` counts them (None: see :func:`_scores`)."""
    return _scores(_unmasked(address)[3])


def _unmasked(address: str) -> tuple[Any, int, int, tuple[bytearray, ...]]:
    """The segments, version, error level and the matrix segno scores: function patterns,
    the reserved format and version areas, and the data and error correction codewords, not
    yet masked (the steps of ``segno.encoder.encode`` before ``find_and_apply_best_mask``,
    for a QR code, error level M kept, no ECI)."""
    from segno import consts, encoder  # where used, as in make

    error = encoder.normalize_errorlevel(ERROR)
    segments = encoder.prepare_data(address, None, None)
    version = encoder.find_version(segments, error, eci=False, micro=False)
    buff = encoder.Buffer()
    ver_range = encoder.version_range(version)
    for segment in segments:
        encoder.write_segment(buff, segment, None, ver_range, False)
    capacity = consts.SYMBOL_CAPACITY[version][error]
    encoder.write_terminator(buff, capacity, None, len(buff))
    encoder.write_padding_bits(buff, version, len(buff))
    encoder.write_pad_codewords(buff, version, capacity, len(buff))
    buff = encoder.make_final_message(version, error, buff)
    width = encoder.calc_matrix_size(version)
    matrix = encoder.make_matrix(width, width)
    encoder.add_finder_patterns(matrix, width, width)
    encoder.add_alignment_patterns(matrix, width, width)
    encoder.add_codewords(matrix, buff, version)
    return segments, version, error, matrix


def _joined(matrix: tuple[bytearray, ...]) -> tuple[int, int]:
    """A matrix's rows and its columns, each joined with :data:`SEPARATOR`, as integers."""
    rows = SEPARATOR.join(matrix)
    columns = SEPARATOR.join(bytes(column) for column in zip(*matrix))
    return int.from_bytes(rows, "big"), int.from_bytes(columns, "big")


def _scores(matrix: tuple[bytearray, ...]) -> list[int] | None:
    """The penalty score of each of the eight masks applied to ``matrix`` (None when a
    module is not 0 or 1, which segno's encoder never leaves: then segno scores it)."""
    size = len(matrix)
    if sum(row.count(0) + row.count(1) for row in matrix) != size * size:
        return None
    rows, columns = _joined(matrix)
    length = size * (size + 1) - 1
    return [penalty((rows ^ row_mask).to_bytes(length, "big"),
                    (columns ^ column_mask).to_bytes(length, "big"), size)
            for row_mask, column_mask in _masks(size)]


#: Between two rows (or columns) of a matrix joined into one bytes object: a value no
#: module has, so no run or pattern spans two lines.
SEPARATOR = b"\xff"


@cache
def _masks(size: int) -> tuple[tuple[int, int], ...]:
    """Each of the eight data masks of a ``size`` x ``size`` code, as its rows and as its
    columns joined as :func:`mask_scores` joins a matrix's (a byte per module: 1 where the
    mask flips a module of the encoding region, 0 elsewhere and between lines), built from
    segno's own mask functions and function patterns."""
    from segno import encoder  # where used, as in make

    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module is not part of the encoding region
    masks = []
    for pattern in encoder.get_data_mask_functions(False):
        flips = [bytes(1 if function[i][j] > 0x1 and pattern(i, j) else 0 for j in range(size))
                 for i in range(size)]
        rows = b"\0".join(flips)
        columns = b"\0".join(bytes(column) for column in zip(*flips))
        masks.append((int.from_bytes(rows, "big"), int.from_bytes(columns, "big")))
    return tuple(masks)


def penalty(rows: bytes, columns: bytes, size: int) -> int:
    """The penalty score (N1 + N2 + N3 + N4) of a ``size`` x ``size`` matrix of 0 and 1
    given as its rows and as its columns, each joined with :data:`SEPARATOR`, exactly as
    segno's ``encoder.mask_scores`` counts it."""
    stride = size + 1
    # N1: each run of five or more modules of one colour scores its length - 2
    n1 = 0
    for line in (rows, columns):
        for runs in _RUNS:
            found = runs.findall(line)
            n1 += sum(map(len, found)) - 2 * len(found)
    # N2: 3 for each 2x2 block of one colour (overlapping blocks count each). A byte of
    # ``x`` is 0 where a module equals the one left of it and the two above it (a
    # separator differs from every module: the first column never counts; nor, skipped,
    # the first row).
    bits = int.from_bytes(rows, "big")
    above = bits >> (8 * stride)
    x = (bits ^ above) | (bits ^ (bits >> 8)) | (above ^ (above >> 8))
    n2 = x.to_bytes(len(rows), "big").count(0, stride)
    # N3: 40 for each 1:1:3:1:1 pattern with four light modules on one side
    n3 = _n3_occurrences(rows, size) + _n3_occurrences(columns, size)
    # N4: 10 for each 5% the share of dark modules is away from half
    percent = float(rows.count(1)) / (size ** 2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + 3 * n2 + n3 + n4


def _n3_occurrences(lines: bytes, size: int) -> int:
    """segno's count of rule N3 in each row (or column) of ``lines`` (its own reading of
    the rule, kept: a pattern at either end of a line counts; after one without four light
    modules beside it, the search goes on from its third dark module)."""
    stride = size + 1
    count = 0
    at = lines.find(_N3_PATTERN)
    while at != -1:
        start = at - at % stride  # of the line, in ``lines``
        idx = at - start
        offset = idx + 7
        if idx in (0, size - 7) \
                or 1 not in lines[start + max(idx - 4, 0):start + idx] \
                or 1 not in lines[start + offset:start + min(offset + 4, size)]:
            count += 40
        else:
            offset = idx + 4
        at = lines.find(_N3_PATTERN, start + offset)
    return count
