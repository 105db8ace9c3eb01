"""`python -m notedeck`."""

from .cli import main

main()
