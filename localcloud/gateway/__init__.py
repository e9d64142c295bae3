"""One endpoint for the whole local cloud: the emulator and moto behind one loopback port.

``LocalCloud`` serves it on a background thread; ``ServedCloud`` is a client of one that another
process serves. Everything above (deploy engine, CloudFormation API, saved state, commands) reaches AWS
through here; this package knows nothing of them (they plug in their CloudFormation handlers).
"""
