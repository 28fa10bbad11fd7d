"""Create, update and delete through an entity set's rules, with SAP's default behaviour.

`StandardRules` covers entity sets without business logic: the client supplies the key,
audit fields are stamped, deep-inserted children inherit the parent's key.
"""

from __future__ import annotations

from causeway.sandbox.erp.errors import ODataError, bad_request, not_found
from causeway.sandbox.erp.model import EntityType
from causeway.sandbox.erp.payload import Payload, require
from causeway.sandbox.erp.store import DuplicateKeyError, Record, key_of, key_text
from causeway.sandbox.erp.system import EntityRules, Erp, entity_type


def method_not_allowed(entity: EntityType, action: str) -> ODataError:
    """405 for an operation the real service does not offer on this entity set."""
    return ODataError(
        405,
        "/IWBEP/CM_MGW_RT/031",
        f"Method '{action}' not implemented for entity set '{entity.entity_set}'",
        entity=entity.entity_set,
    )


def blank_record(entity: EntityType) -> Record:
    """A record with every property initial (None)."""
    return {prop.name: None for prop in entity.properties}


class StandardRules:
    """Plain create/update/delete with client-supplied keys."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Insert the entity and its deep-inserted children."""
        record = blank_record(entity) | payload.values
        for name in entity.keys:
            require(entity, record, (name,))
        require(entity, record)
        erp.stamp(entity, record, created=True)
        insert(erp, entity, record)
        create_children(erp, entity, record, payload)
        return record

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Apply the changes and stamp the change fields."""
        record = current | changes
        require(entity, record)
        erp.stamp(entity, record, created=False)
        erp.store.replace(entity, record)
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Remove the entity."""
        erp.store.delete(entity, key_of(entity, current))


def insert(erp: Erp, entity: EntityType, record: Record) -> None:
    """Insert, turning a duplicate key into the 400 SAP answers."""
    try:
        erp.store.insert(entity, record)
    except DuplicateKeyError as error:
        raise ODataError(
            400, "/IWBEP/CM_MGW_RT/005",
            f"{entity.entity_set} {', '.join(error.key)} already exists",
            entity=entity.entity_set, record="/".join(error.key),
        ) from error


def create_children(erp: Erp, entity: EntityType, record: Record, payload: Payload) -> None:
    """Create deep-inserted children, copying the join values from the new parent."""
    for nav_name, children in payload.children.items():
        nav = entity.navigation(nav_name)
        if nav is None:
            raise bad_request(f"Unknown navigation property '{nav_name}'")
        target = entity_type(nav.target_set)
        for child in children:
            for source, target_prop in nav.join:
                child.values[target_prop] = record.get(source)
            rules_for(erp, target).create(erp, target, child, record)


def rules_for(erp: Erp, entity: EntityType) -> EntityRules:
    """The rules registered for the entity set, or the standard ones."""
    return erp.rules.get(entity.entity_set, STANDARD)


def create(erp: Erp, entity: EntityType, payload: Payload, parent: Record | None) -> Record:
    """POST: create one entity (and deep-inserted children) in one transaction."""
    if not entity.creatable:
        raise method_not_allowed(entity, "POST")
    with erp.store.transaction():
        record = rules_for(erp, entity).create(erp, entity, payload, parent)
        erp.store.log_change(entity, record, "I", erp.clock.now().isoformat())
    return record


def update(erp: Erp, entity: EntityType, key: tuple[str, ...], changes: Record) -> Record:
    """PUT/PATCH/MERGE: change one entity; key properties cannot change."""
    if not entity.updatable:
        raise method_not_allowed(entity, "PATCH")
    for name in entity.keys:
        if name in changes and key_text(changes[name]) != key[entity.keys.index(name)]:
            raise bad_request(f"Key property '{name}' cannot be changed", entity=entity.entity_set)
        changes.pop(name, None)
    with erp.store.transaction():
        current = erp.store.get(entity, key)
        if current is None:
            raise not_found(entity.entity_set, "/".join(key))
        record = rules_for(erp, entity).update(erp, entity, current, changes)
        erp.store.log_change(entity, record, "U", erp.clock.now().isoformat())
    return record


def delete(erp: Erp, entity: EntityType, key: tuple[str, ...]) -> None:
    """DELETE: remove one entity where the service allows it."""
    if not entity.deletable:
        raise method_not_allowed(entity, "DELETE")
    with erp.store.transaction():
        current = erp.store.get(entity, key)
        if current is None:
            raise not_found(entity.entity_set, "/".join(key))
        rules_for(erp, entity).delete(erp, entity, current)
        erp.store.log_change(entity, current, "D", erp.clock.now().isoformat())


STANDARD = StandardRules()
