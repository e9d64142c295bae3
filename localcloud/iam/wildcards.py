"""IAM's wildcard matching: ``*`` any run of characters, ``?`` exactly one, as policies use them.

Actions match case-insensitively (``S3:getobject`` is ``s3:GetObject``); resources, ``StringLike`` and
ARN components case-sensitively. In a Resource a wildcard crosses ``/`` and ``:`` alike, so
``arn:aws:s3:::bucket/*`` covers every key below the bucket, nested or not.

Policy variables (``${aws:username}``) are out of scope: this evaluator does not substitute them. A
pattern holding one is matched with the variable as ``*``; if even that cannot match the answer is
FALSE, otherwise it is UNKNOWN, never TRUE (see ``truth``). The escapes ``${*}``, ``${?}`` and ``${$}``
stand for a literal ``*``, ``?`` and ``$`` and are honoured.
"""

from __future__ import annotations

import functools
import re

from .truth import Truth

_ESCAPES = {"${*}": "*", "${?}": "?", "${$}": "$"}
# A policy variable, ${aws:username} or ${aws:username, 'default'}: anything between ${ and }.
_TOKEN = re.compile(r"\$\{[^}]*\}|\*|\?")


def has_policy_variable(text: str) -> bool:
    """Whether ``text`` holds a policy variable (the escapes ``${*}``, ``${?}``, ``${$}`` are none)."""
    return any(token.startswith("${") and token not in _ESCAPES for token in _TOKEN.findall(text))


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str, ignore_case: bool, glob: bool) -> re.Pattern[str]:
    """The pattern as a regular expression; a policy variable becomes ``.*`` (the relaxed reading).

    ``glob`` False reads ``*`` and ``?`` literally (StringEquals with a variable in its value)."""
    parts: list[str] = []
    position = 0
    for token in _TOKEN.finditer(pattern):
        parts.append(re.escape(pattern[position : token.start()]))
        text = token.group()
        if text in _ESCAPES:
            parts.append(re.escape(_ESCAPES[text]))
        elif text.startswith("${"):
            parts.append(".*")
        elif not glob:
            parts.append(re.escape(text))
        else:
            parts.append(".*" if text == "*" else ".")
        position = token.end()
    parts.append(re.escape(pattern[position:]))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def matches(pattern: str, value: str, *, ignore_case: bool = False, glob: bool = True) -> Truth:
    """Whether ``value`` matches ``pattern`` as a whole: TRUE, FALSE, or UNKNOWN when only the policy
    variables in ``pattern`` could make it match."""
    if not _compile(pattern, ignore_case, glob).fullmatch(value):
        return Truth.FALSE
    return Truth.UNKNOWN if has_policy_variable(pattern) else Truth.TRUE


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action/NotAction entry (``s3:Get*``, ``*``) covers ``action`` (``s3:GetObject``).

    Case-insensitive, as IAM matches actions; policy variables are not allowed in actions, so an entry
    holding one matches nothing."""
    return matches(pattern, action, ignore_case=True) is Truth.TRUE


def resource_matches(pattern: str, arn: str) -> Truth:
    """Whether a Resource/NotResource entry covers ``arn`` (case-sensitive; ``*`` crosses ``/`` and ``:``)."""
    return matches(pattern, arn)


def arn_matches(pattern: str, arn: str) -> Truth:
    """ArnLike/ArnEquals: each of the six colon-separated components matched on its own.

    A wildcard in one component does not reach into the next (``arn:aws:s3:*`` is not
    ``arn:aws:s3::*:x``); the last component (the resource) may hold colons of its own. A value that is
    not an ARN matches no ARN pattern, nor does a pattern of fewer components; a pattern that is no ARN
    at all (``*``) is matched as a whole."""
    pattern_parts = pattern.split(":", 5)
    if len(pattern_parts) < 6:
        return Truth.FALSE if pattern.startswith("arn:") else matches(pattern, arn)
    arn_parts = arn.split(":", 5)
    if len(arn_parts) < 6:
        return Truth.FALSE
    results = [matches(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True)]
    if Truth.FALSE in results:
        return Truth.FALSE
    return Truth.UNKNOWN if Truth.UNKNOWN in results else Truth.TRUE
