"""The ``clinrag`` command line (a shell, floor 3): ``cli.main.main`` is the console script."""
