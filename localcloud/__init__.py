"""The embedded local cloud: run this project's stacks offline."""
