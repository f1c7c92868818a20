"""python -m client feedback SUGGESTION_ID KIND --url URL --token TOKEN [--rating N] [--comment TEXT]
[--set NAME=VALUE ...]

Tells the server what you did with a suggestion (the ids ``python -m client session`` prints):
``applied``, ``ignored``, ``modified`` (with the parameters you chose, ``--set gain_db=-2.5``),
``positive`` or ``negative``. Codette ranks that kind of move for you accordingly next time
(GET /api/v1/users/me/learning-report shows what it learnt). Exit status: 0 recorded, 2 refused
(the server's message names the problem) or a usage or connection error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from client.files import read_token
from client.library import Codette
from client.rest import ClientError

EXIT_OK, EXIT_USAGE = 0, 2
KINDS = ("applied", "ignored", "modified", "positive", "negative")


def parameters(pairs: list[str]) -> dict[str, float]:
    """``["gain_db=-2.5", ...]`` as numbers by name; ValueError naming the pair that is not one."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            if not sep or not name:
                raise ValueError
            out[name] = float(value)
        except ValueError:
            raise ValueError(f"--set {pair!r}: want NAME=NUMBER, e.g. gain_db=-2.5") from None
    return out


def run(args: argparse.Namespace) -> int:
    try:
        token = read_token(args.token, args.token_file)
        chosen = parameters(args.set or [])
    except (OSError, ValueError) as exc:
        print(f"codette: {exc}", file=sys.stderr)
        return EXIT_USAGE
    extra: dict[str, Any] = {}
    if args.rating is not None:
        extra["rating"] = args.rating
    if args.comment is not None:
        extra["comment"] = args.comment
    if chosen:
        extra["parameters_after"] = chosen
    codette = Codette(args.url, token)
    try:
        body = codette.feedback(args.id, args.kind, **extra)
    except ClientError as exc:
        print(f"codette: {exc.message} ({exc.code})", file=sys.stderr)
        return EXIT_USAGE
    finally:
        codette.close()
    print(f"recorded: {args.kind} {args.id} (event {body.get('event_id')})")
    return EXIT_OK
