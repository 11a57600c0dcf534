"""State IDs: nine digits from the sequence and a Luhn check digit (docs/STATE_OWNED.md)."""

from __future__ import annotations

import pytest
from stdnum import luhn

from statesync.state.models.people import check_digit_holds, number_of, state_id_for


@pytest.mark.parametrize("number", [0, 1, 9, 10, 4711, 123_456, 899_999_999])
def test_the_check_digit_is_luhns(number):
    state_id = state_id_for(number)
    assert len(state_id) == 10
    assert state_id[-1] == luhn.calc_check_digit(state_id[:9])
    assert number_of(state_id) == number


def test_every_check_digit_in_a_run_of_numbers_is_luhns():
    for number in range(20_000):
        assert luhn.is_valid(state_id_for(number)), number


def test_one_mistyped_digit_fails_the_check():
    state_id = state_id_for(4711)
    for at in range(10):
        for digit in "0123456789":
            typo = state_id[:at] + digit + state_id[at + 1 :]
            assert check_digit_holds(typo) == (typo == state_id), typo
