"""``python -m storyreel.cli``: the same as the ``storyreel`` console script."""

from storyreel.cli.app import main

main()
