"""Generated libraries for the benchmarks: uneven topics, as a real clinic's library is.

Measured on a real library of 5,490 topics (16,701 pages): most leaflets are two to four
pages, a few run to ten or twelve. :func:`uneven_topic` draws each topic's length from a
skewed (log-normal) spread clipped to 1-12 pages with a mean of about three, and fills it
with what makes real leaflets long: many sections, long bulleted lists, long reference
lists. Seeded: the same ``seed`` and number give the same topic, so runs compare.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

WORDS = (
    "calcium blood heart doctor test result body tissue water sleep walk food salt sugar "
    "medicine dose morning evening week month pain swelling rest breath nurse clinic call "
    "help family daily check mild common normal sign change treatment visit question answer"
).split()
CATEGORIES = ["Heart, Blood and Circulation", "Bones and Joints", "Children's Health",
              "Diabetes", "Lungs and Breathing", "Medicines"]
#: Sections per printed page, measured on the default brand (letter paper).
SECTIONS_PER_PAGE = 1.6
MAX_PAGES = 12


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."


def target_pages(rng: random.Random) -> int:
    """A leaflet length: log-normal (median 2.5, mean about 3), clipped to 1-12 pages."""
    return max(1, min(MAX_PAGES, round(rng.lognormvariate(0.9, 0.6))))


def uneven_topic(number: int, seed: int = 0) -> str:
    """One topic of a seeded library (see the module's notes)."""
    rng = random.Random(seed * 1_000_003 + number)
    pages = target_pages(rng)
    sections = []
    short = pages == 1  # a one-page leaflet: one short answer, no list, no references
    for s in range(max(1, round(pages * SECTIONS_PER_PAGE - 1 + rng.random()))):
        sentences = 2 if short else rng.randint(2, 5)
        body = "\n\n".join(" ".join(_sentence(rng) for _ in range(sentences))
                           for _ in range(1 if short else rng.randint(1, 3)))
        if not short and rng.random() < 0.3:  # a long list
            body += "\n\n" + "\n".join(f"- {_sentence(rng)}" for _ in range(rng.randint(5, 15)))
        sections.append(f"  - heading: Question {s + 1} about topic {number}?\n    body: |\n"
                        + textwrap.indent(body, "      "))
    # long reference lists on the long leaflets
    references = "\n".join(
        f"  - title: Source {r + 1} on {rng.choice(WORDS)}\n    publisher: MedlinePlus\n"
        f"    url: https://medlineplus.gov/ency/article/{rng.randint(1000, 9999):06d}.htm\n"
        "    accessed: 2024-01-02"
        for r in range(1 if short else 1 + int(rng.expovariate(1 / (1 + pages)))))
    key_points = "\n".join(f"  - {_sentence(rng)}" for _ in range(rng.randint(2, 5)))
    return (
        f"title: Uneven topic {number:04d}\n"
        f"category: \"{CATEGORIES[number % len(CATEGORIES)]}\"\nexample: true\n"
        f"summary: {_sentence(rng)}\n"
        + ("" if short else f"key_points:\n{key_points}\n")
        + "sections:\n" + "\n".join(sections) + "\n"
        + ("" if short else f"references:\n{references}\n")
        + "status: approved\nreview:\n  reviewer: Dr Bench\n  reviewed: 2026-01-02\n"
        "  interval_months: 60\n"
        "copyright:\n  holder: Bench Clinic\n  year: 2026\n  notice: Example content.\n"
    )


def make_library(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` uneven topics in ``folder`` (created), ``topic-0000.yaml`` onwards."""
    folder.mkdir(parents=True)
    paths = []
    for n in range(count):
        path = folder / f"topic-{n:04d}.yaml"
        path.write_text(uneven_topic(n, seed), encoding="utf-8")
        paths.append(path)
    return paths
