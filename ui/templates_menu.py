"""The templates of the visit editor: the bundled label patterns (toolbar buttons, Alt+1…)
and the clinic's own templates (a menu to apply, save the selection as, rename and delete
them, shared with every workstation through the database).

Applying a template is a chart edit: the editor's `apply_template` pushes the command.
Saving, renaming and deleting a clinic template run on the editor's task runner."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton

from app.services.templates import clinic_templates, delete_template, rename_template, save_template
from models.templates import ClinicTemplate, bundled_templates
from ui.editor_actions import make_action

if TYPE_CHECKING:
    from ui.visit_editor import VisitEditor


class TemplatesMenu:
    def __init__(
        self,
        editor: VisitEditor,
        templates: list[ClinicTemplate],
        wrap: Callable[[Callable[[], None]], Callable[[bool], None]],
    ):
        self.editor = editor
        self.templates = bundled_templates()
        self.clinic_templates = list(templates)
        self.template_actions: dict[str, QAction] = {}
        for number, template in enumerate(self.templates, start=1):
            self.template_actions[template.key] = make_action(
                editor,
                template.label,
                (f"Alt+{number}",),
                f"{template.name} (Alt+{number}): {template.source}",
                wrap(partial(editor.apply_template, template)),
            )
        self.clinic_menu = QMenu("Clinic templates", editor)
        self.save_template_action = QAction("Save selection as a clinic template…", editor)
        self.save_template_action.triggered.connect(self.save_selection_as_template)
        self.fill_clinic_menu()

    def clinic_button(self) -> QToolButton:
        button = QToolButton()
        button.setText("Clinic ▾")
        button.setToolTip("The clinic's own templates, and saving the selection as one")
        button.setMenu(self.clinic_menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        return button

    def fill_clinic_menu(self) -> None:
        menu = self.clinic_menu
        menu.clear()
        for template in self.clinic_templates:
            menu.addAction(template.name).triggered.connect(partial(self.editor.apply_template, template))
        if self.clinic_templates:
            menu.addSeparator()
        menu.addAction(self.save_template_action)
        if self.clinic_templates:
            rename_menu = menu.addMenu("Rename")
            delete_menu = menu.addMenu("Delete")
            for template in self.clinic_templates:
                rename_menu.addAction(template.name).triggered.connect(
                    partial(self.rename_template, template)
                )
                delete_menu.addAction(template.name).triggered.connect(
                    partial(self.delete_template, template)
                )

    def _run(self, channel: str, work: Callable[[], object], done: Callable[[object], None]) -> None:
        self.editor.run_task(channel, work, done)

    def _say(self, message: str) -> None:
        self.editor.statusBar().showMessage(message, 5000)

    def save_selection_as_template(self) -> None:
        editor = self.editor
        uids = editor.selected_uids() or [uid for uid, _ in editor.document.items()]
        points = [editor.document.point(uid) for uid in uids]
        name = editor.ask_template_name(editor) if points else None
        if name:
            self._run("template", partial(save_template, editor.database, name, points), self._template_saved)

    def _template_saved(self, template: object) -> None:
        assert isinstance(template, ClinicTemplate)
        self.clinic_templates.append(template)
        self.fill_clinic_menu()
        self._say(f"Saved the clinic template {template.name}.")

    def rename_template(self, template: ClinicTemplate) -> None:
        name = self.editor.ask_template_name(self.editor, template.name)
        if name and name != template.name:
            self._run(
                "template",
                partial(rename_template, self.editor.database, template.key, name),
                lambda renamed: self._changed(f"Renamed the clinic template {renamed.name}."),  # type: ignore[attr-defined]
            )

    def delete_template(self, template: ClinicTemplate) -> None:
        if self.editor.ask_delete_template(self.editor, template.name):
            self._run(
                "template",
                partial(delete_template, self.editor.database, template.key),
                lambda _: self._changed(f"Deleted the clinic template {template.name}."),
            )

    def _changed(self, message: str) -> None:
        self._run("templates", partial(clinic_templates, self.editor.database), self._loaded)
        self._say(message)

    def _loaded(self, templates: object) -> None:
        assert isinstance(templates, list)
        self.clinic_templates = templates
        self.fill_clinic_menu()
