"""Operations: health, metrics, backup and restore (docs/operations.md)."""
