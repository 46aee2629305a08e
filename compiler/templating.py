"""The Jinja2 environment every backend renders `templates/` with: autoescaped, strict."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

# templates/ at the top of a checkout; an installed wheel carries it as compiler/templates/
_HERE = Path(__file__).resolve().parent
TEMPLATES = _HERE / "templates" if (_HERE / "templates").is_dir() else _HERE.parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


def asset(name: str) -> str:
    """A static file from templates/ (CSS and the like)."""
    return (TEMPLATES / name).read_text(encoding="utf-8")
