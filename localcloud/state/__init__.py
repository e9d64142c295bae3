"""A local cloud that outlives its process: the state directory, the saved cloud, drift and inventory.

``python -m localcloud`` keeps each stack's record and a snapshot of the whole cloud in one directory
(``Workspace``); ``inventory`` is what a cloud holds, and ``drift`` where records and cloud disagree.
"""
