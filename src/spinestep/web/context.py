"""Everything a request handler needs, built once by ``create_app`` and kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from spinestep.services.context import ServiceContext
from spinestep.services.login_throttle import DEFAULT_POLICY, ThrottlePolicy
from spinestep.services.ports import Clock, PasswordHasher, UnitOfWorkFactory
from spinestep.settings import Settings
from spinestep.web.security import SessionSigner

if TYPE_CHECKING:
    from spinestep.web.mail import Mailer


@dataclass
class WebContext:
    settings: Settings
    uow: UnitOfWorkFactory
    clock: Clock
    hasher: PasswordHasher
    signer: SessionSigner
    login_policy: ThrottlePolicy = DEFAULT_POLICY
    mailer: Mailer | None = None
    cookie_secure: bool = False

    @property
    def services(self) -> ServiceContext:
        return ServiceContext(uow=self.uow, clock=self.clock, hasher=self.hasher)
