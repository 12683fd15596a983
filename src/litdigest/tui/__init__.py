"""The review app (``litdigest review``), built with Textual."""
