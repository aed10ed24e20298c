"""Rosters (花名册) → departments, positions and employees: parse.py stages and checks the rows without
a database, load.py resolves and writes them in the file's transaction, undo.py takes a batch back."""
