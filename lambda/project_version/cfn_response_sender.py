"""The one response to CloudFormation: a JSON PUT to the pre-signed ResponseURL, retried until accepted.

crhelper ignores HTTP error statuses and keeps the *end* of a long Reason; here an error status is
retried, the Reason keeps its beginning (where the cause is), and the body fits CloudFormation's
4096 bytes. The URL is a credential: it is never logged, nor is any exception text that could hold it.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable
from http.client import HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import urlsplit

LOG = logging.getLogger(__name__)
MAX_BODY_BYTES = 4096
MAX_REASON_CHARS = 1000
TRUNCATED = " ...(truncated)"
ATTEMPTS = 5
# Worth another attempt: server trouble, throttling, timeouts. A 4xx such as an expired URL (403) is final.
RETRIABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class ResponseNotDelivered(RuntimeError):
    pass


def fit(body: dict[str, Any]) -> bytes:
    """The JSON body; a Reason too long for 4096 bytes keeps its longest beginning that fits."""
    reason = str(body.get("Reason", ""))
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[:MAX_REASON_CHARS] + TRUNCATED

    def encoded(text: str) -> bytes:
        return json.dumps({**body, "Reason": text}).encode()

    payload = encoded(reason)
    if len(payload) <= MAX_BODY_BYTES:
        return payload
    low, high = 0, len(reason)  # the longest prefix that fits, found by bisection (escapes vary in size)
    while low < high:
        middle = (low + high + 1) // 2
        if len(encoded(reason[:middle] + TRUNCATED)) <= MAX_BODY_BYTES:
            low = middle
        else:
            high = middle - 1
    return encoded(reason[:low] + TRUNCATED)


def put(url: str, body: dict[str, Any], *, sleep: Callable[[float], None] = time.sleep) -> None:
    payload = fit(body)
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    context = ssl.create_default_context()
    for attempt in range(1, ATTEMPTS + 1):
        connection = HTTPSConnection(parts.netloc, context=context, timeout=30)
        try:
            connection.request("PUT", target, body=payload, headers={"Content-Type": ""})
            status = connection.getresponse().status
        except (OSError, HTTPException) as error:
            LOG.warning("Response PUT attempt %d failed: %s", attempt, type(error).__name__)
        else:
            if 200 <= status < 300:
                LOG.info("CloudFormation accepted the %s response (HTTP %d)", body.get("Status"), status)
                return
            LOG.warning("Response PUT attempt %d answered HTTP %d", attempt, status)
            if status not in RETRIABLE_STATUS:
                break
        finally:
            connection.close()
        if attempt < ATTEMPTS:
            sleep(min(2 ** (attempt - 1), 8))
    raise ResponseNotDelivered(f"CloudFormation did not accept the response after {attempt} attempts")
