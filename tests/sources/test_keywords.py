"""Keywords and translations: a translation made from a PO catalogue gets none of its
source's keywords (they are a language's own search words, written in the translation)."""

from __future__ import annotations

import io
from datetime import date

from handout_builder.sources.exchange import export_po, import_po
from handout_builder.sources.loader import load_topic
from tests.conftest import HANDOUTS


def test_an_imported_translation_does_not_copy_the_sources_keywords():
    from babel.messages.pofile import read_po, write_po

    source = load_topic(HANDOUTS / "calcification.yaml").topic
    assert "calcium deposits" in source.keywords  # the sample has keywords
    catalog = read_po(io.BytesIO(export_po(source, "fr")))
    assert not any("keywords" in (m.context or "") for m in catalog)
    for message in catalog:
        if message.id:
            message.string = "FR " + message.id
    out = io.BytesIO()
    write_po(out, catalog)
    language, data = import_po(out.getvalue(), "fr.po", source, translator="X",
                               method="professional", translated=date(2026, 11, 30))
    assert language == "fr" and data["title"] == "FR Calcification"
    assert "keywords" not in data
