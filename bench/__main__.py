"""``python -m bench``: print the benchmark tables (synthesis, then local deployment)."""

from . import deploy, synth

synth.main()
print()
deploy.main()
