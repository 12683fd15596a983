"""litdigest.store.store."""
