"""A first guess at each stem's type from its file name, with the server's hints (GET /ui/config.json).

The same hints as the page's: type-aware advice ("a kick", "a bass") needs the type, and a folder of
stems is usually named by instrument. Unknown names stay "" (the server analyses them untyped).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def guess_type(name: str, hints: Sequence[Mapping[str, Any]]) -> str:
    base = re.sub(r"[_\-.]+", " ", Path(name).stem)
    for hint in hints:
        if re.search(str(hint["pattern"]), base, re.IGNORECASE):
            return str(hint["type"])
    return ""
