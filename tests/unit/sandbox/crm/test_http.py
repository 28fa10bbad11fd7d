from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from fastapi.testclient import TestClient

from causeway.sandbox.crm.app import CrmSettings, create_app
from causeway.sandbox.faults import FaultPlan
from tests.unit.sandbox.crm.conftest import API


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hs256(claims: dict[str, object], secret: str) -> str:
    signed = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}." \
             f"{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64(signature)}"


def test_jwt_bearer_with_the_client_secret() -> None:
    client = TestClient(create_app(CrmSettings()))
    claims = {"iss": "causeway-demo", "sub": "integration@causeway.test",
              "aud": "https://login.salesforce.com", "exp": int(time.time()) + 60}
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    good = client.post("/services/oauth2/token", data={
        "grant_type": grant, "assertion": _hs256(claims, "causeway-demo-secret")})
    assert good.status_code == 200
    assert good.json()["token_type"] == "Bearer"
    forged = client.post("/services/oauth2/token", data={
        "grant_type": grant, "assertion": _hs256(claims, "guessed")})
    assert forged.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
    expired = client.post("/services/oauth2/token", data={"grant_type": grant, "assertion":
        _hs256({**claims, "exp": int(time.time()) - 3600}, "causeway-demo-secret")})
    assert expired.json()["error"] == "invalid_grant"
    unsigned = _hs256(claims, "x").rsplit(".", 1)[0].replace(
        _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()),
        _b64(json.dumps({"alg": "none"}).encode())) + "."
    refused = client.post("/services/oauth2/token", data={"grant_type": grant,
                                                         "assertion": unsigned})
    assert refused.status_code == 400


def test_versions_resources_and_limits(client: TestClient) -> None:
    versions = client.get("/services/data").json()
    assert versions[-1] == {"label": "Spring '24", "url": "/services/data/v60.0",
                            "version": "60.0"}
    assert client.get(API).json()["query"] == f"{API}/query"
    assert client.get("/services/data/v99.0/sobjects").status_code == 404
    limits = client.get(f"{API}/limits/").json()["DailyApiRequests"]
    assert limits["Max"] == 1_000_000
    assert limits["Remaining"] < limits["Max"]


def test_upsert_answers_by_api_version(client: TestClient) -> None:
    url = "sobjects/Account/ERP_Customer_Number__c/V-1"
    assert client.patch(f"{API}/{url}", json={"Name": "v"}).status_code == 201
    assert client.patch(f"{API}/{url}", json={"Name": "w"}).status_code == 200
    old = client.patch(f"/services/data/v45.0/{url}", json={"Name": "x"})
    assert old.status_code == 204
    missing = client.patch(f"{API}/sobjects/Account/ERP_Customer_Number__c/V-2?updateOnly=true",
                           json={"Name": "y"})
    assert missing.status_code == 404
    not_external = client.patch(f"{API}/sobjects/Account/Phone/123", json={"Name": "z"})
    assert not_external.json()[0]["errorCode"] == "NOT_FOUND"


def test_error_shapes(client: TestClient) -> None:
    bad_json = client.post(f"{API}/sobjects/Account", content=b"{nope",
                           headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert bad_json.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert client.get(f"{API}/sobjects/Widget/describe").json()[0]["errorCode"] == "NOT_FOUND"
    put = client.put(f"{API}/sobjects/Account")
    assert put.status_code == 405
    assert put.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
    created = client.post(f"{API}/sobjects/Account", json={"Name": "Gone"}).json()["id"]
    assert client.delete(f"{API}/sobjects/Account/{created}").status_code == 204
    again = client.delete(f"{API}/sobjects/Account/{created}")
    assert again.json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    fields = client.get(f"{API}/sobjects/Account/{created}?fields=Name")
    assert fields.status_code == 404


def test_get_with_selected_fields(client: TestClient) -> None:
    created = client.post(f"{API}/sobjects/Account", json={"Name": "Few"}).json()["id"]
    body = client.get(f"{API}/sobjects/Account/{created}", params={"fields": "name,Phone"})
    assert body.json() == {"attributes": {"type": "Account",
                                          "url": f"{API}/sobjects/Account/{created}"},
                           "Name": "Few", "Phone": None}


def test_collection_update_needs_ids_and_shares_a_transaction(client: TestClient) -> None:
    ids = [client.post(f"{API}/sobjects/Account", json={"Name": n}).json()["id"]
           for n in ("A", "B")]
    results = client.patch(f"{API}/composite/sobjects", json={"records": [
        {"attributes": {"type": "Account"}, "id": ids[0], "Phone": "1"},
        {"attributes": {"type": "Account"}, "Phone": "2"},
        {"attributes": {"type": "Account"}, "id": ids[1], "Phone": "3"},
    ]}).json()
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    events = client.get(f"{API}/causeway/events", params={
        "channel": "/data/AccountChangeEvent", "replayId": -2}).json()["events"]
    updates = [e["payload"]["ChangeEventHeader"] for e in events
               if e["payload"]["ChangeEventHeader"]["changeType"] == "UPDATE"]
    assert len(updates) == 2
    assert updates[0]["transactionKey"] == updates[1]["transactionKey"]
    assert [u["sequenceNumber"] for u in updates] == [1, 2]


def test_events_long_poll_retention_and_undelete() -> None:
    app = create_app(CrmSettings(event_retention=2))
    client = TestClient(app)
    token = client.post("/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "causeway-demo",
        "client_secret": "causeway-demo-secret"}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    waited = client.get(f"{API}/causeway/events", params={"replayId": -1, "wait": 0.2})
    assert waited.json()["events"] == []
    created = [client.post(f"{API}/sobjects/Account", json={"Name": n}).json()["id"]
               for n in ("one", "two", "three")]
    expired = client.get(f"{API}/causeway/events", params={"replayId": 0})
    assert expired.status_code == 400
    assert expired.json()[0]["errorCode"] == "INVALID_REPLAY_ID"
    assert client.delete(f"{API}/sobjects/Account/{created[0]}").status_code == 204
    admin = {"Authorization": "Bearer causeway-admin"}
    assert client.post(f"/__admin/crm/undelete/{created[0]}", headers=admin).status_code == 200
    tail = client.get(f"{API}/causeway/events", params={"replayId": -2}).json()["events"]
    assert [e["payload"]["ChangeEventHeader"]["changeType"] for e in tail] == [
        "DELETE", "UNDELETE"]
    assert tail[1]["payload"]["Name"] == "one"


def test_duplicate_event_delivery() -> None:
    app = create_app(CrmSettings(faults=FaultPlan(duplicate_event_rate=1.0, seed=1)))
    crm = app.state.crm
    with crm.store.transaction() as tx:
        crm.store.create(tx, "Account", {"Name": "Twice"})
    events = crm.events.read("/data/ChangeEvents", -2, 10)
    assert len(events) == 2
    assert events[0] == events[1]
