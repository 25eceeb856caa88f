"""CDS Hooks 2.0 adapters: EHR trust (JWT), issuer settings, prefetch and FHIR look-ups, draft orders."""
