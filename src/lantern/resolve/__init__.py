"""Entity resolution: who is who across sources and forces, explained and reviewable."""
