"""CloudFormation's errors as the service sends them: a wire code, a message and an HTTP status."""

from __future__ import annotations

import functools

import botocore.model  # type: ignore[import-untyped, unused-ignore]
import botocore.session

from .query import QueryError, modelled_error


@functools.cache
def service_model() -> botocore.model.ServiceModel:
    """botocore's CloudFormation model: the operations' shapes and the errors' wire codes."""
    return botocore.session.get_session().get_service_model("cloudformation")


def modelled(name: str, message: str) -> QueryError:
    """A modelled error by its shape name (``AlreadyExistsException``), as the model puts it on the wire."""
    return modelled_error(service_model(), name, message)


def validation(message: str) -> QueryError:
    """ValidationError: what CloudFormation answers for most bad requests and missing stacks."""
    return QueryError("ValidationError", message)


def no_stack(name: str) -> QueryError:
    return validation(f"Stack with id {name} does not exist")


def no_change_set(name: str) -> QueryError:
    return modelled("ChangeSetNotFoundException", f"ChangeSet [{name}] does not exist")
