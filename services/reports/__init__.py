"""Confidential reporting of sexism (issue 6): policies, envelope encryption, codes, audit, the service."""
from services.reports.codes import ArgonParams, CodeHasher
from services.reports.crypto import MasterKeys, ReportCryptoError
from services.reports.policy import Policies, PolicyError, load_policies
from services.reports.service import (
    Draft,
    FollowUpRefused,
    Reporter,
    ReportInputError,
    ReportNotFound,
    ReportService,
)

__all__ = [
    "ArgonParams", "CodeHasher", "Draft", "FollowUpRefused", "MasterKeys", "Policies", "PolicyError",
    "ReportCryptoError", "ReportInputError", "ReportNotFound", "ReportService", "Reporter", "load_policies",
]
