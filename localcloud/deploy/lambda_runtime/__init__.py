"""Invoke a Python Lambda handler from its code folder, in a fresh process each time (a cold start).

The process is as close to the Lambda Python runtime as a laptop allows:

- ``sys.path`` is the code folder first, then ``extra_sys_path`` (think layers), then the standard library
  and site-packages; this repository, the caller's working directory and editable installs are hidden,
  so the handler sees only its bundle and installed libraries. The working directory is the code folder.
- the Lambda environment variables are set on top of ``base_env`` (or ``os.environ``), then the
  function's own ``environment``; the keys Lambda reserves are refused there, as CreateFunction would.
- the root logger gets one handler writing to stdout in the runtime's format (without it, crhelper's logs
  vanish); its level stays WARNING unless the handler changes it, as in Lambda.
- the context has the usual fields, ``get_remaining_time_in_millis()`` counts down from the function's
  timeout, and the handler is cut off at the timeout ("Task timed out after N.00 seconds").
- only loopback network is reachable: any other connect fails at once (no stray calls to real AWS, no
  waiting on the instance metadata service).
- with a ``clock`` (local time and its rate), ``time.time()`` in the handler reads the local cloud's
  time. The execution timeout stays in real seconds (a process cannot start faster).
- after the handler returns, the process ends at once, as a frozen Lambda sandbox would stop running:
  leftover threads (crhelper's timeout timer, for one) never get to act.

Processes are forked from a fork server that has imported boto3 and loaded botocore's models once
(``sandbox``), unless the function bundles its own boto3 or botocore. The result (or the error, shaped as
Lambda reports it) travels through a file of its own, so nothing the handler prints can corrupt it.
``host`` is the invoking side, ``processes`` starts the sandbox processes, ``sandbox`` (standard library
only) is what runs inside them.
"""

from .host import (
    INIT_ALLOWANCE_SECONDS,
    RESERVED_ENVIRONMENT,
    FunctionConfig,
    Invocation,
    invoke,
    lambda_environment,
)
from .processes import warm_up_soon

__all__ = [
    "INIT_ALLOWANCE_SECONDS",
    "RESERVED_ENVIRONMENT",
    "FunctionConfig",
    "Invocation",
    "invoke",
    "lambda_environment",
    "warm_up_soon",
]
