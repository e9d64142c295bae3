"""Things to try the local cloud with: the generated shapes dataset, the example app's data, the probe.

Nothing here is part of the emulation; the demo and the tests use these, and so can a user.
"""
