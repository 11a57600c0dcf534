"""How matching compares names (docs/STATE_OWNED.md, "Matching")."""

from __future__ import annotations

import string
import unicodedata

import pytest

from statesync.state.people.matching import normalise
from statesync.tools.demo.names import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Núñez", "nunez"),
        ("O'Brien-Smith", "obriensmith"),
        ("  De La Cruz ", "delacruz"),
        ("ÆSIR", "æsir"),
        ("Straße", "strasse"),
        ("", ""),
        (None, ""),
    ],
)
def test_accents_case_spaces_and_punctuation_are_dropped(name, key):
    assert normalise(name) == key


def test_ascii_names_take_a_shortcut_to_the_same_key():
    def by_decomposition(name: str) -> str:
        decomposed = unicodedata.normalize("NFKD", name)
        return "".join(c for c in decomposed.casefold() if c.isalpha())

    names = [
        *FIRST_NAMES_F,
        *FIRST_NAMES_M,
        *LAST_NAMES,
        string.printable,
        "Mc-Donald Jr.",
        "d'Arcy 3rd",
    ]
    for name in names:
        assert normalise(name) == by_decomposition(name), name
