"""User accounts: who may do what, and the rules for names and passwords (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.errors import ValidationError
from models.vocabulary import Role


class Permission(StrEnum):
    """What a role allows; the value completes "… cannot {value}" in a refusal."""

    PATIENTS = "change patient details"
    CHART = "chart visits"
    SIGN = "sign visits"
    COSIGN = "co-sign visits"
    IMPORT = "import clinical records"
    USERS = "manage user accounts"
    SETTINGS = "change clinic settings"
    AUDIT = "read the audit trail"
    STOCK = "receive and write off stock"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.INJECTOR: frozenset(
        {Permission.PATIENTS, Permission.CHART, Permission.SIGN, Permission.IMPORT, Permission.STOCK}
    ),
    Role.PRESCRIBER: frozenset(
        {
            Permission.PATIENTS,
            Permission.CHART,
            Permission.SIGN,
            Permission.COSIGN,
            Permission.IMPORT,
            Permission.STOCK,
        }
    ),
    Role.FRONT_DESK: frozenset({Permission.PATIENTS, Permission.STOCK}),  # deliveries come to the desk
    Role.ADMIN: frozenset(
        {Permission.PATIENTS, Permission.USERS, Permission.SETTINGS, Permission.AUDIT, Permission.STOCK}
    ),
}
# Roles that chart and sign: their account names their entry in the injector register.
CLINICAL_ROLES = frozenset({Role.INJECTOR, Role.PRESCRIBER})
ROLE_WORDS = {
    Role.INJECTOR: "injector",
    Role.PRESCRIBER: "prescriber",
    Role.FRONT_DESK: "front desk",
    Role.ADMIN: "admin",
}

MIN_PASSWORD = 10
MAX_WAIT_SECONDS = 60
IDLE_LOCK_MINUTES = 10  # the default; a clinic setting


@dataclass(frozen=True)
class SignedInUser:
    id: int
    username: str
    full_name: str
    role: Role
    provider_id: int | None  # the injector register entry of a clinical role

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def shown(self) -> str:
        """As the window and the trail show them: "dana (Dana Reyes, injector)"."""
        who = f"{self.full_name}, " if self.full_name else ""
        return f"{self.username} ({who}{ROLE_WORDS[self.role]})"


def wait_after(failures: int) -> int:
    """Seconds the next sign-in must wait after this many failures in a row: 0, then 1,
    2, 4 … up to a minute. Enough to stop guessing, never a lock-out of the clinic."""
    if failures <= 0:
        return 0
    return min(1 << (failures - 1) if failures < 16 else MAX_WAIT_SECONDS, MAX_WAIT_SECONDS)


def check_username(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise ValidationError("a user name has 1 to 64 characters", "username")
    if not all(c.isalnum() or c in "._-" for c in name):
        raise ValidationError(
            f"{name!r} is not a user name: use letters, digits, '.', '_' or '-', no spaces", "username"
        )
    return name


def check_new_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD} characters", "password")
    if password.strip().casefold() == username.casefold():
        raise ValidationError("the password cannot be the user name", "password")
    if any(ord(c) < 32 for c in password):
        raise ValidationError("a password cannot hold control characters (a pasted line break?)", "password")
