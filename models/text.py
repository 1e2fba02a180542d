"""Text folding for matching names the way people type them."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: 'Zoë  Ångström' -> 'zoe angstrom'.

    Used for product and provider matching and for patient search, so that a user
    typing "juvederm" finds "Juvéderm". Letters without a decomposition (ß, ø, Chinese
    characters) are kept as they are after case folding.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", stripped).split())
