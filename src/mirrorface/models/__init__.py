"""Small PyTorch models, one per file, each with a typed config dataclass."""
