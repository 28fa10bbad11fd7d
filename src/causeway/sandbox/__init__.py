"""Sandboxes: a Salesforce-compatible CRM and an S/4HANA-compatible ERP, faithful to the wire.

They import nothing from the rest of Causeway, so they stay honest stand-ins for systems
we do not own; users point their own integrations at them to rehearse go-live.
"""
