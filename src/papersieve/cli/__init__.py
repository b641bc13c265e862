"""The command-line interface: thin commands over the library. Only here do errors become exit codes."""
