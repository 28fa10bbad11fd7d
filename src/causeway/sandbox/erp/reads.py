"""GET on entity sets, single entities, navigation properties and $count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from causeway.sandbox.erp.errors import ODataError, bad_request, not_found
from causeway.sandbox.erp.filter import FilterSyntaxError, parse_filter
from causeway.sandbox.erp.model import EntityType, Navigation, ServiceModel
from causeway.sandbox.erp.predicate import equality_narrowing
from causeway.sandbox.erp.query import QueryOptions, apply, parse_options
from causeway.sandbox.erp.representation import Representation
from causeway.sandbox.erp.store import Record, key_of
from causeway.sandbox.erp.system import Erp, entity_type
from causeway.sandbox.erp.uri import ResourcePath, key_values, resolve_set


class Target:
    """What a resource path addresses: a collection, or one entity (possibly absent)."""

    def __init__(
        self,
        entity: EntityType,
        records: list[Record] | None = None,
        record: Record | None = None,
        parent: tuple[EntityType, Record, Navigation] | None = None,
        key: tuple[str, ...] | None = None,
    ) -> None:
        self.entity = entity
        self.records = records
        self.record = record
        self.parent = parent
        self.key = key

    @property
    def is_collection(self) -> bool:
        """True for an entity set or a to-many navigation."""
        return self.records is not None


def resolve(
    erp: Erp,
    service: ServiceModel,
    path: ResourcePath,
    params: Mapping[str, str] | None = None,
    *,
    read_set: bool = True,
) -> Target:
    """Follow the segments of `path` to the records they address; 404 when one is missing.

    For an entity set whose $filter pins a string property to a few values (a lookup by
    reference or by keys), only those rows are read; the filter itself is applied later.
    `read_set=False` (a POST) addresses the set without reading it: a create into a set of
    many thousand records must not cost a read of all of them.
    """
    if len(path.segments) > 2:
        raise bad_request("Only one level of navigation is supported in resource paths")
    first = path.segments[0]
    entity = resolve_set(service, first)
    if first.predicate is None:
        if len(path.segments) > 1:
            raise bad_request(f"'{first.name}' needs a key before navigating further")
        if not read_set:
            return Target(entity, records=[])
        narrowing = _narrowing((params or {}).get("$filter"), entity)
        if narrowing is not None and len(narrowing[1]) <= 100:
            return Target(entity, records=erp.store.find_in(entity, *narrowing))
        return Target(entity, records=erp.store.scan(entity))
    key = key_values(entity, first.predicate)
    record = erp.store.get(entity, key)
    if record is None:
        raise not_found(first.name, first.predicate.strip("()"))
    if len(path.segments) == 1:
        return Target(entity, record=record, key=key)
    second = path.segments[1]
    nav = entity.navigation(second.name)
    if nav is None:
        raise not_found(second.name)
    target = entity_type(nav.target_set)
    related = erp.related(entity, record, nav)
    if second.predicate is not None:
        wanted = key_values(target, second.predicate)
        match = [item for item in related if key_of(target, item) == wanted]
        if not match:
            raise not_found(second.name, second.predicate.strip("()"))
        return Target(target, record=match[0], parent=(entity, record, nav), key=wanted)
    if nav.many:
        return Target(target, records=related, parent=(entity, record, nav))
    if not related:
        raise not_found(second.name)
    only = related[0]
    return Target(target, record=only, parent=(entity, record, nav), key=key_of(target, only))


def _narrowing(text: str | None, entity: EntityType) -> tuple[str, frozenset[str]] | None:
    if not text:
        return None
    try:
        return equality_narrowing(parse_filter(text), entity)
    except (FilterSyntaxError, ODataError):
        return None  # parse_options reports it properly


def read_collection(
    erp: Erp,
    service: ServiceModel,
    target: Target,
    params: Mapping[str, str],
    representation: Representation,
    request_url: str,
) -> dict[str, Any]:
    """The JSON body of a collection GET, with __count and __next as requested."""
    options = parse_options(params, target.entity, service)
    page = apply(target.records or [], options, erp.page_size)
    body: dict[str, Any] = {
        "results": [
            representation.entity(target.entity, record, options.selection)
            for record in page.records
        ]
    }
    if options.inlinecount:
        body["__count"] = str(page.total)
    if page.next_skiptoken is not None:
        following = {key: value for key, value in params.items() if key != "$skiptoken"}
        following["$skiptoken"] = str(page.next_skiptoken)
        body["__next"] = f"{request_url}?{urlencode(following)}"
    return {"d": body}


def count(service: ServiceModel, target: Target, params: Mapping[str, str]) -> int:
    """The number of records matching $filter, for /$count."""
    options: QueryOptions = parse_options(
        {key: value for key, value in params.items() if key == "$filter"}, target.entity, service
    )
    records = target.records or []
    if options.predicate is not None:
        records = [record for record in records if options.predicate(record)]
    return len(records)


def read_entity(
    service: ServiceModel,
    target: Target,
    params: Mapping[str, str],
    representation: Representation,
) -> dict[str, Any]:
    """The JSON body of a single-entity GET, honouring $select and $expand."""
    options = parse_options(
        {key: value for key, value in params.items() if key in ("$select", "$expand")},
        target.entity,
        service,
    )
    if target.record is None:
        raise not_found(target.entity.entity_set)
    return {"d": representation.entity(target.entity, target.record, options.selection)}
