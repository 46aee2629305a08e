"""Hostile figure files: an SVG that runs script or loads something from elsewhere, a "PNG" that is
HTML, an "image" that is a web page. Each is refused in phase one with an error at its line and
column, so no backend ever gets it: nothing is written into any output. A figure that is tricky
but harmless (local references, an embedded raster, editor metadata) goes through every backend,
and every output file (inside the Anki and EPUB zips, the PDF's objects) holds nothing executable
or remote."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

import pikepdf
import pytest

from compiler.build import build
from compiler.figures import figure_problems
from tests.conftest import FIXTURE_BANK, copy_bank, run_build

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'

# name -> (file content, line, column, part of the message): line 2 holds the attack in each.
SVG_ATTACKS: dict[str, tuple[str, int, int, str]] = {
    "script": (f"<svg {NS}>\n  <script>alert(1)</script>\n</svg>", 2, 3, "a <script> element"),
    "onload": (f'<svg {NS}\n     onload="alert(1)">\n</svg>', 2, 6, "event handler attribute 'onload'"),
    "upper-handler": (
        f'<svg {NS}>\n  <rect ONCLICK="alert(1)"/>\n</svg>',
        2,
        9,
        "event handler attribute 'ONCLICK'",
    ),
    "javascript-href": (
        f'<svg {NS}>\n  <a xlink:href="javascript:alert(1)"><text>x</text></a>\n</svg>',
        2,
        6,
        "a link to 'javascript:alert(1)'",
    ),
    "remote-image": (
        f'<svg {NS}>\n  <image href="https://evil.example/x.png" width="9" height="9"/>\n</svg>',
        2,
        10,
        "a link to 'https://evil.example/x.png'",
    ),
    "remote-use": (
        f'<svg {NS}>\n  <use href="//evil.example/s.svg#a"/>\n</svg>',
        2,
        8,
        "a link to '//evil.example/s.svg#a'",
    ),
    "other-file": (f'<svg {NS}>\n  <use href="box.svg#a"/>\n</svg>', 2, 8, "a link to 'box.svg#a'"),
    "style-url": (
        f'<svg {NS}>\n  <rect style="fill: url(https://evil.example/p.svg#g)"/>\n</svg>',
        2,
        9,
        "CSS url(https://evil.example/p.svg#g)",
    ),
    "fill-url": (
        f"<svg {NS}>\n  <rect fill=\"url('http://evil.example/p#g')\"/>\n</svg>",
        2,
        9,
        "CSS url(http://evil.example/p#g)",
    ),
    "import": (
        f"<svg {NS}>\n  <style>@import url(https://evil.example/x.css);</style>\n</svg>",
        2,
        3,
        "CSS '@import'",
    ),
    "foreign-object": (
        f'<svg {NS}>\n  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>\n</svg>',
        2,
        3,
        "a <foreignObject> element",
    ),
    "xhtml-script": (
        f'<svg {NS}>\n  <h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>\n</svg>',
        2,
        3,
        "a <script> element from 'http://www.w3.org/1999/xhtml'",
    ),
    "set-href": (
        f'<svg {NS}>\n  <a href="#t"><set attributeName="href" to="javascript:alert(1)"/>'
        '<text id="t">x</text></a>\n</svg>',
        2,
        16,
        "a <set> element",
    ),
    "entity": (
        '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        f"<svg {NS}><text>&x;</text></svg>",
        2,
        1,
        "a DOCTYPE",
    ),
    "stylesheet-pi": (
        f'<?xml version="1.0"?>\n<?xml-stylesheet href="https://evil.example/x.css"?>\n<svg {NS}/>',
        2,
        1,
        "a processing instruction <?xml-stylesheet?>",
    ),
    "svg-in-data": (
        f"<svg {NS}>\n"
        '  <image href="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0Lz48L3N2Zz4=" width="9"/>\n</svg>',
        2,
        10,
        "a link to 'data:image/svg+xml;base64,",
    ),
    "malformed": (f"<svg {NS}>\n  <rect>\n</svg>", 3, 7, "not well-formed XML"),
}

# Harmless on its face, and kept: only its own parts are referred to.
TRICKY_SVG = f"""<svg {NS} xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="90" height="60" viewBox="0 0 90 60">
  <title>a gradient box with a pattern and a clip path</title>
  <metadata><rdf:RDF><rdf:Description about="drawing"/></rdf:RDF></metadata>
  <style>.edge {{ stroke: #336; clip-path: url(#clip); }}</style>
  <defs>
    <linearGradient id="g">
      <stop offset="0" stop-color="#eef"/><stop offset="1" stop-color="#ccf"/>
    </linearGradient>
    <clipPath id="clip"><rect width="90" height="60"/></clipPath>
    <rect id="box" width="40" height="20"/>
  </defs>
  <g inkscape:label="layer 1">
    <rect class="edge" x="5" y="5" width="80" height="50" fill="url(#g)" style="stroke-width: 2"/>
    <use href="#box" x="10" y="10" fill="url('#g')"/>
    <a xlink:href="#box"><text x="10" y="50">IoU</text></a>
  </g>
</svg>
"""

EXECUTABLE = re.compile(
    r"<script|<foreignObject|<iframe|\son[a-z]+\s*=|javascript:|vbscript:|<set\b|<animate|@import|<!ENTITY|xml-stylesheet",
    re.IGNORECASE,
)
REMOTE = re.compile(
    r"""(?:href|src)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|data:image/svg""",
    re.IGNORECASE,
)


@pytest.mark.parametrize("name", sorted(SVG_ATTACKS))
def test_the_rule_finds_the_attack(name: str) -> None:
    content, line, _col, message = SVG_ATTACKS[name]
    problems = figure_problems(".svg", content.encode())
    assert [p.line for p in problems if message in p.message] == [line], [p.message for p in problems]


def test_a_tricky_but_harmless_figure_passes_the_rule() -> None:
    assert figure_problems(".svg", TRICKY_SVG.encode()) == []


@pytest.mark.parametrize(
    ("suffix", "data", "message"),
    [
        (".png", b"<html><script>alert(1)</script></html>", "this is not a PNG image (its content is HTML)"),
        (".jpg", b"\x89PNG\r\n\x1a\n....", "this is not a JPEG image (its content is PNG)"),
        (".gif", f"<svg {NS}/>".encode(), "this is not a GIF image (its content is SVG)"),
        (".webp", b"RIFF\0\0\0\0WAVE", "this is not a WebP image (its first bytes match no image format)"),
    ],
)
def test_a_raster_figure_is_what_its_name_says(suffix: str, data: bytes, message: str) -> None:
    assert [p.message for p in figure_problems(suffix, data)] == [message]


def _hostile_bank(tmp_path: Path) -> Path:
    """The fixture bank with one question that embeds every attack, a false PNG and a web page."""
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    figures = source / "figures"
    for name, (content, *_rest) in SVG_ATTACKS.items():
        (figures / f"evil-{name}.svg").write_text(content, encoding="utf-8")
    (figures / "evil.png").write_bytes(b"<html><script>alert(1)</script></html>")
    (figures / "page.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    images = "\n\n".join(f"![攻击 {name}](../figures/evil-{name}.svg)" for name in sorted(SVG_ATTACKS))
    (source / "01-basics" / "09-hostile.md").write_text(
        "---\nid: hostile-figures\ntags: [metrics]\n---\n\n# 带图的问题\n\n"
        f"{images}\n\n![假的 PNG](../figures/evil.png)\n\n![网页](../figures/page.html)\n",
        encoding="utf-8",
    )
    return source


BACKENDS = ["api", "anki", "epub", "pdf", "site"]


def test_hostile_figures_are_refused_with_located_errors_and_nothing_is_written(tmp_path: Path) -> None:
    source = _hostile_bank(tmp_path)
    out = tmp_path / "out"
    result = build(source, out)
    assert not result.ok()
    errors = [d.format() for d in result.diags.errors]
    text = "\n".join(errors)
    for name, (_content, line, col, message) in SVG_ATTACKS.items():
        where = f"evil-{name}.svg:{line}:{col}: error: " if col else f"evil-{name}.svg:{line}: error: "
        assert any(where in e and message in e for e in errors), f"{name}: {where} {message}\n{text}"
    assert re.search(r"evil\.png: error: this is not a PNG image \(its content is HTML\)", text)
    assert re.search(r"09-hostile\.md:\d+:\d+: error: image '../figures/page.html' is not a figure", text)
    # every error says what to do and where the figure is used
    for e in errors:
        if "evil-" in e:
            assert "\n  hint: " in e and "09-hostile.md:" in e, e
    # the build's lock and cache are not outputs
    written = [p for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts and p.name != ".lock"]
    assert written == [], written


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_backend_gets_a_hostile_figure(tmp_path: Path, backend: str) -> None:
    source = _hostile_bank(tmp_path)
    out = tmp_path / "out"
    result = build(source, out, only=[backend])
    assert not result.ok() and not (out / backend).exists()


def _anki_fields(db_bytes: bytes, tmp: Path) -> str:
    db = tmp / "collection.anki2"
    db.write_bytes(db_bytes)
    with sqlite3.connect(db) as conn:
        return "\n".join(row[0] for row in conn.execute("select flds from notes"))


def _texts(out: Path, tmp: Path) -> dict[str, str]:
    """What a figure could reach, as text: every output file, the entries of the EPUB zip, the
    media and the note fields of the Anki package, the objects of each PDF (dictionaries, strings,
    decompressed streams). The site's own scripts and page heads are the site's, not a figure's:
    its pages are searched from <body> on, its .js files for remote references only."""
    texts: dict[str, str] = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or ".cache" in path.parts or ".state" in path.parts:
            continue
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    texts[f"{path}!{name}"] = archive.read(name).decode("utf-8", errors="replace")
        elif path.suffix == ".apkg":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    data = archive.read(name)
                    if name.startswith("collection.anki2"):
                        texts[f"{path}!{name}"] = _anki_fields(data, tmp)
                    else:
                        texts[f"{path}!{name}"] = data.decode("utf-8", errors="replace")
        elif path.suffix == ".pdf":
            with pikepdf.open(path) as pdf:
                parts = []
                for obj in pdf.objects:
                    if isinstance(obj, pikepdf.Stream):
                        try:
                            parts.append(obj.read_bytes().decode("latin-1"))
                        except pikepdf.PdfError:
                            parts.append(obj.read_raw_bytes().decode("latin-1"))
                    else:
                        parts.append(repr(obj))
                texts[str(path)] = "\n".join(parts)
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
            texts[str(path)] = text[text.find("<body") :] if path.suffix == ".html" else text
    return texts


def test_a_tricky_figure_goes_through_every_backend_and_nothing_executable_or_remote_comes_out(
    tmp_path: Path,
) -> None:
    source = copy_bank(FIXTURE_BANK, tmp_path / "bank")
    (source / "figures" / "tricky.svg").write_text(TRICKY_SVG, encoding="utf-8")
    question = source / "01-basics" / "02-confusion.md"
    question.write_text(
        question.read_text("utf-8") + "\n\n![渐变方框与小图](../figures/tricky.svg)\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    run_build(source, out)
    texts = _texts(out, tmp_path)
    with_figure = [k for k, t in texts.items() if "a gradient box with a pattern and a clip path" in t]
    assert any("/site/media/" in k for k in with_figure), with_figure
    assert any("/api/" in k and "/media/" in k for k in with_figure), with_figure
    assert any(".apkg!" in k for k in with_figure) and any(".epub!" in k for k in with_figure), with_figure
    pdfs = [k for k in texts if k.endswith(".pdf")]
    assert pdfs and any("evil" not in k for k in pdfs)
    for pdf in pdfs:
        for action in ("/JavaScript", "/JS", "/Launch", "/SubmitForm", "/ImportData", "/URI"):
            assert not re.search(re.escape(action) + r"\b", texts[pdf]), f"{pdf}: {action}"
    for where, text in texts.items():
        if not where.endswith(".js"):
            match = EXECUTABLE.search(text)
            assert match is None, f"{where}: {match.group(0)}"
        remote = REMOTE.search(text)
        assert remote is None, f"{where}: {remote.group(0)}"
