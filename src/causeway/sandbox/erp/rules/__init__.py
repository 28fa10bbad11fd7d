"""Business rules of the ERP sandbox: pricing, available-to-promise and credit management."""
