"""Small files: the sample stays under 100 KB; a size budget per file is enforced, images
are reduced before a leaflet is refused."""

from __future__ import annotations

import os

import pytest
from PIL import Image, ImageDraw

from handout_builder.cli import main
from handout_builder.domain.problems import RenderRefused
from handout_builder.sources.loader import load_brand
from handout_builder.domain.options import DEFAULT_MAX_BYTES, RenderOptions, format_size, parse_size
from handout_builder.render.pdf import Renderer
from handout_builder.service import render_file

from tests.conftest import SAMPLE
from tests.lazy import lazy

pikepdf = lazy("pikepdf")
pypdf = lazy("pypdf")

NOISE_SIDE = 1500  # a 1500 x 1500 noise PNG: 6.8 MB that no compression shrinks


def png_logo_brand(brand_copy, image: Image.Image):
    image.save(brand_copy / "logo.png", compress_level=1)
    yaml_path = brand_copy / "brand.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("logo: logo.svg", "logo: logo.png"))
    (brand_copy / "logo.svg").unlink()
    return load_brand(brand_copy)


@pytest.fixture
def huge_logo_brand(brand_copy):
    noise = Image.frombytes("RGB", (NOISE_SIDE, NOISE_SIDE), os.urandom(NOISE_SIDE**2 * 3))
    return png_logo_brand(brand_copy, noise)


def images_in(path):
    with pikepdf.open(path) as pdf:
        images = {
            xobj.objgen: (int(xobj.Width), int(xobj.Height))
            for page in pdf.pages
            for xobj in page.Resources.get("/XObject", {}).values()
            if xobj.get("/Subtype") == "/Image"
        }
        return list(images.values())


@pytest.mark.pdf
def test_sample_leaflet_is_small(sample_pdf):
    assert 2 <= len(pypdf.PdfReader(sample_pdf).pages) <= 5  # a diagram, a table and two boxes since issue 12
    assert sample_pdf.stat().st_size <= 100_000


@pytest.mark.pdf
def test_leaflet_with_an_ordinary_png_logo_is_small(brand_copy, tmp_path):
    logo = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((20, 20, 580, 580), fill="white", outline="#3f86c0", width=40)
    written = render_file(SAMPLE, Renderer(png_logo_brand(brand_copy, logo)), tmp_path)
    assert written.path.stat().st_size <= 100_000
    assert images_in(written.path) == [(600, 600)]  # under budget: the logo is untouched


@pytest.mark.pdf
def test_huge_logo_is_downsampled_to_fit_the_budget(huge_logo_brand, tmp_path):
    assert (huge_logo_brand.dir / "logo.png").stat().st_size > DEFAULT_MAX_BYTES
    written = render_file(SAMPLE, Renderer(huge_logo_brand), tmp_path)
    assert written.path.stat().st_size <= DEFAULT_MAX_BYTES
    ((width, height),) = images_in(written.path)
    assert width < NOISE_SIDE and height < NOISE_SIDE


@pytest.mark.pdf
def test_over_budget_even_after_reduction_is_refused_clearly(huge_logo_brand, tmp_path):
    renderer = Renderer(huge_logo_brand, options=RenderOptions(max_bytes=25_000))
    with pytest.raises(RenderRefused) as info:
        render_file(SAMPLE, renderer, tmp_path / "out")
    message = str(info.value)
    assert "over the size budget of 25 KB" in message
    assert "96 dpi" in message and "--max-size" in message and "logo" in message
    assert not (tmp_path / "out").exists()  # nothing written


@pytest.mark.pdf
def test_cli_max_size(huge_logo_brand, tmp_path, capsys):
    args = ["render", str(SAMPLE), "--brand", str(huge_logo_brand.dir), "--out", str(tmp_path)]
    assert main([*args, "--max-size", "25KB"]) == 1
    assert "over the size budget of 25 KB" in capsys.readouterr().err
    assert main([*args, "--max-size", "50KB"]) == 0  # fits once the logo is at 150 dpi
    assert (tmp_path / "calcification.pdf").stat().st_size <= 50_000
    ((width, _),) = images_in(tmp_path / "calcification.pdf")
    assert width < 150


@pytest.mark.parametrize(
    "text, size",
    [("2MB", 2_000_000), ("500 KB", 500_000), ("150k", 150_000), ("120000", 120_000),
     ("1.5mb", 1_500_000)],
)
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "abc", "2GB", "-5MB", "1KB", "5 KB"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_bad_max_size_is_a_usage_error(capsys):
    assert_exit = pytest.raises(SystemExit)
    with assert_exit as info:
        main(["render", str(SAMPLE), "--max-size", "lots"])
    assert info.value.code == 2
    assert "'lots' is not a size" in capsys.readouterr().err


def test_format_size():
    assert format_size(2_000_000) == "2.0 MB" and format_size(86_400) == "86 KB"


@pytest.mark.pdf
def test_text_only_leaflet_over_budget_says_there_is_nothing_to_reduce(default_brand, tmp_path):
    renderer = Renderer(default_brand, options=RenderOptions(max_bytes=15_000))
    with pytest.raises(RenderRefused) as info:
        render_file(SAMPLE, renderer, tmp_path)
    assert "over the size budget of 15 KB, and it has no images to reduce" in str(info.value)
