"""CloudFormation's errors as the service sends them: a wire code, a message and an HTTP status."""

from __future__ import annotations

from .query import QueryError as ApiError


def validation(message: str) -> ApiError:
    """ValidationError: what CloudFormation answers for most bad requests and missing stacks."""
    return ApiError("ValidationError", message)


def no_stack(name: str) -> ApiError:
    return validation(f"Stack with id {name} does not exist")


def no_change_set(name: str) -> ApiError:
    """Modelled as ChangeSetNotFoundException, whose wire code is ChangeSetNotFound (HTTP 404)."""
    return ApiError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", status=404)


__all__ = ["ApiError", "no_change_set", "no_stack", "validation"]
