"""Phase one, rendering: every question's Markdown -> sanitised HTML, in as few pandoc processes
as `compiler.pandoc` allows, cached by content; then images resolved and every formula checked.

A question whose finishing (sanitising, checking its text and formulas, gluing punctuation to
its formulas) gave no diagnostic and has no image is remembered finished, by what it was made
from (`FINISHED_CACHE`): after an edit, only the edited question is finished again.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from importlib.metadata import version as package_version
from pathlib import Path
from urllib.parse import unquote, urlsplit

from compiler.cache import Cache, key, value_key
from compiler.diagnostics import Diagnostics, Location, did_you_mean
from compiler.figures import FIGURE_SUFFIXES, Problem, check_figures, figure_problems
from compiler.fingerprint import shared_code_version
from compiler.linebreak import glue_math_punctuation
from compiler.markup import IMG_ALT, IMG_SRC, IMG_TAG, MARKDOWN_IMAGE, TAG, replace_image_sources
from compiler.math import mathml
from compiler.math.forms import CJK, Math, find_math, math_span, tex_problem
from compiler.model import Asset, Bank, Chapter, Question, Rendered
from compiler.pandoc import in_batches, pandoc_version, run_pandoc, split_fragments, strip_paragraph
from compiler.sanitize import sanitize

PANDOC_ARGS = ["--mathjax", "--wrap=none", "--syntax-highlighting=tango"]
RENDER_VERSION = "4"  # bump when the HTML produced for the same Markdown changes
# First in every fenced div: pandoc 3 turns a div that starts with a heading into a section and moves
# the div's id onto the heading, so an answer starting with `## ...` would lose its marker and be
# glued to the title. A comment keeps the heading from being first; the splitter swallows it again.
_GUARD = "<!-- qbank -->\n"
# Footnotes are off (see `compiler.pandoc.PANDOC_FROM`): one written anyway is reported.
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\]")
FINISHED_CACHE = "question-finished"  # a question's finished HTML (`Rendered`), by its sources
# Questions worth a pandoc process of their own (its start-up costs what a few questions do):
# a bank of 50 or more is rendered by as many pandoc processes at a time as there are cores.
LEAST_QUESTIONS = 25


def render_bank(bank: Bank, diags: Diagnostics, cache: Cache, with_mathml: bool = False) -> Bank:
    """The bank with `rendered` filled in for every question and its assets collected.

    `with_mathml`: the pandoc processes that render questions also convert their formulas to
    MathML (into the cache and `bank.mathml`, for `compiler.math.mathml.mathml_for`)."""
    questions = bank.questions
    version = pandoc_version()
    keys = [key(RENDER_VERSION, version, *PANDOC_ARGS, *_sources(q)) for q in questions]
    code = value_key(shared_code_version(), package_version("nh3"))
    notation = [[rule.pattern, rule.message] for rule in bank.notation]
    root = bank.root.resolve()
    finished_keys = [_finished_key(code, k, q, notation, root) for k, q in zip(keys, questions, strict=True)]
    finished = _finished(cache.get_many(FINISHED_CACHE, finished_keys))
    todo = [i for i, k in enumerate(finished_keys) if k not in finished]
    html_found = cache.get_many("html", [keys[i] for i in todo])
    raw: dict[int, tuple[str, ...]] = {}
    missing: list[int] = []
    for i in todo:
        cached = html_found.get(keys[i])
        if cached is not None and cached.count("\0") == len(_sources(questions[i])) - 1:
            raw[i] = tuple(cached.split("\0"))
        else:
            missing.append(i)
    made_mathml: dict[Math, str] = {}
    checks = TexChecks(cache)
    figures: dict[tuple[str, bytes], list[Problem]] = {}
    if missing:
        # pandoc works in processes of its own while this one waits: meanwhile, check the figures
        # and the TeX that the questions about to be finished very likely show (a guess).
        with ThreadPoolExecutor(max_workers=1) as pool:
            rendering = pool.submit(
                in_batches,
                missing,
                lambda batch: _render_batch([questions[i] for i in batch], batch, with_mathml),
                LEAST_QUESTIONS,
                lambda i: sum(map(len, _sources(questions[i]))),
            )
            figures = figures_ahead([questions[i] for i in todo], bank.root, until=rendering.done)
            checks.ahead(likely_tex([questions[i] for i in todo]), until=rendering.done)
            batches = rendering.result()
        for found, found_mathml in batches:
            raw.update(found)
            made_mathml.update(found_mathml)
        for i in missing:
            cache.put("html", keys[i], "\0".join(raw[i]))
        mathml.remember(made_mathml, cache)

    assets: dict[str, Asset] = {}
    used_at: dict[str, Location] = {}  # where a question first embeds each figure
    rendered: dict[str, Question] = {}
    for i, q in enumerate(questions):
        remembered = finished.get(finished_keys[i])
        if remembered is not None:
            done, figures_shown = remembered
            for asset in figures_shown:  # where each is used, for what the figures' checks report
                _collect(asset, _reading_locator(q, diags), assets, used_at, diags)
            rendered[q.id] = replace(q, assets=figures_shown, rendered=done)
            continue
        reported = len(diags)
        title_html, answer_html, *points_html = raw[i]
        text = q.path.read_text(encoding="utf-8", errors="replace")
        locate = _locator(q, text, diags)
        title_html = strip_paragraph(sanitize(title_html))
        answer_html, q_assets = _resolve_images(answer_html, q, bank.root, locate, diags)
        answer_html = sanitize(answer_html)
        _check_text(q, title_html, answer_html, locate, diags)
        for asset in q_assets:
            _collect(asset, locate, assets, used_at, diags)
        note = _FOOTNOTE.search(q.title + "\n" + q.answer)
        if note:
            diags.warning(
                locate(note.group(0)),
                f"footnotes are not supported: '{note.group(0)}' is printed as it is written",
                "write the note into the text, in parentheses",
            )
        formulas = tuple(math_span(f.tex, display=True) for f in q.formulas)
        points = tuple(strip_paragraph(sanitize(p)) for p in points_html)
        for point, html_text in zip(q.meta.key_points, points, strict=True):
            if "<img" in html_text:
                diags.error(locate(point.text), "an image in a key point", "images belong in the answer")
        symbols = tuple(math_span(tex, display=False) for f in q.formulas for tex in f.symbols)
        for fragment in (title_html, answer_html, *formulas, *points, *symbols):
            for math in find_math(fragment):
                problem = checks.problem(math.tex)
                cjk = CJK.search(math.tex)
                if cjk:  # say which characters, and point at them, however long the formula
                    run = re.match(f"(?:{CJK.pattern}|\\s)+", math.tex[cjk.start() :])
                    chars = (run.group(0) if run else cjk.group(0)).strip()
                    diags.error(
                        _locate_within(locate, math.tex, cjk.start()),
                        f"Chinese characters '{chars}' inside math cannot be drawn by math fonts",
                        _math_hint(problem or "Chinese"),
                    )
                elif problem:
                    diags.error(locate(math.tex), f"{problem}: {_short(math.tex)}", _math_hint(problem))
                for rule in bank.notation:
                    if re.search(rule.pattern, math.tex):
                        diags.warning(
                            locate(math.tex),
                            f"notation: {rule.message}: {_short(math.tex)}",
                            "docs/notation.md gives one symbol per concept (rules: source/notation.yaml)",
                        )
        glued = Rendered(
            glue_math_punctuation(title_html),
            glue_math_punctuation(answer_html),
            formulas,
            tuple(glue_math_punctuation(p) for p in points),
        )
        rendered[q.id] = replace(q, assets=tuple(q_assets), rendered=glued)
        if len(diags) == reported:  # what it reports is checked again
            value = [
                glued.title_html,
                glued.answer_html,
                list(glued.formulas_html),
                list(glued.key_points_html),
                [str(asset.path) for asset in q_assets],
            ]
            cache.put(FINISHED_CACHE, finished_keys[i], json.dumps(value, ensure_ascii=False))
    # Figures reach every output as they are: one rule, here, before any backend (compiler.figures).
    check_figures(assets.values(), used_at, diags, figures)
    chapters = tuple(replace(c, questions=tuple(rendered[q.id] for q in c.questions)) for c in bank.chapters)
    return replace(bank, chapters=chapters, assets=dict(sorted(assets.items())), mathml=made_mathml)


def _finished_key(code: str, html_key: str, q: Question, notation: list[list[str]], root: Path) -> str:
    """What finishing a question reads besides its Markdown (in `html_key`): the code, its
    formulas and their symbols, the notation rules, and where its images are looked for (its
    file's folder, the source folder). Not the other files: a question that reports anything
    is never remembered finished, and one whose figure is gone is finished again (`_finished`);
    the figures themselves are checked every build (`check_figures`)."""
    formulas = [[f.tex, list(f.symbols)] for f in q.formulas]
    return value_key(code, html_key, formulas, notation, str(q.path.parent), str(root))


def _finished(found: dict[str, str]) -> dict[str, tuple[Rendered, tuple[Asset, ...]]]:
    """The finished questions the cache remembers (by key), those whose figures are all still
    there: finishing a question again reports a figure that is gone."""
    out = {}
    for k, value in found.items():
        title_html, answer_html, formulas_html, points_html, paths = json.loads(value)
        figures = tuple(Asset(Path(path).name, Path(path)) for path in paths)
        if all(asset.path.is_file() for asset in figures):
            out[k] = (Rendered(title_html, answer_html, tuple(formulas_html), tuple(points_html)), figures)
    return out


def _collect(
    asset: Asset,
    locate: Callable[[str], Location],
    assets: dict[str, Asset],
    used_at: dict[str, Location],
    diags: Diagnostics,
) -> None:
    """`asset` among the bank's `assets`, unless another file has its name (an error)."""
    if asset.name not in used_at:  # the first place only: locating reads the question's text
        used_at[asset.name] = locate(asset.name)
    known = assets.setdefault(asset.name, asset)
    if known.path != asset.path:
        diags.error(
            locate(asset.name),
            f"two different images are named '{asset.name}'",
            f"rename one of {diags.relative(known.path)} and {diags.relative(asset.path)}",
        )


class TexChecks:
    """`tex_problem` of each TeX string once a build, remembered in the cache (checking costs
    about half a millisecond a formula, 1,141 formulas for the real bank).

    `ahead` checks TeX before the HTML that shows it exists (while pandoc runs): a guess, kept
    apart, which `problem` takes when the HTML shows that TeX. A wrong guess costs time only:
    the result of a check depends on the TeX string alone, and only what `problem` is asked
    about is reported and reaches the cache."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.done: dict[str, str | None] = {}
        self.guessed: dict[str, tuple[str | None, bool]] = {}  # TeX -> (problem, from the cache)
        self.checked = 0  # `tex_problem` calls: tests pin that no TeX is checked twice

    def problem(self, tex: str) -> str | None:
        if tex in self.done:
            return self.done[tex]
        guess = self.guessed.pop(tex, None)
        if guess is not None:
            problem, cached = guess
            if not cached:
                self.cache.put("texcheck", _check_key(tex), problem or "")
        else:
            k = _check_key(tex)
            known = self.cache.get("texcheck", k)
            if known is not None:
                problem = known or None
            else:
                problem = self._check(tex)
                self.cache.put("texcheck", k, problem or "")
        self.done[tex] = problem
        return problem

    def ahead(self, texs: Iterable[str], until: Callable[[], bool]) -> None:
        """Check `texs` (a guess) until `until()` says the HTML is there."""
        todo = [tex for tex in dict.fromkeys(texs) if tex not in self.done and tex not in self.guessed]
        keys = {tex: _check_key(tex) for tex in todo}
        known = self.cache.get_many("texcheck", list(keys.values()))
        for tex in todo:
            stored = known.get(keys[tex])
            if stored is not None:
                self.guessed[tex] = (stored or None, True)
        for tex in todo:
            if until():
                return
            if tex not in self.guessed:
                self.guessed[tex] = (self._check(tex), False)

    def _check(self, tex: str) -> str | None:
        self.checked += 1
        return tex_problem(tex)


def _check_key(tex: str) -> str:
    return key(RENDER_VERSION, "texcheck", tex)


# What very likely becomes math when pandoc reads a question (`tex_math_dollars`): `$$...$$`, and
# `$...$` with no space inside its dollars and no digit after it, outside code. Only a guess
# (`TexChecks.ahead`): the formulas reported on are those pandoc finds.
_LIKELY_MATH = re.compile(
    r"\$\$(?P<display>(?:\\.|[^$\\])+?)\$\$"
    r"|(?<![\\$])\$(?![\s$])(?P<inline>(?:\\.|[^$\\])*?)(?<!\s)\$(?!\d)",
    re.DOTALL,
)
_CODE = re.compile(r"^(`{3,}|~{3,}).*?^\1|(`+).+?\2", re.DOTALL | re.MULTILINE)


def likely_tex(questions: Iterable[Question]) -> list[str]:
    """The TeX of a question's named formulas and their symbols (exactly what is checked), then
    what its Markdown very likely holds as math."""
    named = [tex for q in questions for f in q.formulas for tex in (f.tex, *f.symbols)]
    written = [
        _unindented(m.group("display")) if m.group("display") is not None else m.group("inline")
        for q in questions
        for md in _sources(q)
        for m in _LIKELY_MATH.finditer(_CODE.sub(" ", md))
    ]
    return named + written


def figures_ahead(
    questions: Iterable[Question], root: Path, until: Callable[[], bool]
) -> dict[tuple[str, bytes], list[Problem]]:
    """The problems of the figures the answers very likely embed (`![...](path)` in the bank),
    by suffix and content, until `until()` says the HTML is there: `check_figures` takes a
    result for a figure of the same suffix and bytes only."""
    known: dict[tuple[str, bytes], list[Problem]] = {}
    seen: set[Path] = set()
    inside = root.resolve()
    for q in questions:
        for m in MARKDOWN_IMAGE.finditer(q.answer):
            if until():
                return known
            try:
                path = (q.path.parent / unquote(m.group(2))).resolve()
                suffix = path.suffix.lower()
                if path in seen or suffix not in FIGURE_SUFFIXES or not path.is_relative_to(inside):
                    continue
                seen.add(path)
                data = path.read_bytes() if path.is_file() else None
            except (OSError, ValueError):
                continue
            if data is not None and (suffix, data) not in known:
                try:
                    known[(suffix, data)] = figure_problems(suffix, data)
                except Exception:  # a guess never fails a build: check_figures decides
                    continue
    return known


def _unindented(tex: str) -> str:
    """Display math in a list item: pandoc takes the item's indentation (that of the closing
    `$$`) off every line."""
    indent = re.search(r"\n([ \t]+)\Z", tex)
    return re.sub(f"\n[ \t]{{1,{len(indent.group(1))}}}", "\n", tex) if indent else tex


def _sources(q: Question) -> tuple[str, ...]:
    """The Markdown fragments of a question, in the order `Rendered` holds them."""
    return (q.title, q.answer, *(p.text for p in q.meta.key_points))


def _kinds(q: Question) -> list[str]:
    return ["title", "answer", *(f"p{n}" for n in range(len(q.meta.key_points)))]


def _divs(q: Question, i: int) -> str:
    return "".join(
        f"::::::::::: {{#qbank-{i}-{kind}}}\n{_GUARD}{md}\n\n:::::::::::\n\n"
        for kind, md in zip(_kinds(q), _sources(q), strict=True)
    )


def _render_batch(
    questions: list[Question], indexes: list[int], with_mathml: bool
) -> tuple[dict[int, tuple[str, ...]], dict[Math, str]]:
    """The HTML fragments of a batch of questions (one pandoc process) and, `with_mathml`, the
    MathML of their formulas (from the same process)."""
    made_mathml: dict[Math, str] = {}

    def render(batch: list[tuple[Question, int]]) -> dict[tuple[int, str], str]:
        doc = "\n".join(_divs(q, i) for q, i in batch)
        if not with_mathml:
            return split_fragments(run_pandoc(doc, PANDOC_ARGS))
        named = [Math(f.tex, True) for q, _ in batch for f in q.formulas]  # not in the Markdown
        out, found = mathml.take_mathml(
            run_pandoc(mathml.formulas_metadata(named) + doc, PANDOC_ARGS + mathml.pandoc_args())
        )
        made_mathml.update(found)
        return split_fragments(out)

    pairs = list(zip(questions, indexes, strict=True))
    fragments = render(pairs)
    result: dict[int, tuple[str, ...]] = {}
    for q, i in pairs:
        if not all((i, kind) in fragments for kind in _kinds(q)):
            # Markup that swallowed the following divs (an unclosed code fence): render alone.
            fragments.update(render([(q, i)]))
        result[i] = tuple(fragments.get((i, kind), "") for kind in _kinds(q))
    return result, made_mathml


def _reading_locator(q: Question, diags: Diagnostics) -> Callable[[str], Location]:
    """`_locator` for a question remembered finished, whose file is read only when a snippet is
    to be located (a figure's first use, an error)."""

    def locate(snippet: str) -> Location:
        return _locator(q, q.path.read_text(encoding="utf-8", errors="replace"), diags)(snippet)

    return locate


def _locator(q: Question, text: str, diags: Diagnostics) -> Callable[[str], Location]:
    """Finds where a snippet (a TeX string, an image path) is written in the question file."""

    def locate(snippet: str) -> Location:
        probe = snippet.strip().split("\n")[0][:60]
        at = text.find(probe) if probe else -1
        if at < 0:
            return diags.at(q.path, q.body_line, 1)
        line = text.count("\n", 0, at) + 1
        return diags.at(q.path, line, at - (text.rfind("\n", 0, at) + 1) + 1)

    return locate


def _resolve_images(
    fragment: str, q: Question, root: Path, locate: Callable[[str], Location], diags: Diagnostics
) -> tuple[str, list[Asset]]:
    """Rewrite every image source to its asset name; report images that cannot be used."""
    assets: list[Asset] = []
    # pandoc writes an "image" whose name is not a picture's as <embed> or <video>, which the
    # sanitiser removes: say so, instead of dropping it without a word.
    for src in _NOT_AN_IMAGE.findall(fragment):
        src = html.unescape(src)
        diags.error(
            locate(src),
            f"image '{_short(src)}' is not a figure: only {', '.join(FIGURE_SUFFIXES)} files are",
            "every output copies the file as it is: export the figure as SVG, PNG or JPEG",
        )

    def fix(src: str) -> str:
        parts = urlsplit(src)
        if parts.scheme or parts.netloc:
            diags.error(
                locate(src),
                f"image '{_short(src)}' is not a local file",
                "download the image into source/figures/ and reference it by a relative path",
            )
            return ""
        try:
            target = (q.path.parent / unquote(parts.path)).resolve()
        except (OSError, ValueError):  # a NUL byte, a path too long for the system
            diags.error(locate(src), f"image path '{_short(src)}' is not a valid file name")
            return ""
        if not target.is_relative_to(root.resolve()):
            diags.error(
                locate(src),
                f"image '{_short(src)}' is outside the source folder",
                "keep images in source/figures/",
            )
            return ""
        if not target.is_file():
            diags.error(locate(src), f"image '{_short(src)}' does not exist", _image_hint(target, q, root))
            return ""
        if target.suffix.lower() not in FIGURE_SUFFIXES:
            diags.error(
                locate(src),
                f"image '{_short(src)}' is not a figure: only {', '.join(FIGURE_SUFFIXES)} files are",
                "every output copies the file as it is: export the figure as SVG, PNG or JPEG",
            )
            return ""
        assets.append(Asset(target.name, target))
        return target.name

    return replace_image_sources(fragment, fix), assets


_NOT_AN_IMAGE = re.compile(r'<(?:embed|video|audio)\b[^>]*?\ssrc="([^"]*)"')
_CODE_OR_MATH = re.compile(r"<(code|pre)\b.*?</\1>|<span class=\"math (?:inline|display)\">.*?</span>", re.S)


def _check_text(
    q: Question, title_html: str, answer_html: str, locate: Callable[[str], Location], diags: Diagnostics
) -> None:
    """What pandoc accepted but the author did not mean: a `$` that opened no formula, and an
    image nobody can read without seeing it."""
    for fragment in (title_html, answer_html):
        text = html.unescape(TAG.sub("", _CODE_OR_MATH.sub("", fragment)))
        if "$" in text:
            at = text.index("$")
            diags.error(
                locate(text[at : at + 20]),
                f"a '$' that opens no formula: '{_short(text[max(0, at - 10) : at + 20])}'",
                "close the formula with a second $ (no space just inside it), or write \\$ for a dollar sign",
            )
    for tag in IMG_TAG.findall(answer_html):
        alt = IMG_ALT.search(tag)
        if alt is None or not alt.group(1).strip():
            src = IMG_SRC.search(tag)
            diags.error(
                locate(html.unescape(src.group(2)) if src else "!["),
                "an image without alt text",
                "say what it shows between the brackets: ![what the figure shows](../figures/x.svg)",
            )


def _locate_within(locate: Callable[[str], Location], tex: str, index: int) -> Location:
    """Where character `index` of a formula is written, from where the formula starts."""
    stripped = tex.lstrip()
    index -= len(tex) - len(stripped)
    start = locate(stripped)
    before = stripped[: max(index, 0)]
    if "\n" not in before:
        return Location(start.path, start.line, start.col + len(before)) if start.col else start
    return Location(start.path, start.line + before.count("\n"), len(before) - before.rfind("\n"))


def _image_hint(target: Path, q: Question, root: Path) -> str:
    """The path that would work: the same file elsewhere in the bank, or a name close to it."""
    images = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in FIGURE_SUFFIXES)
    same = [p for p in images if p.name == target.name]
    if same:
        where = os.path.relpath(same[0], q.path.parent)
        return f"the file is at '{where}' (paths are relative to the question file)"
    close = did_you_mean(target.name, [p.name for p in images])
    if close:
        return close + " (paths are relative to the question file)"
    return "check the path and file name: paths are relative to the question file"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _math_hint(problem: str) -> str:
    if "Chinese" in problem:
        return "move the words outside the formula, or write them in English inside \\text{...}"
    return "check braces, \\left/\\right pairs and command names"


def filter_chapters(chapters: tuple[Chapter, ...], keep: Callable[[Question], bool]) -> tuple[Chapter, ...]:
    return tuple(
        replace(c, questions=tuple(q for q in c.questions if keep(q)))
        for c in chapters
        if any(keep(q) for q in c.questions)
    )
