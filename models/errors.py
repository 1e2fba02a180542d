"""The errors a clinician may see. Each message is written for the person at the desk."""


class AliquotError(Exception):
    """Base of every error whose message is meant to be shown to the user as it is."""


class ValidationError(AliquotError, ValueError):
    """Clinical data that breaks a charting rule; nothing is saved. A ValueError too: a
    parser that refuses a text raises what Python's own parsers raise.

    `field` names the offending field (e.g. "amount") so callers can point at it.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFoundError(AliquotError):
    """A patient, visit or product that the user named does not exist."""


class ConflictError(AliquotError):
    """The record changed elsewhere, is locked by signature, or contradicts stored data."""


class DatabaseError(AliquotError):
    """The database cannot be opened or used: wrong version, damaged file, unreachable server."""


class PermissionRefused(AliquotError):
    """The signed-in user's role does not allow this, or nobody is signed in."""


class SignInRequired(PermissionRefused):
    """The clinic has user accounts and nobody signed in for a change that needs one."""


class SignInRefused(AliquotError):
    """A wrong user name or password, a disabled account, or a try too soon after failures.
    `wait_seconds` says how long the next try must wait (0: at once)."""

    def __init__(self, message: str, wait_seconds: int = 0):
        super().__init__(message)
        self.wait_seconds = wait_seconds
