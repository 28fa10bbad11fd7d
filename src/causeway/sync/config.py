"""Which entities sync between which systems, who owns which field, and how records are keyed.

The configuration is YAML validated by pydantic; errors name the file and the field. The
shipped default syncs customers, contacts, products and list prices between Salesforce and
S/4HANA with the ownership most companies start from: the CRM owns how a customer is named
and reached, the ERP owns credit, terms and blocks, the product master and its prices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from causeway.mapping.loader import MappingCatalog
from causeway.sync.engine import Endpoint, EntityRoute
from causeway.sync.ownership import ConflictPolicy, OwnershipPolicy
from causeway.sync.xref import short_reference

Reference = Literal["canonical_id", "short", "field"]


class EndpointConfig(BaseModel):
    """One system object that holds the entity."""

    model_config = ConfigDict(extra="forbid")

    system: str
    object: str
    external_field: str | None = None
    reference: Reference = "canonical_id"
    reference_field: str | None = Field(
        None, description="with reference 'field': the canonical field whose value keys records"
    )
    stamp_existing: bool = Field(
        True, description="write the reference on existing records too, not only on creates"
    )
    on_delete: Literal["ignore", "archive", "delete"] = Field(
        "ignore",
        description="what happens to this system's copy when the object is deleted elsewhere",
    )


class EntityConfig(BaseModel):
    """One canonical entity: its owners and its endpoints."""

    model_config = ConfigDict(extra="forbid")

    owners: dict[str, str] = Field(default_factory=dict)
    default_owner: str | None = None
    unowned: ConflictPolicy = "newest_wins"
    conflicts: dict[str, ConflictPolicy] = Field(
        default_factory=dict, description="per-field policy for fields nobody owns"
    )
    enforce: bool = True
    archived: dict[str, Any] = Field(
        default_factory=dict,
        description="canonical values that mark an archived object, for on_delete: archive",
    )
    match_key: str | None = Field(
        None,
        description="canonical field that links records both systems already hold before the "
        "first sync (a product's sku, a contact's email); customers are matched by identity",
    )
    compare_ignore: list[str] = Field(
        default_factory=list,
        description="fields a system cannot hold faithfully (S/4HANA has no 'Mrs.'), left out "
        "of reconciliation",
    )
    endpoints: list[EndpointConfig]


class SyncConfig(BaseModel):
    """The whole sync configuration."""

    model_config = ConfigDict(extra="forbid")

    entities: dict[str, EntityConfig]


class SyncConfigError(ValueError):
    """The sync configuration is wrong; the message names file and field."""


def _reference(endpoint: EndpointConfig) -> Callable[[str, Mapping[str, Any]], str]:
    if endpoint.reference == "short":
        return lambda canonical_id, _document: short_reference(canonical_id)
    if endpoint.reference == "field":
        name = endpoint.reference_field
        if not name:
            raise SyncConfigError(f"{endpoint.system} {endpoint.object}: reference_field missing")
        return lambda _canonical_id, document: str(document[name])
    return lambda canonical_id, _document: canonical_id


def build_routes(config: SyncConfig, catalog: MappingCatalog) -> dict[str, EntityRoute]:
    """Compile the configuration against the mapping catalogue."""
    routes: dict[str, EntityRoute] = {}
    for entity, spec in config.entities.items():
        endpoints = []
        for endpoint in spec.endpoints:
            try:
                mapping = catalog.get(endpoint.system, endpoint.object, entity)
            except LookupError as error:
                raise SyncConfigError(f"entities.{entity}: {error}") from None
            endpoints.append(
                Endpoint(
                    system=endpoint.system,
                    object_name=endpoint.object,
                    mapping=mapping,
                    external_field=endpoint.external_field,
                    reference=_reference(endpoint),
                    stamp_existing=endpoint.stamp_existing,
                    on_delete=endpoint.on_delete,
                )
            )
        policy = OwnershipPolicy(
            entity=entity,
            owners=spec.owners,
            default_owner=spec.default_owner,
            unowned=spec.unowned,
            conflicts=spec.conflicts,
            enforce=spec.enforce,
        )
        archives = any(endpoint.on_delete == "archive" for endpoint in spec.endpoints)
        if archives and not spec.archived:
            raise SyncConfigError(
                f"entities.{entity}.archived: on_delete 'archive' needs the canonical values "
                "that mark an archived object (e.g. status: archived)"
            )
        routes[entity] = EntityRoute(entity, policy, tuple(endpoints), spec.archived)
    return routes


def load_sync_config(path: Path) -> SyncConfig:
    """Read and validate a sync configuration file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return SyncConfig.model_validate(data)
    except yaml.YAMLError as error:
        raise SyncConfigError(f"{path}: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SyncConfigError(f"{path}: {where}: {first['msg']}") from None


def default_sync_config() -> SyncConfig:
    """The shipped configuration: Salesforce and S/4HANA, customers, contacts, products and
    list prices."""
    return SyncConfig.model_validate(
        {
            "entities": {
                "customer": {
                    "owners": {
                        "party": "salesforce",
                        "addresses": "salesforce",
                        "phone": "salesforce",
                        "website": "salesforce",
                        "industry": "salesforce",
                        "credit_limit": "s4hana",
                        "payment_terms": "s4hana",
                        "status": "s4hana",
                        "currency": "s4hana",
                        "tax_ids": "s4hana",
                    },
                    # Deleted in the CRM (or merged away there): the ERP partner is marked
                    # for archiving, never deleted (open items may still refer to it).
                    "archived": {"status": "archived"},
                    "endpoints": [
                        {
                            "system": "salesforce",
                            "object": "Account",
                            "external_field": "Causeway_Id__c",
                        },
                        {
                            "system": "s4hana",
                            "object": "A_BusinessPartner",
                            "external_field": "SearchTerm2",
                            "reference": "short",
                            "on_delete": "archive",
                        },
                    ],
                },
                # The CRM is where people are kept up to date; a contact deleted there ends
                # its relationship in S/4HANA (the person stays, as partners do).
                "contact": {
                    "default_owner": "salesforce",
                    "match_key": "email",
                    "compare_ignore": ["salutation"],
                    "endpoints": [
                        {
                            "system": "salesforce",
                            "object": "Contact",
                            "external_field": "Causeway_Id__c",
                        },
                        {
                            "system": "s4hana",
                            "object": "ContactPerson",
                            "external_field": "SearchTerm2",
                            "reference": "short",
                            "on_delete": "delete",
                        },
                    ],
                },
                "product": {
                    "default_owner": "s4hana",
                    "match_key": "sku",
                    "endpoints": [
                        {
                            "system": "salesforce",
                            "object": "Product2",
                            "external_field": "ERP_Material__c",
                            "reference": "field",
                            "reference_field": "sku",
                        },
                        {
                            "system": "s4hana",
                            "object": "A_Product",
                            "external_field": "Product",
                            "reference": "field",
                            "reference_field": "sku",
                        },
                    ],
                },
                # List prices go one way: PPR0 conditions of the ERP become price book
                # entries in the CRM, one price book per sales area and currency. A price
                # waits for its product's link; an entry edited in the CRM is set back.
                "price_list_entry": {
                    "default_owner": "s4hana",
                    "endpoints": [
                        {
                            "system": "salesforce",
                            "object": "PricebookEntry",
                            "external_field": "Causeway_Id__c",
                        },
                        {"system": "s4hana", "object": "ListPrice"},
                    ],
                },
            }
        }
    )
