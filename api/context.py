"""What views reach for: the app's Settings, worker services, Celery app and the current user."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g

from api.auth import Authenticator
from config import Settings
from worker.app import CodetteCelery
from worker.services import Services

EXTENSION = "codette"


@dataclass(frozen=True)
class ApiContext:
    settings: Settings
    celery: CodetteCelery
    auth: Authenticator

    @property
    def services(self) -> Services:
        return self.celery.services


def ctx() -> ApiContext:
    context: ApiContext = current_app.extensions[EXTENSION]
    return context


def current_user() -> str:
    user: str = g.user
    return user
