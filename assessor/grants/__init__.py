"""Autonomy grants: a signed, revocable statement that an approved record lets an agent run a
workflow (supervised or bounded ownership) until its review-by date, and the keys that sign
them. Runtimes check them through the JWKS, the revocation list and the OPA bundle."""
