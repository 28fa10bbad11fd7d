"""The S/4HANA-compatible ERP sandbox: SAP's OData v2 API services over a simulated SD module."""
