"""What a service call changed (as Anki's OpChanges): the one value from which the recall
summary is kept up to date and the windows learn what to redraw.

A service that writes returns a `Changes`; callers combine them with `|`. Nothing here
touches the database or Qt: the consumers are app/services/recall.py (derived data, in the
same transaction as the write) and the GUI's one "changed" signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    patients: frozenset[int] = field(default_factory=frozenset)
    """Patients whose details or chart (visits, points) changed."""
    recall_rules: bool = False
    """Intervals or recall settings changed: every patient's due dates may move."""
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
        )

    def __bool__(self) -> bool:
        return bool(self.patients) or any(
            (self.recall_rules, self.clinic, self.providers, self.catalogue, self.templates, self.guardrails)
        )

    @property
    def touches_recall(self) -> bool:
        """Whether the recall summary or the due list may differ after this change."""
        return bool(self.patients) or self.recall_rules or self.clinic or self.catalogue


NOTHING = Changes()
