"""Command line: `python -m compiler build|check|backends|schema|errata|new|serve`.

Each command imports what it runs when it runs: `--help`, and a build with nothing to do
(`compiler.nochange`), import no Pydantic, Jinja2 or backend.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.diagnostics import Diagnostics


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "backends":
        from compiler.backends import BACKENDS

        for name in BACKENDS.names():
            print(f"{name:8} {BACKENDS[name].description}")
        return 0
    if args.command == "new":
        from compiler import scaffold

        return scaffold.main(args)
    if args.command == "serve":
        from compiler import serve

        return serve.main(args)
    if args.command == "schema":
        from schema.export import main as export

        export()
        return 0
    if args.command == "errata":
        return _errata(args)
    if args.command == "check":
        return _check(args)
    return _build(args)


def _parser() -> argparse.ArgumentParser:
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
    e = sub.add_parser("errata", help="print the errata list (ERRATA.md)")
    e.add_argument("--write", type=Path, help="write it to this file instead")

    n = sub.add_parser("new", help="start a new question file in a chapter")
    n.add_argument("--chapter", type=int, required=True, help="the chapter's number (its folder's NN)")
    n.add_argument("--title", required=True, help="the question, as its heading will read")
    n.add_argument("--company", action="append", default=[], help="a company that asked it (repeatable)")
    n.add_argument("--tag", action="append", default=[], help="a tag (repeatable; default: the chapter's)")
    n.add_argument("--slug", help="the id (default: made from the title's Latin words)")
    n.add_argument("--difficulty", choices=["easy", "medium", "hard"])
    n.add_argument("--origin", help="where the question comes from (front matter 'source')")
    n.add_argument("--out", type=Path, default=Path("build"), help="build folder, for retired ids")

    s = sub.add_parser("serve", help="serve the site on 127.0.0.1, rebuilding on save")
    s.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0: any free)")
    s.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build/)")
    s.add_argument("--company", help="serve the site of one company's questions")
    s.add_argument("--tag", help="serve the site of one tag's questions")
    s.add_argument("--chapter", type=int, help="serve the site of one chapter")
    return parser


def _errata(args: argparse.Namespace) -> int:
    from compiler.diagnostics import Diagnostics
    from compiler.errata import errata_markdown
    from compiler.loader import load_bank
    from compiler.output import write_text_atomic

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


def _check(args: argparse.Namespace) -> int:
    from compiler.build import compile_bank
    from compiler.cache import Cache
    from compiler.diagnostics import Diagnostics
    from compiler.progress import Progress

    diags = Diagnostics()
    bank = compile_bank(args.source, diags, Cache(None), Progress())
    _report(diags)
    if bank is not None and not diags.failed(args.strict):
        counted = f"{len(bank.questions)} questions in {len(bank.chapters)} chapters"
        print(f"{counted}: no problems", file=sys.stderr)
    return 1 if diags.failed(args.strict) else 0


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
            print(f"0 error(s), {done.warnings} warning(s)", file=sys.stderr)
        print(f"built {', '.join(done.built)} ({done.count} files) in {args.out}/", file=sys.stderr)
        return 0

    from compiler.build import build
    from compiler.filters import Filter
    from compiler.progress import Progress

    flt = Filter(company=args.company, tag=args.tag, chapter=args.chapter)
    result = build(args.source, args.out, only=only, flt=flt, strict=args.strict, progress=Progress())
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


def _report(diags: Diagnostics) -> None:
    for d in diags:
        print(d.format(), file=sys.stderr)
    if len(diags):
        print(f"{len(diags.errors)} error(s), {len(diags.warnings)} warning(s)", file=sys.stderr)
