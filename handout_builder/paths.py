"""Where the project's own folders are. Rendering reads nothing outside these (and the brand)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HANDOUTS_DIR = PROJECT_ROOT / "handouts"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STYLES_DIR = PROJECT_ROOT / "styles"
FONTS_DIR = STYLES_DIR / "fonts"
DEFAULT_BRAND_DIR = STYLES_DIR / "default"
DEFAULT_OUT_DIR = Path("out")
