"""``make-handout serve``: the README's quick start line, --hash-password, refusals."""

from __future__ import annotations

from pathlib import Path

from handout_builder.cli import main
from handout_builder.desk.config import check_password

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_starts_the_desk_on_the_sample():
    line = "./setup.sh && .venv/bin/make-handout serve --library handouts --brand styles/harbour --brand default"
    assert f"```sh\n{line}\n```" in README
    assert "<http://127.0.0.1:8000/>" in README


def test_hash_password(monkeypatch, capsys):
    answers = iter(["a long enough password", "a long enough password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["serve", "--hash-password"]) == 0
    stored = capsys.readouterr().out.strip()
    assert check_password("a long enough password", stored)


def test_hash_password_refuses_short_or_different(monkeypatch, capsys):
    answers = iter(["short", "a long enough password", "another long password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["serve", "--hash-password"]) == 1
    assert main(["serve", "--hash-password"]) == 1
    err = capsys.readouterr().err
    assert "at least 10 characters" in err and "differ" in err


def test_serve_refuses_a_missing_library_and_a_bad_settings_file(tmp_path, capsys):
    assert main(["serve", "--library", str(tmp_path / "nothing")]) == 1
    settings = tmp_path / "desk.yaml"
    settings.write_text("queue: -1\n", encoding="utf-8")
    assert main(["serve", "--library", "handouts", "--config", str(settings)]) == 1
    err = capsys.readouterr().err
    assert "not a folder of topic files" in err and "queue" in err
