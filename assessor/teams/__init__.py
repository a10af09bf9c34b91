"""Teams and sign-in: roles, the access check against a record's team, membership, SSO, API
tokens, the account pages and the team members page."""
