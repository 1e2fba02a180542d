"""What a service call changed (as Anki's OpChanges): the one value from which the recall
summary is kept up to date and the windows learn what to redraw.

A service that writes returns a `Changes` (or a result carrying one as `.changes`), and
`note`s it on its session; callers combine them with `|`. Nothing here touches the
database or Qt: the consumers are app/services/summary.py (the recall summary, brought up
to date from what the session noted just before it commits) and the GUI's one "changed"
signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class Changes:
    patients: frozenset[int] = field(default_factory=frozenset)
    """Patients whose details or chart (visits, points) changed."""
    recall_rules: bool = False
    """What every patient's recall rows are built from changed (the review delay, the
    clinic's clock): the whole summary is rebuilt."""
    clinic: bool = False
    """The clinic's details or time zone changed."""
    providers: bool = False
    """Injectors were added, edited or taken off the list."""
    catalogue: bool = False
    """Products or lots changed."""
    templates: bool = False
    """The clinic's templates changed."""
    guardrails: bool = False
    """A safety rule's clinic figures changed."""
    intervals: frozenset[int] = field(default_factory=frozenset)
    """Products whose maintenance window changed: their recall rows follow."""
    recall_settings: bool = False
    """How the due list reads the summary changed (lead, lapse): it redraws, rows stay."""

    @classmethod
    def of_patients(cls, *patient_ids: int) -> Changes:
        return cls(patients=frozenset(patient_ids))

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            patients=self.patients | other.patients,
            recall_rules=self.recall_rules or other.recall_rules,
            clinic=self.clinic or other.clinic,
            providers=self.providers or other.providers,
            catalogue=self.catalogue or other.catalogue,
            templates=self.templates or other.templates,
            guardrails=self.guardrails or other.guardrails,
            intervals=self.intervals | other.intervals,
            recall_settings=self.recall_settings or other.recall_settings,
        )

    def __bool__(self) -> bool:
        return (
            bool(self.patients)
            or bool(self.intervals)
            or any(
                (
                    self.recall_rules,
                    self.recall_settings,
                    self.clinic,
                    self.providers,
                    self.catalogue,
                    self.templates,
                    self.guardrails,
                )
            )
        )

    @property
    def touches_recall(self) -> bool:
        """Whether the recall summary or the due list may differ after this change."""
        return (
            bool(self.patients)
            or bool(self.intervals)
            or self.recall_rules
            or self.recall_settings
            or self.clinic
            or self.catalogue
        )


NOTHING = Changes()

NOTED = "aliquot.changes"  # the session.info key of what a transaction changed so far


class _HasInfo(Protocol):
    @property
    def info(self) -> dict[Any, Any]: ...


def note(session: _HasInfo, changes: Changes) -> Changes:
    """Record on the writing session what it changes: just before the session commits,
    the recall summary is brought up to date from it (app/services/summary.py)."""
    session.info[NOTED] = session.info.get(NOTED, NOTHING) | changes
    return changes


def noted(session: _HasInfo) -> Changes:
    """What the session has noted so far (and not yet committed)."""
    changes = session.info.get(NOTED, NOTHING)
    assert isinstance(changes, Changes)
    return changes


R = TypeVar("R")


def carrying(kind: Callable[..., R], record: Any, changes: Changes) -> R:
    """`record` (a frozen dataclass of models/) as `kind`, its subclass that adds
    `.changes`: how a service that returns a record says what it changed."""
    assert is_dataclass(record) and not isinstance(record, type)
    values = {f.name: getattr(record, f.name) for f in fields(record) if f.init}
    return kind(**values, changes=changes)
