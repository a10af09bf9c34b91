"""Teams and sign-in: roles, the access check against a record's team, membership, SSO, API
tokens and the account pages."""
