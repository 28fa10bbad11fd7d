"""Matching quality on seeded universes: precision and recall against the seed's truth.

The CRM side carries no tax ids (the hard, usual case); the ERP side is the same companies
respelled, with typos, missing phones and missing postal codes.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from causeway.sandbox.seed import SeedCompany, SeedConfig, generate
from causeway.sync.matching import Candidate, match


def _candidate(company: SeedCompany, with_tax_id: bool) -> Candidate:
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


def measure(accounts: int, erp_customers: int, overlap: float) -> dict[str, Any]:
    """Match once and score it."""
    universe = generate(
        SeedConfig(
            accounts=accounts,
            erp_customers=erp_customers,
            overlap=overlap,
            products=0,
            contacts_per_account=0,
        )
    )
    left = [_candidate(c, False) for c in universe.crm_accounts]
    right = [_candidate(c, False) for c in universe.erp_customers]
    started = time.perf_counter()
    result = match(left, right)
    seconds = time.perf_counter() - started
    truth = set(universe.pairs())
    found = {(m.left, m.right) for m in result.accepted}
    hits = len(found & truth)
    reviewed = {(m.left, m.right) for m in result.review} & truth
    return {
        "crm": accounts,
        "erp": erp_customers,
        "true_pairs": len(truth),
        "accepted": len(found),
        "precision": round(hits / max(len(found), 1), 4),
        "recall_accepted": round(hits / max(len(truth), 1), 4),
        "true_pairs_in_review": len(reviewed),
        "review_pairs": len(result.review),
        "seconds": round(seconds, 2),
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m benchmarks.matching."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--erp-customers", type=int, default=8_000)
    parser.add_argument("--overlap", type=float, default=0.75)
    arguments = parser.parse_args(argv)
    print(json.dumps(measure(arguments.accounts, arguments.erp_customers, arguments.overlap)))


if __name__ == "__main__":
    main()
