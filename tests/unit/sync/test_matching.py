from __future__ import annotations

import pytest

from causeway.sandbox.seed import SeedCompany, SeedConfig, generate
from causeway.sync.matching import (
    Candidate,
    match,
    normalise_name,
    normalise_phone,
    normalise_street,
    score,
)


def candidate(company: SeedCompany, with_tax_id: bool = False) -> Candidate:
    address = company.address
    return Candidate(
        key=company.key,
        name=company.name,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        country=address.country,
        tax_id=company.tax_id if with_tax_id else "",
        phone=company.phone,
    )


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Acme Inc", "ACME INCORPORATED"),
        ("Weber GmbH", "Weber G.m.b.H."),
        ("Smith and Sons", "Smith & Sons"),
        ("Weiß AG", "WEISS Aktiengesellschaft"),
        ("Café Müller", "Cafe Muller"),
    ],
)
def test_names_normalise_to_the_same_core(left: str, right: str) -> None:
    assert normalise_name(left) == normalise_name(right)


def test_streets_and_phones_normalise() -> None:
    assert normalise_street("12 Main Street") == normalise_street("12 Main St.")
    assert normalise_street("Hauptstraße 5") == normalise_street("Hauptstr. 5")
    assert normalise_phone("+1 (415) 555-0100 x12") == normalise_phone("001-415-555-0100")


def test_different_tax_ids_veto_a_match() -> None:
    a = Candidate("1", "Acme Inc", "1 Main St", "10001", "New York", "US", "US1")
    b = Candidate("2", "Acme Inc", "1 Main St", "10001", "New York", "US", "US2")
    value, reasons = score(a, b)
    assert value <= 60
    assert "tax id differs" in reasons


def test_one_to_one_and_review_band() -> None:
    crm = [Candidate("c1", "Acme Inc", "1 Main Street", "10001", "New York", "US")]
    erp = [
        Candidate("e1", "ACME INCORPORATED", "1 Main St.", "10001", "New York", "US"),
        Candidate("e2", "Acme Inc.", "1 Main St.", "10001", "New York", "US"),
    ]
    result = match(crm, erp)
    assert len(result.accepted) == 1
    assert result.accepted[0].left == "c1"
    assert len(result.unmatched_right) == 1


def test_neighbours_with_other_names_are_not_matched() -> None:
    crm = [Candidate("c1", "Baker Logistics", "5 Dock Road", "E1 6AN", "London", "GB")]
    erp = [Candidate("e1", "Harbour Foods Ltd", "5 Dock Rd.", "E1 6AN", "London", "GB")]
    result = match(crm, erp)
    assert result.accepted == []
    assert result.unmatched_left == ["c1"]


def test_seeded_universe_is_matched_with_high_precision_and_recall() -> None:
    universe = generate(SeedConfig(accounts=1500, products=0, contacts_per_account=0, seed=11))
    # CRM accounts rarely carry tax ids: match without them, the hard case.
    result = match(
        [candidate(c) for c in universe.crm_accounts],
        [candidate(c) for c in universe.erp_customers],
    )
    truth = set(universe.pairs())
    found = {(m.left, m.right) for m in result.accepted}
    true_positives = len(found & truth)
    assert true_positives / len(found) >= 0.99
    assert true_positives / len(truth) >= 0.98
