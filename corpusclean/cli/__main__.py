"""``python -m corpusclean.cli``: the same as the ``corpusclean`` command."""

from corpusclean.cli import main

main()
