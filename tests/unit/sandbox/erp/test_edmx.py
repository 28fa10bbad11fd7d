"""The generated $metadata: EDMX 1.0 structure, facets and SAP annotations from the model."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from causeway.sandbox.erp.edmx import EDM, EDMX, METADATA, SAP, render_metadata
from causeway.sandbox.erp.model import ServiceModel
from causeway.sandbox.erp.system import SERVICES

NS = {"edmx": EDMX, "edm": EDM}


def _schema(service: ServiceModel) -> ET.Element:
    root = ET.fromstring(render_metadata(service))
    assert root.tag == f"{{{EDMX}}}Edmx"
    assert root.get("Version") == "1.0"
    services = root.find("edmx:DataServices", NS)
    assert services is not None
    assert services.get(f"{{{METADATA}}}DataServiceVersion") == "2.0"
    schema = services.find("edm:Schema", NS)
    assert schema is not None
    return schema


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_entity_type_matches_its_model(service: ServiceModel) -> None:
    schema = _schema(service)
    for entity in service.entity_types:
        element = schema.find(f"edm:EntityType[@Name='{entity.name}']", NS)
        assert element is not None
        keys = [ref.get("Name") for ref in element.findall("edm:Key/edm:PropertyRef", NS)]
        names = [prop.get("Name") for prop in element.findall("edm:Property", NS)]
        navs = [nav.get("Name") for nav in element.findall("edm:NavigationProperty", NS)]
        assert keys == list(entity.keys)
        assert names == [prop.name for prop in entity.properties]
        assert navs == [nav.name for nav in entity.navigations]


def test_facets_and_annotations() -> None:
    schema = _schema(next(svc for svc in SERVICES if svc.name == "API_SALES_ORDER_SRV"))
    order = schema.find("edm:EntityType[@Name='A_SalesOrderType']", NS)
    assert order is not None
    props = {prop.get("Name"): prop for prop in order.findall("edm:Property", NS)}
    assert props["SalesOrder"].get("MaxLength") == "10"
    assert props["SalesOrder"].get("Nullable") == "false"
    assert props["TotalNetAmount"].get("Precision") == "16"
    assert props["TotalNetAmount"].get("Scale") == "3"
    assert props["TotalNetAmount"].get(f"{{{SAP}}}creatable") == "false"
    assert props["CreationDate"].get("Type") == "Edm.DateTime"
    assert props["CreationDate"].get(f"{{{SAP}}}display-format") == "Date"
    assert props["LastChangeDateTime"].get("Type") == "Edm.DateTimeOffset"
    assert props["LastChangeDateTime"].get("ConcurrencyMode") == "Fixed"


def test_container_with_sets_associations_and_flags() -> None:
    schema = _schema(next(svc for svc in SERVICES if svc.name == "API_BILLING_DOCUMENT_SRV"))
    container = schema.find("edm:EntityContainer", NS)
    assert container is not None
    assert container.get(f"{{{METADATA}}}IsDefaultEntityContainer") == "true"
    billing = container.find("edm:EntitySet[@Name='A_BillingDocument']", NS)
    assert billing is not None
    assert billing.get(f"{{{SAP}}}creatable") == "false"
    assert billing.get(f"{{{SAP}}}pageable") == "true"
    associations = {assoc.get("Name") for assoc in schema.findall("edm:Association", NS)}
    sets = {assoc.get("Association") for assoc in container.findall("edm:AssociationSet", NS)}
    assert sets == {f"API_BILLING_DOCUMENT_SRV.{name}" for name in associations}
    assert len(associations) == 2
