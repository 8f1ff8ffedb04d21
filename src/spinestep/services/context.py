"""What every use case is given: the unit-of-work factory, a clock, a password hasher; and who acts.

A front end builds one ``ServiceContext`` at start-up (the CLI and the web app are the
composition roots) and passes it, with the acting ``Actor``, to the use-case functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from spinestep.services.ports import Clock, PasswordHasher, UnitOfWork, UnitOfWorkFactory
from spinestep.services.records import Role, UserRecord


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that says what it is told (demo data, tests); ``set`` moves it."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at


@dataclass(frozen=True, slots=True)
class ServiceContext:
    uow: UnitOfWorkFactory
    clock: Clock
    hasher: PasswordHasher | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting.

    ``local`` is the person at the terminal of a local install (the CLI): the database
    is their own, so they may act on every profile in it, and ``user_id`` is None.
    Otherwise ``user_id`` is a stored user with ``role``.
    """

    role: Role
    user_id: int | None = None
    local: bool = False

    @classmethod
    def local_person(cls) -> Actor:
        return cls(role=Role.PATIENT, user_id=None, local=True)

    @classmethod
    def for_user(cls, user: UserRecord) -> Actor:
        if user.id is None:
            raise ValueError("the user has not been stored")
        return cls(role=user.role, user_id=user.id)

    @property
    def is_clinical(self) -> bool:
        """A clinician or admin account (not the patient themself)."""
        return not self.local and self.role in (Role.CLINICIAN, Role.ADMIN)


#: Who acts on which patient, read in the use case's own unit of work: the web app reads a
#: request's credential this way, so that a hot read (Today) takes one transaction and one
#: trip to a worker thread. It raises when the credential does not allow the read.
Identify = Callable[[UnitOfWork], tuple[Actor, int]]


def identified(actor: Actor, patient_id: int) -> Identify:
    """The ``Identify`` of a caller who already knows who acts on whom (reads nothing)."""
    return lambda _uow: (actor, patient_id)
