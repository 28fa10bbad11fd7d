"""API_CUSTOMER_RETURN_SRV: deep insert checked against the billed order, SAP-style errors
naming the field, and the lifecycle from goods receipt to a G2 credit memo on the clock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from causeway.sandbox.seed import SeedUniverse
from tests.unit.sandbox.erp.conftest import ODATA

SO = f"{ODATA}/API_SALES_ORDER_SRV"
RET = f"{ODATA}/API_CUSTOMER_RETURN_SRV"
BILL = f"{ODATA}/API_BILLING_DOCUMENT_SRV"
DAY = 24 * 60


def _billed_order(
    client: TestClient, admin: TestClient, customer: str, lines: list[tuple[str, str]]
) -> dict[str, Any]:
    created = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": customer,
        "to_Item": [{"Material": m, "RequestedQuantity": q} for m, q in lines],
    })
    assert created.status_code == 201, created.text
    admin.post("/__admin/clock/advance", json={"minutes": DAY})
    order: dict[str, Any] = client.get(
        f"{SO}/A_SalesOrder('{created.json()['d']['SalesOrder']}')"
    ).json()["d"]
    assert order["OverallSDProcessStatus"] == "C", order
    return order


def _target(response: Any) -> str:
    details = response.json()["error"]["innererror"]["errordetails"]
    return str(details[0]["target"])


def _return(
    client: TestClient, customer: str, reference: str, items: list[dict[str, str]], **header: str
) -> Any:
    return client.post(f"{RET}/A_CustomerReturn", json={
        "SoldToParty": customer, "ReferenceSDDocument": reference,
        "PurchaseOrderByCustomer": "00001001", "SDDocumentReason": "101",
        "to_Item": items, **header,
    })


def test_deep_insert_credits_at_the_billed_price(
    client: TestClient, admin_client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    order = _billed_order(client, admin_client, "10000001", [(material, "4")])
    created = _return(client, "10000001", order["SalesOrder"],
                      [{"Material": material, "RequestedQuantity": "1"}])
    assert created.status_code == 201, created.text
    body = created.json()["d"]
    assert body["CustomerReturn"] == "60000001"
    assert body["CustomerReturnType"] == "CBAR"
    assert body["ReferenceSDDocumentCategory"] == "C"
    assert body["SalesOrganization"] == order["SalesOrganization"]
    assert (body["OverallSDProcessStatus"], body["OverallTotalDeliveryStatus"]) == ("A", "A")
    expected = (Decimal(order["TotalNetAmount"]) / 4).quantize(Decimal("0.01"))
    assert Decimal(body["TotalNetAmount"]) == expected
    items = client.get(f"{RET}/A_CustomerReturn('60000001')/to_Item").json()["d"]["results"]
    assert [(i["Material"], i["ReferenceSDDocument"], i["ReferenceSDDocumentItem"],
             i["ReturnReason"]) for i in items] == [(material, order["SalesOrder"], "10", "101")]


def test_a_return_may_reference_the_invoice(
    client: TestClient, admin_client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[1].sku
    order = _billed_order(client, admin_client, "10000002", [(material, "2")])
    invoice = client.get(f"{BILL}/A_BillingDocumentItem", params={
        "$filter": f"SalesDocument eq '{order['SalesOrder']}'"}).json()["d"]["results"][0]
    created = _return(client, "10000002", invoice["BillingDocument"],
                      [{"Material": material, "RequestedQuantity": "2"}])
    assert created.status_code == 201, created.text
    assert created.json()["d"]["ReferenceSDDocumentCategory"] == "M"


def test_refusals_name_the_field(
    client: TestClient, admin_client: TestClient, universe: SeedUniverse
) -> None:
    first, second = universe.products[0].sku, universe.products[1].sku
    order = _billed_order(client, admin_client, "10000003", [(first, "2")])
    number = order["SalesOrder"]
    cases = {
        "ReferenceSDDocument": _return(client, "10000003", "4711",
                                       [{"Material": first, "RequestedQuantity": "1"}]),
        "SoldToParty": _return(client, "10000004", number,
                               [{"Material": first, "RequestedQuantity": "1"}]),
        "Material": _return(client, "10000003", number,
                            [{"Material": second, "RequestedQuantity": "1"}]),
        "RequestedQuantity": _return(client, "10000003", number,
                                     [{"Material": first, "RequestedQuantity": "3"}]),
        "SDDocumentReason": _return(client, "10000003", number,
                                    [{"Material": first, "RequestedQuantity": "1"}],
                                    SDDocumentReason="999"),
        "to_Item": _return(client, "10000003", number, []),
    }
    for field, response in cases.items():
        assert response.status_code == 400, (field, response.text)
        assert _target(response) == field, (field, response.json())
    too_many = cases["RequestedQuantity"].json()["error"]["message"]["value"]
    assert "exceeds billed quantity 2" in too_many
    assert client.get(f"{RET}/A_CustomerReturn/$count").text == "0"


def test_what_earlier_returns_claim_cannot_be_returned_again(
    client: TestClient, admin_client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    order = _billed_order(client, admin_client, "10000005", [(material, "3")])
    line = [{"Material": material, "RequestedQuantity": "2"}]
    assert _return(client, "10000005", order["SalesOrder"], line).status_code == 201
    again = _return(client, "10000005", order["SalesOrder"], line)
    assert again.status_code == 400
    assert "less returned 2" in again.json()["error"]["message"]["value"]


def test_an_unbilled_order_cannot_be_returned(
    client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    created = client.post(f"{SO}/A_SalesOrder", json={
        "SoldToParty": "10000006", "to_Item": [{"Material": material, "RequestedQuantity": "1"}],
    }).json()["d"]
    refused = _return(client, "10000006", created["SalesOrder"],
                      [{"Material": material, "RequestedQuantity": "1"}])
    assert refused.status_code == 400
    assert _target(refused) == "RequestedQuantity"
    assert "has not been billed" in refused.json()["error"]["message"]["value"]


def test_items_are_not_posted_alone(client: TestClient) -> None:
    refused = client.post(f"{RET}/A_CustomerReturnItem", json={
        "CustomerReturn": "60000001", "Material": "X", "RequestedQuantity": "1"})
    assert refused.status_code == 405


def test_goods_receipt_then_credit_memo_with_change_stamps(
    client: TestClient, admin_client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    order = _billed_order(client, admin_client, "10000007", [(material, "2")])
    created = _return(client, "10000007", order["SalesOrder"],
                      [{"Material": material, "RequestedQuantity": "2"}]).json()["d"]
    number, stamp = created["CustomerReturn"], created["LastChangeDateTime"]
    admin_client.post("/__admin/clock/advance", json={"minutes": 60})
    unchanged = client.get(f"{RET}/A_CustomerReturn", params={
        "$filter": f"LastChangeDateTime gt datetimeoffset'{_iso(stamp)}'"}).json()["d"]["results"]
    assert unchanged == []
    admin_client.post("/__admin/clock/advance", json={"minutes": 2 * DAY})
    changed = client.get(f"{RET}/A_CustomerReturn", params={
        "$filter": f"LastChangeDateTime gt datetimeoffset'{_iso(stamp)}'"}).json()["d"]["results"]
    assert [row["CustomerReturn"] for row in changed] == [number]
    done = changed[0]
    assert (done["OverallTotalDeliveryStatus"], done["OverallOrdReltdBillgStatus"],
            done["OverallSDProcessStatus"]) == ("C", "C", "C")
    deliveries = client.get(f"{ODATA}/API_OUTBOUND_DELIVERY_SRV;v=0002/A_OutbDeliveryItem",
                            params={"$filter": f"ReferenceSDDocument eq '{number}'"})
    receipt = deliveries.json()["d"]["results"][0]
    header = client.get(f"{ODATA}/API_OUTBOUND_DELIVERY_SRV;v=0002/A_OutbDeliveryHeader"
                        f"('{receipt['DeliveryDocument']}')").json()["d"]
    assert (header["DeliveryDocumentType"], header["SDDocumentCategory"]) == ("LR", "T")
    memo_items = client.get(f"{BILL}/A_BillingDocumentItem", params={
        "$filter": f"SalesDocument eq '{number}'"}).json()["d"]["results"]
    memo = client.get(
        f"{BILL}/A_BillingDocument('{memo_items[0]['BillingDocument']}')").json()["d"]
    assert (memo["BillingDocumentType"], memo["SDDocumentCategory"]) == ("G2", "O")
    assert Decimal(memo["TotalNetAmount"]) == Decimal(created["TotalNetAmount"])
    assert memo["PurchaseOrderByCustomer"] == "00001001"
    assert memo_items[0]["ReferenceSDDocument"] == number


def test_a_billing_block_holds_the_credit_memo(
    client: TestClient, admin_client: TestClient, universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    order = _billed_order(client, admin_client, "10000008", [(material, "1")])
    created = _return(client, "10000008", order["SalesOrder"],
                      [{"Material": material, "RequestedQuantity": "1"}],
                      HeaderBillingBlockReason="08").json()["d"]
    admin_client.post("/__admin/clock/advance", json={"minutes": 3 * DAY})
    held = client.get(f"{RET}/A_CustomerReturn('{created['CustomerReturn']}')").json()["d"]
    assert (held["OverallTotalDeliveryStatus"], held["OverallOrdReltdBillgStatus"]) == ("C", "A")


def _iso(wire: str) -> str:
    """`/Date(ms+0000)/` as the ISO text a datetimeoffset literal takes, one millisecond on
    (the wire drops the stamp's microseconds)."""
    from datetime import UTC, datetime

    millis = int(wire[6:-2].split("+")[0]) + 1
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"
