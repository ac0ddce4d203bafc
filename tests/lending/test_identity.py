"""PRC resident ID numbers (GB 11643-1999 check code), bank cards (Luhn), mobile numbers, masking."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lending.identity import birth_date_from_id_number, id_number_is_valid, luhn_is_valid, mask, mobile_is_valid
from tests.lending import factories


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_published_examples_of_valid_id_numbers(number):
    assert id_number_is_valid(number)


@pytest.mark.parametrize(
    "number",
    ["110105194912310021", "11010519491231002", "1101051949123100211", "11010519491331002X", "A1010519491231002X", ""],
)
def test_wrong_check_code_length_date_or_characters_are_invalid(number):
    assert not id_number_is_valid(number)


@given(born=st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)), serial=st.integers(0, 999))
def test_any_generated_number_is_valid_and_gives_back_its_birth_date(born, serial):
    number = factories.id_number(born, serial=serial)

    assert id_number_is_valid(number)
    assert birth_date_from_id_number(number) == born


@given(born=st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)), position=st.integers(0, 16))
def test_changing_any_single_digit_breaks_the_check_code(born, position):
    number = factories.id_number(born, serial=123)
    changed = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]

    assert not id_number_is_valid(changed)


@pytest.mark.parametrize(
    ("card", "valid"), [("4111111111111111", True), ("4111111111111112", False), ("6222020200112233446", True)]
)
def test_bank_cards_pass_the_luhn_check(card, valid):
    assert luhn_is_valid(card) is valid


def test_generated_cards_are_valid():
    assert all(luhn_is_valid(factories.bank_card()) for _ in range(50))


def test_mobile_numbers_are_eleven_digits_starting_with_1():
    assert mobile_is_valid("13800138000")
    assert not mobile_is_valid("12800138000")
    assert not mobile_is_valid("1380013800")


def test_masking_keeps_only_the_ends():
    assert mask("11010519491231002X") == "110***********002X"
    assert mask("6222020200112233446", keep_start=4) == "6222***********3446"
