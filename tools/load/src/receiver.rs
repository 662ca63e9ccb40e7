//! A tiny HTTP/1.1 receiver on 127.0.0.1 for phase C: it answers every
//! request `200` and hands each request (receipt time, headers, body) to the
//! caller. Just enough HTTP for a webhook sender: a request line, headers,
//! and a body of `Content-Length` bytes or `Transfer-Encoding: chunked`;
//! keep-alive connections are served request after request.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

/// Largest request head and body accepted (a webhook body is a few KiB).
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// A connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(30);

/// One request as received.
pub struct Delivery {
    /// When the last byte of the request arrived (wall clock).
    pub received: SystemTime,
    pub method: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

pub struct Receiver {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    pub deliveries: mpsc::UnboundedReceiver<Delivery>,
    accept: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Dropping the accept task's JoinSet aborts every connection.
        self.accept.abort();
    }
}

pub async fn start() -> io::Result<Receiver> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    let (sender, deliveries) = mpsc::unbounded_channel();
    let accept = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        connections.spawn(serve(stream, sender.clone()));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    Ok(Receiver {
        base_url: format!("http://127.0.0.1:{port}"),
        deliveries,
        accept,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Reads more bytes into `buf`; `Ok(false)` on end of stream or idle timeout.
async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<bool> {
    let mut chunk = [0u8; 16 * 1024];
    match tokio::time::timeout(IDLE, stream.read(&mut chunk)).await {
        Ok(Ok(0)) | Err(_) => Ok(false),
        Ok(Ok(n)) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(true)
        }
        Ok(Err(error)) => Err(error),
    }
}

async fn answer(stream: &mut TcpStream, status: &str, close: bool) -> io::Result<()> {
    let connection = if close { "close" } else { "keep-alive" };
    let response =
        format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: {connection}\r\n\r\n");
    stream.write_all(response.as_bytes()).await?;
    stream.flush().await
}

async fn serve(mut stream: TcpStream, sender: mpsc::UnboundedSender<Delivery>) {
    let mut buf = Vec::new();
    loop {
        // The head.
        let head_end = loop {
            if let Some(at) = find(&buf, b"\r\n\r\n") {
                break at;
            }
            if buf.len() > MAX_HEAD_BYTES {
                let _ = answer(&mut stream, "431 Request Header Fields Too Large", true).await;
                return;
            }
            match fill(&mut stream, &mut buf).await {
                Ok(true) => {}
                _ => return,
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let method = lines
            .next()
            .and_then(|line| line.split(' ').next())
            .unwrap_or_default()
            .to_owned();
        let headers: HashMap<String, String> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let close = headers
            .get("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let chunked = headers
            .get("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));

        // The body.
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(at) = find(&buf, b"\r\n") {
                        break at;
                    }
                    if buf.len() > MAX_HEAD_BYTES
                        || !matches!(fill(&mut stream, &mut buf).await, Ok(true))
                    {
                        return;
                    }
                };
                let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
                let Ok(size) =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                else {
                    let _ = answer(&mut stream, "400 Bad Request", true).await;
                    return;
                };
                buf.drain(..line_end + 2);
                if size == 0 {
                    // Trailers (none expected) end with an empty line.
                    loop {
                        if let Some(at) = find(&buf, b"\r\n") {
                            let empty = at == 0;
                            buf.drain(..at + 2);
                            if empty {
                                break;
                            }
                        } else if !matches!(fill(&mut stream, &mut buf).await, Ok(true)) {
                            return;
                        }
                    }
                    break;
                }
                if body.len() + size > MAX_BODY_BYTES {
                    let _ = answer(&mut stream, "413 Content Too Large", true).await;
                    return;
                }
                while buf.len() < size + 2 {
                    if !matches!(fill(&mut stream, &mut buf).await, Ok(true)) {
                        return;
                    }
                }
                body.extend_from_slice(&buf[..size]);
                buf.drain(..size + 2);
            }
            body
        } else {
            let length = match headers.get("content-length").map(|v| v.parse::<usize>()) {
                None => 0,
                Some(Ok(length)) if length <= MAX_BODY_BYTES => length,
                Some(_) => {
                    let _ = answer(&mut stream, "413 Content Too Large", true).await;
                    return;
                }
            };
            while buf.len() < length {
                if !matches!(fill(&mut stream, &mut buf).await, Ok(true)) {
                    return;
                }
            }
            buf.drain(..length).collect()
        };
        let received = SystemTime::now();
        let _ = sender.send(Delivery {
            received,
            method,
            headers,
            body,
        });
        if answer(&mut stream, "200 OK", close).await.is_err() || close {
            return;
        }
    }
}
