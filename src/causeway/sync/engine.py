"""The sync engine: one change in, the writes it calls for out; one write result in, bookkeeping.

A change is mapped to canonical, given its identity through the cross-reference, merged
into the golden record by field ownership, and turned into one write per system whose copy
now differs from what Causeway last wrote there. A change that alters nothing Causeway did
not already know (the echo of its own write) produces no write at all: ping-pong ends here.
A deletion, or a merge that deleted the record into another, is propagated as each
endpoint's `on_delete` says; a deleted object syncs no further until it is restored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection

from causeway.connectors.contract import RawRecord, WriteKey, WriteOperation, WriteRequest
from causeway.mapping.compiled import CompiledMapping
from causeway.sync.compare import covers
from causeway.sync.decisions import DecisionLog
from causeway.sync.golden import Golden, GoldenStore, payload_hash
from causeway.sync.ownership import META_FIELDS, Decision, OwnershipPolicy, merge
from causeway.sync.review import MatchReviewPendingError, MatchReviews
from causeway.sync.xref import Xref

OPERATOR = "causeway"
"""Source of writes an operator's decision causes, rather than a system's change."""
DELETED_MARK = "@deleted"
"""Key in a golden record's field sources: [system, time] of its deletion."""
RECORD = "@record"
"""Field name under which whole-record decisions (deletes, merges) are logged."""


def _owned_by_target(
    policy: OwnershipPolicy, endpoint: Endpoint, system_field: str, forced: frozenset[str]
) -> bool:
    """True when every canonical field a system field is written from is owned by that system
    (and none is `forced`, as an archive's status is)."""
    # Identity (our id, other systems' ids) belongs to no system: it is always written.
    names = endpoint.mapping.outbound_sources.get(system_field, frozenset()) - META_FIELDS
    return (
        bool(names)
        and not names & forced
        and all(policy.owner_of(name) == endpoint.system for name in names)
    )


def _only_from(endpoint: Endpoint, system_field: str, names: frozenset[str]) -> bool:
    """True when a system field is written only from canonical fields among `names`."""
    sources = endpoint.mapping.outbound_sources.get(system_field, frozenset()) - META_FIELDS
    return bool(sources) and sources <= names


def _restores(golden: Golden, system: str, moment: datetime) -> bool:
    """True for a change from the system that deleted the record, made after the deletion."""
    mark = golden.sources.get(DELETED_MARK)
    return mark is not None and mark[0] == system and mark[1] < moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Endpoint:
    """One system's side of an entity: its object, mapping, and how writes find records."""

    system: str
    object_name: str
    mapping: CompiledMapping
    external_field: str | None = None
    """Field holding Causeway's reference (an external id or a deterministic reference)."""
    reference: Callable[[str, Mapping[str, Any]], str] = lambda canonical_id, _document: (
        canonical_id
    )
    """(canonical id, golden document) -> the value stored in `external_field`."""
    stamp_existing: bool = True
    """False where a system keeps the reference a record was created with (Tryton's party
    code): the reference is then written by creates only."""
    on_delete: Literal["ignore", "archive", "delete"] = "ignore"
    """What happens to this system's copy when the object is deleted in another system."""


@dataclass(frozen=True)
class EntityRoute:
    """How one canonical entity flows: ownership and every system that holds it."""

    entity: str
    policy: OwnershipPolicy
    endpoints: tuple[Endpoint, ...]
    archived: Mapping[str, Any] = field(default_factory=dict)
    """Canonical values that mark an archived object (e.g. status: archived)."""

    def endpoint(self, system: str, object_name: str) -> Endpoint:
        """The endpoint of a system object, or a clear error."""
        for candidate in self.endpoints:
            if candidate.system == system and candidate.object_name == object_name:
                return candidate
        raise LookupError(f"{self.entity}: no endpoint for {system} {object_name}")


@dataclass(frozen=True)
class Command:
    """A write the engine asks for, with what the bookkeeping needs once it succeeds."""

    entity: str
    canonical_id: str
    system: str
    request: WriteRequest
    digest: str


@dataclass
class ChangeOutcome:
    """What one change did."""

    canonical_id: str
    created: bool
    changed_fields: set[str] = field(default_factory=set)
    commands: list[Command] = field(default_factory=list)
    echo: bool = False
    stale_fields: set[str] = field(default_factory=set)


def differing(payload: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of `payload` whose value differs from `current`."""
    return {name: value for name, value in payload.items() if not covers(current.get(name), value)}


class SyncEngine:
    """Applies changes and write results for the configured entities."""

    def __init__(self, routes: Mapping[str, EntityRoute]) -> None:
        self.routes = dict(routes)

    def route_for(self, system: str, object_name: str) -> tuple[EntityRoute, Endpoint]:
        """The entity and endpoint a system object belongs to."""
        for route in self.routes.values():
            for endpoint in route.endpoints:
                if endpoint.system == system and endpoint.object_name == object_name:
                    return route, endpoint
        raise LookupError(f"no entity is synced from {system} {object_name}")

    def apply_change(self, connection: Connection, record: RawRecord) -> ChangeOutcome:
        """Merge one system record into its golden record and plan the writes it calls for.

        Raises the mapping's or canonical model's typed errors for bad input: the caller
        parks the change with record and field.
        """
        route, source = self.route_for(record.system, record.object_name)
        if record.deleted:
            return self._apply_delete(connection, route, record)
        xref = Xref(connection)
        canonical = source.mapping.to_canonical(record.fields, xref=xref)
        # Only what this system's mapping fills: model defaults (an empty address list, an
        # "active" status) from a system that keeps no such data must not overwrite others'.
        filled = source.mapping.inbound_fields | {"id", "external_ids"}
        incoming = {
            name: value
            for name, value in canonical.model_dump(mode="json", exclude_none=True).items()
            if name in filled
        }
        for name in filled - META_FIELDS - incoming.keys():
            if route.policy.owner_of(name) == record.system:
                # The owner holding no value says so: its blank is its answer, not a gap
                # another system's value may fill.
                incoming[name] = None
        store = GoldenStore(connection)
        canonical_id, created = self._identity(xref, store, route.entity, source, record, incoming)
        golden = store.load(route.entity, canonical_id)
        held = store.held(route.entity, canonical_id, record.system)
        moment = record.modified_at or datetime.now(UTC)
        retired = golden.state != "active" and not _restores(golden, record.system, moment)
        restored = golden.state != "active" and not retired
        if restored:
            # Restored where it was deleted (a Salesforce undelete): it syncs again.
            golden.state, golden.merged_into = "active", None
            golden.sources.pop(DELETED_MARK, None)
        merged = merge(
            route.policy,
            golden.data,
            golden.sources,
            incoming,
            record.system,
            moment,
            held.expected(),
            held.sent,
        )
        outcome = ChangeOutcome(canonical_id, created, merged.changed, stale_fields=merged.stale)
        if merged.changed or merged.sources != golden.sources or golden.version == 0 or restored:
            golden.data, golden.sources = merged.data, merged.sources
            store.save(golden)
        if merged.decisions:
            DecisionLog(connection).record(route.entity, canonical_id, merged.decisions)
        store.note_seen(
            route.entity, canonical_id, record.system, moment, held=held.after_read(incoming)
        )
        if retired:
            # Deleted or merged away elsewhere: its remaining copies no longer sync.
            outcome.echo = not merged.changed
            return outcome
        if merged.foreign_edits and route.policy.enforce:
            store.forget_write(route.entity, canonical_id, record.system)
        outcome.commands = self._plan_all(
            store, route, canonical_id, golden, record, incoming, frozenset(merged.behind), xref
        )
        outcome.echo = not merged.changed and not outcome.commands and not created
        return outcome

    def _plan_all(
        self,
        store: GoldenStore,
        route: EntityRoute,
        canonical_id: str,
        golden: Golden,
        record: RawRecord,
        incoming: Mapping[str, Any],
        behind: frozenset[str] = frozenset(),
        xref: Xref | None = None,
    ) -> list[Command]:
        """The writes that bring every linked (or missing) copy in line with the golden record."""
        xref = xref or Xref(store.connection)
        links = xref.links(route.entity, canonical_id)
        document = {
            **golden.data,
            "id": canonical_id,
            "external_ids": {system: ident for system, ident in links.items()},
        }
        commands = []
        for endpoint in route.endpoints:
            if (
                endpoint.system in links
                and endpoint.system != record.system
                and not store.seen(route.entity, canonical_id, endpoint.system)
            ):
                # The record exists there but has not been read yet (an initial load, or
                # our own create not yet echoed): writing now would push stand-in values
                # over fields that system owns. Its own change will plan the write.
                continue
            command = self._plan_write(
                store,
                route,
                endpoint,
                canonical_id,
                document,
                links,
                record,
                incoming,
                behind=behind,
                xref=xref,
            )
            if command is not None:
                commands.append(command)
        return commands

    def replan(self, connection: Connection, entity: str, canonical_id: str) -> ChangeOutcome:
        """Plan the writes a golden record calls for now (after an operator's decision)."""
        route = self.routes[entity]
        store = GoldenStore(connection)
        golden = store.load(entity, canonical_id)
        outcome = ChangeOutcome(canonical_id, created=False)
        if golden.state != "active":
            return outcome
        cause = RawRecord(
            system=OPERATOR,
            object_name=entity,
            id=canonical_id,
            fields={},
            modified_at=datetime.now(UTC),
        )
        outcome.commands = self._plan_all(store, route, canonical_id, golden, cause, {})
        return outcome

    def resolve_review(self, connection: Connection, review_id: int, accept: bool) -> ChangeOutcome:
        """Apply an operator's answer to a held field value and plan the writes it calls for.

        Accepted: the proposed value becomes the golden value and goes to every system.
        Rejected: the golden value stands and is written back to the proposing system.
        """
        review = DecisionLog(connection).close(review_id, accept)
        store = GoldenStore(connection)
        golden = store.load(review.entity, review.canonical_id)
        if accept:
            golden.data[review.field] = review.proposed
            golden.sources[review.field] = [review.system, datetime.now(UTC).isoformat()]
            store.save(golden)
        else:
            store.forget_write(review.entity, review.canonical_id, review.system)
        outcome = self.replan(connection, review.entity, review.canonical_id)
        outcome.changed_fields = {review.field} if accept else set()
        return outcome

    def _apply_delete(
        self, connection: Connection, route: EntityRoute, record: RawRecord
    ) -> ChangeOutcome:
        """A deletion, or a merge that deleted the record into a survivor, as configured."""
        xref = Xref(connection)
        canonical_id = xref.canonical_id(route.entity, record.system, record.id)
        if canonical_id is None:
            # Never synced: nothing elsewhere to follow it.
            return ChangeOutcome("", created=False, echo=True)
        store = GoldenStore(connection)
        golden = store.load(route.entity, canonical_id)
        moment = record.modified_at or datetime.now(UTC)
        if golden.state != "active":
            return ChangeOutcome(canonical_id, created=False, echo=True)
        survivor = (
            xref.canonical_id(route.entity, record.system, record.merged_into)
            if record.merged_into
            else None
        )
        golden.state = "merged" if survivor else "deleted"
        golden.merged_into = survivor
        golden.sources[DELETED_MARK] = [record.system, moment.isoformat()]
        outcome = ChangeOutcome(canonical_id, created=False)
        decisions: list[Decision] = []
        links = xref.links(route.entity, canonical_id)
        survivor_links = xref.links(route.entity, survivor) if survivor else {}
        relinked = False
        archived = False
        for endpoint in route.endpoints:
            system_id = links.get(endpoint.system)
            if endpoint.system == record.system or system_id is None:
                continue
            if survivor and endpoint.system not in survivor_links:
                # The survivor had no copy there: the merged record's copy becomes its copy.
                xref.unlink(route.entity, canonical_id, endpoint.system)
                xref.link(route.entity, survivor, endpoint.system, system_id, by="merge")
                store.forget_write(route.entity, survivor, endpoint.system)
                store.note_seen(route.entity, survivor, endpoint.system, moment)
                decisions.append(
                    Decision(RECORD, record.system, "merge", "relinked", system_id, survivor)
                )
                relinked = True
                continue
            rule: Literal["merge", "delete"] = "merge" if survivor else "delete"
            if endpoint.on_delete == "ignore":
                decisions.append(Decision(RECORD, record.system, rule, "ignored", system_id, None))
                continue
            if endpoint.on_delete == "delete":
                request = WriteRequest(
                    object_name=endpoint.object_name,
                    operation=WriteOperation.DELETE,
                    key=WriteKey(system_id=system_id),
                    fields={},
                    idempotency_key=f"{route.entity}:{canonical_id}:{endpoint.system}:delete",
                )
                outcome.commands.append(
                    Command(route.entity, canonical_id, endpoint.system, request, "deleted")
                )
                decisions.append(Decision(RECORD, record.system, rule, "deleted", system_id, None))
                continue
            if not archived:
                for name, value in route.archived.items():
                    golden.data[name] = value
                    golden.sources[name] = [record.system, moment.isoformat()]
                archived = True
            document = {**golden.data, "id": canonical_id, "external_ids": links}
            command = self._plan_write(
                store,
                route,
                endpoint,
                canonical_id,
                document,
                links,
                record,
                {},
                forced=frozenset(route.archived),
            )
            if command is not None:
                outcome.commands.append(command)
            decisions.append(Decision(RECORD, record.system, rule, "archived", system_id, None))
        store.save(golden)
        DecisionLog(connection).record(route.entity, canonical_id, decisions)
        if relinked and survivor is not None:
            outcome.commands.extend(self.replan(connection, route.entity, survivor).commands)
        return outcome

    def _identity(
        self,
        xref: Xref,
        store: GoldenStore,
        entity: str,
        source: Endpoint,
        record: RawRecord,
        incoming: dict[str, Any],
    ) -> tuple[str, bool]:
        known = xref.canonical_id(entity, record.system, record.id)
        if known is not None:
            return known, False
        pending = MatchReviews(xref.connection).pending_for(entity, record.system, record.id)
        if pending is not None:
            raise MatchReviewPendingError(entity, record.system, record.id, pending)
        stamped = incoming.get("id")
        if isinstance(stamped, str) and stamped:
            # The record carries our id (written back earlier): relink, never re-mint.
            xref.link(entity, stamped, record.system, record.id, by="stamp")
            return stamped, False
        reference = record.fields.get(source.external_field) if source.external_field else None
        if isinstance(reference, str) and reference:
            # It carries a reference one of our writes stamps (a short one that does not give
            # the id back): our own create, read before its answer was recorded.
            owner = store.by_reference(entity, record.system, reference)
            if owner is not None and xref.system_id(entity, owner, record.system) is None:
                xref.link(entity, owner, record.system, record.id, by="reference")
                return owner, False
        return xref.ensure(entity, record.system, record.id)

    def _plan_write(
        self,
        store: GoldenStore,
        route: EntityRoute,
        endpoint: Endpoint,
        canonical_id: str,
        document: dict[str, Any],
        links: dict[str, str],
        record: RawRecord,
        incoming: Mapping[str, Any],
        forced: frozenset[str] = frozenset(),
        behind: frozenset[str] = frozenset(),
        xref: Xref | None = None,
    ) -> Command | None:
        document = {name: value for name, value in document.items() if name != "updated_at"}
        accepted = set(endpoint.mapping.accepts)
        # Outbound lookups (a contact's account) resolve through the cross-reference.
        xref = xref or Xref(store.connection)
        full = endpoint.mapping.to_system(document, xref=xref)
        payload = {name: value for name, value in full.items() if name in accepted}
        exists = endpoint.system in links or endpoint.system == record.system
        if endpoint.external_field is not None and (endpoint.stamp_existing or not exists):
            # Stamp Causeway's reference on every copy: retried creates find it, and a
            # relinked record keeps its identity.
            reference = endpoint.reference(canonical_id, document)
            payload[endpoint.external_field] = reference
            full[endpoint.external_field] = reference
        # The hash stands for the whole copy the system holds once the write is done.
        digest = payload_hash(payload)
        if exists:
            # Never write a system's own fields to a record it holds: their values came from
            # it (or it left them blank), and writing them could undo an edit made there
            # since (a lost update). Creates carry everything, stand-ins included.
            payload = {
                name: value
                for name, value in payload.items()
                if not _owned_by_target(route.policy, endpoint, name, forced)
            }
        stamp = record.modified_at.isoformat() if record.modified_at else "unstamped"
        system_id = links.get(endpoint.system)
        if endpoint.system == record.system and endpoint.object_name == record.object_name:
            # The source's copy is at hand: write back only what differs from it, except
            # what it merely has not received yet (a write already on its way brings it).
            payload = {
                name: value
                for name, value in differing(payload, record.fields).items()
                if not _only_from(endpoint, name, behind)
            }
            if any(name not in record.fields for name in payload):
                # A field read back in another shape than it is written (Tryton's lines:
                # commands out, nested records in) is compared with the source's own copy,
                # mapped in and out again. Identity comes from the record alone, and the
                # reference stamp is always compared as read.
                known = {name: value for name, value in document.items() if name not in META_FIELDS}
                echoed = endpoint.mapping.to_system(known | dict(incoming), xref=xref)
                payload = {
                    name: value
                    for name, value in payload.items()
                    if name in record.fields
                    or name == endpoint.external_field
                    or not covers(echoed.get(name), value)
                }
            if not payload:
                store.record_write(route.entity, canonical_id, endpoint.system, digest)
                return None
            system_id = record.id
        elif store.written_hash(route.entity, canonical_id, endpoint.system) == digest:
            return None
        if system_id is not None:
            key = WriteKey(system_id=system_id)
        elif endpoint.external_field is not None:
            key = WriteKey(
                external_field=endpoint.external_field,
                external_value=endpoint.reference(canonical_id, document),
            )
            # The record may not exist yet: send what a create needs too (e.g. constants
            # such as a partner category that updates never touch).
            payload = {name: value for name, value in full.items() if value is not None} | payload
        else:
            raise LookupError(
                f"{route.entity} {canonical_id}: {endpoint.system} {endpoint.object_name} has "
                "neither a linked record nor an external id field to create one safely"
            )
        request = WriteRequest(
            object_name=endpoint.object_name,
            operation=WriteOperation.UPSERT,
            key=key,
            fields=payload,
            # Same change redelivered -> same key (deduplicated); a later change that happens
            # to restore an earlier state is a new intent and gets its own key.
            idempotency_key=(
                f"{route.entity}:{canonical_id}:{endpoint.system}:{digest[:16]}:"
                f"{record.system}:{record.id}@{stamp}"
            ),
        )
        sources = endpoint.mapping.outbound_sources
        sent = {
            name: document.get(name)
            for system_field in payload
            for name in sources.get(system_field, frozenset()) - META_FIELDS
        }
        # Planned is as good as sent: the command is published in this transaction.
        stamped = full.get(endpoint.external_field) if endpoint.external_field else None
        store.record_write(
            route.entity,
            canonical_id,
            endpoint.system,
            digest,
            str(stamped) if stamped else None,
            sent,
        )
        return Command(route.entity, canonical_id, endpoint.system, request, digest)

    def record_written(
        self, connection: Connection, command: Command, system_id: str | None
    ) -> None:
        """Bookkeeping after a successful write: link the record (what it carries was
        recorded when it was planned)."""
        if system_id:
            Xref(connection).link(command.entity, command.canonical_id, command.system, system_id)
        # Its hash and values were recorded when it was planned (a later plan may have
        # replaced them): nothing more to remember.
