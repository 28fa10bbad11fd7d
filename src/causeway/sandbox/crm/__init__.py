"""A Salesforce-compatible CRM sandbox: REST API v60.0, SOQL, OAuth, change events.

Integrations written against Salesforce run against it unchanged, so teams can rehearse
go-live, including outages and throttling, without a real org.
"""
