"""One undo command per chart edit. redo()/undo() only call ChartDocument methods: the
scene, the inspector, the totals and the visit-fields form observe the document."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from models.chart import ChartDocument, VisitFields
from models.records import ChartedPoint


class AddPoints(QUndoCommand):
    """A click with the pen, a template, a mirror, a paste: new points."""

    def __init__(self, document: ChartDocument, points: list[ChartedPoint], text: str):
        super().__init__(text)
        self.document = document
        self.points = dict(zip(document.new_uids(len(points)), points, strict=True))

    @property
    def uids(self) -> list[int]:
        return list(self.points)

    def redo(self) -> None:
        self.document.insert(self.points)

    def undo(self) -> None:
        self.document.remove(self.points)


class RemovePoints(QUndoCommand):
    def __init__(self, document: ChartDocument, uids: list[int], text: str = "Delete points"):
        super().__init__(text)
        self.document = document
        self.points = {uid: document.point(uid) for uid in uids}

    def redo(self) -> None:
        self.document.remove(self.points)

    def undo(self) -> None:
        self.document.insert(self.points)


class ChangePoints(QUndoCommand):
    """A drag (one command for the whole drag, pushed on release) or an inspector edit."""

    def __init__(self, document: ChartDocument, after: dict[int, ChartedPoint], text: str):
        super().__init__(text)
        self.document = document
        self.before = {uid: document.point(uid) for uid in after}
        self.after = dict(after)

    def redo(self) -> None:
        self.document.replace(self.after)

    def undo(self) -> None:
        self.document.replace(self.before)


_FIELD_IDS = {"provider_id": 1, "started_at": 2, "concern": 3, "notes": 4, "consent_recorded": 5}


class SetVisitFields(QUndoCommand):
    """A change to the visit's own fields (injector, time, concern, notes, consent).
    Typing in one field is one undo step: consecutive edits of the same field merge.
    Like every command, it changes only the document; the form observes the document."""

    def __init__(self, document: ChartDocument, before: VisitFields, after: VisitFields):
        self.field = next(
            (name for name in _FIELD_IDS if getattr(before, name) != getattr(after, name)), "concern"
        )
        super().__init__(f"Change {self.field.replace('_', ' ')}")
        self.document, self.before, self.after = document, before, after

    def id(self) -> int:
        return 4000 + _FIELD_IDS[self.field]

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetVisitFields) or other.field != self.field:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        self.document.set_fields(self.after)

    def undo(self) -> None:
        self.document.set_fields(self.before)
