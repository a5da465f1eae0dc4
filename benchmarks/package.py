"""`chalice package` beside `chalicelike package`, on the same copy of sample_app.

    python benchmarks/package.py [--runs 7]

sample_app is copied twice into a temporary folder: as it is for chalicelike, and as a
Chalice twin (`from chalice import`, chalicelike-only arguments dropped). Both are packaged
once with an empty cache, then `--runs` times more with a warm one, interleaved, each build
a fresh process timed around `subprocess.run`, as a user runs it:

  - Chalice: `chalice package --pkg-format terraform OUT` (sample_app's S3 handler is
    something Chalice cannot express in SAM);
  - chalicelike: `chalicelike package --pkg-format terraform OUT`, the whole command
    (reading the app, config, IAM policy, template, zip), for the interpreter's runtime
    (what Chalice builds for) and x86_64.

Then the zip sizes, ours broken down by what is in it, against Chalice's plus mangum's
wheel (and plus mangum with what it needs). Targets: ours <= Chalice's + mangum (issue 6;
ours now ships bytecode, which Chalice's does not: the .pyc files are counted apart); warm
repeat <= 0.2x Chalice's (issue 17). Exits non-zero if a build fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APP = ROOT / "sample_app"
CHALICE = Path(sys.executable).parent / "chalice"
CHALICELIKE = Path(sys.executable).parent / "chalicelike"  # each tool's console script, as run
RUNTIME = f"python3.{sys.version_info.minor}"  # what `chalice package` builds for


def chalice_twin(source: Path, twin: Path) -> None:
    """sample_app as a Chalice project: same code, Chalice's imports, no chalicelike extras."""
    shutil.copytree(source, twin, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    for path in [twin / "app.py", *sorted((twin / "chalicelib").rglob("*.py"))]:
        text = path.read_text()
        text = re.sub(r"\b(from|import) chalicelike\b", r"\1 chalice", text)
        text = re.sub(r",\s*per_record=\w+", "", text)  # Chalice hands SQS handlers the batch
        path.write_text(text)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed:\n{done.stderr[-3000:]}")
    return elapsed, done.stdout


def breakdown(archive: Path) -> dict[str, int]:
    """Compressed bytes of our zip by part: the app, chalicelike's runtime, each wheel."""
    parts: dict[str, int] = {}
    with zipfile.ZipFile(archive) as package:
        for info in package.infolist():
            top = info.filename.split("/")[0]
            if info.filename.endswith(".pyc"):
                part = "bytecode (.pyc, all parts)"
            elif top in ("app.py", "chalicelib"):
                part = "the app (app.py, chalicelib/)"
            elif top == "chalicelike":
                part = "chalicelike runtime"
            else:
                part = re.split(r"[-.]", top)[0].lower().replace("_", "-")
            parts[part] = parts.get(part, 0) + info.compress_size + 76 + 2 * len(info.filename)
    return parts


class Builds:
    """Both builders on their copies of sample_app in `work`; build n writes to its own folder."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.ours_project = work / "ours" / "sample_app"
        self.chalice_project = work / "chalice" / "sample_app"
        # Without the cache a run in the source tree left there: the first build is cold.
        skip = shutil.ignore_patterns("__pycache__", "cache")
        shutil.copytree(SAMPLE_APP, self.ours_project, ignore=skip)
        chalice_twin(SAMPLE_APP, self.chalice_project)
        self.env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}

    def chalice(self, n: int) -> float:
        out = self.work / f"chalice-out-{n}"
        command = [str(CHALICE), "--project-dir", str(self.chalice_project), "package"]
        return timed([*command, "--pkg-format", "terraform", str(out)], self.env)[0]

    def ours(self, n: int) -> tuple[float, dict[str, Any]]:
        out = self.ours_zip(n).parent
        command = [str(CHALICELIKE), "--project-dir", str(self.ours_project)]
        elapsed, stdout = timed(
            [*command, "package", "--pkg-format", "terraform", str(out)], self.env
        )
        return elapsed, {"cache_hit": ", cached)" in stdout}

    def chalice_with_mangum(self) -> Path:
        """Chalice packaging the same app with mangum in requirements.txt: Chalice + mangum."""
        from importlib.metadata import version

        project = self.work / "chalice-mangum" / "sample_app"
        shutil.copytree(self.chalice_project, project)
        requirements = project / "requirements.txt"
        previous = requirements.read_text() if requirements.is_file() else ""
        requirements.write_text(previous + f"mangum=={version('mangum')}\n")
        out = self.work / "chalice-mangum-out"
        command = [str(CHALICE), "--project-dir", str(project), "package"]
        timed([*command, "--pkg-format", "terraform", str(out)], self.env)
        return out / "deployment.zip"

    def mangum_wheel(self) -> dict[str, int]:
        """mangum's wheel (the installed version): what the size target allows beyond Chalice."""
        from importlib.metadata import version

        folder = self.work / "mangum-wheel"
        pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder)]
        timed([*pip, f"mangum=={version('mangum')}"], self.env)
        return {path.name: path.stat().st_size for path in folder.glob("*.whl")}

    def ours_zip(self, n: int) -> Path:
        return self.work / f"ours-out-{n}" / "deployment.zip"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="bench-package-") as scratch:
        builds = Builds(Path(scratch))
        chalice_cold = builds.chalice(0)
        ours_cold, _ = builds.ours(0)
        chalice_warm: list[float] = []
        ours_warm: list[float] = []
        for n in range(1, runs + 1):  # interleaved, alternating who goes first
            if n % 2:
                chalice_warm.append(builds.chalice(n))
            elapsed, answer = builds.ours(n)
            if not answer["cache_hit"]:
                sys.exit("a warm build of ours missed its cache")
            ours_warm.append(elapsed)
            if not n % 2:
                chalice_warm.append(builds.chalice(n))

        ours_zip = builds.ours_zip(1)
        same = all(builds.ours_zip(n).read_bytes() == ours_zip.read_bytes() for n in range(runs))
        wheels = builds.mangum_wheel()
        chalice_zip = builds.work / "chalice-out-1" / "deployment.zip"
        report(chalice_zip, ours_zip, wheels, breakdown(ours_zip), same)
        with_mangum = builds.chalice_with_mangum().stat().st_size
        ours_size = ours_zip.stat().st_size
        verdict = "meets" if ours_size <= with_mangum else "MISSES"
        print(
            f"  chalice package with mangum in requirements.txt: {with_mangum:,d} bytes; "
            f"ours / that: {ours_size / with_mangum:.2f}  ({verdict})"
        )
        print()
        print(f"Build time, {RUNTIME} x86_64, {runs} warm runs each (median of fresh processes):")
        print(
            f"  cold (empty cache)  chalice {chalice_cold:6.2f} s   chalicelike {ours_cold:6.2f} s"
        )
        c, o = statistics.median(chalice_warm), statistics.median(ours_warm)
        print(f"  warm repeat         chalice {c:6.3f} s   chalicelike {o:6.3f} s")
        verdict = "meets" if o <= 0.2 * c else "MISSES"
        print(f"  ratio chalicelike / chalice (warm): {o / c:.2f}  ({verdict} the 0.2x target)")
        print(
            f"  ranges: chalice {min(chalice_warm):.3f}-{max(chalice_warm):.3f} s, "
            f"chalicelike {min(ours_warm):.3f}-{max(ours_warm):.3f} s"
        )


def report(
    chalice_zip: Path, ours_zip: Path, wheels: dict[str, int], parts: dict[str, int], same: bool
) -> None:
    chalice_size, ours_size = chalice_zip.stat().st_size, ours_zip.stat().st_size
    mangum = sum(size for name, size in wheels.items() if name.startswith("mangum-"))
    print(f"deployment.zip for sample_app ({RUNTIME}, x86_64):")
    print(f"  chalice package                  {chalice_size:8,d} bytes")
    print(
        f"  chalicelike                      {ours_size:8,d} bytes  (same bytes every run: {same})"
    )
    for part, size in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"    {part:<31}{size:8,d}")
    print("  allowance (issue 6: no larger than Chalice's plus mangum):")
    for name, size in sorted(wheels.items()):
        print(f"    {name:<45}{size:8,d}")
    for label, allowance in (("Chalice's + mangum's wheel", mangum),):
        limit = chalice_size + allowance
        verdict = "meets" if ours_size <= limit else "MISSES"
        print(f"  ours / ({label} = {limit:,d}): {ours_size / limit:.2f}  ({verdict})")


if __name__ == "__main__":
    main()
