"""The record domain every package shares: the guard that keeps approved and published records
unchanged, locks, the hash chain, history, validators, and the selectors (reads) and services
(writes) of assessments and their answers."""
