"""``build --executor dask``: the same bytes as the local pool, failures isolated, dead
workers replaced. One two-worker ``LocalCluster`` (processes, loopback) for the module;
``distributed`` is imported inside the fixture only (test modules are imported even when
their tests are deselected)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pytest

from handout_builder import service
from handout_builder.build import batch
from handout_builder.build.batch import BuildConfig
from handout_builder.cli import main
from handout_builder.paths import DEFAULT_BRAND_DIR
from handout_builder.service import render_in_folder

from tests.conftest import MINIMAL_TOPIC, TEST_TODAY


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A two-worker cluster on loopback. A task may be on a dying worker once and is then
    handed to another (allowed-failures 1); one task at a time per worker (saturation 1.0),
    so a dying worker takes only the task it was running with it."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0,
                          # Dask's folders here, not in the system's temporary folder
                          "temporary-directory": str(tmp_path_factory.mktemp("dask"))}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=":0") as cluster:
            yield cluster.scheduler_address


def make_library(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / f"{name}.yaml").write_text(
            MINIMAL_TOPIC.replace("Test topic", f"Topic {name}"), encoding="utf-8")
    return folder


def run_build(library: Path, out: Path, executor: str = "local", scheduler: str | None = None,
              render_bytes=service.render_bytes, brand: Path = DEFAULT_BRAND_DIR,
              ) -> batch.BuildResult:
    config = BuildConfig(library=library, out_dir=out, brand_dir=brand, jobs=2,
                         as_of=TEST_TODAY, executor=executor, scheduler=scheduler)
    return batch.build(config, render=render_in_folder, render_bytes=render_bytes)


def troublesome(data, name, renderer, as_of, allow_draft, settings):
    """Runs on a Dask worker: ``boom`` raises, ``die`` kills its worker every time,
    ``die-once`` only the first time (a marker file beside it remembers); others render."""
    stem = Path(name).stem
    # the worker renders in a private folder of its own: the mark lives in the shared /tmp,
    # named by the topic's bytes (which name the test's folder: see the test)
    died = Path(tempfile.gettempdir()) / f"died-{hashlib.sha256(data).hexdigest()[:16]}"
    if stem == "boom":
        raise RuntimeError("a bug in rendering")
    if stem == "die" or (stem == "die-once" and not died.exists()):
        died.touch()
        os._exit(70)
    return service.render_bytes(data, name, renderer, as_of, allow_draft, settings)


def in_room_only(data, name, renderer, as_of, allow_draft, settings):
    """Runs on a Dask worker: renders only with room on the frame stack (render/stack_room.py)."""
    from handout_builder.render.stack_room import in_room

    if not in_room():
        raise RuntimeError("rendered without room on the frame stack")
    return service.render_bytes(data, name, renderer, as_of, allow_draft, settings)


@pytest.mark.pdf
def test_dask_gives_the_local_pools_bytes_and_manifest(scheduler, tmp_path):
    library = make_library(tmp_path / "lib", ["alpha", "beta", "gamma"])
    local = run_build(library, tmp_path / "local")
    remote = run_build(library, tmp_path / "dask", "dask", scheduler)
    assert not local.failed and not remote.failed and len(remote.built) == 3
    for pdf in (tmp_path / "local").glob("*.pdf"):
        assert (tmp_path / "dask" / pdf.name).read_bytes() == pdf.read_bytes(), pdf.name
    assert ((tmp_path / "dask" / "manifest.json").read_bytes()
            == (tmp_path / "local" / "manifest.json").read_bytes())
    # incremental as with the local pool: nothing changed, nothing sent
    again = run_build(library, tmp_path / "dask", "dask", scheduler)
    assert not again.built and len(again.unchanged) == 3


@pytest.mark.pdf
def test_a_task_renders_with_room_on_the_frame_stack(scheduler, tmp_path):
    library = make_library(tmp_path / "lib", ["alpha"])
    result = run_build(library, tmp_path / "out", "dask", scheduler, render_bytes=in_room_only)
    assert not result.failed and len(result.built) == 1


@pytest.mark.pdf
def test_a_failing_task_or_dying_worker_fails_its_topic_only(scheduler, tmp_path):
    library = make_library(tmp_path / "lib", ["alpha", "boom", "die", "die-once", "beta"])
    for name in ("die", "die-once"):  # bytes of this test's own (the worker's mark)
        topic = library / f"{name}.yaml"
        topic.write_text(topic.read_text(encoding="utf-8") + f"# {tmp_path}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_build(library, out, "dask", scheduler, render_bytes=troublesome)
    failed = {o.source.rel: o for o in result.failed}
    assert sorted(failed) == ["boom.yaml", "die.yaml"]
    assert "RuntimeError: a bug in rendering" in failed["boom.yaml"].bug
    assert "workers rendering this topic stopped" in failed["die.yaml"].bug
    # a worker died under die-once, another rendered it: built like the others
    assert sorted(e.source for e in result.built) == ["alpha.yaml", "beta.yaml", "die-once.yaml"]
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(e["output"] for e in data["handouts"]) == [
        "alpha.pdf", "beta.pdf", "die-once.pdf"]
    # nothing half-written published, no staging left
    assert sorted(p.name for p in out.iterdir()) == [
        "alpha.pdf", "beta.pdf", "die-once.pdf", "index.html", "manifest.json"]
    # the exit code of a build with a crashed topic is that of a bug (3)
    assert result.has_bug
    for name in ("die", "die-once"):  # the workers' marks (see troublesome)
        digest = hashlib.sha256((library / f"{name}.yaml").read_bytes()).hexdigest()[:16]
        (Path(tempfile.gettempdir()) / f"died-{digest}").unlink(missing_ok=True)


#: The library of the next test: a worker that opens or lists anything in a folder of this
#: name fails its task.
CLIENT_ONLY = "library-on-the-client-only"


def never_reads_the_library(data, name, renderer, as_of, allow_draft, settings):
    """Runs on a Dask worker: the service's ``render_bytes``, raising if anything in the
    worker process opens, lists or scans a path in a folder named :data:`CLIENT_ONLY`
    during the render (a Python audit hook: every ``open``, ``os.listdir``, ``os.scandir``)."""
    import sys

    seen = sys.modules[__name__].__dict__.setdefault("_library_reads", None)
    if seen is None:
        seen = []

        def hook(event, args):
            if event in ("open", "os.listdir", "os.scandir") and args and CLIENT_ONLY in str(args[0]):
                seen.append(f"{event} {args[0]}")

        sys.addaudithook(hook)
        sys.modules[__name__]._library_reads = seen
    seen.clear()
    result = service.render_bytes(data, name, renderer, as_of, allow_draft, settings)
    if seen:
        raise AssertionError(f"the worker read the library: {seen}")
    return result


@pytest.mark.pdf
def test_workers_need_no_library_folder(scheduler, tmp_path):
    """Figures, a translation's source and the names of a topic's translations travel with
    the topic: the same bytes as the local pool, and no worker reads the library."""
    import shutil

    from tests.conftest import HANDOUTS, copy_sample

    library = tmp_path / CLIENT_ONLY
    library.mkdir()
    copy_sample(library)
    for name in ("calcification.es.yaml", "library.yaml"):
        shutil.copy(HANDOUTS / name, library / name)
    brand = tmp_path / "brand"
    shutil.copytree(DEFAULT_BRAND_DIR, brand)
    with (brand / "brand.yaml").open("a", encoding="utf-8") as file:
        file.write("other_languages: true\n")  # lists the languages beside each topic
    local = run_build(library, tmp_path / "local", brand=brand)
    remote = run_build(library, tmp_path / "dask", "dask", scheduler,
                       render_bytes=never_reads_the_library, brand=brand)
    assert not local.failed and not remote.failed, remote.failed
    assert sorted(e.output for e in remote.built) == ["calcification.es.pdf", "calcification.pdf"]
    for pdf in (tmp_path / "local").glob("*.pdf"):
        assert (tmp_path / "dask" / pdf.name).read_bytes() == pdf.read_bytes(), pdf.name
    # a missing figure is reported in the client's file, as the local pool reports it
    (library / "figures" / "where-calcium-goes.svg").unlink()
    remote = run_build(library, tmp_path / "dask", "dask", scheduler,
                       render_bytes=never_reads_the_library, brand=brand)
    local = run_build(library, tmp_path / "local", brand=brand)
    def problems(result):
        return sorted((o.source.rel, o.problems) for o in result.failed)

    assert problems(remote) == problems(local) and problems(remote)
    assert problems(remote)[-1][1][0].file == str(library / "calcification.yaml")


@pytest.mark.pdf
def test_a_user_error_comes_back_located_in_the_clients_file(scheduler, tmp_path):
    library = make_library(tmp_path / "lib", ["alpha"])
    (library / "bad.yaml").write_text(MINIMAL_TOPIC.replace("category: Testing\n", ""),
                                      encoding="utf-8")
    result = run_build(library, tmp_path / "out", "dask", scheduler)
    (bad,) = result.failed
    assert not bad.bug and bad.problems[0].file == str(library / "bad.yaml")
    assert "category" in str(bad.problems[0])
    assert [e.source for e in result.built] == ["alpha.yaml"]


def test_executor_and_scheduler_go_together(tmp_path, capsys):
    assert main(["build", str(tmp_path), "--executor", "dask"]) == 2
    assert "--scheduler" in capsys.readouterr().err
    assert main(["build", str(tmp_path), "--scheduler", "tcp://127.0.0.1:1"]) == 2


@pytest.mark.pdf  # imports distributed (heavy); no cluster needed
def test_an_unreachable_scheduler_is_a_plain_error(tmp_path, monkeypatch):
    from handout_builder.build import dask_executor

    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 1)
    library = make_library(tmp_path / "lib", ["alpha"])
    library_result = service.build_library(BuildConfig(
        library=library, out_dir=tmp_path / "out", brand_dir=DEFAULT_BRAND_DIR, jobs=1,
        as_of=TEST_TODAY, executor="dask", scheduler="tcp://127.0.0.1:9"))
    (problem,) = library_result.problems
    assert problem.file == "tcp://127.0.0.1:9" and "Could not reach the Dask scheduler" in str(problem)
    assert not list((tmp_path / "out").glob("*.pdf"))


@pytest.mark.pdf
def test_a_workers_plugin_removes_its_temporary_files_when_the_worker_closes(tmp_path,
                                                                             monkeypatch):
    """A Dask worker's warm renderer keeps the brand's files, and WeasyPrint its copies of the
    fonts, in temporary folders: the plugin removes both at teardown (a worker that closes),
    so a cluster's machines do not gather them build after build."""
    from dataclasses import asdict

    from handout_builder.build.dask_executor import WarmRenderers, brand_files
    from handout_builder.build.fingerprint import shared_fingerprint
    from handout_builder.domain.options import RenderOptions

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    options = RenderOptions()
    key = tuple((name, str(value)) for name, value in sorted(asdict(options).items()))
    plugin = WarmRenderers(shared_fingerprint(DEFAULT_BRAND_DIR, key),
                           brand_files(DEFAULT_BRAND_DIR), options)
    plugin.setup()
    assert plugin.renderer is not None and not plugin.problems
    made = sorted(path.name.split("-")[0] for path in tmp_path.iterdir())
    assert made == ["make", "weasyprint"]  # the brand's files, the fonts' copies
    plugin.teardown()
    assert not list(tmp_path.iterdir())


@pytest.mark.pdf
def test_a_killed_workers_temporary_files_go_with_its_dask_folder(tmp_path):
    """A Dask worker keeps its temporary files (the brand's files, WeasyPrint's copies of the
    fonts, each task's private folder) in its own Dask folder: Dask removes it when the
    worker ends, and the worker that replaces a killed one removes the killed one's."""
    import dask
    from distributed import LocalCluster

    scratch = tmp_path / "dask"
    library = make_library(tmp_path / "lib", ["die-once", "alpha"])
    topic = library / "die-once.yaml"  # bytes of this test's own (the worker's mark)
    topic.write_text(topic.read_text(encoding="utf-8") + f"# {tmp_path}\n", encoding="utf-8")

    def found(pattern: str) -> list[Path]:
        return list(scratch.rglob(pattern))

    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=":0",
                              local_directory=str(scratch)) as cluster:
                result = run_build(library, tmp_path / "out", "dask",
                                   cluster.scheduler_address, render_bytes=troublesome)
                # its worker died once, its replacement rendered both
                assert not result.failed and len(result.built) == 2
                # the living worker's files are in its Dask folder, the killed one's are gone
                assert len(found("make-handout-brand-*")) == 1
                assert len(found("weasyprint-*")) == 1
                assert not found("make-handout-topic-*")
        assert not found("make-handout-*") and not found("weasyprint-*")
    finally:
        digest = hashlib.sha256(topic.read_bytes()).hexdigest()[:16]
        (Path(tempfile.gettempdir()) / f"died-{digest}").unlink(missing_ok=True)
