"""The network: resolved people and the typed, evidenced ties between them; groups; key players."""
