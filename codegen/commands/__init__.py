"""One module per ``herald`` subcommand; shared flags live in :mod:`codegen.commands.options`."""
