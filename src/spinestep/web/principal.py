"""Who is calling: the account behind a session cookie or a bearer token."""

from __future__ import annotations

from dataclasses import dataclass

from spinestep.services.context import Actor
from spinestep.services.records import Role
from spinestep.web.security import BrowserSession


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    role: Role
    display_name: str
    email: str
    session: BrowserSession | None = None  # set for cookie sessions, None for API tokens

    @property
    def is_patient(self) -> bool:
        return self.role is Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role is Role.CLINICIAN

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def actor(self) -> Actor:
        return Actor(role=self.role, user_id=self.user_id)
