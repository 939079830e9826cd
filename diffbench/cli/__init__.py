"""The ``diffbench`` command: one module per subcommand (``simulate``, ``list``, ``info``,
``export-emc``, ``bench``, ``view``); each module's docstring is its help text."""
