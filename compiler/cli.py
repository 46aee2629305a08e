"""Command line: `qbank` (the same as `python -m compiler`).

Each command imports what it runs when it runs: `--help`, and a build with nothing to do
(`compiler.nochange`), import no Pydantic, Jinja2 or backend.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from compiler import __version__
from compiler.registry import REGISTRY

PROG = "qbank"
Command = Callable[[argparse.Namespace], int]


class _Once(argparse.Action):
    """A filter given twice is refused: a targeted bank has one company, one tag, one chapter,
    and keeping only the last one would build something else than what was asked for."""

    def __call__(
        self, parser: argparse.ArgumentParser, ns: argparse.Namespace, value: Any, option: str | None = None
    ) -> None:
        if getattr(ns, self.dest, None) is not None:
            parser.error(
                f"{option} given twice: a targeted bank takes one {self.dest}; run once per {self.dest}"
            )
        setattr(ns, self.dest, value)


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options accepted before and after the subcommand (`qbank --source x build` and
    `qbank build --source x`): the subcommand's copy leaves the value alone unless given."""
    default: Any = argparse.SUPPRESS
    parser.add_argument(
        "--source",
        type=Path,
        default=Path("source") if top else default,
        help="the bank's folder (default: source/)",
    )
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument(
        "-q", "--quiet", action="store_true", default=False if top else default, help="only problems"
    )
    loud.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top else default,
        help="every step with its time, and the backends that were up to date",
    )


def _filters(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--company", action=_Once, help=f"{what} of one company's questions (name or alias)")
    parser.add_argument("--tag", action=_Once, help=f"{what} of one tag's questions (and the tags below it)")
    parser.add_argument("--chapter", type=int, action=_Once, help=f"{what} of one chapter (its number)")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Command]]:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compile a question bank in Markdown into an Anki deck, PDF sheets, an EPUB, "
        "a JSON API and a website.",
        epilog=f"`{PROG} COMMAND --help` shows a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands: dict[str, Command] = {}

    def command(name: str, summary: str, example: str, run: Command) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _common(p, top=False)
        commands[name] = run
        return p

    out_help = "output folder (default: build/)"
    b = command(
        "build",
        "validate the bank and build every output",
        f"{PROG} build --only anki,pdf --chapter 3",
        _build,
    )
    b.add_argument("--only", help=f"comma-separated backends to run: {', '.join(REGISTRY)} (default: all)")
    _filters(b, "a targeted bank")
    b.add_argument("--out", type=Path, default=Path("build"), help=out_help)
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")

    c = command(
        "check",
        "validate the bank without writing anything",
        f"{PROG} check --strict --against origin/main",
        _check,
    )
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    c.add_argument(
        "--against",
        metavar="REF",
        help="a git ref (origin/main, a release tag): fail when an id present there is gone unretired",
    )

    k = command(
        "clean",
        "remove the outputs and caches, keeping the ids earlier builds saw",
        f"{PROG} clean --out build",
        _clean,
    )
    k.add_argument("--out", type=Path, default=Path("build"), help=out_help)

    i = command(
        "init",
        "start a new bank in a folder, ready to build",
        f"{PROG} init my-bank && cd my-bank && {PROG} build",
        _init,
    )
    i.add_argument("folder", type=Path, help="where the bank goes (created if missing)")
    i.add_argument("--title", help="the bank's title (default: made from the folder's name)")
    i.add_argument("--language", default="en", help="the language of the bank's words (default: en)")

    n = command(
        "new", "start a new question file in a chapter", f'{PROG} new --chapter 3 --title "What is BN?"', _new
    )
    n.add_argument("--chapter", type=int, required=True, help="the chapter's number (its folder's NN)")
    n.add_argument("--title", required=True, help="the question, as its heading will read")
    n.add_argument("--company", action="append", default=[], help="a company that asked it (repeatable)")
    n.add_argument("--tag", action="append", default=[], help="a tag (repeatable; default: the chapter's)")
    n.add_argument("--slug", help="the id (default: made from the title's Latin words)")
    n.add_argument("--difficulty", choices=["easy", "medium", "hard"])
    n.add_argument("--origin", help="where the question comes from (front matter 'source')")
    n.add_argument("--out", type=Path, default=Path("build"), help="build folder, for retired ids")

    s = command(
        "serve", "serve the site on 127.0.0.1, rebuilding on save", f"{PROG} serve --port 8000", _serve
    )
    s.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0: any free)")
    s.add_argument("--out", type=Path, default=Path("build"), help=out_help)
    _filters(s, "the site")

    o = command(
        "occlusions",
        "print an SVG figure's text labels as occlusion shapes, ready to paste into front matter",
        f"{PROG} occlusions source/figures/lstm-cell.svg",
        _occlusions,
    )
    o.add_argument("figure", type=Path, help="the SVG, e.g. source/figures/lstm-cell.svg")
    command("backends", "list the backends", f"{PROG} backends", _backends)
    command("schema", "write the JSON Schemas into schema/", f"{PROG} schema", _schema)
    e = command("errata", "print the errata list (ERRATA.md)", f"{PROG} errata --write ERRATA.md", _errata)
    e.add_argument("--write", type=Path, help="write it to this file instead")
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = _parser()
    args = parser.parse_args(argv)
    return commands[args.command](args)


def run() -> NoReturn:
    """The command's process: `main`, then exit. What a build made lives until the end, and the
    interpreter's last garbage collections would walk all of it (0.2 s after a cold build of the
    real bank); frozen objects are left out of them and are still freed and finalised."""
    code = main()
    gc.freeze()
    sys.exit(code)


def _progress(args: argparse.Namespace) -> Any:
    from compiler.progress import Progress

    return Progress(enabled=True if args.verbose else False if args.quiet else None)


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr)


def _report(diags: Any, args: argparse.Namespace) -> None:
    for d in diags:
        print(d.format(), file=sys.stderr)
    if len(diags):
        _say(args, f"{len(diags.errors)} error(s), {len(diags.warnings)} warning(s)")


def _build(args: argparse.Namespace) -> int:
    from compiler import nochange
    from compiler.lock import build_lock

    only = [x.strip() for x in args.only.split(",") if x.strip()] if args.only else None
    options = nochange.options_key(only, (args.company, args.tag, args.chapter), args.strict)
    with build_lock(args.out):
        done = nochange.replay(args.source, args.out, options)
    if done is not None:
        for line in done.report:
            print(line, file=sys.stderr)
        if done.report:
            _say(args, f"0 error(s), {done.warnings} warning(s)")
        if args.verbose:
            _say(args, f"up to date: {', '.join(done.built)}")
        _say(args, f"built {', '.join(done.built)} ({done.count} files) in {args.out}/")
        return 0

    from compiler.build import build
    from compiler.filters import Filter

    flt = Filter(company=args.company, tag=args.tag, chapter=args.chapter)
    result = build(args.source, args.out, only=only, flt=flt, strict=args.strict, progress=_progress(args))
    _report(result.diags, args)
    for note in result.notes:
        _say(args, f"note: {note}")
    if args.verbose and result.skipped:
        _say(args, f"up to date: {', '.join(result.skipped)}")
    if result.ok(args.strict):
        count = sum(len(v) for v in result.written.values())
        _say(args, f"built {', '.join(result.written)} ({count} files) in {args.out}/")
        return 0
    if result.failed:
        print(f"failed backends: {', '.join(result.failed)}", file=sys.stderr)
    elif result.diags.errors:
        print("nothing was written: fix the errors above", file=sys.stderr)
    else:
        print("--strict: the warnings above count as errors", file=sys.stderr)
    return 1


def _check(args: argparse.Namespace) -> int:
    from compiler.build import compile_bank
    from compiler.cache import Cache
    from compiler.diagnostics import Diagnostics

    diags = Diagnostics()
    bank = compile_bank(args.source, diags, Cache(None), _progress(args))
    if bank is not None and args.against:
        from compiler.against import check_against

        check_against(bank, args.source, args.against, diags)
    _report(diags, args)
    if bank is not None and not diags.failed(args.strict):
        against = f" against {args.against}" if args.against else ""
        _say(args, f"{len(bank.questions)} questions in {len(bank.chapters)} chapters{against}: no problems")
    return 1 if diags.failed(args.strict) or bank is None else 0


def _clean(args: argparse.Namespace) -> int:
    from compiler.clean import clean

    removed = clean(args.out)
    _say(args, f"removed {removed} entries from {args.out}/ (kept the ids earlier builds saw)")
    return 0


def _init(args: argparse.Namespace) -> int:
    from compiler.starter import InitError, init_bank

    try:
        written = init_bank(args.folder, title=args.title, language=args.language)
    except InitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        _say(args, f"wrote {path}")
    _say(args, f"next: cd {args.folder} && {PROG} build")
    return 0


def _new(args: argparse.Namespace) -> int:
    from compiler import scaffold

    return scaffold.main(args)


def _serve(args: argparse.Namespace) -> int:
    from compiler import serve

    return serve.main(args)


def _occlusions(args: argparse.Namespace) -> int:
    """Print the figure's labels as `occlusions:` front matter, ready to trim and paste."""
    from compiler.occlusions import figure_size
    from compiler.svglabels import yaml_lines

    figure: Path = args.figure
    size = figure_size(figure)
    if figure.suffix.lower() != ".svg" or size is None:
        print(f"{figure}: error: not an SVG with a readable size", file=sys.stderr)
        print("  hint: the helper reads SVG text labels; give bitmap shapes by hand", file=sys.stderr)
        return 1
    # as a question file in a chapter folder refers to source/figures/
    name = f"../figures/{figure.name}" if figure.parent.name == "figures" else str(figure)
    print(f"# {figure}: {size.width:g} x {size.height:g} (its viewBox); keep the labels to drill")
    print("occlusions:")
    for line in yaml_lines(figure, name, size):
        print(line)
    return 0


def _backends(args: argparse.Namespace) -> int:
    from compiler.backends import BACKENDS

    for name in BACKENDS.names():
        print(f"{name:8} {BACKENDS[name].description}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from schema.export import main as export

    export()
    return 0


def _errata(args: argparse.Namespace) -> int:
    from compiler.diagnostics import Diagnostics
    from compiler.errata import errata_markdown
    from compiler.loader import load_bank
    from compiler.output import write_text_atomic

    diags = Diagnostics()
    loaded = load_bank(args.source, diags)
    _report(diags, args)
    if loaded is None or diags.errors:
        return 1
    text = errata_markdown(loaded)
    if args.write:
        write_text_atomic(args.write, text)
    else:
        sys.stdout.write(text)
    return 0
