"""Data access: one module per table, each access pattern a named function with the index
it uses, on a shared DynamoDB client and pagination."""
