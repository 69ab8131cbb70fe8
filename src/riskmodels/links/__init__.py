"""The platform's own identity links and lists: hashed identifiers over time, shared counts and
velocity point-in-time, and blacklists with provenance and expiry."""
