"""schemathesis hooks of scripts/api-conformance.sh.

Generated requests draw their `Idempotency-Key` from a few values, so most POSTs would reuse a
key with another body and get 422 `idempotency_key_reused` (api.md) instead of testing the
operation. A key valid by openapi.yaml gets a unique suffix, keeping it valid; an invalid one
(a negative case) is left as generated. (The coverage phase builds its requests without hooks;
schemathesis.toml lets its 422s be.)
"""

import re
import uuid

import schemathesis

HEADER = "Idempotency-Key"
# openapi.yaml's IdempotencyKey: 1-255 printable ASCII, no space at either end.
VALID_KEY = re.compile(r"[\x21-\x7E]([\x20-\x7E]{0,253}[\x21-\x7E])?")


@schemathesis.hook
def map_headers(context, headers):
    key = (headers or {}).get(HEADER)
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        # 200 + 1 + 36 characters, ending with a hex digit: still a valid key.
        headers[HEADER] = f"{key[:200]}-{uuid.uuid4()}"
    return headers


# A code as openapi.yaml's response descriptions name them: `session_not_found`.
CODE = re.compile(r"`([a-z][a-z0-9_]*)`")


def _resolved(document, definition):
    """A response definition, through its `$ref` to components/responses if it has one."""
    ref = definition.get("$ref", "")
    if not ref.startswith("#/"):
        return definition
    for part in ref[2:].split("/"):
        document = document[part]
    return document


@schemathesis.check
def problem_code_is_declared(ctx, response, case):
    """openapi.yaml names, in the description of each response of each operation, the problem
    codes it can carry; `code` is an open enum in the schema (clients must take unknown codes),
    so this check holds the descriptions to what the API answers."""
    if response.status_code < 400:
        return None
    found = case.operation.responses.find_by_status_code(response.status_code)
    if found is None:
        return None  # an undeclared status: status_code_conformance fails it
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None  # not a problem document: content_type_conformance and the schema check it
    definition = _resolved(case.operation.schema.raw_schema, dict(found.definition))
    declared = set(CODE.findall(definition.get("description", "")))
    if code not in declared:
        raise AssertionError(
            f"{response.status_code} with code {code!r}: openapi.yaml's response of "
            f"{case.operation.label} for this status names {sorted(declared)}"
        )
    return None
