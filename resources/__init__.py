"""Data files shipped with Aliquot: the product catalogue, face-map drawings, fonts."""

from importlib import resources as _resources
from pathlib import Path


def path(name: str) -> Path:
    """The path of a bundled resource file."""
    return Path(str(_resources.files(__name__).joinpath(name)))
