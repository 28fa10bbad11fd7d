"""Describe results (global, basic info, full) in the shapes of REST API v60.0."""

from __future__ import annotations

from typing import Any

from causeway.sandbox.crm.schema import SOAP_TYPES, Catalog, FieldDef, SObjectDef


def _urls(version: str, obj: SObjectDef) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def object_summary(version: str, obj: SObjectDef) -> dict[str, Any]:
    """An entry of the global describe, also the `objectDescribe` of basic info."""
    writable = obj.createable
    return {
        "activateable": False, "associateEntityType": None, "associateParentEntity": None,
        "createable": writable, "custom": obj.custom, "customSetting": False,
        "deepCloneable": False, "deletable": writable, "deprecatedAndHidden": False,
        "feedEnabled": False, "hasSubtypes": False, "isInterface": False,
        "isSubtype": False, "keyPrefix": obj.key_prefix, "label": obj.label,
        "labelPlural": obj.label_plural, "layoutable": True, "mergeable": False,
        "mruEnabled": True, "name": obj.name, "queryable": True, "replicateable": True,
        "retrieveable": True, "searchable": True, "triggerable": writable,
        "undeletable": writable, "updateable": writable, "urls": _urls(version, obj),
    }


def global_describe(version: str, catalog: Catalog) -> dict[str, Any]:
    """GET /sobjects."""
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [object_summary(version, obj) for obj in catalog]}


def field_describe(field: FieldDef) -> dict[str, Any]:
    """One entry of `fields` in a full describe."""
    kind = field.type
    numeric = kind in ("currency", "double", "percent", "int")
    text_like = not numeric and kind not in ("boolean", "date", "datetime")
    filterable = kind != "textarea" or field.length <= 255
    return {
        "aggregatable": kind not in ("boolean", "textarea"), "autoNumber": field.auto_number,
        "byteLength": field.length * 3 if text_like else 0, "calculated": field.calculated,
        "calculatedFormula": None, "cascadeDelete": False, "caseSensitive": False,
        "controllerName": None, "createable": field.createable, "custom": field.custom,
        "defaultValue": field.default if kind != "boolean" else bool(field.default),
        "defaultValueFormula": None,
        "defaultedOnCreate": field.default is not None or kind == "boolean" or field.auto_number
        or field.name in ("Id", "CreatedDate", "CreatedById", "LastModifiedDate",
                          "LastModifiedById", "SystemModstamp", "IsDeleted"),
        "dependentPicklist": False, "deprecatedAndHidden": False,
        "digits": field.precision if kind == "int" else 0, "displayLocationInDecimal": False,
        "encrypted": False, "externalId": field.external_id, "extraTypeInfo": None,
        "filterable": filterable, "filteredLookupInfo": None, "groupable": filterable
        and not numeric, "highScaleNumber": False, "htmlFormatted": False,
        "idLookup": field.name == "Id" or field.external_id, "inlineHelpText": None,
        "label": field.display_label, "length": field.length if text_like else 0,
        "mask": None, "maskType": None, "name": field.name, "nameField": field.name_field,
        "namePointing": False, "nillable": field.nillable and kind != "boolean",
        "permissionable": field.nillable and field.createable and not field.calculated,
        "picklistValues": [
            {"active": True, "defaultValue": value == field.default, "label": value,
             "validFor": None, "value": value}
            for value in field.picklist_values
        ],
        "polymorphicForeignKey": False,
        "precision": field.precision if kind in ("currency", "double", "percent") else 0,
        "queryByDistance": False, "referenceTargetField": None,
        "referenceTo": list(field.reference_to), "relationshipName": field.relationship_name,
        "relationshipOrder": None, "restrictedDelete": False,
        "restrictedPicklist": field.restricted_picklist,
        "scale": field.scale if kind in ("currency", "double", "percent") else 0,
        "searchPrefilterable": False, "soapType": SOAP_TYPES[kind],
        "sortable": filterable, "type": kind, "unique": field.unique,
        "updateable": field.updateable, "writeRequiresMasterRead": False,
    }


def full_describe(version: str, obj: SObjectDef) -> dict[str, Any]:
    """GET /sobjects/{type}/describe."""
    result = object_summary(version, obj)
    result.update({
        "actionOverrides": [], "childRelationships": [
            {"cascadeDelete": False, "childSObject": child.child, "deprecatedAndHidden": False,
             "field": child.field, "junctionIdListNames": [], "junctionReferenceTo": [],
             "relationshipName": child.relationship_name, "restrictedDelete": False}
            for child in obj.children
        ],
        "compactLayoutable": True, "defaultImplementation": None, "extendedBy": None,
        "extendsInterfaces": None, "fields": [field_describe(f) for f in obj.fields.values()],
        "implementedBy": None, "implementsInterfaces": None, "listviewable": None,
        "lookupLayoutable": None, "namedLayoutInfos": [], "networkScopeFieldName": None,
        "recordTypeInfos": [{
            "active": True, "available": True, "defaultRecordTypeMapping": True,
            "developerName": "Master", "master": True, "name": "Master",
            "recordTypeId": "012000000000000AAA", "urls": {},
        }],
        "searchLayoutable": True, "sobjectDescribeOption": "FULL", "supportedScopes": [
            {"label": "All " + obj.label_plural.lower(), "name": "everything"}],
    })
    result["urls"].update({
        "compactLayouts": f"/services/data/v{version}/sobjects/{obj.name}/describe/compactLayouts",
        "layouts": f"/services/data/v{version}/sobjects/{obj.name}/describe/layouts",
    })
    return result
