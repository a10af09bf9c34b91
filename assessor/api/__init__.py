"""The REST API at /api/v1/ (Django REST framework, schema by drf-spectacular).

Every view looks records up through `access`, reads through `selectors` and writes through
`services` (the review workflow through `review`), as the web pages do, so the API has the
same team and role rules and the same workflow checks.
"""
