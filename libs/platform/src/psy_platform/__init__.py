"""Shared plumbing of the services: settings, logging, database, outbox, consumers, auth, HTTP."""
