"""Command line: `python -m compiler build|check|backends|schema|errata|new|serve`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compiler import scaffold, serve
from compiler.backends import BACKENDS
from compiler.build import build, compile_bank
from compiler.cache import Cache
from compiler.diagnostics import Diagnostics
from compiler.errata import errata_markdown
from compiler.filters import Filter
from compiler.loader import load_bank
from compiler.output import write_text_atomic
from compiler.progress import Progress


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compiler", description="Compile a question bank.")
    parser.add_argument("--source", type=Path, default=Path("source"), help="the bank (default: source/)")
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="validate the bank and build every output")
    b.add_argument("--only", help="comma-separated backends to run (default: all)")
    b.add_argument("--company", help="only questions asked by this company")
    b.add_argument("--tag", help="only questions with this tag (or a tag below it)")
    b.add_argument("--chapter", type=int, help="only this chapter (its number)")
    b.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build/)")
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")

    c = sub.add_parser("check", help="validate the bank without writing anything")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    sub.add_parser("backends", help="list the backends")
    sub.add_parser("schema", help="write the JSON Schemas into schema/")
    o = sub.add_parser("occlusions", help="list an SVG figure's text labels as occlusion shapes")
    o.add_argument("figure", type=Path, help="the SVG, e.g. source/figures/lstm-cell.svg")
    e = sub.add_parser("errata", help="print the errata list (ERRATA.md)")
    e.add_argument("--write", type=Path, help="write it to this file instead")
    scaffold.add_arguments(sub.add_parser("new", help="start a new question file in a chapter"))
    serve.add_arguments(sub.add_parser("serve", help="serve the site on 127.0.0.1, rebuilding on save"))

    args = parser.parse_args(argv)
    if args.command == "backends":
        for name in BACKENDS.names():
            print(f"{name:8} {BACKENDS[name].description}")
        return 0
    if args.command == "new":
        return scaffold.main(args)
    if args.command == "serve":
        return serve.main(args)
    if args.command == "occlusions":
        return _occlusions(args.figure)
    if args.command == "schema":
        from schema.export import main as export

        export()
        return 0
    progress = Progress()
    if args.command == "errata":
        diags = Diagnostics()
        loaded = load_bank(args.source, diags)
        _report(diags)
        if loaded is None or diags.errors:
            return 1
        text = errata_markdown(loaded)
        if args.write:
            write_text_atomic(args.write, text)
        else:
            sys.stdout.write(text)
        return 0
    if args.command == "check":
        diags = Diagnostics()
        bank = compile_bank(args.source, diags, Cache(None), progress)
        _report(diags)
        if bank is not None and not diags.failed(args.strict):
            print(
                f"{len(bank.questions)} questions in {len(bank.chapters)} chapters: no problems",
                file=sys.stderr,
            )
        return 1 if diags.failed(args.strict) else 0

    only = [x.strip() for x in args.only.split(",") if x.strip()] if args.only else None
    flt = Filter(company=args.company, tag=args.tag, chapter=args.chapter)
    result = build(args.source, args.out, only=only, flt=flt, strict=args.strict, progress=progress)
    _report(result.diags)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.ok(args.strict):
        count = sum(len(v) for v in result.written.values())
        print(f"built {', '.join(result.written)} ({count} files) in {args.out}/", file=sys.stderr)
        return 0
    if result.failed:
        print(f"failed backends: {', '.join(result.failed)}", file=sys.stderr)
    elif result.diags.errors:
        print("nothing was written: fix the errors above", file=sys.stderr)
    else:
        print("--strict: the warnings above count as errors", file=sys.stderr)
    return 1


def _occlusions(figure: Path) -> int:
    """Print the figure's labels as `occlusions:` front matter, ready to trim and paste."""
    from compiler.occlusions import figure_size
    from compiler.svglabels import yaml_lines

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


def _report(diags: Diagnostics) -> None:
    for d in diags:
        print(d.format(), file=sys.stderr)
    if len(diags):
        print(f"{len(diags.errors)} error(s), {len(diags.warnings)} warning(s)", file=sys.stderr)
