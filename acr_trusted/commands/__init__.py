"""One module per ``acr-trusted`` command (see ``acr_trusted.cli.COMMANDS``)."""
