"""The one rule for figure files: what an answer embeds reaches every output unchanged (the site's
media/, the EPUB, the JSON API's media/, the Anki package, the PDF), so a figure is checked once,
in phase one, and refused with a located error when it could run code or load anything.

A figure is refused rather than cleaned: a figure quietly changed is one its author no longer
recognises, and the fix (save it again as plain SVG, without the script or the link) is theirs.

- The file must be what its name says: .svg is SVG; .png, .jpg/.jpeg, .gif and .webp start with
  their format's signature (a "figure.png" that is really HTML or SVG is refused).
- An SVG is parsed without loading anything (no DTD, no entities, no network) and may hold only
  drawing: SVG elements of an allowlist (no <script>, <foreignObject>, animation, which can rewrite
  a link at run time), no event handler attribute (on*), no DOCTYPE (which declares entities)
  nor processing instruction (<?xml-stylesheet?>), and no reference outside itself: every href and
  every url(...) names one of its own parts (#id), so no data: URL either (the PDF loads none; a
  picture is a figure of its own). CSS (style="" and <style>) may not @import. Elements and
  attributes from other namespaces are refused, except the inert metadata drawing programs write
  (RDF, Dublin Core, Creative Commons, Inkscape, Sodipodi).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from compiler.diagnostics import Diagnostics, Location
from compiler.model import Asset

FIGURE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp")

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
# What drawing programs add for themselves; no browser or reader acts on it.
METADATA_NAMESPACES = frozenset(
    {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://purl.org/dc/elements/1.1/",
        "http://creativecommons.org/ns#",
        "http://web.resource.org/cc/",
        "http://www.inkscape.org/namespaces/inkscape",
        "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    }
)
SVG_ELEMENTS = frozenset(
    [
        "svg",
        "g",
        "defs",
        "symbol",
        "use",
        "title",
        "desc",
        "metadata",
        "switch",
        "view",
        "style",
        "a",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "textPath",
        "image",
        "marker",
        "pattern",
        "clipPath",
        "mask",
        "linearGradient",
        "radialGradient",
        "stop",
        "filter",
        "feBlend",
        "feColorMatrix",
        "feComponentTransfer",
        "feComposite",
        "feConvolveMatrix",
        "feDiffuseLighting",
        "feDisplacementMap",
        "feDistantLight",
        "feDropShadow",
        "feFlood",
        "feFuncA",
        "feFuncB",
        "feFuncG",
        "feFuncR",
        "feGaussianBlur",
        "feImage",
        "feMerge",
        "feMergeNode",
        "feMorphology",
        "feOffset",
        "fePointLight",
        "feSpecularLighting",
        "feSpotLight",
        "feTile",
        "feTurbulence",
    ]
)
# Refused elements that deserve their own words; any other element outside the list is refused too.
WHY_NOT = {
    "script": "a <script> element: it would run in the site, in EPUB readers and in Anki",
    "foreignObject": "a <foreignObject> element: it embeds HTML, with its scripts, forms and frames",
    "animate": "an <animate> element: animation can rewrite a link or a handler as the figure runs",
    "set": "a <set> element: it can rewrite a link or a handler as the figure runs",
    "animateMotion": "an <animateMotion> element: the PDF and most readers show no animation",
    "animateTransform": "an <animateTransform> element: the PDF and most readers show no animation",
    "handler": "a <handler> element: it holds script",
    "listener": "a <listener> element: it attaches script",
}
RASTER_SIGNATURES = {
    ".png": ((b"\x89PNG\r\n\x1a\n",), "PNG"),
    ".jpg": ((b"\xff\xd8\xff",), "JPEG"),
    ".jpeg": ((b"\xff\xd8\xff",), "JPEG"),
    ".gif": ((b"GIF87a", b"GIF89a"), "GIF"),
}
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
CSS_DANGER = re.compile(r"@import|expression\s*\(|javascript:|-moz-binding|behavior\s*:", re.IGNORECASE)
SCRIPT_URL = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.IGNORECASE)
HINT = "save the figure as plain SVG (a drawing only: no scripts, links or files from elsewhere)"


@dataclass(frozen=True)
class Problem:
    line: int
    needle: str  # a regular expression for what to point at: the tag or attribute as written
    message: str
    hint: str = HINT
    col: int = 0  # when the parser says where


def _tag(name: str) -> str:
    return f"<(?:[\\w.-]+:)?{re.escape(name)}\\b"


def _attribute(name: str) -> str:
    return f"(?<![\\w.:-])(?:[\\w.-]+:)?{re.escape(name)}\\s*="


def check_figures(
    assets: Iterable[Asset],
    used_at: dict[str, Location],
    diags: Diagnostics,
    known: Mapping[tuple[str, bytes], list[Problem]] | None = None,
) -> None:
    """Every figure the bank embeds, against the rule above; each problem is an error in the
    figure's file, at its line and column, naming a question that uses it. `known`: problems
    found already (while pandoc ran), by suffix and content."""
    for asset in assets:
        data = asset.path.read_bytes()
        suffix = asset.path.suffix.lower()
        found = known.get((suffix, data)) if known else None
        problems = found if found is not None else figure_problems(suffix, data)
        if not problems:
            continue
        text = data.decode("utf-8", errors="replace")
        where = used_at.get(asset.name)
        for problem in problems:
            hint = problem.hint + (f" (the figure is used at {where})" if where else "")
            diags.error(_locate(diags, asset.path, text, problem), problem.message, hint)


def figure_problems(suffix: str, data: bytes) -> list[Problem]:
    """What is wrong with a figure file of this suffix and content; nothing for a good one."""
    if suffix == ".svg":
        return svg_problems(data)
    if suffix == ".webp":
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return []
        return [Problem(0, "", f"this is not a WebP image ({_looks_like(data)})", _raster_hint("WebP"))]
    signatures, name = RASTER_SIGNATURES[suffix]
    if data.startswith(signatures):
        return []
    return [Problem(0, "", f"this is not a {name} image ({_looks_like(data)})", _raster_hint(name))]


def _raster_hint(name: str) -> str:
    return f"export the picture as {name} again, or give the file the extension of what it is"


def _looks_like(data: bytes) -> str:
    head = data[:512].lstrip().lower()
    for signatures, name in RASTER_SIGNATURES.values():
        if data.startswith(signatures):
            return f"its content is {name}"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "its content is WebP"
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        return "its content is SVG"
    if head.startswith((b"<!doctype html", b"<html")) or b"<script" in head:
        return "its content is HTML"
    return "its first bytes match no image format"


def svg_problems(data: bytes) -> list[Problem]:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        message = f"this SVG is not well-formed XML: {exc.msg}"
        return [Problem(line or 0, "", message, "fix the file, or export it again", col or 0)]
    problems: list[Problem] = []
    tree = root.getroottree()
    if tree.docinfo.doctype:
        problems.append(
            Problem(
                _line_of(data, b"<!DOCTYPE"),
                "<!DOCTYPE",
                "a DOCTYPE: it can declare entities and point at a DTD on the network",
                "delete the <!DOCTYPE ...> (an SVG needs none)",
            )
        )
    for node in [*root.itersiblings(preceding=True), *root.iter(etree.PI)]:
        if isinstance(node, etree._ProcessingInstruction):
            problems.append(
                Problem(
                    node.sourceline or 0,
                    re.escape(f"<?{node.target}"),
                    f"a processing instruction <?{node.target}?>: it can load a stylesheet from elsewhere",
                    "delete it",
                )
            )
    if root.tag != f"{{{SVG}}}svg":
        problems.append(Problem(root.sourceline or 0, "", "the file's root element is not an SVG <svg>"))
    for element in root.iter():
        if isinstance(element.tag, str):  # not an entity reference or a processing instruction
            problems.extend(_element_problems(element))
        elif isinstance(element, etree._Entity):
            problems.append(
                Problem(element.sourceline or 0, "&", "an entity reference: a figure may not use entities")
            )
    return problems


def _element_problems(element: etree._Element) -> list[Problem]:
    qname = etree.QName(element)
    line = element.sourceline or 0
    problems: list[Problem] = []
    if qname.namespace == SVG:
        if qname.localname not in SVG_ELEMENTS:
            why = WHY_NOT.get(
                qname.localname, f"a <{qname.localname}> element, which is not a drawing element"
            )
            return [Problem(line, _tag(qname.localname), why)]
    elif qname.namespace not in METADATA_NAMESPACES:
        return [
            Problem(
                line,
                _tag(qname.localname),
                f"a <{qname.localname}> element from '{qname.namespace or 'no namespace'}': "
                "only SVG elements (and drawing programs' metadata) may be in a figure",
            )
        ]
    for name, value in element.attrib.items():
        attr = etree.QName(name)
        written = _attribute(attr.localname)
        if attr.localname.lower().startswith("on") and attr.namespace in (None, SVG):
            problems.append(
                Problem(line, written, f"an event handler attribute '{attr.localname}': it runs script")
            )
            continue
        if attr.namespace not in (None, XLINK, XML) and attr.namespace not in METADATA_NAMESPACES:
            problems.append(
                Problem(line, written, f"an attribute '{attr.localname}' from '{attr.namespace}'")
            )
            continue
        if attr.namespace == XML and attr.localname not in ("space", "lang"):
            problems.append(Problem(line, written, f"an attribute 'xml:{attr.localname}'"))
            continue
        if attr.localname == "href" and attr.namespace in (None, XLINK):
            problem = _href_problem(qname.localname, value)
            if problem:
                problems.append(Problem(line, written, problem))
            continue
        if SCRIPT_URL.search(value):
            problems.append(Problem(line, written, f"attribute '{attr.localname}' holds a script URL"))
        problems.extend(Problem(line, written, p) for p in _css_problems(value))
    if qname.localname == "style" and qname.namespace == SVG:
        problems.extend(Problem(line, _tag("style"), p) for p in _css_problems(element.text or ""))
    return problems


def _href_problem(element: str, value: str) -> str:
    target = value.strip()
    if target.startswith("#") and target[1:] and not re.search(r"[\s()]", target):
        return ""  # one of the figure's own parts
    hint = ""
    if element in ("image", "feImage"):  # the PDF loads nothing a figure names, a data: URL neither
        hint = "; a picture is a figure of its own: embed it in the answer with ![what it shows](file.png)"
    return f"a link to '{_short(target)}': a figure may refer only to its own parts (#id){hint}"


def _css_problems(css: str) -> list[str]:
    problems = []
    danger = CSS_DANGER.search(css)
    if danger:
        problems.append(f"CSS '{danger.group(0)}': a figure's styles may not load or run anything")
    for match in CSS_URL.finditer(css):
        target = match.group(2).strip()
        if not (target.startswith("#") and len(target) > 1):
            problems.append(f"CSS url({_short(target)}): a figure may refer only to its own parts (url(#id))")
    return problems


def _line_of(data: bytes, needle: bytes) -> int:
    at = data.find(needle)
    return data.count(b"\n", 0, at) + 1 if at >= 0 else 0


def _locate(diags: Diagnostics, path: Path, text: str, problem: Problem) -> Location:
    """The problem's line, and the column of what it names on that line (or the next lines of a
    tag written over several), 1-based like every diagnostic."""
    if problem.line <= 0:
        return diags.at(path)
    if problem.col:
        return diags.at(path, problem.line, problem.col)
    lines = text.split("\n")
    if problem.needle:
        needle = re.compile(problem.needle)
        for n in range(
            problem.line - 1, max(-1, problem.line - 40), -1
        ):  # lxml: the line a start tag ends on
            found = needle.search(lines[n]) if n < len(lines) else None
            if found:
                return diags.at(path, n + 1, found.start() + 1)
    return diags.at(path, problem.line, 1)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
