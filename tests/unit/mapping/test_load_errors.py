"""Every configuration error names file, line and field, and is found when the file loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.errors import MappingConfigError
from causeway.mapping.loader import check_text, compile_text

from .samples import HEADER

Fail = Callable[[str], MappingConfigError]


def test_unknown_canonical_target_is_rejected_with_file_line_and_field(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party.name: Name
    party.nmae: Name2
""")
    assert error.file == str(Path("crm") / "mapping0.yaml")
    assert error.line == 9
    assert error.field == "party.nmae"
    assert str(error).startswith(f"{error.file}:9: field party.nmae: customer has no field")
    assert error.issues[0].code == "unknown_field"


def test_unknown_canonical_source_is_rejected_outbound(config_error: Fail) -> None:
    error = config_error(HEADER + """\
outbound:
  fields:
    Name: party.name
    City:
      source: addresses[0].town
""")
    assert (error.line, error.field) == (10, "City")
    assert "addresses[0].town" in error.message


def test_bad_expression_is_rejected_at_load_with_its_line(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party.name:
      expr: "Name &"
""")
    assert (error.line, error.field) == (9, "party.name")
    assert "bad expression at character" in error.message
    assert error.issues[0].code == "expression"


def test_unknown_function_in_expression_is_rejected(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party.name: {expr: "$proper(Name)"}
""")
    assert (error.line, error.field) == (8, "party.name")
    assert "$proper" in error.message


def test_every_problem_in_a_file_is_reported(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party.name: {source: Name, transform: titlecase}
    status: {source: Status, values: no_such_map}
    phone: {source: "Phone..Number"}
""")
    found = [(i.line, i.field, i.code) for i in error.issues]
    assert found == [(8, "party.name", "transform"), (9, "status", "value_map"),
                     (10, "phone", "path")]
    assert "(and 2 more)" in str(error)


def test_schema_errors_point_at_the_rule(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party.name:
      source: Name
      expr: Name
    lines: {each: Items}
""")
    assert [(i.line, i.field) for i in error.issues] == [(8, "party.name"), (11, "lines")]
    assert "exactly one of" in error.issues[0].message
    assert error.issues[0].code == "schema"


def test_misspelt_option_is_a_schema_error(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party.name: {source: Name, requird: true}
""")
    assert (error.line, error.field) == (8, "party.name")
    assert "Extra inputs" in error.message


def test_required_canonical_fields_must_be_mapped(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    phone: Phone
""")
    assert error.field == "party"
    assert error.issues[0].code == "required"


def test_inbound_value_map_must_give_enumeration_values(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party.name: Name
    status:
      source: Status
      values: {A: active, B: suspended}
""")
    assert (error.line, error.field) == (11, "status")
    assert "suspended" in error.message
    assert "CustomerStatus" in error.message


def test_outbound_value_map_must_cover_the_enumeration(config_error: Fail) -> None:
    error = config_error(HEADER + """\
outbound:
  fields:
    Status:
      source: status
      values: {active: A, blocked: B}
""")
    assert (error.line, error.field) == (10, "Status")
    assert "archived" in error.message


def test_outbound_value_map_with_otherwise_or_keep_is_complete(
    compile_yaml: Callable[[str], CompiledMapping],
) -> None:
    for fallback in ("otherwise: X", "keep_unmapped: true"):
        mapping = compile_yaml(HEADER + f"""\
outbound:
  fields:
    Status:
      source: status
      values: {{active: A}}
      {fallback}
""")
        assert mapping.outbound is not None


def test_selector_values_are_checked_against_enumerations(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party.name: Name
    addresses[role=billng].city: City
""")
    assert (error.line, error.field) == (9, "addresses[role=billng].city")
    assert "billng" in error.message


def test_overlapping_targets_are_rejected(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party: {constant: {name: X}}
    party.name: Name
""")
    assert (error.line, error.field, error.issues[0].code) == (9, "party.name", "overlap")


def test_nested_rules_are_checked_against_the_element_model(config_error: Fail) -> None:
    error = config_error("""\
version: 1
system: erp
object: A_SalesOrder
canonical: sales_order
inbound:
  fields:
    customer_id: SoldToParty
    currency: TransactionCurrency
    order_date: SalesOrderDate
    lines:
      each: to_Item
      fields:
        line_number: SalesOrderItem
        sku: Material
        quantity: RequestedQuantity
        colour: Colour
""")
    assert (error.line, error.field) == (16, "lines[].colour")


def test_each_needs_a_list_of_objects(config_error: Fail) -> None:
    error = config_error(HEADER + """\
inbound:
  fields:
    party:
      each: Parties
      fields: {name: Name}
""")
    assert "not a list of objects" in error.message


def test_accepted_fields_must_be_targets(config_error: Fail) -> None:
    error = config_error(HEADER + """\
outbound:
  accepts: [Name, Nmae]
  fields:
    Name: party.name
""")
    assert (error.line, error.field, error.issues[0].code) == (7, "Nmae", "accepts")


def test_unknown_canonical_object_and_version(config_error: Fail) -> None:
    error = config_error(HEADER.replace("customer", "client") + "inbound: {fields: {a: b}}\n")
    assert (error.line, error.issues[0].code) == (4, "canonical")
    error = config_error(HEADER + "canonical_version: 2\ninbound: {fields: {party.name: N}}\n")
    assert error.line == 6
    assert "customer.v2" in error.message


def test_reads_and_when_are_checked(config_error: Fail) -> None:
    error = config_error(HEADER + """\
outbound:
  fields:
    Label:
      expr: "party.name"
      reads: [party.title]
    City:
      source: addresses[0].city
      when: addresses[0].zip
""")
    assert [(i.line, i.field) for i in error.issues] == [(10, "Label"), (13, "City")]


def test_brackets_in_flow_style_need_quotes(config_error: Fail) -> None:
    error = config_error(HEADER + """\
outbound:
  fields:
    City: {source: addresses[0].city}
""")
    assert error.issues[0].code == "syntax"
    assert error.line == 8


@pytest.mark.parametrize(("text", "message"), [
    ("system: crm\nobject: A\ncanonical: customer\n", "define `inbound`, `outbound` or both"),
    (HEADER + "inbound:\n  accepts: [A]\n  fields: {party.name: N}\n", "belongs to the outbound"),
    (HEADER + "inbound: {fields: {party.name: {source: N, otherwise: x}}}\n", "belong with"),
    (HEADER + "version: 2\n", "version"),
])
def test_document_level_rules(text: str, message: str) -> None:
    with pytest.raises(MappingConfigError, match=message):
        compile_text(text, "doc.yaml")


def test_check_text_returns_issues_instead_of_raising() -> None:
    mapping, issues = check_text("a: [", "broken.yaml")
    assert mapping is None
    assert issues[0].describe().startswith("broken.yaml:1:")
