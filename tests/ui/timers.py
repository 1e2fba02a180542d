"""Timers a test fires by hand: no test waits for a real timer."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class ManualTimer(QObject):
    """A single-shot timer as the editor uses one (start, stop, isActive, timeout) that
    only goes off when the test calls fire()."""

    timeout = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.active = False
        self.starts = 0

    def start(self) -> None:
        self.active = True
        self.starts += 1

    def stop(self) -> None:
        self.active = False

    def isActive(self) -> bool:
        return self.active

    def fire(self) -> None:
        """Go off now, if started (as a real single-shot timer would, once)."""
        if self.active:
            self.active = False
            self.timeout.emit()
