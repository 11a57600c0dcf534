import pytest

from statesync.core.idlists import one_id
from statesync.district.services.selective import MAX_IDS, SelectionError, parse_ids


def test_any_mix_of_separators_and_duplicates_collapse():
    parsed = parse_ids("12, 13\n14 15,16\r\n\t17,,12   13")
    assert parsed.ids == [12, 13, 14, 15, 16, 17]
    assert parsed.duplicates == 2
    assert parsed.not_ids == []


@pytest.mark.parametrize(
    "token",
    ["abc", "-5", "0", "1.5", "1e3", "+7", "99999999999999999999", "9223372036854775808", "١٢"],
)
def test_tokens_that_are_not_ids_are_listed_back(token):
    parsed = parse_ids(f"1 {token} 2")
    assert parsed.ids == [1, 2]
    assert parsed.not_ids == [token]


def test_largest_64_bit_id_is_an_id_and_leading_zeros_are_fine():
    assert parse_ids("9223372036854775807 007").ids == [9223372036854775807, 7]


def test_empty_and_blank_input_give_nothing():
    assert parse_ids("").ids == []
    assert parse_ids(" ,\n, ").ids == []


def test_over_the_limit_is_refused_with_advice():
    text = " ".join(str(i) for i in range(1, 100_001))
    with pytest.raises(SelectionError) as error:
        parse_ids(text)
    assert f"at most {MAX_IDS:,}" in str(error.value)
    assert "Resync State Data - Batch" in str(error.value)


def test_not_ids_listing_is_bounded():
    parsed = parse_ids(" ".join(["x"] * 5000))
    assert parsed.ids == []
    assert len(parsed.not_ids) == 1000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("0", None),
        ("-3", None),
        ("١٢", None),  # digits of another script: int() would take them
        ("4x", None),
        ("", None),
    ],
)
def test_one_id_is_an_ascii_whole_number_a_record_can_have(text, expected):
    assert one_id(text) == expected
