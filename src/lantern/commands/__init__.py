"""Command groups of the `lantern` CLI beyond the pipeline stages."""
