"""Tryton over JSON-RPC: parties, products and sales, polled by watermark, written idempotently."""

from causeway.connectors.tryton.client import TrytonClient, TrytonSettings
from causeway.connectors.tryton.connector import TrytonConnector

__all__ = ["TrytonClient", "TrytonConnector", "TrytonSettings"]
