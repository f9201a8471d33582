"""The web workbench (`lantern serve`): pages and a JSON API over the CLI's own security."""
