"""A customer directory reached over REST, synced through a connector configured in YAML alone."""
