"""The API's routers: the token endpoint, health and one module per area of Causeway."""
