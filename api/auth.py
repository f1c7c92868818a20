"""Bearer tokens: constant-time comparison against every configured token, never logged."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from api.errors import Unauthorized


class Authenticator:
    """Maps a presented token to its user name."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = [(user, token.encode()) for user, token in tokens.items()]

    def user_for(self, token: object) -> str | None:
        """The user owning ``token``; every entry is compared, so timing reveals nothing."""
        if not isinstance(token, str) or not token:
            return None
        presented = token.encode()
        found = None
        for user, expected in self._tokens:
            if hmac.compare_digest(presented, expected):
                found = user
        return found

    def user_for_header(self, header: str | None) -> str:
        """The user for an ``Authorization: Bearer <token>`` header; Unauthorized otherwise."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send 'Authorization: Bearer <token>'")
        user = self.user_for(token.strip())
        if user is None:
            raise Unauthorized("the bearer token is not valid")
        return user
