from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causeway.sandbox.crm.ids import MalformedIdError, checksum, is_id, make_id, to_18


def test_known_salesforce_ids() -> None:
    # Ids published in Salesforce documentation, 15 and 18 characters.
    assert to_18("001D000000IqhSL") == "001D000000IqhSLIAZ"
    assert to_18("0013000000K5rVb") == "0013000000K5rVbAAJ"


def test_eighteen_character_ids_are_checked() -> None:
    assert to_18("001D000000IqhSLIAZ") == "001D000000IqhSLIAZ"
    assert to_18("001d000000iqhsliaz") == "001D000000IqhSLIAZ"
    with pytest.raises(MalformedIdError):
        to_18("0010000000IqhSLZZZ")  # the suffix marks digits as upper case
    assert not is_id("not-an-id")
    assert not is_id("001D000000IqhS")


def test_generated_ids_carry_prefix_and_checksum() -> None:
    record_id = make_id("001", 61)
    assert len(record_id) == 18
    assert record_id.startswith("001")
    assert record_id[15:] == checksum(record_id[:15])
    assert make_id("001", 1) != make_id("001", 2)


@given(st.integers(min_value=0, max_value=62**9 - 1))
def test_eighteen_character_ids_survive_case_folding(counter: int) -> None:
    record_id = make_id("a00", counter)
    assert to_18(record_id[:15]) == record_id
    assert to_18(record_id.lower()) == record_id
    assert to_18(record_id.upper()) == record_id
