"""A generator of good, odd and hostile files for the avatar intake tests."""
