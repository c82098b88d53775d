"""Identity data protection: encryption at rest, keyed look-up hashes, masking, log scrubbing."""
