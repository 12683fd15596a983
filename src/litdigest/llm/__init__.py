"""litdigest.llm."""
