"""pyodata drives API_CUSTOMER_RETURN_SRV: deep insert, reads and SAP errors it understands."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pyodata
import pytest

from causeway.sandbox.seed import SeedUniverse


def test_deep_insert_of_a_customer_return_and_its_credit_memo(
    odata: Callable[[str], Any], admin: Callable[..., dict[str, Any]], universe: SeedUniverse
) -> None:
    material = universe.products[0].sku
    orders = odata("API_SALES_ORDER_SRV").entity_sets.A_SalesOrder
    order = orders.create_entity().set(
        SoldToParty="10000003", to_Item=[{"Material": material, "RequestedQuantity": "3"}]
    ).execute()
    admin("clock/advance", {"minutes": 24 * 60})
    returns = odata("API_CUSTOMER_RETURN_SRV").entity_sets.A_CustomerReturn
    created = returns.create_entity().set(
        SoldToParty="10000003",
        ReferenceSDDocument=order.SalesOrder,
        PurchaseOrderByCustomer="00001027",
        SDDocumentReason="102",
        to_Item=[{"Material": material, "RequestedQuantity": "2"}],
    ).execute()
    assert created.CustomerReturnType == "CBAR"
    items = returns.get_entity(created.CustomerReturn).nav("to_Item").get_entities().execute()
    assert [(item.Material, item.ReferenceSDDocument) for item in items] == [
        (material, order.SalesOrder)
    ]
    assert sum(Decimal(item.NetAmount) for item in items) == Decimal(created.TotalNetAmount)
    found = returns.get_entities().filter("PurchaseOrderByCustomer eq '00001027'").execute()
    assert [row.CustomerReturn for row in found] == [created.CustomerReturn]

    admin("clock/advance", {"minutes": 3 * 24 * 60})
    done = returns.get_entity(created.CustomerReturn).execute()
    assert (done.OverallTotalDeliveryStatus, done.OverallOrdReltdBillgStatus) == ("C", "C")
    billing = odata("API_BILLING_DOCUMENT_SRV").entity_sets
    [memo_item] = billing.A_BillingDocumentItem.get_entities().filter(
        f"SalesDocument eq '{created.CustomerReturn}'"
    ).execute()
    memo = billing.A_BillingDocument.get_entity(memo_item.BillingDocument).execute()
    assert (memo.BillingDocumentType, memo.SDDocumentCategory) == ("G2", "O")
    assert Decimal(memo.TotalNetAmount) == Decimal(created.TotalNetAmount)


def test_a_refused_return_is_an_http_error_naming_the_property(
    odata: Callable[[str], Any], universe: SeedUniverse
) -> None:
    returns = odata("API_CUSTOMER_RETURN_SRV").entity_sets.A_CustomerReturn
    with pytest.raises(pyodata.exceptions.HttpError) as refused:
        returns.create_entity().set(
            SoldToParty="10000003",
            ReferenceSDDocument="4711",
            to_Item=[{"Material": universe.products[0].sku, "RequestedQuantity": "1"}],
        ).execute()
    body = refused.value.response.json()
    assert refused.value.response.status_code == 400
    assert body["error"]["innererror"]["errordetails"][0]["target"] == "ReferenceSDDocument"
