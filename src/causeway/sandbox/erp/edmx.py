"""Generate the EDMX 1.0 / OData 2.0 $metadata document of a service from its `ServiceModel`.

The document carries the SAP annotations (sap:creatable, sap:updatable, sap:label, ...)
that generated clients and SAP's own tooling read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache

from causeway.sandbox.erp.model import (
    EntityType,
    Navigation,
    Property,
    ServiceModel,
    association_name,
)

EDMX = "http://schemas.microsoft.com/ado/2007/06/edmx"
EDM = "http://schemas.microsoft.com/ado/2008/09/edm"
METADATA = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
SAP = "http://www.sap.com/Protocols/SAPData"

for _prefix, _uri in (("edmx", EDMX), ("m", METADATA), ("sap", SAP)):
    ET.register_namespace(_prefix, _uri)


def _edm(tag: str) -> str:
    # EDM elements stay unqualified under Schema's default xmlns, as SAP Gateway writes them.
    return tag


def _sap(name: str) -> str:
    return f"{{{SAP}}}{name}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _property(parent: ET.Element, prop: Property) -> None:
    attrs = {"Name": prop.name, "Type": str(prop.type)}
    if not prop.nullable:
        attrs["Nullable"] = "false"
    if prop.max_length is not None:
        attrs["MaxLength"] = str(prop.max_length)
    if prop.precision is not None:
        attrs["Precision"] = str(prop.precision)
    if prop.scale is not None:
        attrs["Scale"] = str(prop.scale)
    if prop.concurrency:
        attrs["ConcurrencyMode"] = "Fixed"
    element = ET.SubElement(parent, _edm("Property"), attrs)
    if prop.display_format:
        element.set(_sap("display-format"), prop.display_format)
    if prop.unit:
        element.set(_sap("unit"), prop.unit)
    if prop.label:
        element.set(_sap("label"), prop.label)
    if not prop.creatable:
        element.set(_sap("creatable"), "false")
    if not prop.updatable:
        element.set(_sap("updatable"), "false")
    if not prop.sortable:
        element.set(_sap("sortable"), "false")
    if not prop.filterable:
        element.set(_sap("filterable"), "false")
    if prop.semantics:
        element.set(_sap("semantics"), prop.semantics)


def _entity_type(schema: ET.Element, service: ServiceModel, entity: EntityType) -> None:
    element = ET.SubElement(schema, _edm("EntityType"), {"Name": entity.name})
    element.set(_sap("label"), entity.label)
    element.set(_sap("content-version"), "1")
    key = ET.SubElement(element, _edm("Key"))
    for name in entity.keys:
        ET.SubElement(key, _edm("PropertyRef"), {"Name": name})
    for prop in entity.properties:
        _property(element, prop)
    for nav in entity.navigations:
        assoc = association_name(entity, nav)
        ET.SubElement(
            element,
            _edm("NavigationProperty"),
            {
                "Name": nav.name,
                "Relationship": f"{service.namespace}.{assoc}",
                "FromRole": f"FromRole_{assoc}",
                "ToRole": f"ToRole_{assoc}",
            },
        )


def _target(service: ServiceModel, nav: Navigation) -> EntityType:
    target = service.entity_set(nav.target_set)
    if target is None:
        raise ValueError(f"{service.name}: navigation {nav.name} targets unknown {nav.target_set}")
    return target


def _association(
    schema: ET.Element, service: ServiceModel, entity: EntityType, nav: Navigation
) -> None:
    assoc = association_name(entity, nav)
    target = _target(service, nav)
    element = ET.SubElement(schema, _edm("Association"), {"Name": assoc})
    element.set(_sap("content-version"), "1")
    ET.SubElement(
        element,
        _edm("End"),
        {"Type": service.qualified(entity), "Multiplicity": "1", "Role": f"FromRole_{assoc}"},
    )
    ET.SubElement(
        element,
        _edm("End"),
        {
            "Type": service.qualified(target),
            "Multiplicity": "*" if nav.many else "0..1",
            "Role": f"ToRole_{assoc}",
        },
    )


def _container(schema: ET.Element, service: ServiceModel) -> None:
    container = ET.SubElement(schema, _edm("EntityContainer"), {"Name": service.container})
    container.set(f"{{{METADATA}}}IsDefaultEntityContainer", "true")
    container.set(_sap("supported-formats"), "atom json xlsx")
    for entity in service.entity_types:
        entity_set = ET.SubElement(
            container,
            _edm("EntitySet"),
            {"Name": entity.entity_set, "EntityType": service.qualified(entity)},
        )
        entity_set.set(_sap("creatable"), _flag(entity.creatable))
        entity_set.set(_sap("updatable"), _flag(entity.updatable))
        entity_set.set(_sap("deletable"), _flag(entity.deletable))
        entity_set.set(_sap("pageable"), "true")
        entity_set.set(_sap("addressable"), "true")
        entity_set.set(_sap("content-version"), "1")
    for entity in service.entity_types:
        for nav in entity.navigations:
            assoc = association_name(entity, nav)
            element = ET.SubElement(
                container,
                _edm("AssociationSet"),
                {"Name": assoc, "Association": f"{service.namespace}.{assoc}"},
            )
            for flag_name in ("creatable", "updatable", "deletable"):
                element.set(_sap(flag_name), "false")
            element.set(_sap("content-version"), "1")
            ET.SubElement(
                element, _edm("End"), {"EntitySet": entity.entity_set, "Role": f"FromRole_{assoc}"}
            )
            ET.SubElement(
                element, _edm("End"), {"EntitySet": nav.target_set, "Role": f"ToRole_{assoc}"}
            )


@cache
def render_metadata(service: ServiceModel) -> bytes:
    """The complete $metadata document (UTF-8 XML) for `service`."""
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "1.0"})
    data_services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    data_services.set(f"{{{METADATA}}}DataServiceVersion", "2.0")
    schema = ET.SubElement(
        data_services, _edm("Schema"), {"Namespace": service.namespace, "xmlns": EDM}
    )
    schema.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    schema.set(_sap("schema-version"), "1")
    for entity in service.entity_types:
        _entity_type(schema, service, entity)
    for entity in service.entity_types:
        for nav in entity.navigations:
            _association(schema, service, entity, nav)
    _container(schema, service)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=None)
    return body
