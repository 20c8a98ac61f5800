"""``python -m mlmon`` runs the CLI."""

from mlmon.cli import main

if __name__ == "__main__":
    main()
