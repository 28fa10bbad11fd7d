from __future__ import annotations

import random

from causeway.sandbox.seed import SeedConfig, generate, respell_name, respell_street


def test_same_config_same_universe() -> None:
    config = SeedConfig(accounts=60, products=10, seed=3)
    assert generate(config) == generate(config)
    assert generate(config) != generate(SeedConfig(accounts=60, products=10, seed=4))


def test_counts_and_overlap() -> None:
    universe = generate(SeedConfig(accounts=100, products=20, erp_customers=80, overlap=0.5))
    assert len(universe.crm_accounts) == 100
    assert len(universe.erp_customers) == 80
    assert len(universe.crm_contacts) == 200
    assert len(universe.products) == 20
    assert len(universe.pairs()) == 40
    keys = [company.key for company in universe.erp_customers]
    assert len(set(keys)) == len(keys)


def test_shared_customers_are_spelled_differently_but_are_the_same_company() -> None:
    universe = generate(SeedConfig(accounts=200, overlap=1.0))
    crm = {company.key: company for company in universe.crm_accounts}
    for erp in universe.erp_customers:
        original = crm[erp.key]
        assert erp.name != original.name
        assert erp.tax_id == original.tax_id
        assert erp.address.postal_code in (original.address.postal_code, "")


def test_records_are_plausible() -> None:
    universe = generate(SeedConfig(accounts=50, products=30))
    for company in universe.crm_accounts:
        assert len(company.address.country) == 2
        assert len(company.currency) == 3
        assert company.credit_limit > 0
    for product in universe.products:
        assert product.list_price > 0
        assert set(product.plants_stock) == {"1010", "1710", "2010"}
    assert len({product.sku for product in universe.products}) == 30


def test_respelling() -> None:
    rng = random.Random(0)
    assert respell_street("12 Main Street") == "12 Main St."
    assert respell_street("Hauptstraße 5") == "Hauptstr. 5"
    for name in ("Acme Inc", "Weber GmbH", "Smith and Sons", "Plain"):
        assert respell_name(name, rng) != name
