"""The workbench's routes, one module per area; each exposes ``router`` (see web/app.py)."""
