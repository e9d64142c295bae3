"""``python -m bench``: print the benchmark tables (synthesis, local deployment, long trainings)."""

from . import deploy, long_training, synth

synth.main()
print()
deploy.main()
print()
long_training.main()
