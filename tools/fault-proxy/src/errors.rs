//! Injected error answers, each in the format its service really uses, so
//! that the AWS SDK parses them as that service's error (code and status):
//! - DynamoDB (awsJson1_0): `{"__type": "com.amazonaws.dynamodb.v20120810#<Code>", "message"}`;
//! - SQS (awsJson1_0 with the awsQueryCompatible trait, which aws-sdk-sqs
//!   1.119 speaks): the same JSON shape plus the `x-amzn-query-error:
//!   <Code>;<Sender|Receiver>` header the SDK takes the code from;
//! - S3 (restXml): `<Error><Code>…</Code><Message>…</Message></Error>`.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::plan::{Kind, Service};

/// The error code, HTTP status and message of an injected answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Injected {
    pub code: &'static str,
    pub status: u16,
    pub message: &'static str,
}

/// What `kind` answers on `service`, or None for faults that are not an
/// answer (resets, latency) and for a transaction conflict outside DynamoDB.
pub fn injected(service: Service, kind: Kind, variant: u8) -> Option<Injected> {
    let (code, status, message) = match (service, kind) {
        (Service::Dynamodb, Kind::Http500) => (
            "InternalServerError",
            500,
            "Internal server error (injected)",
        ),
        (Service::Dynamodb, Kind::Http503) => (
            "ServiceUnavailable",
            503,
            "Service unavailable (injected)",
        ),
        (Service::Dynamodb, Kind::Throttle) if variant == 0 => (
            "ProvisionedThroughputExceededException",
            400,
            "The level of configured provisioned throughput for the table was exceeded (injected)",
        ),
        (Service::Dynamodb, Kind::Throttle) => {
            ("ThrottlingException", 400, "Rate exceeded (injected)")
        }
        (Service::Dynamodb, Kind::TransactionConflict) => (
            "TransactionCanceledException",
            400,
            "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict] (injected)",
        ),
        (Service::Sqs, Kind::Http500) => ("InternalError", 500, "Internal error (injected)"),
        (Service::Sqs, Kind::Http503) => (
            "ServiceUnavailable",
            503,
            "Service unavailable (injected)",
        ),
        (Service::Sqs, Kind::Throttle) => (
            "RequestThrottled",
            400,
            "The request was denied due to request throttling (injected)",
        ),
        (Service::S3, Kind::Http500) => (
            "InternalError",
            500,
            "We encountered an internal error. Please try again. (injected)",
        ),
        (Service::S3, Kind::Http503) => (
            "ServiceUnavailable",
            503,
            "Service is unable to handle request. (injected)",
        ),
        (Service::S3, Kind::Throttle) => {
            ("SlowDown", 503, "Please reduce your request rate. (injected)")
        }
        _ => return None,
    };
    Some(Injected {
        code,
        status,
        message,
    })
}

/// The HTTP answer of an injected error. `transact_items` is the number of
/// items of a `TransactWriteItems` request: a cancellation carries one
/// reason per item (the first `TransactionConflict`, the others `None`), as
/// DynamoDB's does.
pub fn response(service: Service, error: Injected, transact_items: usize) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body) = match service {
        Service::Dynamodb => {
            let mut body = serde_json::json!({
                "__type": format!("com.amazonaws.dynamodb.v20120810#{}", error.code),
                "message": error.message,
            });
            if error.code == "TransactionCanceledException" {
                let reasons: Vec<serde_json::Value> = (0..transact_items.max(1))
                    .map(|i| {
                        if i == 0 {
                            serde_json::json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"})
                        } else {
                            serde_json::json!({"Code": "None"})
                        }
                    })
                    .collect();
                body["CancellationReasons"] = reasons.into();
            }
            ("application/x-amz-json-1.0", body.to_string())
        }
        Service::Sqs => (
            "application/x-amz-json-1.0",
            serde_json::json!({
                "__type": format!("com.amazonaws.sqs#{}", error.code),
                "message": error.message,
            })
            .to_string(),
        ),
        Service::S3 => (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>INJECTED</RequestId></Error>",
                error.code, error.message
            ),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("x-amzn-requestid", HeaderValue::from_static("INJECTED"));
    if service == Service::Sqs {
        // Server-side faults are the Receiver's; throttling is the Sender's.
        let side = if error.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        };
        if let Ok(value) = HeaderValue::from_str(&format!("{};{side}", error.code)) {
            headers.insert("x-amzn-query-error", value);
        }
    }
    response
}

/// The number of `TransactItems` of a DynamoDB `TransactWriteItems` body
/// (0 when it cannot be read).
pub fn transact_items(body: &[u8]) -> usize {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("TransactItems")?.as_array().map(Vec::len))
        .unwrap_or(0)
}
