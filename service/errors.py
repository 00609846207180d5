"""Failures the service reports to callers, each with an HTTP status and a plain message."""

from __future__ import annotations


class KhabarError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class InvalidRequest(KhabarError):
    status = 422
    code = "invalid_request"


class UnknownProvider(InvalidRequest):
    code = "unknown_provider"


class ProviderNotAllowed(KhabarError):
    status = 403
    code = "provider_not_allowed"


class ArticleTooLarge(KhabarError):
    status = 413
    code = "article_too_large"


class ProviderBusy(KhabarError):
    status = 503
    code = "provider_busy"


class ProviderUnavailable(KhabarError):
    status = 502
    code = "provider_unavailable"


class ProviderTimeout(KhabarError):
    status = 504
    code = "provider_timeout"


class InvalidModelOutput(KhabarError):
    status = 502
    code = "invalid_model_output"


class JobsUnavailable(KhabarError):
    status = 503
    code = "jobs_unavailable"


class JobNotFoundError(KhabarError):
    status = 404
    code = "job_not_found"
