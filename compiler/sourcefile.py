"""Reading one source file: bytes -> text -> YAML front matter + Markdown body, with positions.

YAML is composed with PyYAML's safe loader so every value keeps its line and column; a Pydantic
error's `loc` is mapped back to the node it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from compiler.diagnostics import Diagnostics, Location, did_you_mean

MAX_FILE_BYTES = 2 * 1024 * 1024
# libyaml's safe loader when PyYAML was built with it (ten times faster), else the Python one.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, diags: Diagnostics) -> str | None:
    """The file as text with a BOM dropped and line endings normalised; None after an error."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            diags.error(
                diags.at(path, 1, 1),
                f"file is too large ({size // 1024} KiB, the limit is {MAX_FILE_BYTES // 1024} KiB)",
                "split the content into several questions",
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        diags.error(diags.at(path), f"cannot read file: {exc.strerror}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        diags.error(
            diags.at(path, line, col),
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8",
        )
        return None
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class YamlDoc:
    data: Any
    node: yaml.Node | None
    path: Path
    line_offset: int  # lines before the YAML text in its file

    def location(self, diags: Diagnostics, loc: tuple[int | str, ...]) -> Location:
        """Where the value at a Pydantic `loc` path is written (or its nearest parent)."""
        node = self.node
        for key in loc:
            found = child(node, key)
            if found is None:
                break
            node = found
        if node is None:
            return diags.at(self.path, self.line_offset + 1, 1)
        mark = node.start_mark
        return diags.at(self.path, self.line_offset + mark.line + 1, mark.column + 1)

    def text_location(self, diags: Diagnostics, loc: tuple[int | str, ...], offset: int) -> Location:
        """Where character `offset` of the string at `loc` is written: exact for a value on one
        line, plain or in single quotes (no escapes before it); else where the value starts."""
        node = self.node
        for key in loc:
            node = child(node, key)
        start = self.location(diags, loc)
        if not isinstance(node, yaml.ScalarNode) or node.start_mark.line != node.end_mark.line:
            return start
        quote = 1 if node.style == "'" else 0
        if node.style not in (None, "'") or "'" in node.value[:offset]:
            return start
        return Location(start.path, start.line, start.col + quote + offset)

    def key_location(self, diags: Diagnostics, loc: tuple[int | str, ...]) -> Location:
        """Where the key named by the last element of `loc` is written."""
        parent = self.node
        for key in loc[:-1]:
            parent = child(parent, key)
        if isinstance(parent, yaml.MappingNode):
            for k, _ in parent.value:
                if k.value == loc[-1]:
                    return diags.at(
                        self.path, self.line_offset + k.start_mark.line + 1, k.start_mark.column + 1
                    )
        return self.location(diags, loc[:-1])


def scalars(node: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """Every scalar under `node`, in document order."""
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from scalars(key)
            yield from scalars(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from scalars(item)


def child(node: yaml.Node | None, key: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]  # type: ignore[no-any-return]
    return None


def load_yaml(text: str, path: Path, line_offset: int, diags: Diagnostics) -> YamlDoc | None:
    """Safe-load YAML; None (and a diagnostic) when it is malformed."""
    loader = SafeLoader(text)
    try:
        # Compose once (nodes keep their positions), then build the Python values from it.
        node = loader.get_single_node()
        if node is not None:
            _check_duplicate_keys(node, path, line_offset, diags)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = line_offset + (mark.line + 1 if mark else 1)
        col = mark.column + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "escape character" in problem:  # "\sqrt" in double quotes: YAML reads \s as an escape
            hint = "in double quotes YAML reads backslashes as escapes: write TeX in single quotes"
        else:
            hint = "check indentation and quoting; quote values that contain ':' or start with '\\'"
        diags.error(diags.at(path, line, col), f"malformed YAML: {problem}", hint)
        return None
    except RecursionError:
        diags.error(diags.at(path, line_offset + 1, 1), "malformed YAML: nested too deeply")
        return None
    finally:
        loader.dispose()
    return YamlDoc(data, node, path, line_offset)


def _check_duplicate_keys(node: yaml.Node, path: Path, offset: int, diags: Diagnostics) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in current.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        diags.error(
                            diags.at(path, offset + k.start_mark.line + 1, k.start_mark.column + 1),
                            f"duplicate key '{k.value}'",
                            "each key may appear once; merge the two values",
                        )
                    seen.add(k.value)
                stack.append(v)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def validate(model: type[BaseModel], doc: YamlDoc, diags: Diagnostics, what: str) -> BaseModel | None:
    """Validate YAML data against a model, turning every Pydantic error into a diagnostic."""
    if not isinstance(doc.data, dict):
        diags.error(
            doc.location(diags, ()),
            f"{what} must be a mapping of keys to values",
            f"start with a key such as '{next(iter(model.model_fields))}:'",
        )
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            kind = err["type"]
            if kind == "extra_forbidden":
                parent_model = _model_at(model, loc[:-1])
                known = list(parent_model.model_fields) if parent_model else []
                diags.error(
                    doc.key_location(diags, loc),
                    f"unknown key '{loc[-1]}' in {what}",
                    did_you_mean(str(loc[-1]), known) or f"known keys: {', '.join(known)}",
                )
            elif kind == "missing":
                diags.error(
                    doc.location(diags, loc[:-1]),
                    f"missing required key '{loc[-1]}' in {what}",
                )
            else:
                diags.error(doc.location(diags, loc), f"{_where(loc) or what}: {_message(err)}", _hint(err))
        return None


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    current: Any = model
    for key in loc:
        if isinstance(key, int):
            continue
        field = current.model_fields.get(key) if hasattr(current, "model_fields") else None
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", None)
        current = args[0] if args else annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _is_point_id(err: Any) -> bool:
    return err["type"] == "string_pattern_mismatch" and "key_points" in " ".join(map(str, err["loc"]))


def _is_shape_id(err: Any) -> bool:
    return err["type"] == "string_pattern_mismatch" and "occlusions" in " ".join(map(str, err["loc"]))


def _where(loc: tuple[int | str, ...]) -> str:
    """A place in the YAML as an author reads it: `tags[1]`, `formulas[2].tex`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif part == "[key]":
            out += " (a key)"
        else:
            out += ("." if out else "") + part
    return out


_TYPE_WORDS = {
    "string_type": "a text",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
}


def _message(err: Any) -> str:
    msg = str(err["msg"])
    kind = err["type"]
    value = err.get("input")
    if _is_point_id(err):
        return f"'{value}' is not a key point id"
    if _is_shape_id(err):
        return f"'{value}' is not a shape id"
    if kind == "string_pattern_mismatch":
        return f"'{value}' is not a valid slug"
    if kind == "value_error":  # a model's own check: its message is written for authors
        return msg.removeprefix("Value error, ")
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "")
        return f"'{value}' is not one of {expected}"
    if kind == "too_short":
        return "is empty: give at least one"
    if kind == "string_too_short":
        return "is empty"
    if kind in _TYPE_WORDS:
        given = type(value).__name__ if value is not None else "empty"
        return f"should be {_TYPE_WORDS[kind]}, not {given}"
    return msg[0].lower() + msg[1:] if msg else msg


def _hint(err: Any) -> str:
    if _is_point_id(err):
        return "key points are numbered k1, k2, k3 ...: the number is the Anki card's"
    if _is_shape_id(err):
        return "shapes are numbered o1, o2, o3 ...: the number is the Anki card's"
    if err["type"] == "string_pattern_mismatch":
        return "use lowercase letters a-z, digits and '-' (tags may use '/' for hierarchy)"
    if err["type"] in ("list_type", "too_short"):
        return "write a YAML list, e.g. [a, b]"
    return ""


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(yaml text, body, line number where the body starts), or None without front matter."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return None
