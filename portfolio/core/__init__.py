"""Cross-cutting pieces every feature may use; imports no feature package."""
