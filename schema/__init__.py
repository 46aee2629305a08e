"""Pydantic models of the source format and of the JSON API, and their published JSON Schemas."""
