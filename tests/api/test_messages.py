"""Error message templates read as plain English: no stray or doubled quotes around the values they name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from config import Settings
from core.errors import MAX_SHOWN_CHARS, shown
from tests.api.test_http import assert_error
from tests.conftest import auth

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


def test_shown_bounds_what_a_message_echoes() -> None:
    assert shown("s066") == "'s066'" and shown(None) == "None"
    cut = shown("x" * 10_000)
    assert cut == "'" + "x" * MAX_SHOWN_CHARS + "…'"
    assert shown("it's" * 100).startswith("\"it's") and shown("it's" * 100).endswith('…"')
    assert len(shown(list(range(10_000)))) == MAX_SHOWN_CHARS + 1


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    return create_app(settings).test_client()


LONG = "j" * 10_000


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("get", f"/api/v1/jobs/{LONG}", None, 404),
        ("get", f"/api/v1/batches/{LONG}", None, 404),
        ("get", f"/api/v1/previews/{LONG}/after.wav", None, 404),
        ("get", f"/api/v1/previews/{'a' * 32}/{LONG}.wav", None, 404),
        ("get", f"/api/v1/sessions/{LONG}", None, 422),
        ("get", f"/api/v1/sessions/{LONG}/context", None, 422),
        ("post", f"/api/v1/suggestions/{LONG}/preview", None, 422),
        ("post", "/api/v1/feedback", {"suggestion_id": LONG, "kind": "applied"}, 422),
        ("post", "/api/v1/ask", {"question": "why?", "session_id": LONG}, 422),
    ],
)
def test_a_10000_character_id_is_echoed_cut_to_a_sane_length(
    client: FlaskClient, method: str, url: str, body: dict[str, str] | None, status: int
) -> None:
    r = getattr(client, method)(url, json=body, headers=auth())
    assert_error(r, status, mentions="…")
    message = r.json["error"]["message"]
    assert len(message) < 200, message


def test_an_id_that_cannot_be_a_job_is_not_found_like_any_unknown_one(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/jobs/not%20an%20id", headers=auth()), 404, "not_found", mentions="job ")
    assert_error(client.get("/api/v1/jobs/nope", headers=auth()), 404, "not_found", mentions="'nope'")
