"""The JSON API backend: schema-valid, pinned by golden files, reproducible."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

from compiler.filters import Filter
from schema.export import SCHEMA_DIR, all_schemas
from tests.conftest import FIXTURE_BANK, run_build

GOLDEN = Path(__file__).parent / "golden" / "api"

SCHEMA_FOR = {
    "index.json": "api-index",
    "all.json": "api-all",
    "questions": "api-question",
    "chapters": "api-chapter",
    "tags": "api-tag",
    "companies": "api-company",
}


def _schema_name(rel: Path) -> str:
    return SCHEMA_FOR[rel.parts[0]]


def _documents(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.json") if p.relative_to(root).parts[0] in SCHEMA_FOR)


def test_every_document_validates_against_its_published_schema(tmp_path: Path) -> None:
    run_build(FIXTURE_BANK, tmp_path, only=["api"])
    root = tmp_path / "api" / "v1"
    docs = _documents(root)
    assert len(docs) >= 10
    for doc in docs:
        rel = doc.relative_to(root)
        schema = json.loads((root / "schema" / f"{_schema_name(rel)}.schema.json").read_text("utf-8"))
        jsonschema.validate(json.loads(doc.read_text("utf-8")), schema)


def test_openapi_document_is_valid(tmp_path: Path) -> None:
    run_build(FIXTURE_BANK, tmp_path, only=["api"])
    spec = json.loads((tmp_path / "api" / "v1" / "openapi.json").read_text("utf-8"))
    validate_openapi(spec)
    assert "/questions/{id}.json" in spec["paths"]


def test_question_document_content(tmp_path: Path) -> None:
    run_build(FIXTURE_BANK, tmp_path, only=["api"])
    root = tmp_path / "api" / "v1"
    doc = json.loads((root / "questions" / "softmax.json").read_text("utf-8"))
    assert doc["schema_version"] == "1.2.0"
    assert doc["companies"] == [{"name": "腾讯优图", "slug": "tencent-youtu"}]
    assert doc["formulas"][0]["tex"] == r"S_i = \frac{e^{V_i}}{\sum_j e^{V_j}}"
    assert doc["formulas"][0]["mathml"].startswith("<math")
    assert any(m["display"] and "\\frac" in m["tex"] for m in doc["math"])
    confusion = json.loads((root / "questions" / "confusion-matrix.json").read_text("utf-8"))
    assert confusion["companies"][0]["name"] == "海康威视"  # alias resolved to the canonical name
    assert "<table>" in confusion["answer_html"]
    assert confusion["media"] == ["/api/v1/media/box.svg"]
    # the Markdown points at the media like the HTML: no source-relative path left
    assert "![一个方框示意图](/api/v1/media/box.svg)" in confusion["answer_markdown"]
    assert "../figures" not in confusion["answer_markdown"]
    assert (root / "media" / "box.svg").is_file()
    # hierarchical tags are reachable at every level
    assert (root / "tags" / "optimizer.json").is_file() and (
        root / "tags" / "optimizer" / "sgd.json"
    ).is_file()
    index = json.loads((root / "index.json").read_text("utf-8"))
    assert [q["id"] for q in index["questions"]] == ["softmax", "confusion-matrix", "sgd-pseudocode"]
    assert index["counts"]["formulas"] == 4


def test_golden_files(tmp_path: Path) -> None:
    """The JSON is pinned: a change to it is deliberate (UPDATE_GOLDEN=1 rewrites the files)."""
    run_build(FIXTURE_BANK, tmp_path, only=["api"])
    root = tmp_path / "api" / "v1"
    names = ["index.json", "questions/softmax.json", "questions/sgd-pseudocode.json", "tags/optimizer.json"]
    for name in names:
        produced = (root / name).read_text("utf-8")
        golden = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(produced, "utf-8")
        assert produced == golden.read_text("utf-8"), f"{name} differs from tests/golden/api/{name}"


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    run_build(FIXTURE_BANK, tmp_path / "a", only=["api"])
    run_build(FIXTURE_BANK, tmp_path / "b", only=["api"])
    a = {
        p.relative_to(tmp_path / "a"): p.read_bytes()
        for p in (tmp_path / "a" / "api").rglob("*")
        if p.is_file()
    }
    b = {
        p.relative_to(tmp_path / "b"): p.read_bytes()
        for p in (tmp_path / "b" / "api").rglob("*")
        if p.is_file()
    }
    assert a == b and len(a) > 20


def test_filtered_build_has_its_own_folder(tmp_path: Path) -> None:
    """Beside build/api/, not inside it: publishing the full API does not carry a targeted one."""
    run_build(FIXTURE_BANK, tmp_path, only=["api"], flt=Filter(company="腾讯优图"))
    index = json.loads((tmp_path / "api-company-tencent-youtu" / "v1" / "index.json").read_text("utf-8"))
    assert [q["id"] for q in index["questions"]] == ["softmax"]
    assert "腾讯优图" in index["title"]
    assert index["questions"][0]["url"].startswith("/api-company-tencent-youtu/v1/")
    assert not (tmp_path / "api").exists()


@pytest.mark.parametrize("name", sorted(all_schemas()))
def test_published_schemas_are_in_sync(name: str) -> None:
    """schema/*.schema.json must match the models (regenerate with `nox -s schema`)."""
    assert (SCHEMA_DIR / name).read_text("utf-8") == all_schemas()[name]
