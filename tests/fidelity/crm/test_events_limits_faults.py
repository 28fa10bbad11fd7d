"""Change events, API limits and injected faults as a simple-salesforce client sees them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError, SalesforceRefusedRequest

from causeway.sandbox.crm.app import CrmSettings
from tests.fidelity.crm.conftest import Sandbox


def test_change_events_carry_the_call_origin(sf: Salesforce) -> None:
    options = {"Sforce-Call-Options": "client=causeway-sync"}
    created = sf.Account.create({"Name": "Evented"}, headers=options)["id"]
    sf.Account.update(created, {"Phone": "555"})
    sf.Account.delete(created)
    feed = sf.restful("causeway/events", params={"channel": "/data/AccountChangeEvent",
                                                 "replayId": -2})
    headers = [e["payload"]["ChangeEventHeader"] for e in feed["events"]]
    assert [h["changeType"] for h in headers] == ["CREATE", "UPDATE", "DELETE"]
    assert all(h["recordIds"] == [created] for h in headers)
    assert headers[0]["changeOrigin"] == "com/salesforce/api/rest/60.0;client=causeway-sync"
    assert headers[1]["changeOrigin"] == "com/salesforce/api/rest/60.0"
    assert "Phone" in headers[1]["changedFields"]
    replay_ids = [e["event"]["replayId"] for e in feed["events"]]
    assert replay_ids == sorted(replay_ids)
    after = sf.restful("causeway/events", params={"channel": "/data/AccountChangeEvent",
                                                  "replayId": replay_ids[0]})
    assert [e["event"]["replayId"] for e in after["events"]] == replay_ids[1:]


def test_api_usage_header(sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Account LIMIT 1")
    usage = sf.api_usage["api-usage"]
    assert usage.total == 1_000_000
    assert usage.used >= 1


def test_request_limit_exceeded(start_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = start_sandbox(CrmSettings(daily_api_limit=2))
    sf = sandbox.client()
    sf.query("SELECT Id FROM Account")
    sf.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Account")
    assert refused.value.content == [{"message": "TotalRequests Limit exceeded.",
                                      "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_injected_outage_is_a_503(sandbox: Sandbox, sf: Salesforce) -> None:
    assert sandbox.admin("PATCH", "/faults", json={"error_rates": {"503": 1.0}}).ok
    with pytest.raises(SalesforceGeneralError) as failed:
        sf.query("SELECT Id FROM Account")
    assert failed.value.status == 503
    assert failed.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert sandbox.admin("DELETE", "/faults").ok
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 12
