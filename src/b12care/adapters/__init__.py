"""Adapters: the outside world behind the service's ports (the database now; FHIR, calendar later)."""
