"""litdigest.cli.app."""
