"""FHIR R4 import and export (fhir.resources R4B models at the boundary)."""
