//! `fault-proxy`: the proxy as a standalone process, in front of the
//! endpoints of `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_SQS` and
//! `AWS_ENDPOINT_URL_DYNAMODB` (e.g. `.local/emulators.env`). It prints one
//! `<service> http://127.0.0.1:<port>` line per listener and
//! `admin http://127.0.0.1:<port>`, then serves until killed. Admin routes:
//! `PUT /faults` (body: a plan, see `plan.rs`) turns faults on, `DELETE
//! /faults` turns them off, `GET /faults` answers the counts per service.
//! (`intake-load chaos` embeds the proxy instead and drives it directly.)

use std::convert::Infallible;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use intake_fault_proxy::{endpoint_addr, Control, Plan, Proxy, Service};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut upstreams = Vec::new();
    for (service, variable) in [
        (Service::S3, "AWS_ENDPOINT_URL_S3"),
        (Service::Sqs, "AWS_ENDPOINT_URL_SQS"),
        (Service::Dynamodb, "AWS_ENDPOINT_URL_DYNAMODB"),
    ] {
        let url = std::env::var(variable).with_context(|| format!("{variable} is not set"))?;
        let addr = endpoint_addr(&url)
            .await
            .with_context(|| format!("{variable}={url}"))?;
        upstreams.push((service, addr));
    }
    let proxy = Proxy::start(&upstreams)
        .await
        .context("starting the listeners")?;
    for (service, _) in &upstreams {
        if let Some(url) = proxy.url(*service) {
            println!("{} {url}", service.as_str());
        }
    }
    let admin = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    println!("admin http://{}", admin.local_addr()?);
    loop {
        let (stream, _) = admin.accept().await?;
        let control = proxy.control.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| admin_request(request, control.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn admin_request(
    request: Request<Incoming>,
    control: Arc<Control>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let answer = |status: StatusCode, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        Ok(response)
    };
    if request.uri().path() != "/faults" {
        return answer(StatusCode::NOT_FOUND, "only /faults\n".into());
    }
    match *request.method() {
        Method::GET => {
            let report =
                serde_json::json!({"active": control.active(), "services": control.report()});
            answer(StatusCode::OK, report.to_string())
        }
        Method::DELETE => {
            control.off();
            answer(StatusCode::NO_CONTENT, String::new())
        }
        Method::PUT => {
            let Ok(body) = request.into_body().collect().await.map(|b| b.to_bytes()) else {
                return answer(StatusCode::BAD_REQUEST, "unreadable body\n".into());
            };
            let plan: Plan = match serde_json::from_slice(&body) {
                Ok(plan) => plan,
                Err(error) => return answer(StatusCode::BAD_REQUEST, format!("{error}\n")),
            };
            match control.set(plan) {
                Ok(()) => answer(StatusCode::NO_CONTENT, String::new()),
                Err(error) => answer(StatusCode::BAD_REQUEST, format!("{error}\n")),
            }
        }
        _ => answer(
            StatusCode::METHOD_NOT_ALLOWED,
            "GET, PUT or DELETE\n".into(),
        ),
    }
}
