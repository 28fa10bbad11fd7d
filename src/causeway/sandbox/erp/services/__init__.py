"""Declarative models of the SAP API services the ERP sandbox publishes, one module each."""
