"""OData v2 system query options: parse them once, check them against the model, apply them.

$filter, $select, $expand, $orderby, $top, $skip, $inlinecount and $skiptoken (server paging)
all act on typed records, so the results match what the same request returns from SAP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from causeway.sandbox.erp.errors import bad_request
from causeway.sandbox.erp.filter import FilterSyntaxError, parse_filter
from causeway.sandbox.erp.model import EntityType, ServiceModel
from causeway.sandbox.erp.predicate import Record, compile_filter


@dataclass
class Selection:
    """What to return of an entity: properties (None = all), and per navigation a sub-selection.

    `navigations` lists navigation properties named in $select; `expand` those in $expand.
    """

    properties: set[str] | None = None
    navigations: dict[str, Selection] = field(default_factory=dict)
    expand: dict[str, Selection] = field(default_factory=dict)
    explicit: bool = False

    def child(self, name: str) -> Selection:
        """The selection applying to an expanded navigation property."""
        return self.expand.get(name) or Selection()


@dataclass(frozen=True)
class OrderKey:
    """One $orderby term."""

    prop: str
    descending: bool


@dataclass(frozen=True)
class QueryOptions:
    """The parsed system query options of one request."""

    predicate: Callable[[Record], bool] | None = None
    selection: Selection = field(default_factory=Selection)
    order: tuple[OrderKey, ...] = ()
    top: int | None = None
    skip: int = 0
    inlinecount: bool = False
    skiptoken: int = 0


def _non_negative(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise bad_request(f"Invalid value '{raw}' for system query option {name}", target=name)
    return int(raw)


def parse_options(
    params: Mapping[str, str], entity: EntityType, service: ServiceModel
) -> QueryOptions:
    """Parse and validate the system query options for a request on `entity`."""
    predicate = None
    if "$filter" in params:
        try:
            expr = parse_filter(params["$filter"])
        except FilterSyntaxError as error:
            raise bad_request(str(error), target="$filter", entity=entity.entity_set) from error
        predicate = compile_filter(expr, entity)
    selection = _selection(params.get("$select"), params.get("$expand"), entity, service)
    inlinecount = params.get("$inlinecount", "none")
    if inlinecount not in ("allpages", "none"):
        raise bad_request(f"Invalid value '{inlinecount}' for $inlinecount", target="$inlinecount")
    return QueryOptions(
        predicate=predicate,
        selection=selection,
        order=_order(params.get("$orderby"), entity),
        top=_non_negative(params, "$top"),
        skip=_non_negative(params, "$skip") or 0,
        inlinecount=inlinecount == "allpages",
        skiptoken=_non_negative(params, "$skiptoken") or 0,
    )


def _order(raw: str | None, entity: EntityType) -> tuple[OrderKey, ...]:
    if not raw:
        return ()
    keys = []
    for term in raw.split(","):
        parts = term.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise bad_request(f"Invalid $orderby term '{term.strip()}'", target="$orderby")
        prop = entity.prop(parts[0])
        if prop is None:
            raise bad_request(
                f"Property '{parts[0]}' not found in type '{entity.name}'", target=parts[0]
            )
        if not prop.sortable:
            raise bad_request(f"Property '{parts[0]}' is not sortable", target=parts[0])
        keys.append(OrderKey(parts[0], len(parts) == 2 and parts[1] == "desc"))
    return tuple(keys)


def _target(entity: EntityType, name: str, service: ServiceModel, option: str) -> EntityType:
    nav = entity.navigation(name)
    target = service.entity_set(nav.target_set) if nav else None
    if target is None:
        raise bad_request(
            f"Navigation property '{name}' not found in type '{entity.name}'", target=option
        )
    return target


def _selection(
    select: str | None, expand: str | None, entity: EntityType, service: ServiceModel
) -> Selection:
    root = Selection()
    for path in filter(None, (part.strip() for part in (expand or "").split(","))):
        node, typ = root, entity
        for name in path.split("/"):
            typ = _target(typ, name, service, "$expand")
            node = node.expand.setdefault(name, Selection())
    for path in filter(None, (part.strip() for part in (select or "").split(","))):
        _add_select(root, entity, path.split("/"), service)
    return root


def _add_select(
    node: Selection, entity: EntityType, names: Sequence[str], service: ServiceModel
) -> None:
    node.explicit = True
    head, rest = names[0], names[1:]
    if head == "*":
        node.properties = {prop.name for prop in entity.properties}
        return
    if entity.prop(head) is not None and not rest:
        node.properties = (node.properties or set()) | {head}
        return
    if entity.navigation(head) is None:
        raise bad_request(f"Property '{head}' not found in type '{entity.name}'", target="$select")
    target = _target(entity, head, service, "$select")
    if node.properties is None:
        node.properties = set()
    node.navigations.setdefault(head, Selection())
    if rest:
        child = node.expand.setdefault(head, Selection())
        _add_select(child, target, rest, service)


def _sort_value(value: Any) -> tuple[int, Any]:
    # None sorts first, as SAP sorts initial values first.
    return (0, "") if value is None else (1, value)


def order_records(records: list[Record], order: Sequence[OrderKey]) -> list[Record]:
    """Sort by several keys, each ascending or descending; stable for equal keys."""
    result = list(records)
    for key in reversed(order):
        result.sort(key=lambda record: _sort_value(record.get(key.prop)), reverse=key.descending)
    return result


@dataclass(frozen=True)
class Page:
    """One page of a collection and what the client needs to fetch the rest."""

    records: list[Record]
    total: int
    next_skiptoken: int | None


def apply(records: list[Record], options: QueryOptions, page_size: int) -> Page:
    """Filter, sort, window ($skip/$top) and page (server-side) a list of records."""
    if options.predicate is not None:
        records = [record for record in records if options.predicate(record)]
    records = order_records(records, options.order)
    total = len(records)
    window = records[options.skip :]
    if options.top is not None:
        window = window[: options.top]
    start = options.skiptoken
    page = window[start : start + page_size]
    following = start + page_size if start + page_size < len(window) else None
    return Page(page, total, following)
