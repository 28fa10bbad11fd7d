"""Integration tests of the connectors against real or sandbox systems."""
