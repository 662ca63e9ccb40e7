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
