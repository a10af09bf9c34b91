"""Reminders, digests and webhooks: what the app owes people and endpoints when something
happens, written to an outbox and delivered by workers of the task queue (django-q2)."""
