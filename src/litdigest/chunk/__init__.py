"""litdigest.chunk.chunker."""
