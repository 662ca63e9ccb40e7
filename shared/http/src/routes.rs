//! One handler per API Gateway route.

use intake_domain::job_list::JobListQuery;
use intake_domain::paging::{PageRequest, Position};
use intake_domain::views::{
    CreateSessionRequest, JobResult, ReplayDeadLettersRequest, StartReplayRequest,
    SubmitExtractionRequest,
};
use intake_domain::{AppError, Intake, Tenant};
use lambda_http::http::{header, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::idempotency::idempotent;
use crate::problem::{problem, problem_response};

/// Largest request body accepted; a 2000-file session is about 200 KB.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The routes of the REST API, each served by one Lambda function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    CreateSession,
    GetSession,
    ConfirmUpload,
    SubmitExtraction,
    GetJob,
    GetResult,
    ListJobs,
    GetJobEvents,
    DeleteJob,
    ListDeadLetters,
    ReplayDeadLetters,
    StartReplay,
    GetReplay,
    ListWebhookDeliveries,
    ReplayWebhook,
}

impl Route {
    /// Operators' routes take the admin key, never a tenant's.
    fn is_admin(self) -> bool {
        matches!(
            self,
            Route::ListDeadLetters
                | Route::ReplayDeadLetters
                | Route::StartReplay
                | Route::GetReplay
        )
    }
}

/// Method and resource path of every route, as `template.yaml` declares
/// them; the local runner routes with this table.
pub const ROUTES: [(Method, &str, Route); 16] = [
    (Method::POST, "/sessions", Route::CreateSession),
    (Method::GET, "/sessions/{id}", Route::GetSession),
    (
        Method::PATCH,
        "/sessions/{id}/confirm",
        Route::ConfirmUpload,
    ),
    (
        Method::POST,
        "/sessions/{id}/extract",
        Route::SubmitExtraction,
    ),
    (Method::GET, "/jobs/{id}", Route::GetJob),
    (Method::GET, "/jobs/{id}/status", Route::GetJob),
    (Method::GET, "/jobs/{id}/result", Route::GetResult),
    (Method::GET, "/jobs", Route::ListJobs),
    (Method::GET, "/jobs/{id}/events", Route::GetJobEvents),
    (Method::DELETE, "/jobs/{id}", Route::DeleteJob),
    (Method::GET, "/admin/dead-letters", Route::ListDeadLetters),
    (
        Method::POST,
        "/admin/dead-letters/replay",
        Route::ReplayDeadLetters,
    ),
    (
        Method::POST,
        "/admin/dead-letters/replays",
        Route::StartReplay,
    ),
    (
        Method::GET,
        "/admin/dead-letters/replays/{id}",
        Route::GetReplay,
    ),
    (
        Method::GET,
        "/jobs/{id}/webhook-deliveries",
        Route::ListWebhookDeliveries,
    ),
    (
        Method::POST,
        "/jobs/{id}/webhook-deliveries/replay",
        Route::ReplayWebhook,
    ),
];

/// The methods `ROUTES` declares on a resource template (`/jobs/{id}`), in
/// table order: the `Allow` header of a 405 on that resource.
pub fn allowed_methods(resource: &str) -> Vec<Method> {
    ROUTES
        .iter()
        .filter(|(_, path, _)| *path == resource)
        .map(|(method, _, _)| method.clone())
        .collect()
}

/// The answer to a method a resource does not have: 405
/// `method_not_allowed` with the methods it has in `Allow` (RFC 9110).
pub fn method_not_allowed(allowed: &[Method]) -> Response<Body> {
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        &format!("this resource answers {allow}"),
    );
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The answer of a resource's `ANY` method, which API Gateway reaches only
/// with a method the resource does not declare: 405 with those it does.
pub fn answer_other_method(request: &Request) -> Response<Body> {
    let resource = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.resource_path.as_deref(),
        _ => None,
    };
    match resource.map(allowed_methods) {
        Some(allowed) if !allowed.is_empty() => method_not_allowed(&allowed),
        _ => problem_response(&AppError::RouteNotFound),
    }
}

/// Serves a request of whichever route API Gateway matched, for a function
/// that serves several routes.
pub async fn dispatch(intake: &Intake, request: Request) -> Response<Body> {
    match route_of(&request) {
        Some(route) => handle(route, intake, request).await,
        None => problem_response(&AppError::RouteNotFound),
    }
}

/// The route of a request, from the resource API Gateway matched.
fn route_of(request: &Request) -> Option<Route> {
    let resource = match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => context.resource_path.as_deref()?,
        _ => return None,
    };
    ROUTES
        .iter()
        .find(|(method, path, _)| method == request.method() && *path == resource)
        .map(|(_, _, route)| *route)
}

/// Idempotency keys of operators live in a scope no tenant id can name
/// (tenant ids have no `#`).
fn operator_scope() -> Tenant {
    Tenant {
        id: "#operator".to_owned(),
    }
}

/// Serves one request of `route`. Never fails: every error is a problem
/// response.
pub async fn handle(route: Route, intake: &Intake, request: Request) -> Response<Body> {
    let api_key = request
        .headers()
        .get("x-api-key")
        .and_then(|value| value.to_str().ok());
    let caller = if route.is_admin() {
        intake
            .authenticate_admin(api_key)
            .await
            .map(|()| operator_scope())
    } else {
        intake.authenticate(api_key).await
    };
    let tenant = match caller {
        Ok(tenant) => tenant,
        Err(error) => return problem_response(&error),
    };
    let id = request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("id"))
        .unwrap_or_default()
        .to_owned();
    let response = serve(route, intake, &tenant, &id, &request).await;
    tracing::info!(tenant = %tenant.id, ?route, id, status = response.status().as_u16(), "request served");
    response
}

async fn serve(
    route: Route,
    intake: &Intake,
    tenant: &Tenant,
    id: &str,
    request: &Request,
) -> Response<Body> {
    match route {
        Route::CreateSession => {
            idempotent(intake, tenant, request, |_| async {
                let response = match parse_body::<CreateSessionRequest>(request) {
                    Ok(body) => intake.create_session(tenant, body).await,
                    Err(error) => Err(error),
                };
                respond(response, |session| {
                    json(
                        StatusCode::CREATED,
                        session,
                        Some(format!("/sessions/{}", session.id)),
                    )
                })
            })
            .await
        }
        Route::SubmitExtraction => {
            idempotent(intake, tenant, request, |key| async move {
                let response = match parse_body::<SubmitExtractionRequest>(request) {
                    Ok(body) => {
                        intake
                            .submit_extraction(tenant, id, body, key.as_deref())
                            .await
                    }
                    Err(error) => Err(error),
                };
                respond(response, |accepted| {
                    json(
                        StatusCode::ACCEPTED,
                        accepted,
                        Some(accepted.links.status.clone()),
                    )
                })
            })
            .await
        }
        Route::GetSession => match page_of(request, id) {
            Ok(page) => ok(intake.get_session(tenant, id, page).await),
            Err(error) => problem_response(&error),
        },
        Route::ConfirmUpload => ok(intake.confirm_upload(tenant, id).await),
        Route::GetJob => match page_of(request, id) {
            Ok(page) => ok(intake.job_status(tenant, id, page).await),
            Err(error) => problem_response(&error),
        },
        Route::GetResult => match page_of(request, id) {
            Ok(page) => respond(intake.job_result(tenant, id, page).await, result_response),
            Err(error) => problem_response(&error),
        },
        Route::ListJobs => {
            let query = request.query_string_parameters_ref();
            let parameter = |name: &str| query.and_then(|query| query.first(name));
            match JobListQuery::parse(parameter("limit"), parameter("cursor"), parameter("status"))
            {
                Ok(query) => ok(intake.list_jobs(tenant, query).await),
                Err(error) => problem_response(&error),
            }
        }
        Route::GetJobEvents => match page_of(request, id) {
            Ok(page) => ok(intake.job_events(tenant, id, page).await),
            Err(error) => problem_response(&error),
        },
        Route::DeleteJob => respond(intake.delete_job(tenant, id).await, |()| no_content()),
        Route::ListDeadLetters => {
            let queue = request
                .query_string_parameters_ref()
                .and_then(|query| query.first("queue"));
            ok(intake.list_dead_letters(queue).await)
        }
        Route::ListWebhookDeliveries => ok(intake.webhook_deliveries(tenant, id).await),
        Route::ReplayWebhook => {
            idempotent(intake, tenant, request, |_| async {
                respond(intake.replay_webhook(tenant, id).await, |replay| {
                    json(StatusCode::ACCEPTED, replay, None)
                })
            })
            .await
        }
        Route::ReplayDeadLetters => {
            idempotent(intake, tenant, request, |_| async {
                let response = match parse_body::<ReplayDeadLettersRequest>(request) {
                    Ok(body) => intake.replay_dead_letters(body).await,
                    Err(error) => Err(error),
                };
                respond(response, |report| json(StatusCode::OK, report, None))
            })
            .await
        }
        Route::StartReplay => {
            idempotent(intake, tenant, request, |_| async {
                let response = match parse_body::<StartReplayRequest>(request) {
                    Ok(body) => intake.start_replay(body).await,
                    Err(error) => Err(error),
                };
                respond(response, |task| {
                    json(
                        StatusCode::ACCEPTED,
                        task,
                        Some(format!("/admin/dead-letters/replays/{}", task.replay_id)),
                    )
                })
            })
            .await
        }
        Route::GetReplay => ok(intake.replay_status(id).await),
    }
}

/// The page a `limit`/`cursor` query asks for, if any.
fn page_of<P: Position>(
    request: &Request,
    owner: &str,
) -> Result<Option<PageRequest<P>>, AppError> {
    let query = request.query_string_parameters_ref();
    let parameter = |name: &str| query.and_then(|query| query.first(name));
    PageRequest::parse(owner, parameter("limit"), parameter("cursor"))
}

/// The body as `T`; an empty body is `T::default()` (every POST body is
/// optional in the contract).
fn parse_body<T: DeserializeOwned + Default>(request: &Request) -> Result<T, AppError> {
    let bytes = request.body().as_ref();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if bytes.len() > MAX_BODY_BYTES {
        return Err(AppError::RequestTooLarge(format!(
            "the request body is larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/json");
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !(media_type.eq_ignore_ascii_case("application/json") || media_type.ends_with("+json")) {
        return Err(AppError::MalformedRequest(format!(
            "the request body must be application/json, not {media_type}"
        )));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        AppError::MalformedRequest(format!("the request body is not valid: {error}"))
    })
}

fn respond<T>(
    result: Result<T, AppError>,
    success: impl FnOnce(&T) -> Response<Body>,
) -> Response<Body> {
    match result {
        Ok(value) => success(&value),
        Err(error) => problem_response(&error),
    }
}

fn ok<T: Serialize>(result: Result<T, AppError>) -> Response<Body> {
    respond(result, |value| json(StatusCode::OK, value, None))
}

fn json<T: Serialize>(status: StatusCode, value: &T, location: Option<String>) -> Response<Body> {
    let body = match serde_json::to_string(value) {
        Ok(body) => body,
        Err(error) => {
            return problem_response(&AppError::Store(intake_domain::StoreError::new(
                "serialize",
                error,
            )))
        }
    };
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(location) = location {
        builder = builder.header(header::LOCATION, location);
    }
    builder.body(Body::Text(body)).unwrap_or_else(|error| {
        problem_response(&AppError::Store(intake_domain::StoreError::new(
            "response", error,
        )))
    })
}

/// 204: done, nothing to say.
fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .unwrap_or_else(|error| {
            problem_response(&AppError::Store(intake_domain::StoreError::new(
                "response", error,
            )))
        })
}

fn result_response(result: &JobResult) -> Response<Body> {
    let response = match result {
        JobResult::Inline(document) => match String::from_utf8(document.clone()) {
            Ok(text) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::Text(text)),
            Err(error) => {
                return problem_response(&AppError::Store(intake_domain::StoreError::new(
                    "result", error,
                )))
            }
        },
        JobResult::Redirect(url) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, url.as_str())
            .body(Body::Empty),
    };
    response.unwrap_or_else(|error| {
        problem_response(&AppError::Store(intake_domain::StoreError::new(
            "response", error,
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str, content_type: Option<&str>) -> Request {
        let mut request = Request::new(Body::Text(body.to_owned()));
        if let Some(content_type) = content_type {
            request
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type.parse().expect("header"));
        }
        request
    }

    #[test]
    fn an_empty_body_is_the_default_request() {
        let parsed: CreateSessionRequest = parse_body(&request("  ", None)).expect("empty body");
        assert!(parsed.files.is_none());
    }

    #[test]
    fn unknown_fields_and_bad_json_are_malformed() {
        for body in [r#"{"files": [], "extra": 1}"#, "{", r#"{"files": "a"}"#] {
            let error =
                parse_body::<CreateSessionRequest>(&request(body, Some("application/json")))
                    .expect_err(body);
            assert_eq!(error.code(), "malformed_request", "{body}");
        }
    }

    #[test]
    fn a_body_that_is_not_json_is_refused() {
        let error = parse_body::<CreateSessionRequest>(&request(
            "a=b",
            Some("application/x-www-form-urlencoded"),
        ))
        .expect_err("form body");
        assert_eq!(error.code(), "malformed_request");
        assert!(parse_body::<CreateSessionRequest>(&request(
            "{}",
            Some("application/json; charset=utf-8")
        ))
        .is_ok());
    }
}
