"""The build's planner: pure decisions, no I/O.

From what discovery found (each topic's relative path and input hash), the previous
manifest and which of its PDFs are intact: what to render, what to leave as it is, what to
remove (:func:`plan`); and, for a handout left as it is, its review state judged again on
the build's date by the one review rule (:func:`recheck_unchanged`).

Imports: domain, output (the manifest's entries).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from handout_builder.domain.review import classify, policy
from handout_builder.output.manifest import Entry


@dataclass(frozen=True)
class Source:
    """One topic file found in the library, with its input hash."""

    path: Path
    rel: str
    input_hash: str
    #: A matrix build: the brand and variant it is rendered for (``brand|variant``); "" otherwise.
    cell: str = ""

    @property
    def key(self) -> str:
        """Identifies the leaflet in the build: :func:`~handout_builder.output.manifest.entry_key`
        of its entry."""
        return f"{self.cell}|{self.rel}" if self.cell else self.rel

@dataclass(frozen=True)
class Plan:
    build: list[Source]
    skip: list[Entry]
    remove: list[Entry]


def plan(sources: list[Source], previous: dict[str, Entry], intact: set[str], force: bool) -> Plan:
    """Which topics to build, which to leave as they are, which PDFs to remove.

    ``previous`` and ``intact`` (the leaflets whose previous PDF is there and is the one the
    manifest describes) are by key (:attr:`Source.key`, the source outside a matrix build).
    """
    build, skip = [], []
    for source in sources:
        old = previous.get(source.key)
        if (
            not force
            and old is not None
            and old.input_hash == source.input_hash
            and source.key in intact
        ):
            skip.append(old)
        else:
            build.append(source)
    present = {source.key for source in sources}
    remove = [entry for rel, entry in previous.items() if rel not in present]
    return Plan(build=build, skip=skip, remove=remove)


def recheck_unchanged(entry: Entry, as_of: date, allow_draft: bool, due_soon_days: int) -> Entry | str:
    """Judge an unchanged handout's review state on ``as_of`` without rendering it.

    The state depends on the date, so a leaflet that was current when it was built may be
    overdue now. Returns the entry with its state brought up to date, or ``"rebuild"`` when
    its watermark must change, or ``"refuse"`` when the policy no longer lets it be printed.
    ``due_soon_days``: from the library settings that apply to it.
    """
    due = date.fromisoformat(entry.next_review) if entry.next_review else None
    reviewed = date.fromisoformat(entry.reviewed) if entry.reviewed else None
    state = classify(entry.status, reviewed, due, as_of, due_soon_days)
    allowed, watermark = policy(state, allow_draft, entry.example)
    if not allowed:
        return "refuse"
    if watermark != entry.watermark:
        return "rebuild"
    return replace(entry, review_state=state.value)
