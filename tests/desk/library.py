"""A small library for the desk's tests: leaflets in several states, categories and languages.

Short topics (one page each) keep the renders quick. Dates are relative to TEST_TODAY
(2026-11-25): "current" was reviewed in 2026, "due soon" is due within 90 days, "overdue"
was due before it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

TOPIC = """\
id: {id}
title: "{title}"
language: {language}
category: "{category}"
status: {status}
summary: "{summary}"
key_points:
  - "{point}"
sections:
  - heading: "{heading}"
    body: |
      {body}
{codes}{keywords}review:
  reviewer: Dr Test Reviewer
  reviewed: {reviewed}
copyright:
  holder: Test Clinic
  year: 2026
"""

#: Clinical codes by topic id (every language of it).
CODES = {
    "heart-failure": [("ICD-10-CM", "I50")],
    "high-blood-pressure": [("ICD-10-CM", "I10"), ("RxNorm", "29046")],
    "asthma": [("ICD-10-CM", "J45.909")],
}
#: Keywords by (topic id, language): words that appear nowhere else in the topic.
KEYWORDS = {
    ("heart-failure", "en"): ["CHF", "water retention", "oedema"],
    ("heart-failure", "es"): ["ICC", "insuficiencia cardíaca congestiva"],
    ("high-blood-pressure", "en"): ["HBP", "lisinopril", "Zestril"],
}
#: id, language, title, category, status, reviewed, words in the text.
TOPICS = [
    ("heart-failure", "en", "Heart failure", "Heart, Blood and Circulation", "approved",
     "2026-06-01", "When the heart pumps weakly, fluid builds up. Weigh yourself every morning."),
    ("heart-failure", "es", "Insuficiencia cardíaca", "Heart, Blood and Circulation", "approved",
     "2026-06-01", "Cuando el corazón bombea con poca fuerza, se acumula líquido. Pésese cada mañana."),
    ("high-blood-pressure", "en", "High blood pressure", "Heart, Blood and Circulation",
     "approved", "2026-03-01", "Hypertension often has no symptoms. Take your tablets daily."),
    ("asthma", "en", "Asthma in adults", "Lungs and Breathing", "approved", "2026-01-10",
     "Use your inhaler as shown. Wheezing and a tight chest are signs to act on."),
    ("gout", "en", "Gout", "Bones, Joints and Muscles", "approved", "2025-12-20",
     "Uric acid crystals make a joint hot and painful. Drink plenty of water."),
    ("old-leaflet", "en", "Old leaflet on sprains", "Bones, Joints and Muscles", "approved",
     "2024-05-01", "Rest, ice, compression and elevation for an ankle sprain."),
    ("new-draft", "en", "Draft leaflet on migraine", "Brain and Nerves", "draft",
     "2026-10-01", "Migraine headaches can come with nausea and flashing lights."),
]


def topic_text(handout_id: str, language: str, title: str, category: str, status: str,
               reviewed: str, body: str) -> str:
    codes = "".join(f"  - system: {system}\n    code: \"{code}\"\n"
                    for system, code in CODES.get(handout_id, []))
    keywords = "".join(f'  - "{word}"\n' for word in KEYWORDS.get((handout_id, language), []))
    return TOPIC.format(codes="codes:\n" + codes if codes else "",
                        keywords="keywords:\n" + keywords if keywords else "",
                        id=handout_id, language=language, title=title, category=category,
                        status=status, reviewed=reviewed, summary=body.split(".")[0] + ".",
                        point=body.split(". ")[-1], heading="What is it?",
                        body=textwrap.indent(body, "      ").lstrip())


def file_name(handout_id: str, language: str) -> str:
    return f"{handout_id}.yaml" if language == "en" else f"{handout_id}.{language}.yaml"


def translation_block(source: Path) -> str:
    """A translation's provenance, made from its (current) source: neither drifted nor
    unreviewed."""
    from handout_builder.domain.translation import fingerprint
    from handout_builder.sources.loader import load_topic

    parts = fingerprint(load_topic(source).topic)
    return ("translation:\n  source_language: en\n  translator: Test Translator\n"
            "  method: professional\n  translated: 2026-06-02\n"
            "  review:\n    reviewer: Test Language Reviewer\n    reviewed: 2026-06-03\n"
            "  fingerprint:\n" + "".join(f"    {key}: {value}\n" for key, value in parts.items()))


def make_library(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for handout_id, language, title, category, status, reviewed, body in TOPICS:
        (folder / file_name(handout_id, language)).write_text(
            topic_text(handout_id, language, title, category, status, reviewed, body),
            encoding="utf-8")
    for handout_id, language, *_ in TOPICS:  # the sources are all written now
        if language != "en":
            path = folder / file_name(handout_id, language)
            path.write_text(path.read_text(encoding="utf-8")
                            + translation_block(folder / f"{handout_id}.yaml"), encoding="utf-8")
    return folder
