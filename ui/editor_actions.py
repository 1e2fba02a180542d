"""Every action of the visit editor (toolbar buttons and shortcuts), declared once: its
text, shortcuts, tooltip, icon and when it is enabled. The editor connects each to a slot;
the templates' own actions (Alt+1…) come from the templates menu."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QWidget

Shortcut = str | QKeySequence.StandardKey


@dataclass(frozen=True)
class EditorState:
    """What an action's availability depends on."""

    locked: bool  # a signed visit (or a role that does not chart): viewed and printed, never changed
    selected: bool  # points are selected on the face
    may_sign: bool = False  # a draft the signed-in user may sign (it is theirs)
    may_amend: bool = False  # a signed visit the signed-in user may correct by an amendment
    may_add_photos: bool = False  # the signed-in user charts (photos may go into any visit they open)


def always(_state: EditorState) -> bool:
    return True


def editable(state: EditorState) -> bool:
    return not state.locked


def selection_editable(state: EditorState) -> bool:
    return state.selected and not state.locked


def signable(state: EditorState) -> bool:
    return state.may_sign and not state.locked


def amendable(state: EditorState) -> bool:
    return state.may_amend


def photos_addable(state: EditorState) -> bool:
    return state.may_add_photos


def undo_stack(_state: EditorState) -> bool:
    """Enabled by the undo stack itself (canUndo / canRedo)."""
    return False


class EditorAction(Enum):
    # text, shortcuts (the first is the one shown), tooltip, enabled when, checkable(, checked)
    UNDO = ("Undo", (QKeySequence.StandardKey.Undo,), None, undo_stack)
    # Both conventions: Ctrl+Shift+Z (Linux, macOS) and Ctrl+Y (Windows).
    REDO = ("Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), None, undo_stack)
    SAVE = ("&Save", (QKeySequence.StandardKey.Save,), None, editable)
    DELETE = (
        "Delete",
        (QKeySequence.StandardKey.Delete,),
        "Delete the selected points (Del)",
        selection_editable,
    )
    MIRROR = (
        "Mirror",
        ("Ctrl+M",),
        "Copy the selected points onto the other side of the face (Ctrl+M)",
        selection_editable,
    )
    SIGN = (
        "Sign…",
        ("Ctrl+Shift+G",),
        "Sign the visit (saved first): it is then locked; a correction is an amendment (Ctrl+Shift+G)",
        signable,
    )
    AMEND = (
        "Amend…",
        (),
        "Correct this signed visit: a copy opens to be changed and signed; this one stays as it is",
        amendable,
    )
    SELECT_ALL = ("Select &all", (QKeySequence.StandardKey.SelectAll,), None, always)
    ZOOM_IN = ("Zoom in", (QKeySequence.StandardKey.ZoomIn,), None, always)
    ZOOM_OUT = ("Zoom out", (QKeySequence.StandardKey.ZoomOut,), None, always)
    PEN_PRODUCT = ("Choose the pen's product", ("Ctrl+Shift+P",), None, always)
    RECORD = ("Record", ("Ctrl+P",), "Preview, print or save the visit record as PDF (Ctrl+P)", always)
    PEN_LOT = ("Choose the pen's lot", ("Ctrl+L",), None, always)
    ZOOM_FIT = (
        "Fit",
        ("Ctrl+0",),
        "Show the whole face (Ctrl+0); Ctrl+wheel zooms, middle button pans",
        always,
    )
    GHOSTS = ("Previous visit", ("G",), None, always, True, True)
    OUTLINES = ("Regions", ("R",), None, always, True)
    MUSCLES = ("Muscles", ("U",), None, always, True)
    VIEW_FRONT = ("Front", ("Ctrl+1",), None, always)
    VIEW_LEFT = ("Left profile", ("Ctrl+2",), None, always)
    VIEW_RIGHT = ("Right profile", ("Ctrl+3",), None, always)
    ADD_PHOTOS = (
        "Add photos…",
        ("Ctrl+Shift+I",),
        "Add photo files to this visit with the chosen pose and consent (or drop them on the strip)"
        " (Ctrl+Shift+I)",
        photos_addable,
    )
    WATCH_PHOTOS = (
        "Watch a folder for photos…",
        (),
        "A phone-sync or tethered-camera folder on this computer: its new photos are offered to the"
        " open visit",
        photos_addable,
    )
    PREVIOUS_PHOTO = (
        "Previous photo of this pose",
        ("P",),
        "Beside the face map: the shown photo's pose at the patient's previous visit, and back (P)",
        always,
    )

    def __init__(
        self,
        text: str,
        shortcuts: tuple[Shortcut, ...],
        tip: str | None,
        enabled_when: Callable[[EditorState], bool],
        checkable: bool = False,
        checked: bool = False,
        icon: str | None = None,
    ):
        self.text, self.shortcuts, self.tip = text, shortcuts, tip
        self.enabled_when, self.checkable, self.checked, self.icon = enabled_when, checkable, checked, icon


def make_action(
    parent: QWidget,
    text: str,
    shortcuts: tuple[Shortcut, ...],
    tip: str | None,
    run: Callable[[bool], None],
    checkable: bool = False,
    checked: bool = False,
    icon: str | None = None,
) -> QAction:
    """One window-wide action: its shortcuts act anywhere in `parent`."""
    action = QAction(text, parent)
    if shortcuts:
        action.setShortcuts([QKeySequence(shortcut) for shortcut in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        action.setToolTip(tip)
    if icon:
        action.setIcon(QIcon(icon))
    action.setCheckable(checkable)
    action.setChecked(checked)
    action.triggered.connect(run)
    parent.addAction(action)
    return action


def create_editor_actions(
    parent: QWidget, slots: dict[EditorAction, Callable[[bool], None]]
) -> dict[EditorAction, QAction]:
    """Every editor action, each running its slot (with `checked` for a checkable one)."""
    actions = {
        entry: make_action(
            parent,
            entry.text,
            entry.shortcuts,
            entry.tip,
            slots[entry],
            entry.checkable,
            entry.checked,
            entry.icon,
        )
        for entry in EditorAction
    }
    for entry in (EditorAction.UNDO, EditorAction.REDO):
        actions[entry].setEnabled(False)  # until there is something to undo
    return actions


def update_enabled(actions: dict[EditorAction, QAction], state: EditorState) -> None:
    for entry, action in actions.items():
        if entry.enabled_when is not undo_stack:
            action.setEnabled(entry.enabled_when(state))
