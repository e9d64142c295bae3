"""Every command of the local cloud: ``python -m localcloud``, ``rekognition-local`` and the demo.

The entry points check for the ``localcloud`` extra before importing anything that needs it.
"""
