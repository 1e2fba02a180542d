"""Closed vocabularies of the chart, shared by tables, validation and the interchange format."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    INTERSEX = "intersex"
    UNKNOWN = "unknown"


class ProductKind(StrEnum):
    NEUROMODULATOR = "neuromodulator"
    FILLER = "filler"
    BIOSTIMULATOR = "biostimulator"
    ENZYME = "enzyme"
    OTHER = "other"


class DoseUnit(StrEnum):
    UNITS = "U"
    MILLILITRES = "mL"

    @property
    def spoken(self) -> str:
        return "units (U)" if self is DoseUnit.UNITS else "millilitres (mL)"

    @property
    def package(self) -> str:
        """What a product dosed in this unit comes in: toxins and enzymes in vials, fillers in syringes."""
        return "vial" if self is DoseUnit.UNITS else "syringe"


class View(StrEnum):
    FRONT = "front"
    LEFT = "left"  # the patient's left profile
    RIGHT = "right"


class VisitKind(StrEnum):
    """A treatment injects; a review sees the patient again (the two-week check) and may not."""

    TREATMENT = "treatment"
    REVIEW = "review"


class VisitStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class Role(StrEnum):
    """What a user account may do (see app/services/users.py for the permissions)."""

    INJECTOR = "injector"  # charts and signs their own visits
    PRESCRIBER = "prescriber"  # also co-signs: the supervising prescriber or medical director
    FRONT_DESK = "front-desk"  # patients, recall list, printing; no clinical edits
    ADMIN = "admin"  # users and clinic settings


class Pose(StrEnum):
    """The standard photographic views (a clinic may add its own keys, kept as text)."""

    REST = "rest"
    REST_OBLIQUE_LEFT = "rest-oblique-left"
    REST_OBLIQUE_RIGHT = "rest-oblique-right"
    PROFILE_LEFT = "profile-left"
    PROFILE_RIGHT = "profile-right"
    BROW_RAISE = "brow-raise"
    FROWN = "frown"
    SMILE = "smile"
    PUCKER = "pucker"
    EYES_CLOSED = "eyes-closed"


class PhotoScope(StrEnum):
    """What a photo may be used for, within the patient's photo consent: each scope
    includes the ones before it (a teaching photo is in the clinical record too)."""

    CLINICAL = "clinical"  # the clinical record only
    TEACHING = "teaching"
    MARKETING = "marketing"

    def allows(self, purpose: PhotoScope) -> bool:
        """Whether a photo of this scope may go into an export made for `purpose`: a
        clinical-only photo never leaves the clinical record."""
        order = list(PhotoScope)
        return order.index(self) >= order.index(purpose)


class EventKind(StrEnum):
    """What went wrong after a treatment (an adverse event)."""

    BRUISING = "bruising"
    SWELLING = "swelling"
    HEADACHE = "headache"
    EYELID_PTOSIS = "eyelid-ptosis"
    BROW_PTOSIS = "brow-ptosis"
    ASYMMETRY = "asymmetry"
    NODULE = "nodule"
    INFECTION = "infection"
    HYPERSENSITIVITY = "hypersensitivity"
    VASCULAR_OCCLUSION = "vascular-occlusion"
    OTHER = "other"


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class LogEntryKind(StrEnum):
    """A line of a vascular occlusion's timed log."""

    DOSE = "dose"  # hyaluronidase given: amount, sites, lot
    ASSESSMENT = "assessment"  # capillary refill, skin colour, pain, vision


class PackageKind(StrEnum):
    """What is opened and drawn from at the chair."""

    VIAL = "vial"  # a toxin vial, reconstituted
    SYRINGE = "syringe"  # a prefilled filler syringe


class PackageFinish(StrEnum):
    """How an opened vial or syringe was closed: its rest (size less what was charted from
    it) is wastage either way; "wasted" says the rest was thrown away on purpose."""

    USED_UP = "used up"
    WASTED = "wasted"


class Depth(StrEnum):
    INTRADERMAL = "intradermal"
    SUBDERMAL = "subdermal"  # subdermal / subcutaneous
    INTRAMUSCULAR = "intramuscular"
    SUPRAPERIOSTEAL = "supraperiosteal"


class Technique(StrEnum):
    NEEDLE = "needle"
    CANNULA = "cannula"


class Side(StrEnum):
    """The patient's own side, never the viewer's."""

    LEFT = "left"
    RIGHT = "right"
    MIDLINE = "midline"
