"""Every menu and toolbar action of the main window, declared once."""

from __future__ import annotations

from enum import Enum

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


class MainAction(Enum):
    NEW_PATIENT = ("&New patient…", "Ctrl+Shift+N", "Register a new patient")
    EDIT_PATIENT = ("&Edit patient…", "Ctrl+E", "Edit the chosen patient's details")
    ARCHIVE_PATIENT = (
        "Archive / restore patient",
        None,
        "Hide the patient from everyday search, keeping every record",
    )
    NEW_REVIEW_VISIT = (
        "New &review visit",
        "Ctrl+Shift+R",
        "Record that the chosen patient was seen again (the review after a first treatment),"
        " with or without injections",
    )
    DUE_LIST = ("&Due list", "Ctrl+D", "Who is due for a recall, for what, and when")
    RECALL_SETTINGS = ("Recall &settings…", None, "Maintenance intervals per product, due-soon lead, reviews")
    INJECTORS = ("&Injectors…", None, "Register the clinic's injectors and correct their details")
    CLINIC_DETAILS = (
        "&Clinic details…",
        None,
        "Name, address, phone, logo and aftercare advice on printed records",
    )
    IMPORT = (
        "I&mport patient files…",
        None,
        "Add patients and visits from Aliquot patient files (aliquot.patient/1)",
    )
    EXPORT_PATIENT = (
        "E&xport patient file…",
        None,
        "Write the chosen patient's whole chart to a file (aliquot.patient/1)",
    )
    BACKUP = ("&Back up the database…", None, "Copy the clinic database to a file, e.g. on an external drive")
    FIND_PATIENT = ("&Find patient", QKeySequence.StandardKey.Find, "Search by name or chart number")
    REFRESH = ("&Refresh", QKeySequence.StandardKey.Refresh, "Reload from the database")
    SHOW_ARCHIVED = ("Show &archived patients", None, "Include archived patients in the list")
    SWITCH_USER = ("S&witch user…", "Ctrl+Shift+U", "Sign out, and let someone else sign in at this window")
    LOCK = (
        "&Lock",
        "Ctrl+Shift+L",
        "Hide every window until the password is typed again (open visits keep their unsaved work)",
    )
    COSIGN_LIST = (
        "Visits awaiting &co-sign…",
        None,
        "Injectors' signed visits no prescriber has co-signed yet (prescribers co-sign them)",
    )
    LOT_RECALL = (
        "&Lot recall…",
        None,
        "Every patient, visit, site and amount from one lot (a manufacturer's recall); CSV export",
    )
    STOCK = (
        "&Stock…",
        None,
        "Stock on hand per lot with near-expiry and low-stock warnings; receive a delivery, typed or scanned",
    )
    ADVERSE_EVENTS = (
        "Adverse &events…",
        None,
        "The clinic's adverse events; record one, and a vascular occlusion's timed log",
    )
    AUDIT = ("&Audit trail…", None, "Who did what and when, and a check that the trail is intact (admins)")
    QUIT = ("&Quit", QKeySequence.StandardKey.Quit, "Close Aliquot")

    def __init__(self, label, shortcut, tip):
        self.label, self.shortcut, self.tip = label, shortcut, tip


def create_actions(parent: QWidget) -> dict[MainAction, QAction]:
    actions = {}
    for entry in MainAction:
        action = QAction(entry.label, parent)
        if entry.shortcut is not None:
            action.setShortcut(entry.shortcut)
        action.setStatusTip(entry.tip)
        action.setToolTip(entry.tip)
        actions[entry] = action
    actions[MainAction.SHOW_ARCHIVED].setCheckable(True)
    actions[MainAction.NEW_REVIEW_VISIT].setEnabled(False)  # until a patient is chosen
    return actions
