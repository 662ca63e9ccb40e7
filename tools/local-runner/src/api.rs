//! The API Gateway side: HTTP in, REST proxy event to the handler, HTTP out.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use intake_domain::Intake;
use intake_http::{allowed_methods, handle, method_not_allowed, problem, Route, ROUTES};
use lambda_http::http::{header, HeaderValue, Method, Response, StatusCode};
use lambda_http::Body;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::rate_limit::TenantRateLimiter;
use crate::FUNCTION_TIMEOUT;

/// API Gateway's payload limit.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;
const STAGE: &str = "v1";

pub(crate) async fn serve(
    intake: Intake,
    listener: TcpListener,
    rate_limiter: Option<TenantRateLimiter>,
    mut stopped: watch::Receiver<bool>,
) {
    let rate_limiter = rate_limiter.map(Arc::new);
    if let Ok(address) = listener.local_addr() {
        info!(%address, "API listening");
    }
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => { warn!(%error, "accept failed"); continue; }
            },
            _ = stopped.changed() => return,
        };
        let intake = intake.clone();
        let rate_limiter = rate_limiter.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let intake = intake.clone();
                let rate_limiter = rate_limiter.clone();
                async move {
                    Ok::<_, Infallible>(
                        gateway(&intake, rate_limiter.as_deref(), request, peer).await,
                    )
                }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                warn!(%error, "connection error");
            }
        });
    }
}

/// The route API Gateway would pick, with its path parameters.
fn find_route(method: &Method, path: &str) -> Option<(&'static str, Route, Map<String, Value>)> {
    ROUTES.iter().find_map(|(route_method, resource, route)| {
        if route_method != method {
            return None;
        }
        match_resource(resource, path).map(|parameters| (*resource, *route, parameters))
    })
}

/// The resource template a path names, whatever the method.
fn find_resource(path: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .map(|(_, resource, _)| *resource)
        .find(|resource| match_resource(resource, path).is_some())
}

/// Matches a path against a resource template such as `/jobs/{id}/status`.
fn match_resource(template: &str, path: &str) -> Option<Map<String, Value>> {
    let mut parameters = Map::new();
    let mut template_segments = template.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (template_segments.next(), path_segments.next()) {
            (None, None) => return Some(parameters),
            (Some(expected), Some(actual)) => {
                if let Some(name) = expected.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if actual.is_empty() {
                        return None;
                    }
                    parameters.insert(name.to_owned(), Value::String(actual.to_owned()));
                } else if expected != actual {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

fn gateway_problem(status: StatusCode, code: &str, detail: &str) -> Response<Full<Bytes>> {
    to_http(problem(status, code, detail))
}

async fn gateway(
    intake: &Intake,
    rate_limiter: Option<&TenantRateLimiter>,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let Some((resource, route, parameters)) = find_route(&parts.method, &path) else {
        // As the template: a resource's other methods reach its `ANY`
        // method, which answers 405; an unknown path is the gateway
        // response for unknown routes.
        return match find_resource(&path) {
            Some(resource) => to_http(method_not_allowed(&allowed_methods(resource))),
            None => gateway_problem(StatusCode::NOT_FOUND, "not_found", "no such route"),
        };
    };
    // As the usage plan's throttle, per API key, before the function runs
    // (a request without a key is the function's 401).
    let api_key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if let (Some(limiter), Some(api_key)) = (rate_limiter, api_key) {
        if let Err(wait) = limiter.check(api_key) {
            let mut response = gateway_problem(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Request rate limit exceeded, retry later.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
            return response;
        }
    }
    let body = match Limited::new(body, MAX_PAYLOAD).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return gateway_problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                "request body too large",
            )
        }
    };
    let event = rest_event(
        &parts.method,
        resource,
        &path,
        &parts,
        parameters,
        &body,
        peer,
    );
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(error) => {
            warn!(%error, "could not build the API Gateway event");
            return gateway_problem(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "request not understood",
            );
        }
    };
    let response =
        match tokio::time::timeout(FUNCTION_TIMEOUT, handle(route, intake, request)).await {
            Ok(response) => response,
            Err(_) => {
                return gateway_problem(
                    StatusCode::GATEWAY_TIMEOUT,
                    "timeout",
                    "the function timed out",
                )
            }
        };
    to_http(response)
}

/// The REST API proxy event (payload format 1.0) API Gateway sends.
fn rest_event(
    method: &Method,
    resource: &str,
    path: &str,
    parts: &hyper::http::request::Parts,
    path_parameters: Map<String, Value>,
    body: &Bytes,
    peer: SocketAddr,
) -> Value {
    let mut headers = Map::new();
    let mut multi_value_headers: Map<String, Value> = Map::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers.insert(name.as_str().to_owned(), Value::String(value.clone()));
        if let Value::Array(values) = multi_value_headers
            .entry(name.as_str().to_owned())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            values.push(Value::String(value));
        }
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for pair in parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        query.insert(key.to_owned(), Value::String(value.to_owned()));
        if let Value::Array(values) = multi_query
            .entry(key.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            values.push(Value::String(value.to_owned()));
        }
    }
    let (body, is_base64) = if body.is_empty() {
        (Value::Null, false)
    } else {
        match std::str::from_utf8(body) {
            Ok(text) => (Value::String(text.to_owned()), false),
            Err(_) => (Value::String(base64_encode(body)), true),
        }
    };
    let request_id = format!("{:032x}", rand::random::<u128>());
    let or_null = |map: Map<String, Value>| {
        if map.is_empty() {
            Value::Null
        } else {
            Value::Object(map)
        }
    };
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": method.as_str(),
        "headers": headers,
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "pathParameters": or_null(path_parameters),
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method.as_str(),
            "path": format!("/{STAGE}{path}"),
            "stage": STAGE,
            "requestId": request_id,
            "requestTimeEpoch": chrono::Utc::now().timestamp_millis(),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": peer.ip().to_string(), "userAgent": parts.headers.get("user-agent").and_then(|v| v.to_str().ok())},
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn to_http(response: Response<Body>) -> Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    Response::from_parts(parts, Full::new(bytes))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_templates_capture_path_parameters() {
        let parameters = match_resource("/jobs/{id}/status", "/jobs/job_1/status").expect("match");
        assert_eq!(parameters["id"], "job_1");
        assert!(match_resource("/jobs/{id}", "/jobs/job_1/status").is_none());
        assert!(match_resource("/jobs/{id}", "/jobs/").is_none());
        assert!(match_resource("/sessions", "/sessions").is_some_and(|p| p.is_empty()));
    }

    #[test]
    fn the_jobs_list_a_job_and_its_deletion_are_told_apart() {
        let route = |method: Method, path: &str| find_route(&method, path).map(|(_, r, _)| r);

        assert_eq!(route(Method::GET, "/jobs"), Some(Route::ListJobs));
        assert_eq!(route(Method::GET, "/jobs/job_1"), Some(Route::GetJob));
        assert_eq!(route(Method::DELETE, "/jobs/job_1"), Some(Route::DeleteJob));
        assert_eq!(
            route(Method::GET, "/jobs/job_1/events"),
            Some(Route::GetJobEvents)
        );
        assert_eq!(route(Method::DELETE, "/jobs"), None);
        assert_eq!(route(Method::DELETE, "/jobs/job_1/status"), None);
    }
}
