"""Room on CPython's frame stack for render workers (render/stack_room.py): calls that go down
and up across a chunk boundary of the frame stack no longer map and unmap memory each time."""

from __future__ import annotations

import resource
import sys

import pytest

from handout_builder.render.stack_room import call_with_room, in_room


def _down(depth: int) -> int:
    return _down(depth - 1) if depth else 0


def _worst_faults(depths: range, times: int = 50) -> int:
    """The most page faults taken by ``times`` calls down to one depth and back, over
    ``depths`` (at a chunk boundary, each call maps a chunk and touches it)."""
    worst = 0
    for depth in depths:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(times):
            _down(depth)
        worst = max(worst, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return worst


def test_calls_across_a_chunk_boundary_take_no_page_faults_inside_the_room():
    depths = range(0, 300)  # 300 frames of _down are more than one 16 KiB chunk
    assert call_with_room(_worst_faults, depths) < 20
    if sys.version_info < (3, 13):  # CPython 3.13 and later keep a spare chunk
        assert _worst_faults(depths) >= 50  # what the room saves: a chunk per call


def test_it_passes_arguments_results_and_errors_through():
    assert call_with_room(lambda a, b=0: (a, b), 1, b=2) == (1, 2)
    with pytest.raises(ZeroDivisionError):
        call_with_room(lambda: 1 / 0)
    assert call_with_room(_down, 600) == 0
    assert not in_room() and call_with_room(in_room)
