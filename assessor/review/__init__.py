"""Review and sign-off: submit, approve, return and reassess (services and views), and the
emails they send."""
