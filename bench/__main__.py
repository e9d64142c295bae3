"""``python -m bench``: print the benchmark tables."""

from .synth import main

main()
