"""Throughput of compiled mappings, for `make bench`: records per second per direction.

Uses a 20-field mapping of a flat record (the size the design targets) and the shipped
Salesforce Account mapping, so regressions in paths, transforms or validation show up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.loader import compile_text, shipped_mappings

_TWENTY_FIELDS = """
version: 1
system: bench
object: Account
canonical: customer
key: Id
inbound:
  fields:
    external_ids.bench: Id
    id: CausewayId
    party.name: {source: Name, required: true}
    party.name2: Name2
    party.legal_form: LegalForm
    party.search_term: {source: SearchTerm, transform: upper}
    addresses[role=billing].street: Street
    addresses[role=billing].house_number: HouseNumber
    addresses[role=billing].postal_code: PostalCode
    addresses[role=billing].city: City
    addresses[role=billing].region: Region
    addresses[role=billing].country: {source: Country, transform: country}
    phone: Phone
    email: Email
    website: Website
    industry: Industry
    currency: {source: Currency, transform: currency}
    credit_limit: {source: CreditLimit, transform: decimal}
    payment_terms: PaymentTerms
    status: {source: Status, values: {A: active, B: blocked, X: archived}}
outbound:
  fields:
    Id: external_ids.bench
    CausewayId: id
    Name: {source: party.name, required: true}
    Name2: party.name2
    LegalForm: party.legal_form
    SearchTerm: party.search_term
    Street: addresses[role=billing].street
    HouseNumber: addresses[role=billing].house_number
    PostalCode: addresses[role=billing].postal_code
    City: addresses[role=billing].city
    Region: addresses[role=billing].region
    Country: addresses[role=billing].country
    Phone: phone
    Email: email
    Website: website
    Industry: industry
    Currency: currency
    CreditLimit: {source: credit_limit, transform: number}
    PaymentTerms: payment_terms
    Status: {source: status, values: {active: A, blocked: B, archived: X}}
"""


def _flat_record(index: int) -> dict[str, Any]:
    return {
        "Id": f"B{index:08d}",
        "CausewayId": f"c-{index}",
        "Name": f"Company {index}",
        "Name2": "Sales",
        "LegalForm": "GmbH",
        "SearchTerm": f"comp{index}",
        "Street": "Hauptstrasse",
        "HouseNumber": str(index % 200 + 1),
        "PostalCode": "10115",
        "City": "Berlin",
        "Region": "BE",
        "Country": "de",
        "Phone": "+49 30 1234567",
        "Email": f"info{index}@example.com",
        "Website": "https://example.com",
        "Industry": "Machinery",
        "Currency": "eur",
        "CreditLimit": "25000.00",
        "PaymentTerms": "NT30",
        "Status": "A",
    }


def _account_record(index: int) -> dict[str, Any]:
    return {
        "Id": f"001{index:015d}",
        "Name": f"Company {index}",
        "BillingStreet": f"Hauptstrasse {index % 200 + 1}",
        "BillingCity": "Berlin",
        "BillingPostalCode": "10115",
        "BillingState": "BE",
        "BillingCountryCode": "DE",
        "Phone": "+49 30 1234567",
        "Website": "https://example.com",
        "Industry": "Machinery",
        "CurrencyIsoCode": "EUR",
        "ERP_Customer_Number__c": f"{index:010d}",
        "Causeway_Id__c": f"c-{index}",
        "Credit_Block__c": False,
        "LastModifiedDate": "2024-05-01T10:00:00.000+0000",
    }


@dataclass(frozen=True, slots=True)
class BenchResult:
    """One measured case."""

    case: str
    records: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Records per second."""
        return self.records / self.seconds if self.seconds else float("inf")

    def describe(self) -> str:
        """One line for the benchmark report."""
        return f"{self.case:<44} {self.per_second:>12,.0f} records/s  ({self.records} records)"


def _measure(case: str, records: list[Any], apply: Callable[[Any], Any]) -> BenchResult:
    started = time.perf_counter()
    for record in records:
        apply(record)
    return BenchResult(case, len(records), time.perf_counter() - started)


def _cases(
    mapping: CompiledMapping, label: str, records: list[dict[str, Any]]
) -> list[BenchResult]:
    canonical = [mapping.to_canonical(record) for record in records]
    canonical_json = [item.model_dump(mode="json") for item in canonical]
    return [
        _measure(f"{label} inbound to dict", records, mapping.to_canonical_data),
        _measure(f"{label} inbound validated", records, mapping.to_canonical),
        _measure(f"{label} outbound from JSON", canonical_json, mapping.to_system),
        _measure(f"{label} outbound from model", canonical, mapping.to_system),
    ]


def run_mapping_benchmark(records: int = 20_000) -> list[BenchResult]:
    """Measure the 20-field mapping and the shipped Salesforce Account mapping."""
    twenty = compile_text(_TWENTY_FIELDS, "<bench: 20 fields>")
    account = shipped_mappings().get("salesforce", "Account", "customer")
    results = _cases(twenty, "20 fields", [_flat_record(i) for i in range(records)])
    results += _cases(account, "salesforce Account", [_account_record(i) for i in range(records)])
    return results


def main() -> None:
    """Print the results, one case per line."""
    for result in run_mapping_benchmark():
        print(result.describe())


if __name__ == "__main__":
    main()
