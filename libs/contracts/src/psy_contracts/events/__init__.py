"""v1 event data models, one module per producing service."""
