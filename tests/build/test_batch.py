"""``make-handout build``: a whole library, with failures, a manifest, a catalogue, increments."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from handout_builder.build import batch
from handout_builder.build import executor, fingerprint
from handout_builder.build.batch import BuildConfig
from handout_builder.build.executor import Job, Outcome
from handout_builder.build.plan import Source
from handout_builder.output import catalogue
from handout_builder.output.store import file_sha256
from handout_builder.cli import main
from handout_builder.domain.problems import Problem
from handout_builder.paths import ASSETS_DIR, DEFAULT_BRAND_DIR, TEMPLATES_DIR
from handout_builder.cli.progress import BarReporter, LineReporter, reporter_for
from handout_builder.service import render_in_folder

from tests.conftest import MINIMAL_TOPIC
from tests.lazy import lazy

pypdf = lazy("pypdf")


def topic(title: str, category: str = "Testing", extra: str = "") -> str:
    return (
        MINIMAL_TOPIC.replace("title: Test topic", f"title: {title}")
        .replace("category: Testing", f"category: {category}")
        + extra
    )


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Three valid topics in two categories, one in a sub-folder."""
    lib = tmp_path / "handouts"
    (lib / "heart").mkdir(parents=True)
    (lib / "alpha.yaml").write_text(topic("Alpha"), encoding="utf-8")
    (lib / "beta.yaml").write_text(topic("Beta", "Bones"), encoding="utf-8")
    (lib / "heart" / "gamma.yaml").write_text(topic("Gamma", "Heart"), encoding="utf-8")
    return lib


def build(library: Path, out: Path, brand: Path = DEFAULT_BRAND_DIR, jobs: int = 1,
          force: bool = False) -> batch.BuildResult:
    return batch.build(BuildConfig(library=library, out_dir=out, brand_dir=brand, jobs=jobs,
                                   force=force), render=render_in_folder)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def names(entries) -> list[str]:
    return sorted(e.id for e in entries)


# --------------------------------------------------------------------------------------
# Failures and what the user sees
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_bad_topics_are_reported_and_the_rest_written(library, tmp_path, capsys):
    (library / "bad-field.yaml").write_text(topic("X").replace("category:", "categry:"),
                                            encoding="utf-8")
    (library / "broken.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    out = tmp_path / "out"
    status = main(["build", str(library), "--out", str(out), "--jobs", "2"])
    captured = capsys.readouterr()
    assert status == 1
    assert sorted(p.name for p in out.glob("*.pdf")) == ["alpha.pdf", "beta.pdf", "gamma.pdf"]
    assert f"{library / 'bad-field.yaml'}:2:1: categry: This field is not part of the format." \
        in captured.err
    assert f"{library / 'broken.yaml'}:2:1: YAML syntax error" in captured.err
    assert f"skipped: {library / 'broken.yaml'} (not rendered)" in captured.err
    assert "Traceback" not in captured.err
    assert "built 3, unchanged 0, removed 0, failed 2 in " in captured.out
    assert sorted(h["id"] for h in manifest(out)["handouts"]) == ["alpha", "beta", "gamma"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind


@pytest.mark.pdf
def test_plain_progress_lines_when_not_a_terminal(library, tmp_path, capsys):
    assert main(["build", str(library), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "building 3 handouts (0 unchanged, 0 to remove)"
    # counted in the order they finish (the largest topic files are handed out first)
    assert [line.split(" ", 1)[0] for line in lines[1:4]] == ["[1/3]", "[2/3]", "[3/3]"]
    assert sorted(line.split(" ", 1)[1] for line in lines[1:4]) == [
        "built alpha.yaml -> alpha.pdf (1 page)",
        "built beta.yaml -> beta.pdf (1 page)",
        "built heart/gamma.yaml -> gamma.pdf (1 page)",
    ]
    assert lines[4].startswith("built 3, unchanged 0, removed 0, failed 0 in ")
    assert "\r" not in "".join(lines)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.pdf
def test_progress_bar_on_a_terminal(library, tmp_path):
    terminal, log = _Terminal(), io.StringIO()
    reporter = reporter_for(terminal, log)
    assert isinstance(reporter, BarReporter)
    assert isinstance(reporter_for(io.StringIO(), log), LineReporter)
    batch.build(BuildConfig(library, tmp_path / "out", DEFAULT_BRAND_DIR, 1), reporter,
                render=render_in_folder)
    assert "3/3" in terminal.getvalue() and "\r" in terminal.getvalue()
    assert log.getvalue() == ""


@pytest.mark.pdf
def test_missing_library_or_no_topics_builds_and_removes_nothing(library, tmp_path, capsys):
    out = tmp_path / "out"
    build(library, out)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["build", str(empty), "--out", str(out)]) == 1
    assert main(["build", str(tmp_path / "nowhere"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "There are no topic files" in err and "The library folder does not exist." in err
    assert len(manifest(out)["handouts"]) == 3 and len(list(out.glob("*.pdf"))) == 3


def test_bad_brand_stops_the_build(library, tmp_path, brand_copy, capsys):
    (brand_copy / "brand.yaml").write_text("name: X\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(library), "--out", str(out), "--brand", str(brand_copy)]) == 1
    assert "brand.yaml" in capsys.readouterr().err
    assert not out.exists() or not list(out.glob("*.pdf"))


def test_jobs_must_be_positive(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["build", "--jobs", "0"])
    assert stop.value.code == 2


# --------------------------------------------------------------------------------------
# Crashes and bugs in a worker
# --------------------------------------------------------------------------------------


def crash_on_boom(job: Job) -> Outcome:
    """Runs in a worker: kills the process for boom.yaml, renders the others."""
    if job.source.rel == "boom.yaml":
        os._exit(70)
    return executor.render_job(job)


@pytest.mark.pdf
def test_a_crashed_worker_fails_its_topic_only(library, tmp_path):
    (library / "boom.yaml").write_text(topic("Boom"), encoding="utf-8")
    paths = batch.discover(library)
    shared = fingerprint.shared_fingerprint(DEFAULT_BRAND_DIR)
    jobs = [
        Job(Source(p, p.relative_to(library).as_posix(), "h"), tmp_path / "stage" / str(i))
        for i, p in enumerate(paths)
    ]
    outcomes: list[Outcome] = []
    executor.run_jobs(jobs, 2, DEFAULT_BRAND_DIR, shared, outcomes.append, work=crash_on_boom,
                   render_topic=render_in_folder)
    by_source = {o.source.rel: o for o in outcomes}
    assert sorted(by_source) == ["alpha.yaml", "beta.yaml", "boom.yaml", "heart/gamma.yaml"]
    assert len(outcomes) == 4
    assert by_source["boom.yaml"].bug and "stopped" in by_source["boom.yaml"].bug
    assert all(o.ok for rel, o in by_source.items() if rel != "boom.yaml")


def test_an_unexpected_exception_is_reported_against_its_topic(library, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    # The render function fails before it uses the renderer: any object stands in for it.
    monkeypatch.setattr(executor, "_worker", {"renderer": object(), "shared": "x", "render": broken})
    path = library / "alpha.yaml"
    outcome = executor.render_job(Job(Source(path, "alpha.yaml", "h"), library / "stage"))
    assert not outcome.ok and "RuntimeError: a bug" in outcome.bug


def test_an_internal_error_exits_3_after_the_build(library, tmp_path, monkeypatch, capsys):
    source = Source(library / "alpha.yaml", "alpha.yaml", "h")
    crashed = batch.BuildResult(failed=[Outcome(source, bug="Traceback: boom")])
    monkeypatch.setattr(batch, "build", lambda config, reporter, **kwargs: crashed)
    assert main(["build", str(library), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert f"{library / 'alpha.yaml'}: internal error" in err and "Traceback: boom" in err


# --------------------------------------------------------------------------------------
# Manifest and catalogue
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_manifest_describes_each_pdf(library, tmp_path):
    (library / "unreviewed.yaml").write_text(
        topic("Unreviewed").split("review:")[0] + "copyright:\n  holder: Test Clinic\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    batch.build(BuildConfig(library=library, out_dir=out, brand_dir=DEFAULT_BRAND_DIR,
                            jobs=1, allow_draft=True), render=render_in_folder)
    data = manifest(out)
    assert data["format"] == 2 and data["brand"] == "Riverside Family Clinic"
    entries = {h["id"]: h for h in data["handouts"]}
    gamma = entries["gamma"]
    pdf = (out / "gamma.pdf").read_bytes()
    assert gamma["source"] == "heart/gamma.yaml"
    assert gamma["title"] == "Gamma" and gamma["category"] == "Heart"
    assert gamma["language"] == "en" and gamma["output"] == "gamma.pdf"
    assert gamma["pages"] == len(pypdf.PdfReader(out / "gamma.pdf").pages) == 1
    assert gamma["bytes"] == len(pdf)
    assert gamma["sha256"] == file_sha256(out / "gamma.pdf")
    assert len(gamma["input_hash"]) == 64
    assert gamma["reviewed"] == "2024-01-02" and gamma["review_state"] == "current"
    assert gamma["status"] == "approved" and gamma["next_review"] == "2029-01-02"
    assert gamma["watermark"] is None
    unreviewed = entries["unreviewed"]
    assert unreviewed["reviewed"] is None and unreviewed["review_state"] == "draft"
    assert unreviewed["watermark"] == "watermark_draft"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "DRAFT (proof)" in html and "next review 2029-01-02" in html


@pytest.mark.pdf
def test_catalogue_groups_by_category_links_pdfs_and_escapes(library, tmp_path):
    (library / "evil.yaml").write_text(topic('"<script>x</script> & co"', "Bones"),
                                       encoding="utf-8")
    out = tmp_path / "out"
    build(library, out)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt; &amp; co" in html
    headings = [line.strip() for line in html.splitlines() if line.strip().startswith("<h2>")]
    assert headings == ["<h2>Bones</h2>", "<h2>Heart</h2>", "<h2>Testing</h2>"]
    bones = html.split("<h2>Bones</h2>")[1].split("<h2>Heart</h2>")[0]
    assert 'href="beta.pdf"' in bones and 'href="evil.pdf"' in bones
    assert 'href="alpha.pdf"' not in bones
    assert "@media print" in html
    assert "http" not in html.replace("http-equiv", "")  # self-contained: nothing fetched


# --------------------------------------------------------------------------------------
# Incremental builds
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_nothing_changed_builds_nothing(library, tmp_path):
    out = tmp_path / "out"
    first = build(library, out)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = build(library, out)
    assert names(first.built) == ["alpha", "beta", "gamma"]
    assert (again.built, again.removed, again.failed) == ([], [], [])
    assert names(again.unchanged) == ["alpha", "beta", "gamma"]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps


@pytest.mark.pdf
def test_one_edited_topic_is_built_alone(library, tmp_path):
    out = tmp_path / "out"
    build(library, out)
    (library / "beta.yaml").write_text(topic("Beta, edited", "Bones"), encoding="utf-8")
    result = build(library, out)
    assert names(result.built) == ["beta"] and names(result.unchanged) == ["alpha", "gamma"]
    assert "Beta, edited" in pypdf.PdfReader(out / "beta.pdf").pages[0].extract_text()
    assert {h["id"]: h["title"] for h in manifest(out)["handouts"]}["beta"] == "Beta, edited"


@pytest.mark.pdf
def test_changed_brand_rebuilds_everything(library, tmp_path, brand_copy):
    out = tmp_path / "out"
    build(library, out, brand=brand_copy)
    brand_yaml = brand_copy / "brand.yaml"
    brand_yaml.write_text(brand_yaml.read_text().replace("name: ", "name: New ", 1))
    result = build(library, out, brand=brand_copy)
    assert names(result.built) == ["alpha", "beta", "gamma"] and result.unchanged == []
    assert manifest(out)["brand"].startswith("New ")
    assert "New " in pypdf.PdfReader(out / "alpha.pdf").pages[0].extract_text()


@pytest.mark.pdf
def test_force_rebuilds_everything(library, tmp_path):
    out = tmp_path / "out"
    build(library, out)
    assert names(build(library, out, force=True).built) == ["alpha", "beta", "gamma"]


@pytest.mark.pdf
def test_deleted_topic_is_removed(library, tmp_path):
    out = tmp_path / "out"
    build(library, out)
    (library / "heart" / "gamma.yaml").unlink()
    result = build(library, out)
    assert names(result.removed) == ["gamma"] and result.built == []
    assert not (out / "gamma.pdf").exists()
    assert [h["id"] for h in manifest(out)["handouts"]] == ["alpha", "beta"]
    assert "gamma.pdf" not in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.pdf
def test_changed_id_removes_the_old_pdf(library, tmp_path):
    out = tmp_path / "out"
    build(library, out)
    (library / "alpha.yaml").write_text("id: alpha-two\n" + topic("Alpha"), encoding="utf-8")
    result = build(library, out)
    assert names(result.built) == ["alpha-two"]
    assert not (out / "alpha.pdf").exists() and (out / "alpha-two.pdf").exists()


@pytest.mark.pdf
@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_missing_or_damaged_pdf_is_rebuilt(library, tmp_path, damage):
    out = tmp_path / "out"
    build(library, out)
    good = (out / "beta.pdf").read_bytes()
    if damage == "delete":
        (out / "beta.pdf").unlink()
    else:
        (out / "beta.pdf").write_bytes(good[:-100])
    result = build(library, out)
    assert names(result.built) == ["beta"] and names(result.unchanged) == ["alpha", "gamma"]
    assert (out / "beta.pdf").read_bytes() == good


@pytest.mark.pdf
def test_failed_topic_keeps_its_last_good_pdf_and_is_retried(library, tmp_path):
    out = tmp_path / "out"
    build(library, out)
    good = (out / "beta.pdf").read_bytes()
    (library / "beta.yaml").write_text("title: [broken\n", encoding="utf-8")
    result = build(library, out)
    assert [o.source.rel for o in result.failed] == ["beta.yaml"]
    assert (out / "beta.pdf").read_bytes() == good
    assert [o.source.rel for o in build(library, out).failed] == ["beta.yaml"]  # tried again


@pytest.mark.pdf
def test_duplicate_ids_first_source_keeps_the_file(library, tmp_path):
    (library / "zeta.yaml").write_text("id: alpha\n" + topic("Zeta"), encoding="utf-8")
    out = tmp_path / "out"
    result = build(library, out, jobs=2)
    assert [o.source.rel for o in result.failed] == ["zeta.yaml"]
    assert "also the id of alpha.yaml" in str(result.failed[0].problems[0])
    assert "Alpha" in pypdf.PdfReader(out / "alpha.pdf").pages[0].extract_text()
    assert [h["source"] for h in manifest(out)["handouts"]] == ["alpha.yaml", "beta.yaml",
                                                                "heart/gamma.yaml"]


def test_shared_fingerprint_covers_the_assets_and_the_brand_only(tmp_path, monkeypatch):
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, assets)
    monkeypatch.setattr(fingerprint, "ASSETS_DIR", assets)
    brand = tmp_path / "styles" / "clinic"
    shutil.copytree(ASSETS_DIR / "brands" / "default", brand)
    base = fingerprint.shared_fingerprint(brand)
    (assets / "brands" / "other").mkdir()
    (assets / "brands" / "other" / "brand.css").write_text("/* another brand */")
    (assets / "brands" / "default" / "brand.css").write_text("/* a brand not in use */")
    (assets / "templates" / "catalogue.html.j2").write_text("{# shapes index.html only #}")
    assert fingerprint.shared_fingerprint(brand) == base
    for changed in (assets / "styles" / "leaflet.css",
                    assets / "templates" / "parts" / "section.html.j2",
                    assets / "styles" / "fonts" / "fonts.conf",
                    assets / "styles" / "fonts" / "AtkinsonHyperlegible_400Regular.ttf",
                    assets / "messages" / "en.po", brand / "logo.svg"):
        original = changed.read_bytes()
        changed.write_bytes(original + b"\n")
        assert fingerprint.shared_fingerprint(brand) != base, changed
        changed.write_bytes(original)
    assert fingerprint.shared_fingerprint(brand) == base
    assert fingerprint.shared_fingerprint(brand, [("allow_draft", "yes")]) != base
    # the built-in brand in use is hashed as the brand, like any other
    default = fingerprint.shared_fingerprint(assets / "brands" / "default")
    (assets / "brands" / "default" / "brand.css").write_text("/* now in use */")
    assert fingerprint.shared_fingerprint(assets / "brands" / "default") != default


# --------------------------------------------------------------------------------------
# Reproducible output
# --------------------------------------------------------------------------------------


@pytest.mark.pdf
def test_same_bytes_in_a_fresh_folder_across_processes(library, tmp_path):
    one, two, single = tmp_path / "one", tmp_path / "two", tmp_path / "single"
    build(library, one, jobs=1)
    build(library, two, jobs=2)
    assert main(["render", str(library / "alpha.yaml"), "--out", str(single)]) == 0
    for name in ("alpha.pdf", "beta.pdf", "gamma.pdf", "manifest.json", "index.html"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert (single / "alpha.pdf").read_bytes() == (one / "alpha.pdf").read_bytes()


@pytest.mark.pdf
def test_edited_manifest_cannot_reach_outside_the_output_folder(library, tmp_path):
    out = tmp_path / "out"
    build(library, out)
    outside = tmp_path / "precious.pdf"
    outside.write_bytes(b"keep me")
    data = manifest(out)
    data["handouts"][0]["output"] = "../precious.pdf"
    data["handouts"][0]["source"] = "deleted.yaml"
    (out / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    result = build(library, out)
    assert outside.read_bytes() == b"keep me"
    assert result.removed == [] and names(result.built) == ["alpha"]


def which_worker(job: Job) -> Outcome:
    """Runs in a worker: answers with its process id."""
    return Outcome(job.source, problems=(Problem(str(os.getpid()), "pid"),))


def where_it_runs(job: Job) -> Outcome:
    """Runs in a worker: says whether it runs with room on the frame stack."""
    from handout_builder.render.stack_room import in_room

    return Outcome(job.source, problems=(Problem("room" if in_room() else "none", "where"),))


@pytest.mark.pdf
def test_workers_render_with_room_on_the_frame_stack(library, tmp_path):
    """A worker's calls have room of their own on CPython's frame stack (render/stack_room.py),
    so WeasyPrint's deep layout does not map and unmap a chunk of it thousands of times."""
    jobs = [Job(Source(library / "alpha.yaml", f"{i}.yaml", "h"), tmp_path / str(i))
            for i in range(2)]
    outcomes: list[Outcome] = []
    executor.run_jobs(jobs, 2, DEFAULT_BRAND_DIR, "x", outcomes.append, work=where_it_runs)
    assert [o.problems[0].file for o in outcomes] == ["room", "room"]


@pytest.mark.pdf
def test_workers_are_recycled(library, tmp_path, monkeypatch):
    monkeypatch.setattr(executor, "WORKER_DOCUMENTS", 2)
    path = library / "alpha.yaml"
    jobs = [Job(Source(path, f"{i}.yaml", "h"), tmp_path / str(i)) for i in range(5)]
    outcomes: list[Outcome] = []
    executor.run_jobs(jobs, 1, DEFAULT_BRAND_DIR, "x", outcomes.append, work=which_worker)
    pids = [o.problems[0].file for o in outcomes]
    assert len(pids) == 5 and len(set(pids)) == 3
    assert pids[0] == pids[1] and pids[2] == pids[3] and pids[1] != pids[2] != pids[4]


@pytest.mark.pdf
def test_new_catalogue_template_rewrites_the_catalogue_only(library, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(library, out)
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    page = templates / "catalogue.html.j2"
    page.write_text(page.read_text().replace("patient leaflets</h1>", "leaflets, new look</h1>"))
    monkeypatch.setattr(fingerprint, "TEMPLATES_DIR", templates)
    monkeypatch.setattr(catalogue, "TEMPLATES_DIR", templates)
    result = build(library, out)
    assert result.built == [] and names(result.unchanged) == ["alpha", "beta", "gamma"]
    assert "leaflets, new look</h1>" in (out / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# The review policy in a build
# --------------------------------------------------------------------------------------


def build_on(library, out, as_of, allow_draft=False, **render):
    from datetime import date

    from handout_builder.domain.options import RenderOptions

    return batch.build(BuildConfig(
        library=library, out_dir=out, brand_dir=DEFAULT_BRAND_DIR, jobs=1,
        as_of=date.fromisoformat(as_of), allow_draft=allow_draft,
        render=RenderOptions(**render),
    ), render=render_in_folder)


@pytest.mark.pdf
def test_unreviewed_topic_is_refused_and_not_written(library, tmp_path, capsys):
    (library / "draft.yaml").write_text(
        topic("Draft").replace("status: approved", "status: draft"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(library), "--out", str(out), "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "The topic is a draft (status: draft). It is not printed." in err
    assert not (out / "draft.pdf").exists()
    assert "draft" not in {h["id"] for h in manifest(out)["handouts"]}


@pytest.mark.pdf
def test_a_leaflet_that_becomes_overdue_is_withdrawn_from_the_output(library, tmp_path):
    out = tmp_path / "out"
    first = build_on(library, out, "2026-11-25")
    assert names(first.built) == ["alpha", "beta", "gamma"]
    # Nothing changed but the date: the review (due 2029-01-02) is now overdue.
    later = build_on(library, out, "2029-01-03")
    assert sorted(f.source.rel for f in later.failed) == ["alpha.yaml", "beta.yaml", "heart/gamma.yaml"]
    assert all(f.refused for f in later.failed)
    assert "overdue" in later.failed[0].problems[0].message
    assert list(out.glob("*.pdf")) == []
    assert manifest(out)["handouts"] == []


@pytest.mark.pdf
def test_due_soon_updates_the_state_without_rendering(library, tmp_path):
    out = tmp_path / "out"
    build_on(library, out, "2026-11-25")
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}
    again = build_on(library, out, "2028-12-01")
    assert again.built == [] and len(again.unchanged) == 3
    assert {h["review_state"] for h in manifest(out)["handouts"]} == {"due-soon"}
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")} == before


@pytest.mark.pdf
def test_allow_draft_rebuilds_with_a_watermark_when_the_state_changes(library, tmp_path):
    out = tmp_path / "out"
    build_on(library, out, "2026-11-25", allow_draft=True)
    later = build_on(library, out, "2029-06-01", allow_draft=True)
    assert names(later.built) == ["alpha", "beta", "gamma"]
    text = pypdf.PdfReader(out / "alpha.pdf").pages[0].extract_text()
    assert "REVIEW OVERDUE" in text
    assert {h["watermark"] for h in manifest(out)["handouts"]} == {"watermark_overdue"}


@pytest.mark.pdf
def test_variants_build_under_their_own_names_and_skip_when_unchanged(library, tmp_path):
    out = tmp_path / "out"
    first = build_on(library, out, "2026-11-25", large_print=True)
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "alpha.large-print.pdf", "beta.large-print.pdf", "gamma.large-print.pdf"]
    assert len(first.built) == 3
    again = build_on(library, out, "2026-11-25", large_print=True)
    assert again.built == [] and len(again.unchanged) == 3
    (library / "alpha.yaml").unlink()
    gone = build_on(library, out, "2026-11-25", large_print=True)
    assert names(gone.removed) == ["alpha"]
    assert not (out / "alpha.large-print.pdf").exists()


def test_check_and_build_find_the_same_topics(tmp_path, capsys):
    """One rule (library.topic_files): sub-folders, *.yaml and *.yml; hidden names and
    library.yaml left out."""
    from datetime import date

    from handout_builder.quality.checks import check_paths

    library = tmp_path / "handouts"
    for name in ("a.yaml", "b.yml", "sub/c.yaml", "sub/deeper/d.yml",
                 ".hidden.yaml", ".git/e.yaml", "sub/.cache/f.yaml"):
        (library / name).parent.mkdir(parents=True, exist_ok=True)
        (library / name).write_text(MINIMAL_TOPIC, encoding="utf-8")
    (library / "library.yaml").write_text("review_interval_months: 24\n", encoding="utf-8")
    (library / "sub" / "library.yaml").write_text("due_soon_days: 30\n", encoding="utf-8")
    (library / "notes.txt").write_text("not a topic\n", encoding="utf-8")
    expected = [library / n for n in ("a.yaml", "b.yml", "sub/c.yaml", "sub/deeper/d.yml")]
    assert batch.discover(library) == expected
    assert [Path(r.file) for r in check_paths([library], date(2026, 11, 25))] == expected
    assert main(["check", str(library)]) == 0
    assert "4 file(s) checked: 0 error(s)" in capsys.readouterr().out


def hang_on_slow(job: Job) -> Outcome:
    """Runs in a worker: never finishes slow.yaml (like a layout that takes hours)."""
    if job.source.rel == "slow.yaml":
        time.sleep(3600)
    return Outcome(job.source, problems=(Problem(str(os.getpid()), "done"),))


@pytest.mark.pdf
def test_a_topic_over_the_time_limit_fails_alone(library, tmp_path):
    import multiprocessing

    names = ["a.yaml", "slow.yaml", "b.yaml", "c.yaml", "d.yaml"]
    path = library / "alpha.yaml"
    jobs = [Job(Source(path, name, "h"), tmp_path / str(i)) for i, name in enumerate(names)]
    outcomes: list[Outcome] = []
    executor.run_jobs(jobs, 2, DEFAULT_BRAND_DIR, "x", outcomes.append, work=hang_on_slow,
                   timeout=2)
    by_source = {o.source.rel: o for o in outcomes}
    assert sorted(by_source) == sorted(names) and len(outcomes) == len(names)
    slow = by_source["slow.yaml"]
    assert not slow.bug and "longer than 2 seconds" in slow.problems[0].message
    assert "--timeout" in slow.problems[0].fix
    assert all(o.problems[0].message == "done" for rel, o in by_source.items() if rel != "slow.yaml")
    assert not multiprocessing.active_children()  # the stuck worker was stopped


@pytest.mark.pdf
def test_a_worker_stopped_for_its_time_leaves_no_temporary_files(library, tmp_path, monkeypatch):
    """Each worker's renderer copies the bundled fonts into a temporary folder; a worker
    killed for its time cannot remove it, so the workers' temporary files go into a folder
    of the build's own, which the build removes."""
    import tempfile

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the build makes that folder
    path = library / "alpha.yaml"
    jobs = [Job(Source(path, name, "h"), tmp_path / str(i))
            for i, name in enumerate(["slow.yaml", "a.yaml"])]
    copies: list[int] = []  # the fonts' copies under temp as each outcome arrives

    def seen(outcome: Outcome) -> None:
        copies.append(len(list(temp.glob("make-handout-workers-*/weasyprint-*"))))

    executor.run_jobs(jobs, 1, DEFAULT_BRAND_DIR, "x", seen, work=hang_on_slow, timeout=2)
    assert copies and copies[0] >= 1  # the killed worker's copy was in the build's folder
    assert not list(temp.iterdir())  # and went with it


def test_build_timeout_option(monkeypatch, library, tmp_path):
    seen = {}

    def fake_build(config, reporter=None, **kwargs):
        seen["timeout"] = config.timeout
        return batch.BuildResult()

    monkeypatch.setattr(batch, "build", fake_build)
    assert main(["build", str(library), "--out", str(tmp_path / "o"), "--timeout", "30"]) == 0
    assert seen["timeout"] == 30
    assert main(["build", str(library), "--out", str(tmp_path / "o")]) == 0
    assert seen["timeout"] == executor.DEFAULT_TIMEOUT == 120


SMALL_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
             '<rect width="200" height="100" fill="{}"/></svg>')


@pytest.mark.pdf
def test_a_changed_figure_re_renders_only_the_topics_that_show_it(library, tmp_path):
    (library / "figures").mkdir()
    (library / "figures" / "box.svg").write_text(SMALL_SVG.format("#336699"), encoding="utf-8")
    alpha = library / "alpha.yaml"
    alpha.write_text(alpha.read_text(encoding="utf-8").replace("review:\n", (
        "    figures:\n      - file: figures/box.svg\n        alt: A blue box.\nreview:\n"), 1),
        encoding="utf-8")
    out = tmp_path / "out"
    assert len(build(library, out).built) == 3
    assert build(library, out).built == []
    (library / "figures" / "box.svg").write_text(SMALL_SVG.format("#993366"), encoding="utf-8")
    again = build(library, out)
    assert names(again.built) == ["alpha"] and names(again.unchanged) == ["beta", "gamma"]


def test_figure_digests_name_each_file_and_its_state(tmp_path):
    from handout_builder.build.fingerprint import figure_digests

    (tmp_path / "a.svg").write_text(SMALL_SVG.format("#000000"), encoding="utf-8")
    source = ("sections:\n  - heading: H\n    body: B\n    figures:\n"
              "      - file: a.svg\n      - file: missing.png\n      - file: ../out.png\n").encode()
    lines = figure_digests(tmp_path / "t.yaml", source).decode().splitlines()
    assert lines[0].startswith("a.svg ") and len(lines[0].split()[1]) == 64
    assert lines[1:] == ["missing.png unusable", "../out.png unusable"]
    assert figure_digests(tmp_path / "t.yaml", b"title: no figures\n") == b""
