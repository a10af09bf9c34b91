"""The question bank as data: parse, validate and compile it, with no database.

A bank is a YAML document (the shipped one is `assessor/bank/default.yaml`, beside these
modules). `parse_bank()` checks it part by part (`dimensions`, `questions`, `rules`,
`follow_ups`, `frameworks`; `parse` puts them together) and returns a normalised *document*:
plain JSON-able data, self-contained (framework titles resolved), which is what the database
stores for each questionnaire version and what an assessment is scored against.
`build_model()` (`compile`) turns a document into the scoring engine's frozen values; `dump`
writes a questionnaire's rows back as a bank.
"""

from .checker import Checker
from .compile import build_model, compiled, document_hash
from .contract import (
    ADDED_IN_2026_2,
    CONTRACT_DIMENSIONS,
    CONTRACT_SCOPE,
    CORE_CONTRACT,
    BankError,
)
from .dump import bank_from_rows, bank_yaml
from .files import BANK_DIR, DEFAULT_BANK, FRAMEWORK_CATALOG, read_yaml
from .frameworks import load_catalog
from .parse import load_bank_file, parse_bank

__all__ = [
    "ADDED_IN_2026_2",
    "BANK_DIR",
    "CONTRACT_DIMENSIONS",
    "CONTRACT_SCOPE",
    "CORE_CONTRACT",
    "DEFAULT_BANK",
    "FRAMEWORK_CATALOG",
    "BankError",
    "Checker",
    "bank_from_rows",
    "bank_yaml",
    "build_model",
    "compiled",
    "document_hash",
    "load_bank_file",
    "load_catalog",
    "parse_bank",
    "read_yaml",
]
