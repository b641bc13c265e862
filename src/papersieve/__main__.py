"""`python -m papersieve` runs the command-line interface."""

from papersieve.cli.main import main

if __name__ == "__main__":
    main()
