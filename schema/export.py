"""JSON Schemas of the source files (for editors) and of the API documents (for consumers)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schema.api import API_DOCUMENTS
from schema.models import (
    BankConfig,
    ChapterMeta,
    CompanyRegistry,
    NotationRules,
    QuestionMeta,
    RetiredIds,
    TagRegistry,
)

SCHEMA_DIR = Path(__file__).parent
SOURCE_DOCUMENTS: dict[str, type[BaseModel]] = {
    "question": QuestionMeta,
    "chapter": ChapterMeta,
    "bank": BankConfig,
    "companies": CompanyRegistry,
    "tags": TagRegistry,
    "retired": RetiredIds,
    "notation": NotationRules,
}


def all_schemas() -> dict[str, str]:
    """File name -> JSON text, for every published schema."""
    out = {}
    for name, model in {**SOURCE_DOCUMENTS, **API_DOCUMENTS}.items():
        schema = model.model_json_schema()
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{name}.schema.json",
            **schema,
        }
        out[f"{name}.schema.json"] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return out


def main() -> None:
    for name, text in all_schemas().items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
