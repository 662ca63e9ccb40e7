//! Uploads and results in one S3 bucket.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumMode;
use aws_sdk_s3::Client;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use intake_domain::model::UploadInfo;
use intake_domain::ports::{ObjectStore, PresignedRequest, StoreResult};
use intake_domain::StoreError;

#[derive(Clone, Debug)]
pub struct S3Objects {
    client: Client,
    bucket: String,
}

fn store_error<E: std::error::Error + 'static>(
    operation: &'static str,
    error: SdkError<E>,
) -> StoreError {
    StoreError::new(operation, DisplayErrorContext(error))
}

fn presigning(
    valid_from: SystemTime,
    ttl: Duration,
    operation: &'static str,
) -> StoreResult<PresigningConfig> {
    PresigningConfig::builder()
        .start_time(valid_from)
        .expires_in(ttl)
        .build()
        .map_err(|e| StoreError::new(operation, e))
}

impl S3Objects {
    pub fn new(client: Client, bucket: &str) -> Self {
        Self {
            client,
            bucket: bucket.to_owned(),
        }
    }
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        valid_from: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<PresignedRequest> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(presigning(valid_from.into(), ttl, "presign_upload")?)
            .await
            .map_err(|e| store_error("presign_upload", e))?;
        // The client must send exactly the signed headers; `host` it sends
        // by itself.
        let headers = request
            .headers()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        Ok(PresignedRequest {
            method: request.method().to_owned(),
            url: request.uri().to_owned(),
            headers,
        })
    }

    async fn head(&self, key: &str) -> StoreResult<Option<UploadInfo>> {
        let result = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        match result {
            Ok(head) => Ok(Some(UploadInfo {
                size: head.content_length().unwrap_or(0).max(0) as u64,
                etag: head
                    .e_tag()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_owned(),
                checksum_sha256: head.checksum_sha256().map(str::to_owned),
            })),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(error) => Err(store_error("head_object", error)),
        }
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match result {
            Ok(object) => {
                let body = object
                    .body
                    .collect()
                    .await
                    .map_err(|e| StoreError::new("get_object", e))?;
                Ok(Some(body.into_bytes()))
            }
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(error) => Err(store_error("get_object", error)),
        }
    }

    async fn put_json(&self, key: &str, body: Vec<u8>) -> StoreResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| store_error("put_object", e))?;
        Ok(())
    }

    async fn presign_download(&self, key: &str, ttl: Duration) -> StoreResult<String> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning(SystemTime::now(), ttl, "presign_download")?)
            .await
            .map_err(|e| store_error("presign_download", e))?;
        Ok(request.uri().to_owned())
    }
}
