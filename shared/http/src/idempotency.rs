//! The `Idempotency-Key` protocol of every POST (api.md): the first
//! response is stored and replayed, a different body with the same key is
//! refused, and a key whose request is still running gets 409. The claim is
//! one conditional write in DynamoDB, never a read-then-write.

use std::future::Future;
use std::time::Duration;

use intake_domain::ports::{IdempotencyClaim, StoredResponse};
use intake_domain::{AppError, Intake, StoreError, Tenant};
use lambda_http::http::{header, HeaderName, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};
use tracing::{error, warn};

use crate::problem::problem_response;

const HEADER: &str = "idempotency-key";
/// How long a record is kept (api.md: 24 h).
const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// A claim older than this is from a request that died (API Gateway gives
/// up after 29 s), so the same request may take it over.
const LEASE: Duration = Duration::from_secs(60);
const MAX_KEY_LEN: usize = 255;
/// Bodies above this are kept in the object store, not in the record
/// (DynamoDB items hold at most 400 KB; a 2000-file session's answer with
/// its pre-signed URLs is several MB).
const MAX_BODY_IN_RECORD: usize = 256 * 1024;
/// Response headers worth replaying.
const REPLAYED_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::LOCATION];

/// The key of the request, if it has one and it is well formed.
fn key_of(request: &Request) -> Result<Option<String>, AppError> {
    let Some(value) = request.headers().get(HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().ok().filter(|key| {
        (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
    });
    match key {
        Some(key) => Ok(Some(key.to_owned())),
        None => Err(AppError::InvalidIdempotencyKey(format!(
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters"
        ))),
    }
}

/// The request's identity: method, path and body.
fn fingerprint(request: &Request) -> String {
    let mut hash = Sha256::new();
    hash.update(request.method().as_str());
    hash.update(b"\n");
    hash.update(request.uri().path());
    hash.update(b"\n");
    hash.update(request.body().as_ref());
    hex::encode(hash.finalize())
}

/// The response as the record keeps it; a large body goes to the object
/// store first.
async fn stored(
    intake: &Intake,
    tenant: &Tenant,
    key: &str,
    response: &Response<Body>,
) -> Result<StoredResponse, StoreError> {
    let mut stored = inline(response);
    if stored.body.len() > MAX_BODY_IN_RECORD {
        let body_key = format!(
            "idempotency/{}/{}.json",
            tenant.id,
            hex::encode(Sha256::digest(key.as_bytes()))
        );
        intake
            .ports()
            .objects
            .put_json(&body_key, std::mem::take(&mut stored.body).into_bytes())
            .await?;
        stored.body_key = Some(body_key);
    }
    Ok(stored)
}

/// The response a record answers with, its body read back if it was kept
/// in the object store.
async fn replayed(
    intake: &Intake,
    mut stored: StoredResponse,
) -> Result<Response<Body>, StoreError> {
    if let Some(body_key) = stored.body_key.take() {
        let body = intake
            .ports()
            .objects
            .get(&body_key)
            .await?
            .ok_or_else(|| StoreError::new("idempotency_replay", "stored response is missing"))?;
        stored.body = String::from_utf8(body.to_vec())
            .map_err(|e| StoreError::new("idempotency_replay", e))?;
    }
    Ok(replay(stored))
}

fn inline(response: &Response<Body>) -> StoredResponse {
    StoredResponse {
        status: response.status().as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(name)?.to_str().ok()?;
                Some((name.as_str().to_owned(), value.to_owned()))
            })
            .collect(),
        body: match response.body() {
            Body::Text(text) => text.clone(),
            Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        },
        body_key: None,
    }
}

fn replay(stored: StoredResponse) -> Response<Body> {
    let mut response = Response::new(Body::Text(stored.body));
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Runs `handler` under the request's `Idempotency-Key`, if it has one;
/// `handler` is given the key.
pub(crate) async fn idempotent<F, Fut>(
    intake: &Intake,
    tenant: &Tenant,
    request: &Request,
    handler: F,
) -> Response<Body>
where
    F: FnOnce(Option<String>) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    let key = match key_of(request) {
        Ok(Some(key)) => key,
        Ok(None) => return handler(None).await,
        Err(error) => return problem_response(&error),
    };
    let idempotency = &intake.ports().idempotency;
    let claim = idempotency
        .claim(&tenant.id, &key, &fingerprint(request), LEASE, RETENTION)
        .await;
    match claim {
        Ok(IdempotencyClaim::Claimed) => {}
        Ok(IdempotencyClaim::Replay(stored)) => {
            return replayed(intake, stored)
                .await
                .unwrap_or_else(|error| problem_response(&AppError::Store(error)))
        }
        Ok(IdempotencyClaim::InProgress) => {
            return problem_response(&AppError::IdempotencyRequestInProgress)
        }
        Ok(IdempotencyClaim::Mismatch) => return problem_response(&AppError::IdempotencyKeyReused),
        Err(error) => return problem_response(&AppError::Store(error)),
    }
    let response = handler(Some(key.clone())).await;
    // A server error is not an answer worth keeping: release the key so
    // the client's retry runs again.
    let outcome = if response.status().is_server_error() {
        idempotency.release(&tenant.id, &key).await
    } else {
        match stored(intake, tenant, &key, &response).await {
            Ok(stored) => idempotency.complete(&tenant.id, &key, &stored).await,
            Err(error) => Err(error),
        }
    };
    if let Err(cause) = outcome {
        // The response stands; the key stays claimed until its lease ends.
        error!(tenant = %tenant.id, error = %cause, "idempotency record not updated");
    }
    if response.status().is_server_error() {
        warn!(tenant = %tenant.id, "request failed; idempotency key released");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with_key(key: &[u8]) -> Request {
        let mut request = Request::new(Body::Empty);
        request
            .headers_mut()
            .insert(HEADER, HeaderValue::from_bytes(key).expect("header value"));
        request
    }

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert_eq!(
            key_of(&request_with_key(b"abc-123"))
                .ok()
                .flatten()
                .as_deref(),
            Some("abc-123")
        );
        assert!(key_of(&request_with_key(&[b'k'; 255])).is_ok());
        assert!(key_of(&request_with_key(&[b'k'; 256])).is_err());
        assert!(key_of(&request_with_key(b"")).is_err());
        assert!(key_of(&request_with_key("clé".as_bytes())).is_err());
        assert!(key_of(&request_with_key(b"tab\there")).is_err());
        assert_eq!(key_of(&Request::new(Body::Empty)).ok(), Some(None));
    }

    #[test]
    fn fingerprints_differ_by_body_and_path() {
        let mut a = Request::new(Body::Text("{}".into()));
        *a.uri_mut() = "/sessions".parse().expect("uri");
        let mut b = Request::new(Body::Text("{ }".into()));
        *b.uri_mut() = "/sessions".parse().expect("uri");
        let mut c = Request::new(Body::Text("{}".into()));
        *c.uri_mut() = "/sessions/ses_x/extract".parse().expect("uri");
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert_eq!(fingerprint(&a), fingerprint(&a));
    }
}
