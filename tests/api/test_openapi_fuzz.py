"""Schemathesis against the served OpenAPI spec: generated requests (valid and invalid) to every operation.

Every response must be documented in the spec (status, content type, body schema), no request may
cause a 5xx, and operations guarded by keys must refuse calls without one. Bounded so it runs in
seconds: a fixed number of positive and negative examples per operation, derandomized. Uploads are
exempt from one check, "schema-valid data is accepted": a schema can say "binary", not "a readable
image", so random bytes are rightly refused (415/422) by the content checks.
(Schemathesis' own ``from_fixture`` loader does not run under pytest 9, so the operations are
walked here with its Python API.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from api.app import create_app
from api.services import Services
from assistant.settings import Settings
from tests.api.conftest import API, AUTH

EXAMPLES = 10
# Invalid data must be refused with one of these; 413 is how an over-long field that makes the body too big is refused.
REJECTIONS = ["400", "401", "404", "405", "413", "415", "422", "429"]


@pytest.fixture(scope="module")
def api_schema(settings: Settings, services: Services, stored: dict[str, str]):  # type: ignore[no-untyped-def]
    config = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}})
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(settings, API, services), config=config)


def failures_of(operation, mode: GenerationMode) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []
    uploads = any(body.media_type.startswith("multipart/") for body in operation.body)
    excluded = [positive_data_acceptance] if uploads else []

    @given(case=operation.as_strategy(generation_mode=mode, headers=AUTH))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        try:
            case.call_and_validate(excluded_checks=excluded)
        except (AssertionError, FailureGroup) as exc:  # how schemathesis reports failed checks
            found.append(f"{operation.method.upper()} {operation.path} ({mode}): {str(exc)[:600]}")

    try:
        run()
    except Unsatisfiable:  # nothing to vary, e.g. no invalid request exists for GET /healthz
        pass
    return found


def test_api_matches_its_openapi_spec(api_schema) -> None:  # type: ignore[no-untyped-def]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8
    failures = [f for op in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) for f in failures_of(op, mode)]
    assert not failures, "\n\n".join(failures[:8])
