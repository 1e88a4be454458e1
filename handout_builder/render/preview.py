"""Page previews: each page of a rendered leaflet as a PNG (the web desk shows them).

PDFium (``pypdfium2``, the engine of Chrome and Edge) draws the pages; it is imported when a
preview is asked for, never by a render. Imports: stdlib, pypdfium2, Pillow.
"""

from __future__ import annotations

import io


def page_images(pdf: bytes, width: int = 600) -> list[bytes]:
    """Each page of ``pdf`` as PNG bytes, ``width`` pixels wide (height in proportion)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        images = []
        for index in range(len(document)):
            page = document[index]
            try:
                scale = width / page.get_width()
                bitmap = page.render(scale=scale)
                try:
                    out = io.BytesIO()
                    bitmap.to_pil().save(out, format="PNG", optimize=False)
                    images.append(out.getvalue())
                finally:
                    bitmap.close()
            finally:
                page.close()
        return images
    finally:
        document.close()
