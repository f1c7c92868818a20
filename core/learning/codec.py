"""Validation helpers for from_dict: every failure is an InvalidParameter naming the field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.errors import InvalidParameter
from core.learning.tables import MAX_NAME_CHARS

Params = tuple[tuple[str, float], ...]


def require(data: Any, key: str, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise InvalidParameter(f"{where} must be an object, not {type(data).__name__}")
    if key not in data:
        raise InvalidParameter(f"{where}.{key} is missing")
    return data[key]


def name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_CHARS:
        raise InvalidParameter(f"{where}={value!r} must be a non-empty string (at most {MAX_NAME_CHARS})")
    return value


def number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameter(f"{where}={value!r} must be a finite number")
    return float(value)


def integer(value: Any, where: str, *, low: int = 0, high: int | None = None) -> int:
    bad_type = isinstance(value, bool) or not isinstance(value, int)
    if bad_type or value < low or (high is not None and value > high):
        bounds = f"in {low}..{high}" if high is not None else f">= {low}"
        raise InvalidParameter(f"{where}={value!r} must be an integer {bounds}")
    return int(value)


def params(value: Any, where: str) -> Params:
    """A mapping of parameter name -> finite number, as sorted pairs."""
    if not isinstance(value, Mapping):
        raise InvalidParameter(f"{where} must be an object of parameter -> number")
    return tuple(sorted((name(k, f"{where} key"), number(v, f"{where}.{k}")) for k, v in value.items()))


def params_dict(pairs: Params) -> dict[str, float]:
    return dict(pairs)


def sequence(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidParameter(f"{where} must be a list")
    return list(value)


def name_at(data: Any, key: str, where: str) -> str:
    return name(require(data, key, where), f"{where}.{key}")


def number_at(data: Any, key: str, where: str) -> float:
    return number(require(data, key, where), f"{where}.{key}")


def integer_at(data: Any, key: str, where: str) -> int:
    return integer(require(data, key, where), f"{where}.{key}")
