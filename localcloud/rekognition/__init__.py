"""Offline Amazon Rekognition Custom Labels emulator (usable on its own, without this project's CDK code)."""

from ..clock import Clock, ManualClock, SystemClock
from .errors import ServiceError
from .faults import Faults
from .service import CustomLabelsService, Durations, Quotas

__all__ = [
    "Clock",
    "CustomLabelsService",
    "Durations",
    "Faults",
    "ManualClock",
    "Quotas",
    "ServiceError",
    "SystemClock",
]
