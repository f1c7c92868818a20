"""Error message templates read as plain English: no stray or doubled quotes around the values they name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "api").glob("*.py")),
    *sorted((ROOT / "service").glob("*.py")),
    ROOT / "core/errors.py",
]
#: An apostrophe inside a word ("session's", "don't") is English, not a quote.
_APOSTROPHE = re.compile(r"(?<=[A-Za-z])'(?=[A-Za-z])")


def glitch(message: ast.JoinedStr | ast.Constant) -> bool:
    """True when the template's own quotes do not pair up, or one follows a value already quoted by !r."""
    parts = message.values if isinstance(message, ast.JoinedStr) else [message]
    text, after_repr = "", False
    for part in parts:
        if isinstance(part, ast.FormattedValue):
            after_repr = part.conversion == ord("r")
            text += "{}"
        elif isinstance(part, ast.Constant) and isinstance(part.value, str):
            if after_repr and part.value.startswith("'"):
                return True  # {x!r}'s: the value's own closing quote, then another
            text += part.value
            after_repr = False
    return _APOSTROPHE.sub("", text).count("'") % 2 == 1


def test_no_message_template_has_a_stray_or_doubled_quote() -> None:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                message = node.exc.args[0]
                if isinstance(message, ast.JoinedStr | ast.Constant) and glitch(message):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(message)}")
    assert not found, "\n".join(found)


def test_the_check_sees_both_glitches_black_box_testing_found() -> None:
    possessive = ast.parse("""f"track {t!r} is not in session {s!r}'s analysis\"""", mode="eval").body
    stray = ast.parse("""f"suggestion {x!r} not found (not one of your analyses')\"""", mode="eval").body
    fine = ast.parse("""f"the session's job {x!r} (also Socket.IO 'ask')\"""", mode="eval").body
    assert isinstance(possessive, ast.JoinedStr) and isinstance(stray, ast.JoinedStr)
    assert isinstance(fine, ast.JoinedStr)
    assert glitch(possessive) and glitch(stray) and not glitch(fine)
