"""Case files: the format, its loader and validator. The built-in cases are in builtin/, a folder per topic."""

from cases.case import Case, Expect, Layer, Step, format_index, parse_element
from cases.errors import CaseError, did_you_mean
from cases.files import case_files
from cases.graph import GraphCase, Node
from cases.loader import BUILTIN_CASES, builtin, load_case, load_cases, loads_case
from cases.vocabulary import DTYPES

__all__ = [
    "BUILTIN_CASES",
    "builtin",
    "DTYPES",
    "Case",
    "CaseError",
    "Expect",
    "GraphCase",
    "Layer",
    "Step",
    "case_files",
    "did_you_mean",
    "format_index",
    "load_case",
    "load_cases",
    "loads_case",
    "Node",
    "parse_element",
]
