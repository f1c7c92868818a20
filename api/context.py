"""What views reach for: the app's Settings, the process's ports, Ask's answerer and the current user."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g

from api.auth import Authenticator
from config import Settings
from service.ask import Answerer
from service.ports import Ports

EXTENSION = "codette"


@dataclass(frozen=True)
class ApiContext:
    settings: Settings
    ports: Ports
    auth: Authenticator
    answerer: Answerer


def ctx() -> ApiContext:
    context: ApiContext = current_app.extensions[EXTENSION]
    return context


def current_user() -> str:
    user: str = g.user
    return user
