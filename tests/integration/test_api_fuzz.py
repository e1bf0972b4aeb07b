"""Fuzz the HTTP service from its own OpenAPI schema (schemathesis), against a real server: no 5xx, every
response as documented (status, content type, body schema). Examples per operation are bounded for CI.

The schema is loaded from the live server inside the test (schemathesis' pytest fixture loader does
not run on pytest 9), and each operation's strategy is driven by Hypothesis directly."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.apiserver import served

EXAMPLES = 40
CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance, openapi_checks.content_type_conformance,
          openapi_checks.response_schema_conformance]


def test_no_server_errors_and_responses_match_the_schema(tmp_path, image_model):
    with served(tmp_path, image_model) as api:
        schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
        auth = {"Authorization": f"Bearer {api.token}"}
        tried: dict[str, set[int]] = {}
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def run(case: schemathesis.Case) -> None:
                response = case.call(headers=auth, timeout=60)
                case.validate_response(response, checks=CHECKS)
                assert "Traceback" not in response.text
                if response.status_code >= 400:
                    assert response.json()["error"]
                tried.setdefault(operation.label, set()).add(response.status_code)

            run()
        assert {"GET /v1/search", "POST /v1/similar", "GET /v1/thumbnail", "GET /metrics",
                "POST /v1/collections/{name}/reindex", "GET /healthz"} <= set(tried)
        assert 200 in tried["GET /v1/search"]  # the fuzzer reached real searches, not only refusals
