from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causeway.connectors.contract import RawRecord
from causeway.connectors.watermark import Watermark, advance, settled_until

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def record(seconds: int, record_id: str) -> RawRecord:
    return RawRecord("s", "o", record_id, {}, modified_at=T0 + timedelta(seconds=seconds))


def test_round_trip_and_from_the_beginning() -> None:
    mark = Watermark(T0, "001")
    assert Watermark.decode(mark.encode()) == mark
    assert Watermark.decode(None) is None
    assert Watermark.decode("") is None
    with pytest.raises(ValueError, match="not a watermark"):
        Watermark.decode("yesterday")


def test_ties_on_the_timestamp_are_broken_by_id() -> None:
    mark = Watermark(T0, "005")
    assert not mark.precedes(T0, "004")
    assert not mark.precedes(T0, "005")
    assert mark.precedes(T0, "006")
    assert mark.precedes(T0 + timedelta(microseconds=1), "001")


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.text("abc", min_size=1, max_size=3)),
        unique=True,
        max_size=40,
    ),
    st.integers(1, 7),
)
def test_paging_with_the_watermark_never_skips_nor_repeats(
    rows: list[tuple[int, str]], page_size: int
) -> None:
    # Many rows share a timestamp; paging must still hand out each exactly once.
    ordered = sorted(rows)
    seen: list[tuple[int, str]] = []
    mark: Watermark | None = None
    for _ in range(len(rows) + 2):
        page = [
            (s, i)
            for s, i in ordered
            if mark is None or mark.precedes(T0 + timedelta(seconds=s), i)
        ][:page_size]
        if not page:
            break
        seen.extend(page)
        mark = advance(mark, [record(s, i) for s, i in page])
    assert seen == ordered


def test_settled_until() -> None:
    assert settled_until(T0, timedelta(seconds=5)) == T0 - timedelta(seconds=5)
