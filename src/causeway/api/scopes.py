"""The scopes a client may be granted; each route asks for exactly one.

Kept apart from the routes so the settings can validate a client's scopes without importing
FastAPI, and so the token endpoint, the docs and the OpenAPI security scheme list the same set.
"""

from __future__ import annotations

RUNTIME_READ = "runtime:read"
RUNTIME_OPERATE = "runtime:operate"
QUOTES_PRICE = "quotes:price"
QUOTES_VALIDATE = "quotes:validate"
ACCOUNTS_READ = "accounts:read"
ACTIVITY_READ = "activity:read"

SCOPES: dict[str, str] = {
    RUNTIME_READ: "List and show dead letters; read flow depth, lag and pause state.",
    RUNTIME_OPERATE: "Edit, replay and discard dead letters; pause and resume flows.",
    QUOTES_PRICE: "Price quote lines and confirm their availability through the ERP.",
    QUOTES_VALIDATE: "Check whether a quote can become an order: customer, prices, credit.",
    ACCOUNTS_READ: "Read one customer across Causeway, the CRM and the ERP (account 360).",
    ACTIVITY_READ: "Read process timelines (steps, system calls, milestones) by business number.",
}
"""Every scope the API knows, with what it allows (shown in the OpenAPI document)."""
