"""Training: one plain loop for every model, and safetensors checkpoints (never pickles)."""
