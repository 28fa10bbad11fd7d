"""Which step failures an order waits out (a system down or throttling) and which it parks."""

from __future__ import annotations

from dbos._error import DBOSMaxStepRetriesExceeded

from causeway.connectors.errors import InvalidRecordError, RetryableError, ThrottledError
from causeway.processes.engine import transient


def test_outages_and_throttling_are_waited_out_bad_records_are_not() -> None:
    down = RetryableError("down", system="s4hana")
    throttled = ThrottledError("slow down", system="s4hana")
    invalid = InvalidRecordError("no such material", system="s4hana", field="Material")
    assert transient(down)
    assert transient(throttled)
    assert not transient(invalid)
    assert not transient(ValueError("a bug"))


def test_spent_step_retries_are_transient_only_when_every_attempt_was() -> None:
    down = RetryableError("down", system="s4hana")
    invalid = InvalidRecordError("no such material", system="s4hana", field="Material")
    assert transient(DBOSMaxStepRetriesExceeded("create", 5, [down, down]))
    assert not transient(DBOSMaxStepRetriesExceeded("create", 5, [down, invalid]))
    assert not transient(DBOSMaxStepRetriesExceeded("create", 5, []))
