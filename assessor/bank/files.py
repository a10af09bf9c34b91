"""Where the shipped banks live, and reading one from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .contract import BankError

# The YAML files sit beside this package's modules.
BANK_DIR = Path(__file__).resolve().parent
DEFAULT_BANK = BANK_DIR / "default.yaml"
FRAMEWORK_CATALOG = BANK_DIR / "frameworks.yaml"


def read_yaml(path: Path | str) -> Any:
    """Read a bank file; a YAML syntax error becomes a BankError naming the file and line."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as exc:
        raise BankError([f"{path}: cannot be read ({exc.strerror})"]) from exc
    except yaml.YAMLError as exc:
        raise BankError([f"{path}: not valid YAML ({exc})"]) from exc
