"""Render the sample in every variant with both brands and print the SHA-256 of each PDF.

Used to show that a change of structure changes no output byte:

    python bench/same_output.py > before.txt   # on the old commit
    python bench/same_output.py > after.txt    # on the new one
    diff before.txt after.txt                  # nothing: byte-identical

Runs the command line (the one interface both sides share), on a fixed date.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "handouts" / "calcification.yaml"
VARIANTS = {
    "standard": [],
    "large-print": ["--large-print"],
    "archival": ["--archival"],
    "large-print-archival": ["--large-print", "--archival"],
}
PERSONAL = ["--patient-name", "Alex Example", "--clinician", "Dr Demo", "--date", "2026-11-25",
            "--note", "Bring your list of medicines."]


def render(args: list[str], out: Path) -> list[Path]:
    out.mkdir(parents=True)
    subprocess.run([sys.executable, str(ROOT / "make_handout.py"), "render", str(SAMPLE),
                    "--out", str(out), "--as-of", "2026-11-25", *args],
                   check=True, capture_output=True, cwd=ROOT)  # --brand harbour: ./styles/
    return sorted(out.glob("*.pdf"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for brand in ("default", "harbour"):
            for name, args in VARIANTS.items():
                cases = {name: args, f"{name}+personal": args + PERSONAL}
                for case, case_args in cases.items():
                    out = Path(tmp) / brand / case
                    for pdf in render(["--brand", brand, *case_args], out):
                        digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
                        print(f"{brand:8} {case:32} {digest}")


if __name__ == "__main__":
    main()
