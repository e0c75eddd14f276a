"""The GraphQL API over HTTP: strawberry on FastAPI, keys and roles, limits and shapes."""
