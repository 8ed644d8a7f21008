"""One module per ``python -m trainer`` sub-command: ``add_arguments(parser)`` and ``run(args)``."""
