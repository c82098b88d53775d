"""Dev/test-only helpers; not routed at all unless APP_ENV is dev or test."""
