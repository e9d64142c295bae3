"""CloudFormation's errors as the service sends them: a wire code, a message and an HTTP status."""

from __future__ import annotations

from .query import QueryError


def validation(message: str) -> QueryError:
    """ValidationError: what CloudFormation answers for most bad requests and missing stacks."""
    return QueryError("ValidationError", message)


def no_stack(name: str) -> QueryError:
    return validation(f"Stack with id {name} does not exist")


def no_change_set(name: str) -> QueryError:
    """Modelled as ChangeSetNotFoundException, whose wire code is ChangeSetNotFound (HTTP 404)."""
    return QueryError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", status=404)
