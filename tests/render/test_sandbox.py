"""Brands, libraries and templates are sandboxed (issue 8, section 3).

Every test here attacks with a hostile brand or library: template code that reaches for
Python internals, files named through '..', absolute paths, symlinks and FIFOs, stylesheets
that hide the safety marks or print unreadable text, stylesheets that ask for refused URLs,
and images built to take minutes to draw. Each must end in a located user error, quickly.
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import struct
import subprocess
import time
import zlib
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from handout_builder.quality.checks import check_file
from handout_builder.cli import main
from handout_builder.domain.problems import InvalidBrand, UserError
from handout_builder.sources.loader import load_brand, load_topic
from handout_builder.render.pdf import Renderer
from handout_builder.service import render_topic
from handout_builder.paths import DEFAULT_BRAND_DIR

from tests.conftest import MINIMAL_TOPIC, SAMPLE, TEST_TODAY, copy_sample
from tests.render.test_pdf import text_of


@contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging) when the block takes longer than ``seconds``."""

    def expired(*_):
        raise AssertionError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-LINE\n")
    return path


def part(brand_dir: Path, name: str, text: str) -> Path:
    path = brand_dir / "templates" / "parts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def render_with(brand_dir: Path, topic: Path, **kwargs):
    return render_topic(load_topic(topic), Renderer(load_brand(brand_dir)), **kwargs)


@pytest.fixture
def render_templates_of(renderer):
    """``render_templates_of(brand_dir, topic)``: render with a copy of the default brand
    whose templates were changed, through the default brand's renderer (the session's)
    given that brand.

    A brand's templates are read when the HTML is made (``leaflet_part``), after its renderer
    is set up, so this is the renderer the brand would get: setting one up per test (every
    stylesheet parsed, the fonts registered: 70 ms) bought nothing. What a renderer does read
    from the brand folder (everything outside ``templates/``) is checked to be the default
    brand's, byte for byte.
    """
    def render(brand_dir: Path, topic: Path):
        def files(folder: Path) -> dict:
            return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
                    if p.is_file() and "templates" not in p.relative_to(folder).parts}

        assert files(brand_dir) == files(DEFAULT_BRAND_DIR), "only the templates may differ"
        hostile = copy.copy(renderer)
        hostile.brand = load_brand(brand_dir)
        return render_topic(load_topic(topic), hostile)

    return render


# --------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    "{{ cycler.__init__.__globals__.os.popen('echo PWNED').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ lipsum.__globals__['os'].listdir('/') }}",
    "{{ t.format.__func__.__globals__ }}",
    "{{ 'x' * 1000000000 }}",
])
def test_brand_template_cannot_reach_python(brand_copy, write_topic, render_templates_of,
                                            expression):
    template = part(brand_copy, "masthead.html.j2", f"<header>{expression}</header>")
    with pytest.raises(InvalidBrand) as info:
        render_templates_of(brand_copy, write_topic(MINIMAL_TOPIC))
    [problem] = info.value.problems
    assert problem.file == str(template) and problem.line == 1
    assert "PWNED" not in str(info.value)


def test_symlinked_template_is_refused(brand_copy, write_topic, render_templates_of, secret):
    parts = brand_copy / "templates" / "parts"
    parts.mkdir(parents=True)
    (parts / "masthead.html.j2").symlink_to(secret)
    with pytest.raises(InvalidBrand) as info:
        render_templates_of(brand_copy, write_topic(MINIMAL_TOPIC))
    assert "leads outside" in str(info.value) and "TOP-SECRET" not in str(info.value)
    assert info.value.problems[0].file == str(parts / "masthead.html.j2")


def test_template_folder_symlinked_elsewhere_is_refused(brand_copy, write_topic,
                                                       render_templates_of, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "parts").mkdir(parents=True)
    (elsewhere / "parts" / "masthead.html.j2").write_text("<header>x</header>")
    (brand_copy / "templates").mkdir()
    (brand_copy / "templates" / "parts").symlink_to(elsewhere / "parts")
    with pytest.raises(InvalidBrand, match="leads outside"):
        render_templates_of(brand_copy, write_topic(MINIMAL_TOPIC))


@pytest.mark.parametrize("name", ["../../../secret.txt", "/etc/passwd"])
def test_template_include_outside_is_refused(brand_copy, write_topic, render_templates_of, secret,
                                             name):
    template = part(brand_copy, "masthead.html.j2", f'<header>{{% include "{name}" %}}</header>')
    with pytest.raises(InvalidBrand) as info:
        render_templates_of(brand_copy, write_topic(MINIMAL_TOPIC))
    assert info.value.problems[0].file == str(template)
    assert "TOP-SECRET" not in str(info.value)


def test_fifo_template_is_refused_without_blocking(brand_copy, write_topic, render_templates_of):
    parts = brand_copy / "templates" / "parts"
    parts.mkdir(parents=True)
    os.mkfifo(parts / "masthead.html.j2")
    with deadline(20), pytest.raises(InvalidBrand, match="named pipe"):
        render_templates_of(brand_copy, write_topic(MINIMAL_TOPIC))


def test_brand_cannot_override_the_leaflet_template(brand_copy, write_topic, render_templates_of):
    own = brand_copy / "templates" / "leaflet.html.j2"
    own.parent.mkdir()
    own.write_text("<html><body>no watermark here</body></html>")
    with pytest.raises(InvalidBrand, match="cannot override leaflet.html.j2"):
        render_templates_of(brand_copy, write_topic(MINIMAL_TOPIC))


@pytest.mark.pdf
def test_sandbox_keeps_the_sample_intact(renderer, tmp_path):
    """The project's own templates run in the sandbox: same output as before (checked by hash
    in tests/test_archival.py); here, the text is all there."""
    from handout_builder.service import render_file

    written = render_file(SAMPLE, renderer, tmp_path, as_of=TEST_TODAY)
    assert "Key points" in text_of(written.path)


# --------------------------------------------------------------------------------------
# Files named by a library or a brand stay in their folder
# --------------------------------------------------------------------------------------


GOOD_TOPIC = MINIMAL_TOPIC


def _library_problems(write_topic, jargon_file: str) -> list:
    write_topic(f"jargon_files: ['{jargon_file}']\n", "library.yaml")
    path = write_topic(GOOD_TOPIC)
    return [f for f in check_file(path, TEST_TODAY).findings if f.code == "library"]


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "fifo", "device"])
def test_jargon_files_stay_in_the_library_folder(write_topic, tmp_path, kind, capsys):
    outside = tmp_path.parent / f"{tmp_path.name}-outside.yaml"
    outside.write_text("language: en\nterms:\n  - {term: TOP-SECRET-LINE, plain: x}\n")
    names = {
        "dotdot": f"../{outside.name}",
        "absolute": str(outside),
        "symlink": "linked.yaml",
        "fifo": "pipe.yaml",
        "device": "/dev/zero",
    }
    if kind == "symlink":
        (tmp_path / "linked.yaml").symlink_to(outside)
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.yaml")
    with deadline(20):
        found = _library_problems(write_topic, names[kind])
        status = main(["check", str(tmp_path / "topic.yaml")])
    assert found and found[0].field == "jargon_files.1"
    assert status == 1
    out = capsys.readouterr()
    assert "TOP-SECRET-LINE" not in out.out + out.err
    assert "library.yaml" in out.out + out.err


def test_jargon_file_in_a_sub_folder_is_fine(write_topic, tmp_path):
    write_topic("language: en\nterms:\n  - {term: kidneys, plain: the organs that clean blood}\n",
                "lists/local.yaml")
    write_topic("jargon_files: [lists/local.yaml]\nstarter_jargon: false\n", "library.yaml")
    path = write_topic(GOOD_TOPIC.replace("An answer.", "Your kidneys work."))
    found = check_file(path, TEST_TODAY).findings
    assert [f.value for f in found if f.code == "jargon"] == ["kidneys"]


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_logo_stays_in_the_brand_folder(brand_copy, secret, kind):
    (brand_copy / "logo.svg").unlink()
    if kind == "symlink":
        outside = secret.with_suffix(".svg")
        outside.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
        (brand_copy / "logo.svg").symlink_to(outside)
    else:
        os.mkfifo(brand_copy / "logo.svg")
    with deadline(20), pytest.raises(InvalidBrand) as info:
        load_brand(brand_copy)
    assert info.value.problems[0].field == "logo"
    assert ("leads outside" if kind == "symlink" else "named pipe") in str(info.value)


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_brand_css_stays_in_the_brand_folder(brand_copy, secret, kind):
    if kind == "symlink":
        (brand_copy / "brand.css").symlink_to(secret)
    else:
        os.mkfifo(brand_copy / "brand.css")
    with deadline(20), pytest.raises(InvalidBrand) as info:
        Renderer(load_brand(brand_copy))
    assert info.value.problems[0].file == str(brand_copy / "brand.css")
    assert "TOP-SECRET" not in str(info.value)


# --------------------------------------------------------------------------------------
# brand.css asking for refused URLs: located, exit 1, for render and build
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("css, expected", [
    (".masthead { background: url(http://127.0.0.1:9/x.png); }", "network"),
    ("@font-face { font-family: X; src: url(https://example.org/x.ttf); }", "@font-face"),
    ("@import url(/etc/passwd);", "@import"),
    (".masthead { background-image: url(/etc/passwd); }", "outside the brand folder"),
    (".masthead { background-image: url(../../secret.png); }", "outside the brand folder"),
    (".masthead { background-image: url(brand.css); }", "not an image"),
    (".masthead { background-image: url('data:image/png;base64,AAAA'); }", "network or data"),
])
def test_brand_css_asking_for_refused_urls_is_a_located_error(brand_copy, tmp_path, css,
                                                              expected, capsys):
    (brand_copy / "brand.css").write_text("/* brand */\n" + css + "\n")
    out = tmp_path / "out"
    assert main(["render", str(SAMPLE), "--brand", str(brand_copy), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{brand_copy / 'brand.css'}:2:" in err and expected in err
    assert "Traceback" not in err
    assert not out.exists() or not list(out.iterdir())


@pytest.mark.pdf
def test_build_with_a_refused_brand_css_url_is_a_brand_error(brand_copy, tmp_path, capsys):
    (brand_copy / "brand.css").write_text("@font-face { font-family: X; src: url(/etc/passwd); }")
    library = tmp_path / "lib"
    library.mkdir()
    copy_sample(library)
    status = main(["build", str(library), "--out", str(tmp_path / "out"), "--brand",
                   str(brand_copy), "--jobs", "1"])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert status == 1
    assert str(brand_copy / "brand.css") in text
    assert "Traceback" not in text and "crash" not in text.lower()


# --------------------------------------------------------------------------------------
# Safety marks and contrast, checked on what is painted
# --------------------------------------------------------------------------------------

DRAFT_TOPIC = MINIMAL_TOPIC.replace("status: approved", "status: draft")
UNREVIEWED_TOPIC = DRAFT_TOPIC.split("review:")[0] + "copyright:" + DRAFT_TOPIC.split("copyright:")[1]


def render_css(brand_dir: Path, css: str, topic: Path, watermark: str | None = "DRAFT"):
    (brand_dir / "brand.css").write_text(css)
    return render_with(brand_dir, topic, watermark=watermark)


@pytest.mark.parametrize("css", [
    "html body div.watermark.watermark { display: none !important; }",
    "html body div.watermark.watermark { visibility: hidden !important; }",
    "html body div.watermark.watermark { opacity: 0 !important; }",
    "html body div.watermark.watermark { color: #ffffff !important; }",
    "html body div.watermark.watermark { color: rgba(138, 28, 28, 0.02) !important; }",
    "html body div.watermark.watermark { font-size: 1pt !important; }",
    "html body div.watermark.watermark { top: 900mm !important; }",
    "html body div.watermark.watermark { transform: scale(0.01) !important; }",
    "html body div.watermark.watermark { letter-spacing: -40pt !important; }",
    "body { transform: translateX(-400mm); }",
    ".masthead { position: relative; z-index: 10; }",
    "@page { @bottom-left { content: 'Clinic leaflet'; } }",
])
@pytest.mark.pdf
def test_brand_css_cannot_hide_the_watermark(brand_copy, write_topic, css):
    with pytest.raises(InvalidBrand) as info:
        render_css(brand_copy, css, write_topic(DRAFT_TOPIC))
    assert info.value.problems[0].file == str(brand_copy / "brand.css")
    assert "DRAFT" in str(info.value)


@pytest.mark.pdf
def test_brand_css_cannot_hide_the_not_reviewed_notice(brand_copy, write_topic):
    topic = write_topic(UNREVIEWED_TOPIC)
    assert not load_topic(topic).topic.is_reviewed
    css = "html body p.unreviewed-banner.unreviewed-banner { display: none !important; }"
    with pytest.raises(InvalidBrand, match="not yet medically reviewed"):
        render_css(brand_copy, css, topic, watermark="NOT REVIEWED")


@pytest.mark.pdf
def test_ordinary_brand_css_keeps_the_watermark(brand_copy, write_topic, tmp_path):
    """A plain rule aimed at the watermark loses to safety.css; the proof is printed."""
    css = ".watermark { display: none; color: white; } .unreviewed-banner { color: #fff; }"
    pdf = render_css(brand_copy, css, write_topic(UNREVIEWED_TOPIC), watermark="NOT REVIEWED")
    out = tmp_path / "x.pdf"
    out.write_bytes(pdf.data)
    for page in range(1, pdf.pages + 1):  # poppler, page by page
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(out), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "NOT REVIEWED" in text


@pytest.mark.parametrize("css, element", [
    ("body { color: #eeeeee; }", "<p"),  # the 1.16:1 of the report
    (".category { color: #dddddd; }", '<p class="category">'),
    (".masthead { background: #fafafa; }", "<p class=\"clinic-name\">"),
    ("main { opacity: 0.25; }", "<h1>"),
    ("@page { @bottom-right { color: #f0f0f0; } }", "footer"),
    ("h1 { color: rgba(0, 0, 0, 0.2); }", "<h1>"),
    # every colour syntax is measured (lab() and oklch() used to end in a crash, exit 3)
    ("body { color: lab(93% 0 0); }", "<p"),
    ("h1 { color: oklch(93% 0.01 250); }", "<h1>"),
    (".category { color: device-cmyk(0 0 0 0.1); }", '<p class="category">'),
])
@pytest.mark.pdf
def test_low_contrast_brand_css_is_refused(brand_copy, write_topic, css, element):
    with pytest.raises(InvalidBrand) as info:
        render_css(brand_copy, css, write_topic(MINIMAL_TOPIC), watermark=None)
    text = str(info.value)
    assert "contrast" in text and element in text and "4.5:1" in text
    assert info.value.problems[0].file == str(brand_copy / "brand.css")


@pytest.mark.pdf
def test_contrast_problem_names_the_brand_css_rule(brand_copy, write_topic):
    css = "/* brand */\nh1 { color: #1d4f7a; }\n\n.masthead .clinic-name,\n.category {\n  color: #eeeeee;\n}\n"
    with pytest.raises(InvalidBrand) as info:
        render_css(brand_copy, css, write_topic(MINIMAL_TOPIC), watermark=None)
    [problem] = info.value.problems
    assert '<p class="category">' in problem.message
    assert "brand.css line 4: .masthead .clinic-name, .category" in problem.message


@pytest.mark.pdf
def test_dark_lab_and_oklch_colours_pass(brand_copy, write_topic):
    css = "body { color: lab(20% 0 0); } h1 { color: oklch(35% 0.1 250); }"
    assert render_css(brand_copy, css, write_topic(MINIMAL_TOPIC), watermark=None).pages >= 1


@pytest.mark.pdf
def test_large_text_needs_three_to_one(brand_copy, write_topic):
    # #767676 is 4.54:1 on white; #949494 is 3.03:1: enough for the 26 pt title only
    render_css(brand_copy, "h1 { color: #949494; }", write_topic(MINIMAL_TOPIC), watermark=None)
    with pytest.raises(InvalidBrand, match=r"<p class=\"category\">.*3\.03:1"):
        render_css(brand_copy, ".category { color: #949494; }", write_topic(MINIMAL_TOPIC),
                   watermark=None)


@pytest.mark.parametrize("css, failing, passing", [
    # each pair of painted colours is worked out once per document: the element that passes
    # comes first, with everything the same but one thing, and the later one must still fail
    ("h2, .topic-section p { color: #595959; } .topic-section p { opacity: 0.4; }",
     "<p>", "<h2>"),  # its own opacity
    ("h1, .topic-section p { color: #595959; } .topic-section { opacity: 0.4; }",
     "<p>", "<h1>"),  # an ancestor's opacity
    ("h2 { color: #595959; } .topic-section p { color: rgba(89, 89, 89, 0.4); }",
     "<p>", "<h2>"),  # the same colour with an alpha
    ("h1, .topic-section p { color: #767676; } .topic-section p { background: #e8e8e8; }",
     "<p>", "<h1>"),  # another background
    ("h1, .dates { color: #949494; }", '<p class="dates">', "<h1>"),  # normal size, 3.03:1
])
@pytest.mark.pdf
def test_each_text_is_judged_with_its_own_opacity_alpha_background_and_size(
        brand_copy, write_topic, css, failing, passing):
    with pytest.raises(InvalidBrand) as info:
        render_css(brand_copy, css, write_topic(MINIMAL_TOPIC), watermark=None)
    text = " ".join(problem.message for problem in info.value.problems)
    assert failing in text and passing not in text


@pytest.mark.pdf
def test_shipped_brands_pass_every_painted_check(write_topic):
    from tests.conftest import BRANDS

    for name in ("default", "harbour"):
        brand = load_brand(BRANDS[name])
        render_topic(load_topic(write_topic(UNREVIEWED_TOPIC)), Renderer(brand),
                     watermark="NOT REVIEWED")


# --------------------------------------------------------------------------------------
# Images: refused quickly, with a reason
# --------------------------------------------------------------------------------------


def svg_logo(brand_dir: Path, text: str) -> None:
    (brand_dir / "logo.svg").write_text(text)


def use_bomb(levels: int = 9, fan: int = 10) -> str:
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
             'width="120" height="120"><defs><circle id="l0" r="1"/>']
    for level in range(1, levels + 1):
        uses = "".join(f'<use href="#l{level - 1}"/>' for _ in range(fan))
        parts.append(f'<g id="l{level}">{uses}</g>')
    parts.append(f'</defs><use href="#l{levels}"/></svg>')
    return "".join(parts)


@pytest.mark.parametrize("svg, reason", [
    (use_bomb(), "expands through <use>"),
    ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
     '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>', "DOCTYPE"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
     "outside itself"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><use href="other.svg#x"/></svg>', "outside itself"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
    ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "event handler"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(http://x.example/p)"/></svg>',
     "outside itself"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><use href="#a"/></g></svg>',
     "refer back"),
    ('<svg xmlns="http://www.w3.org/2000/svg">' + "<g>" * 60 + "</g>" * 60 + "</svg>", "deep"),
    ("<svg", "not a well-formed"),
])
def test_unsafe_svg_logo_is_refused_quickly(brand_copy, svg, reason):
    svg_logo(brand_copy, svg)
    started = time.monotonic()
    with deadline(20), pytest.raises(InvalidBrand) as info:
        Renderer(load_brand(brand_copy))
    problem = info.value.problems[0]
    assert problem.file == str(brand_copy / "brand.yaml") and problem.field == "logo"
    assert reason in problem.message
    assert time.monotonic() - started < 20


def test_svg_used_as_a_brand_css_background_is_checked_too(brand_copy):
    (brand_copy / "pattern.svg").write_text(use_bomb())
    (brand_copy / "brand.css").write_text(".masthead {\n  background: url(pattern.svg); }\n")
    with deadline(20), pytest.raises(InvalidBrand, match=r"brand.css:2:.*expands through <use>"):
        Renderer(load_brand(brand_copy))


@pytest.mark.pdf
def test_a_modest_use_tree_is_fine(brand_copy, write_topic):
    svg_logo(brand_copy, use_bomb(levels=2, fan=5))
    render_with(brand_copy, write_topic(MINIMAL_TOPIC))


def png_brand(brand_dir: Path, image: Image.Image) -> None:
    image.save(brand_dir / "logo.png")
    yaml_path = brand_dir / "brand.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("logo: logo.svg", "logo: logo.png"))


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels and whose data is a few bytes: the
    shape of a decompression bomb, without spending a second compressing real pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("size, reason", [
    ((20_000, 20_000), "megapixels"),
    ((7_000, 8), "7000 x 8 pixels"),
])
def test_oversized_png_logo_is_refused_with_a_reason(brand_copy, size, reason):
    png_brand(brand_copy, Image.new("1", (1, 1)))
    (brand_copy / "logo.png").write_bytes(bomb_png(*size))
    with deadline(20), pytest.raises(InvalidBrand) as info:
        Renderer(load_brand(brand_copy))
    message = info.value.problems[0].message
    assert reason in message and not message.rstrip(".").endswith(":")


def test_damaged_png_logo_is_refused_with_a_reason(brand_copy):
    png_brand(brand_copy, Image.new("RGB", (10, 10)))
    (brand_copy / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(InvalidBrand, match="not an image that can be read"):
        Renderer(load_brand(brand_copy))


def test_user_errors_only(brand_copy):
    """Every refusal above is a UserError (exit 1), never a bug (exit 3)."""
    assert issubclass(InvalidBrand, UserError)


def test_brand_templates_folder_that_is_a_symlink_is_refused(brand_copy, write_topic,
                                                            render_templates_of, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "parts").mkdir(parents=True)
    (elsewhere / "parts" / "masthead.html.j2").write_text("<header>x</header>")
    (brand_copy / "templates").symlink_to(elsewhere)
    with pytest.raises(InvalidBrand, match="leads outside"):
        render_templates_of(brand_copy, write_topic(MINIMAL_TOPIC))


@pytest.mark.parametrize("name", ["../secret.svg", "/tmp/secret.svg", "sub/../../secret.svg"])
def test_logo_named_outside_the_brand_folder_is_refused(brand_copy, name):
    yaml_path = brand_copy / "brand.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("logo: logo.svg", f"logo: {name}"))
    with pytest.raises(InvalidBrand) as info:
        load_brand(brand_copy)
    assert info.value.problems[0].field == "logo"


@pytest.mark.pdf
def test_unsafe_svg_in_a_brand_template_is_refused(brand_copy, write_topic):
    (brand_copy / "badge.svg").write_text(use_bomb())
    part(brand_copy, "masthead.html.j2", '<header><img src="badge.svg" alt="badge"></header>')
    with deadline(20), pytest.raises(InvalidBrand, match="expands through <use>"):
        render_with(brand_copy, write_topic(MINIMAL_TOPIC))
