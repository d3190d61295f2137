"""`python -m sunlight` runs the command line."""

from sunlight.cli import main

main()
