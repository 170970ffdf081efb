"""Retrieval and answering over the index."""
