"""This workstation's own settings: what belongs to the computer at hand, not to the clinic
(the clinic's settings are in its database, app/services/settings.py). Kept with QSettings
in the user's profile, each declared once with its key, default and help, and read
tolerantly: a value of the wrong type reads as the default."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings


@dataclass(frozen=True)
class WorkstationSetting:
    key: str
    default: str
    help: str


PHOTO_FOLDER = WorkstationSetting(
    "photos/watched_folder",
    "",
    "A folder on this computer (a phone-sync or tethered-camera folder) whose new photo files"
    " are offered to the open visit; empty: none is watched.",
)


class WorkstationSettings:
    """The one settings object of a window (tests give one on a file of their own)."""

    def __init__(self, store: QSettings | None = None):
        self.store = store if store is not None else default_store()

    def get(self, setting: WorkstationSetting) -> str:
        value = self.store.value(setting.key, setting.default)
        return value if isinstance(value, str) else setting.default

    def set(self, setting: WorkstationSetting, value: str) -> None:
        self.store.setValue(setting.key, value)
        self.store.sync()


def default_store() -> QSettings:
    """The user's own settings file (an INI file: the same on every platform)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Aliquot", "Aliquot")
