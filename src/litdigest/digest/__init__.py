"""litdigest.digest.build."""
