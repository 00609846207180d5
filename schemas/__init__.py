"""Pydantic models: the response contract and the draft a model fills."""

from schemas.contract import SCHEMA_VERSION, ExtractionResponse, ExtractRequest
from schemas.draft import Draft

__all__ = ["SCHEMA_VERSION", "Draft", "ExtractRequest", "ExtractionResponse"]
