"""What tests import: the ``localcloud`` pytest plugin, for this project's tests and for users' own."""
