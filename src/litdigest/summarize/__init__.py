"""litdigest.summarize."""
