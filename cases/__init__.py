"""Case files: the format, its loader and validator, and the built-in cases (`*.toml` here)."""

from cases.case import Case, CaseError, Expect, Layer, Step, did_you_mean, format_index, parse_element
from cases.loader import BUILTIN_CASES, case_files, load_case, load_cases, loads_case
from cases.vocabulary import DTYPES

__all__ = [
    "BUILTIN_CASES",
    "DTYPES",
    "Case",
    "CaseError",
    "Expect",
    "Layer",
    "Step",
    "case_files",
    "did_you_mean",
    "format_index",
    "load_case",
    "load_cases",
    "loads_case",
    "parse_element",
]
