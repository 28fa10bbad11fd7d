"""Admin route listing the ERP's change documents: every version a client write left behind.

SAP keeps change documents (CDHDR/CDPOS) per business object; the sandbox keeps the object
as it stood after each create, update and delete, so a test can prove that the writes to one
object arrived in order, not only that the last one is right.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from causeway.sandbox.admin import require_admin
from causeway.sandbox.erp.store import Store


class ChangeDocumentOut(BaseModel):
    """One change document as the admin API returns it."""

    seq: int
    entity_set: str
    key: list[str]
    indicator: str
    changed_at: str
    body: dict[str, Any]


def change_documents_router(store: Store, admin_token: str) -> APIRouter:
    """`GET /__admin/change-documents/{entity_set}?key=...&after=...&limit=...`."""
    router = APIRouter(
        prefix="/__admin", tags=["admin"], dependencies=[Depends(require_admin(admin_token))]
    )

    @router.get("/change-documents/{entity_set}")
    def list_documents(
        entity_set: str,
        key: str | None = Query(None, description="the object's key, parts joined by '/'"),
        after: int = Query(0, ge=0, description="only documents after this sequence number"),
        limit: int = Query(1000, ge=1, le=10_000),
    ) -> list[ChangeDocumentOut]:
        documents = store.change_documents(
            entity_set, tuple(key.split("/")) if key else None, after, limit
        )
        return [
            ChangeDocumentOut(
                seq=document.seq,
                entity_set=document.entity_set,
                key=list(document.key),
                indicator=document.indicator,
                changed_at=document.changed_at,
                body=document.body,
            )
            for document in documents
        ]

    return router
