"""Faces of b12care: the command line now; REST, CDS Hooks and the web app later."""
