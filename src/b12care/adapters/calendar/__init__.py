"""Calendar feeds (RFC 5545 .ics) of a patient's coming injections and reviews."""
