"""The dashboard: the list of records with its filters and exports, and the example records
a newcomer sees first."""
