"""litdigest.review.decisions."""
