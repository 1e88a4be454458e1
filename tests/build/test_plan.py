"""The build's planner is pure: discovery results and the manifest in, decisions out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from handout_builder.build.batch import BuildConfig, refusal
from handout_builder.build.plan import Plan, Source, plan, recheck_unchanged
from handout_builder.output.manifest import Entry
from handout_builder.sources.library import LibrarySettings
from tests.conftest import MINIMAL_TOPIC

NOWHERE = Path("/nonexistent/library")  # nothing here is read: the planner does no I/O


def entry(rel: str, input_hash: str, **changes) -> Entry:
    stem = rel.removesuffix(".yaml")
    fields = dict(id=stem, source=rel, title=stem, category="c", language="en",
                  output=f"{stem}.pdf", pages=1, bytes=1, sha256="s", input_hash=input_hash,
                  reviewed="2024-01-02", review_state="current", next_review="2029-01-02")
    return Entry(**(fields | changes))


def test_plan_builds_changed_and_broken_skips_intact_removes_deleted():
    sources = [Source(NOWHERE / n, n, h) for n, h in
               [("same.yaml", "h1"), ("changed.yaml", "new"), ("broken.yaml", "h3"), ("new.yaml", "h4")]]
    previous = {e.source: e for e in [entry("same.yaml", "h1"), entry("changed.yaml", "old"),
                                      entry("broken.yaml", "h3"), entry("gone.yaml", "h5")]}
    intact = {"same.yaml", "changed.yaml", "gone.yaml"}  # broken.yaml's PDF was damaged
    result = plan(sources, previous, intact, force=False)
    assert isinstance(result, Plan)
    assert [s.rel for s in result.build] == ["changed.yaml", "broken.yaml", "new.yaml"]
    assert [e.source for e in result.skip] == ["same.yaml"]
    assert [e.source for e in result.remove] == ["gone.yaml"]
    forced = plan(sources, previous, intact, force=True)
    assert len(forced.build) == 4 and forced.skip == []


def test_recheck_unchanged_by_the_one_review_rule():
    current = entry("a.yaml", "h")
    assert recheck_unchanged(current, date(2026, 11, 25), False, 90) == current
    assert recheck_unchanged(current, date(2028, 12, 1), False, 90).review_state == "due-soon"
    assert recheck_unchanged(current, date(2029, 1, 3), False, 90) == "refuse"  # overdue
    assert recheck_unchanged(current, date(2029, 1, 3), True, 90) == "rebuild"  # a watermark now
    example = entry("e.yaml", "h", example=True)
    assert recheck_unchanged(example, date(2036, 1, 1), False, 90).review_state == "overdue"


def test_a_refusal_is_located_from_the_bytes_already_read():
    """An unchanged handout refused on the build's date: its problem points at the line,
    from the bytes read for its input hash; the file is not read again (it is not there)."""
    source = Source(NOWHERE / "old.yaml", "old.yaml", "h")
    config = BuildConfig(NOWHERE, NOWHERE / "out", NOWHERE / "brand", jobs=1,
                         as_of=date(2029, 1, 3))  # reviewed 2024-01-02, every 60 months
    outcome = refusal(source, MINIMAL_TOPIC.encode(), config, LibrarySettings())
    assert outcome.refused and not outcome.ok
    [problem] = outcome.problems
    assert (problem.file, problem.field, problem.line) == (str(NOWHERE / "old.yaml"), "review", 6)
    assert "overdue" in problem.message
