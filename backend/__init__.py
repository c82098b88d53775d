"""Regional e-health card and appointment service."""
