"""Who is calling: the one fact about a request that services may see (no HTTP here)."""

from dataclasses import dataclass

from service.auth.scopes import Scope
from service.rights import Role


@dataclass(frozen=True, slots=True)
class Caller:
    role: Role
    subject: str | None  # the store code, society code or holder id a key acts for
    key_id: str | None  # None for the bootstrap admin token
    scopes: frozenset[Scope] | None = None  # None: all the role allows (auth.scopes)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin
