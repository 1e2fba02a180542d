"""A patient's name inside an English line, whatever its script. The name is isolated
(U+2068…U+2069): an Arabic or Hebrew name reads right to left in place and does not pull
the chart number or a date after it into its own direction. The line itself stays left to
right: Qt takes a paragraph's direction from its first strong letter, isolates or not, so
a heading that begins with a Hebrew name would otherwise be turned around and aligned right."""

from __future__ import annotations

from html import escape

from models.records import PatientRecord

FSI = "\u2068"  # first strong isolate: the name takes its own direction
PDI = "\u2069"  # pop directional isolate
LRM = "\u200e"  # left-to-right mark: a plain-text line that begins with a name reads left to right


def full_name(patient: PatientRecord) -> str:
    """Given then family name, isolated: for window titles and plain text."""
    return f"{FSI}{patient.given_name} {patient.family_name}{PDI}"


def full_name_html(patient: PatientRecord) -> str:
    """Given then family name in bold, escaped and isolated: for rich text."""
    return f"<b>{FSI}{escape(patient.given_name)} {escape(patient.family_name)}{PDI}</b>"


def left_to_right(html: str) -> str:
    """Rich text laid out left to right, whatever script its first word is in."""
    return f"<div dir='ltr'>{html}</div>"
