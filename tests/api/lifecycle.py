"""The six steps of the API with a client generated from openapi.yaml by openapi-python-client.

Run by scripts/api-conformance.sh (`make generated-client`, a step of `make test`) with the
generated package `intake_api_client` on PYTHONPATH and the run's tenant key in
INTAKE_API_TENANT_KEY. Uploads three corpus invoices (UBL, CII, Factur-X PDF), and checks each
result against the corpus's expected extraction (../shared/expected/<same path>.json). Exits 1 at
the first step that does not answer as openapi.yaml says, or a result that differs; it never skips.
"""

import argparse
import json
import os
import pathlib
import sys
import time
import uuid

import httpx
from intake_api_client import AuthenticatedClient
from intake_api_client.api.jobs import get_job_result, get_job_status
from intake_api_client.api.sessions import confirm_upload, create_session, submit_extraction
from intake_api_client.models import (
    ContentType,
    CreateSessionRequest,
    FileSpec,
    JobAccepted,
    JobResult,
    JobState,
    JobStatus,
    Session,
    SessionStatus,
)

# Corpus files (relative to the corpus) and the content type each is declared with.
FILES = [
    ("en16931-cen-tc434/ubl/examples/ubl-tc434-example1.xml", ContentType.APPLICATIONXML),
    ("en16931-cen-tc434/cii/examples/CII_example1.xml", ContentType.APPLICATIONXML),
    ("akretion-factur-x/tests/fixtures/pdf/invoice_EN16931.pdf", ContentType.APPLICATIONPDF),
]
TERMINAL = {JobState.SUCCEEDED, JobState.PARTIALLY_FAILED, JobState.FAILED}
POLL_TIMEOUT_SECS = 180


class StepFailed(Exception):
    pass


def expect(response, status, model, step):
    """The parsed body of a response of `status`, which must be a `model`."""
    if response.status_code != status or not isinstance(response.parsed, model):
        raise StepFailed(
            f"{step}: expected {status} with a {model.__name__}, got {response.status_code}: "
            f"{response.content[:500]!r}"
        )
    return response.parsed


def differences(expected, actual, path="$"):
    """Where `actual` differs from `expected`; members `expected` lacks are extensions
    (result.md: more fields may be returned), absent or null members of `expected` are
    not in the document."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        found = []
        for key, value in expected.items():
            if value is None:
                if key in actual:
                    found.append(f"{path}.{key}: expected absent, got {actual[key]!r}")
            elif key not in actual:
                found.append(f"{path}.{key}: missing (expected {value!r})")
            else:
                found.extend(differences(value, actual[key], f"{path}.{key}"))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} entries, got {actual!r}"]
        found = []
        for index, (want, got) in enumerate(zip(expected, actual)):
            found.extend(differences(want, got, f"{path}[{index}]"))
        return found
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def run(url, key, corpus, expected_dir):
    """The six steps; returns the session's and the job's ids."""
    client = AuthenticatedClient(
        base_url=url,
        token=key,
        prefix="",
        auth_header_name="x-api-key",
        raise_on_unexpected_status=True,
        timeout=httpx.Timeout(60.0),
    )
    documents = [(path, content_type, (corpus / path).read_bytes()) for path, content_type in FILES]

    # 1. Create the session.
    request = CreateSessionRequest(
        files=[
            FileSpec(name=pathlib.Path(path).name, content_type=content_type, size=len(data))
            for path, content_type, data in documents
        ]
    )
    session = expect(create_session.sync_detailed(client=client, body=request), 201, Session, "create session")
    if session.status != SessionStatus.AWAITING_UPLOAD or len(session.files) != len(documents):
        raise StepFailed(f"create session: unexpected session {session.to_dict()}")
    print(f"1. session {session.id}: {len(session.files)} files awaiting upload")

    # 2. Upload each file's bytes to its pre-signed URL with exactly its headers.
    with httpx.Client(timeout=60.0) as s3:
        for file, (path, _, data) in zip(session.files, documents):
            upload = file.upload
            answer = s3.request(upload.method, upload.url, headers=upload.headers.to_dict(), content=data)
            if answer.status_code != 200:
                raise StepFailed(f"upload {path}: {answer.status_code} {answer.text[:300]}")
    print(f"2. uploaded {len(documents)} files")

    # 3. Confirm.
    confirmed = expect(confirm_upload.sync_detailed(session.id, client=client), 200, Session, "confirm")
    if confirmed.status != SessionStatus.PENDING:
        raise StepFailed(f"confirm: session is {confirmed.status}, not pending")
    print(f"3. confirmed: {confirmed.status}")

    # 4. Extract, with an Idempotency-Key; the same request again replays the 202.
    idempotency_key = f"lifecycle-{uuid.uuid4()}"
    extract = submit_extraction.sync_detailed(session.id, client=client, idempotency_key=idempotency_key)
    accepted = expect(extract, 202, JobAccepted, "extract")
    if extract.headers.get("location") != f"/jobs/{accepted.job_id}/status":
        raise StepFailed(f"extract: Location {extract.headers.get('location')!r}")
    replay = submit_extraction.sync_detailed(session.id, client=client, idempotency_key=idempotency_key)
    replayed = expect(replay, 202, JobAccepted, "extract again with the same Idempotency-Key")
    if replayed.job_id != accepted.job_id or replay.headers.get("idempotent-replayed") != "true":
        raise StepFailed(f"extract replay: {replay.status_code} {dict(replay.headers)} {replayed.to_dict()}")
    print(f"4. job {accepted.job_id} accepted (replayed with the same key)")

    # 5. Poll until the job is terminal.
    deadline = time.monotonic() + POLL_TIMEOUT_SECS
    while True:
        status = expect(get_job_status.sync_detailed(accepted.job_id, client=client), 200, JobStatus, "status")
        if status.status in TERMINAL:
            break
        if time.monotonic() > deadline:
            raise StepFailed(f"status: not terminal after {POLL_TIMEOUT_SECS} s: {status.to_dict()}")
        time.sleep(0.5)
    progress = status.progress
    if status.status != JobState.SUCCEEDED or progress.succeeded != len(documents) or progress.total != len(documents):
        raise StepFailed(f"status: {status.to_dict()}")
    print(f"5. job {status.status}: {progress.succeeded}/{progress.total} succeeded")

    # 6. The result, each file's extraction compared with the corpus's expected one.
    result = expect(get_job_result.sync_detailed(accepted.job_id, client=client), 200, JobResult, "result")
    by_name = {entry.name: entry.to_dict() for entry in result.results}
    problems = []
    for path, _, data in documents:
        entry = by_name.get(pathlib.Path(path).name)
        if entry is None:
            problems.append(f"{path}: no result entry")
            continue
        expected = json.loads((expected_dir / pathlib.Path(path).with_suffix(".json")).read_text())
        want = {
            "status": "succeeded",
            "size": len(data),
            "document": expected["detected"],
            "invoice": expected["invoice"],
            "validation": {key: expected["validation"][key] for key in ("valid", "fatal", "warning")},
        }
        problems.extend(f"{path}: {difference}" for difference in differences(want, entry))
    if problems:
        raise StepFailed("result:\n  " + "\n  ".join(problems))
    print(f"6. result {result.status}: {len(result.results)} files as the corpus expects")
    return {"session_id": session.id, "job_id": accepted.job_id}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the API's base URL")
    parser.add_argument("--corpus", required=True, type=pathlib.Path, help="../shared/corpus")
    parser.add_argument("--ids-out", type=pathlib.Path, help="write the session's and job's ids here (JSON)")
    args = parser.parse_args()
    key = os.environ.get("INTAKE_API_TENANT_KEY")
    if not key:
        print("INTAKE_API_TENANT_KEY is not set", file=sys.stderr)
        return 2
    expected_dir = args.corpus.parent / "expected"
    try:
        ids = run(args.url, key, args.corpus, expected_dir)
    except StepFailed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    if args.ids_out:
        args.ids_out.write_text(json.dumps(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
