"""A record's documents: the report and its history page, the brief, findings, the PDF, the
spreadsheets, the JSON exchange, and the autonomy scales the report cites."""
