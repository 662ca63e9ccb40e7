//! The proxy: one listener on 127.0.0.1 per upstream (S3, SQS, DynamoDB).
//! Each downstream connection gets its own upstream connection, requests
//! are forwarded byte for byte (method, origin-form target, every header
//! including `Host`, the body), so SigV4 signatures still match what the
//! client signed. While a plan is active each request draws its fault
//! (`plan.rs`); `Control` turns plans on and off and counts what was done.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::errors;
use crate::plan::{Fault, Kind, Plan, PlanError, Service};

/// What the proxy did per service since it started.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServiceReport {
    /// Requests received.
    pub requests: u64,
    /// Faults injected, by kind (`Kind::as_str`), zeros included.
    pub injected: std::collections::BTreeMap<&'static str, u64>,
    /// Requests the upstream did not answer (the downstream connection was
    /// reset): not injected, counted so that a report never hides them.
    pub upstream_errors: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    /// The index of the next request drawn against the active plan.
    drawn: AtomicU64,
    injected: [AtomicU64; Kind::ALL.len()],
    upstream_errors: AtomicU64,
}

/// Turns faults on and off at run time and counts them.
#[derive(Default)]
pub struct Control {
    plan: Mutex<Option<Plan>>,
    counters: [Counters; Service::ALL.len()],
}

impl Control {
    /// Activates `plan` (replacing any other); each service's schedule
    /// starts again at its first request.
    pub fn set(&self, plan: Plan) -> Result<(), PlanError> {
        plan.validate()?;
        let mut active = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        for counters in &self.counters {
            counters.drawn.store(0, Ordering::SeqCst);
        }
        *active = Some(plan);
        Ok(())
    }

    /// No more faults: every request is forwarded as is.
    pub fn off(&self) {
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub fn active(&self) -> Option<Plan> {
        self.plan.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn report(&self) -> std::collections::BTreeMap<&'static str, ServiceReport> {
        Service::ALL
            .iter()
            .map(|service| {
                let counters = &self.counters[service.index()];
                let report = ServiceReport {
                    requests: counters.requests.load(Ordering::Relaxed),
                    injected: Kind::ALL
                        .iter()
                        .map(|kind| {
                            (
                                kind.as_str(),
                                counters.injected[kind.index()].load(Ordering::Relaxed),
                            )
                        })
                        .collect(),
                    upstream_errors: counters.upstream_errors.load(Ordering::Relaxed),
                };
                (service.as_str(), report)
            })
            .collect()
    }

    /// Counts a request and draws its fault from the active plan.
    fn next(&self, service: Service, transaction: bool) -> Option<Fault> {
        let counters = &self.counters[service.index()];
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let plan = self.plan.lock().unwrap_or_else(|e| e.into_inner());
        let plan = plan.as_ref()?;
        let n = counters.drawn.fetch_add(1, Ordering::Relaxed);
        let fault = plan.draw(service, n, transaction)?;
        counters.injected[fault.kind.index()].fetch_add(1, Ordering::Relaxed);
        Some(fault)
    }
}

/// A running proxy; dropping it stops the listeners (open connections end
/// with their tasks' runtime).
pub struct Proxy {
    listeners: Vec<(Service, SocketAddr)>,
    pub control: Arc<Control>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port each) in front of every upstream.
    pub async fn start(upstreams: &[(Service, SocketAddr)]) -> std::io::Result<Proxy> {
        let control = Arc::new(Control::default());
        let mut listeners = Vec::new();
        let mut tasks = Vec::new();
        for &(service, upstream) in upstreams {
            let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
            listeners.push((service, listener.local_addr()?));
            let control = control.clone();
            tasks.push(tokio::spawn(accept(listener, service, upstream, control)));
        }
        Ok(Proxy {
            listeners,
            control,
            tasks,
        })
    }

    /// `http://127.0.0.1:<port>` of the listener in front of `service`.
    pub fn url(&self, service: Service) -> Option<String> {
        self.listeners
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, addr)| format!("http://{addr}"))
    }
}

async fn accept(
    listener: TcpListener,
    service: Service,
    upstream: SocketAddr,
    control: Arc<Control>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve(stream, service, upstream, control.clone()));
            }
            // Out of file descriptors and the like: try again shortly.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// One downstream connection's state, shared by its requests.
struct Connection {
    service: Service,
    upstream: SocketAddr,
    control: Arc<Control>,
    /// Notified to reset the downstream connection.
    reset: Notify,
    /// The upstream connection, opened at the first forwarded request.
    sender: tokio::sync::Mutex<Option<SendRequest<Full<Bytes>>>>,
}

async fn serve(stream: TcpStream, service: Service, upstream: SocketAddr, control: Arc<Control>) {
    let _ = stream.set_nodelay(true);
    // A second descriptor of the socket, kept outside hyper, to set
    // SO_LINGER 0 before the close: then closing sends an RST, not a FIN.
    let Ok(std_stream) = stream.into_std() else {
        return;
    };
    let Ok(handle) = std_stream.try_clone() else {
        return;
    };
    let Ok(stream) = TcpStream::from_std(std_stream) else {
        return;
    };
    let connection = Arc::new(Connection {
        service,
        upstream,
        control,
        reset: Notify::new(),
        sender: tokio::sync::Mutex::new(None),
    });
    let shared = connection.clone();
    let service = service_fn(move |request| handle_request(request, shared.clone()));
    let served = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = served => {}
        _ = connection.reset.notified() => {
            let _ = socket2::SockRef::from(&handle).set_linger(Some(Duration::ZERO));
        }
    }
    // The served connection was dropped with the select; dropping the last
    // descriptor closes the socket.
    drop(handle);
}

async fn handle_request(
    request: Request<Incoming>,
    connection: Arc<Connection>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (mut parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return reset(&connection).await;
    };
    let service = connection.service;
    let transaction = service == Service::Dynamodb
        && parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|target| target.ends_with(".TransactWriteItems"));
    let fault = connection.control.next(service, transaction);
    if let Some(fault) = fault {
        match fault.kind {
            Kind::ResetBefore => return reset(&connection).await,
            Kind::Latency => tokio::time::sleep(fault.delay).await,
            Kind::ResetAfter => {}
            kind => {
                if let Some(error) = errors::injected(service, kind, fault.variant) {
                    let items = if transaction {
                        errors::transact_items(&body)
                    } else {
                        0
                    };
                    return Ok(errors::response(service, error, items));
                }
            }
        }
    }
    // The whole body is forwarded at once: a 100-continue handshake is over.
    parts.headers.remove(http::header::EXPECT);
    let Ok(response) = forward(&connection, Request::from_parts(parts, Full::new(body))).await
    else {
        connection.control.counters[service.index()]
            .upstream_errors
            .fetch_add(1, Ordering::Relaxed);
        return reset(&connection).await;
    };
    if fault.is_some_and(|f| f.kind == Kind::ResetAfter) {
        return reset(&connection).await;
    }
    Ok(response)
}

/// Resets the downstream connection; the request never gets an answer.
async fn reset(connection: &Connection) -> Result<Response<Full<Bytes>>, Infallible> {
    connection.reset.notify_one();
    std::future::pending().await
}

/// Sends the request on this connection's upstream connection (opened on
/// first use, again after the upstream closed it) and reads the answer whole.
async fn forward(
    connection: &Connection,
    request: Request<Full<Bytes>>,
) -> Result<Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let mut slot = connection.sender.lock().await;
    let reusable = slot.as_ref().is_some_and(|sender| !sender.is_closed());
    if !reusable {
        let stream = TcpStream::connect(connection.upstream).await?;
        let _ = stream.set_nodelay(true);
        let (sender, upstream) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when either side closes; errors surface on send_request.
            let _ = upstream.await;
        });
        *slot = Some(sender);
    }
    let sender = slot.as_mut().ok_or("no upstream connection")?;
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}
