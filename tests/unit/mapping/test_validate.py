"""`validate_configuration` reports every issue of a folder, each with file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from causeway.mapping.errors import MappingConfigError
from causeway.mapping.loader import load_mappings, shipped_mappings_folder
from causeway.mapping.spec import export_mapping_schema
from causeway.mapping.validate import validate_configuration

GOOD = """\
version: 1
system: crm
object: Account
canonical: customer
inbound:
  fields:
    party.name: Name
"""


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_folder_with_problems(tmp_path: Path) -> None:
    write(tmp_path, "crm/account.customer.yaml", GOOD)
    write(tmp_path, "crm/copy.customer.yaml", GOOD)
    write(tmp_path, "crm/broken.yaml", "system: [\n")
    write(tmp_path, "erp/wrong_folder.yaml", GOOD.replace("Account", "Other"))
    write(tmp_path, "crm/bad_field.yml", GOOD.replace("party.name", "party.nom"))
    issues = validate_configuration(tmp_path)
    described = sorted(issue.describe() for issue in issues)
    assert described == sorted([
        "crm/broken.yaml:2: YAML syntax: expected the node content, but found '<stream end>'",
        "crm/bad_field.yml:7: field party.nom: customer has no field 'party.nom' "
        "(Party has name, name2, legal_form, search_term)",
        "crm/copy.customer.yaml: crm/Account/customer is already mapped in "
        "crm/account.customer.yaml",
        "erp/wrong_folder.yaml: system 'crm' lives in folder 'erp'",
    ])
    broken = next(i for i in issues if i.file == "crm/broken.yaml")
    assert (broken.line, broken.code) == (2, "syntax")
    assert next(i for i in issues if i.code == "layout").severity == "warning"


def test_empty_or_missing_folder(tmp_path: Path) -> None:
    assert validate_configuration(tmp_path)[0].code == "missing"
    assert validate_configuration(tmp_path / "nope")[0].message == "not a folder"


def test_load_mappings_raises_with_all_errors(tmp_path: Path) -> None:
    write(tmp_path, "crm/a.yaml", GOOD.replace("party.name", "party.nom"))
    write(tmp_path, "crm/b.yaml", GOOD.replace("Name", "Na me"))
    with pytest.raises(MappingConfigError) as caught:
        load_mappings(tmp_path)
    assert [i.file for i in caught.value.issues] == ["crm/a.yaml", "crm/b.yaml"]


def test_duplicate_mappings_refuse_to_load(tmp_path: Path) -> None:
    write(tmp_path, "crm/a.yaml", GOOD)
    write(tmp_path, "crm/b.yaml", GOOD)
    with pytest.raises(MappingConfigError) as caught:
        load_mappings(tmp_path)
    assert caught.value.issues[0].code == "duplicate"


def test_shipped_folder_is_package_data() -> None:
    folder = shipped_mappings_folder()
    assert (folder / "salesforce" / "account.customer.yaml").is_file()
    assert (folder / "s4hana" / "sales_order.sales_order.yaml").is_file()


def test_mapping_file_schema_export(tmp_path: Path) -> None:
    path = export_mapping_schema(tmp_path)
    schema = json.loads(path.read_text())
    assert path.name == "mapping.v1.schema.json"
    assert schema["$id"] == "urn:causeway:mapping:v1"
    assert {"system", "object", "canonical"} <= set(schema["required"])
    assert "from" in schema["$defs"]["LookupSpec"]["properties"]
