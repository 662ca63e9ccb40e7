//! Uploads and results in one S3 bucket.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::StreamExt;
use intake_domain::model::UploadInfo;
use intake_domain::ports::{ObjectStore, PresignedRequest, StoreResult, UploadRead};
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

/// Keys one DeleteObjects takes at most.
const DELETE_BATCH: usize = 1000;

/// Size of a multipart upload's parts (S3's minimum but for the last).
const PART_SIZE: usize = 8 * 1024 * 1024;

/// A multipart upload in progress; any failure aborts it.
struct MultipartWriter<'a> {
    objects: &'a S3Objects,
    key: String,
    upload_id: String,
    parts: Vec<CompletedPart>,
}

impl<'a> MultipartWriter<'a> {
    async fn start(objects: &'a S3Objects, key: &str) -> StoreResult<Self> {
        let created = objects
            .client
            .create_multipart_upload()
            .bucket(&objects.bucket)
            .key(key)
            .content_type("application/json")
            .send()
            .await
            .map_err(|e| store_error("create_multipart_upload", e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| StoreError::new("create_multipart_upload", "no upload id"))?;
        Ok(Self {
            objects,
            key: key.to_owned(),
            upload_id: upload_id.to_owned(),
            parts: Vec::new(),
        })
    }

    async fn send(mut self, bytes: Vec<u8>) -> StoreResult<Self> {
        let number = self.parts.len() as i32 + 1;
        let sent = self
            .objects
            .client
            .upload_part()
            .bucket(&self.objects.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .body(ByteStream::from(bytes))
            .send()
            .await;
        match sent {
            Ok(part) => {
                self.parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(part.e_tag().map(str::to_owned))
                        .build(),
                );
                Ok(self)
            }
            Err(error) => {
                self.abort().await;
                Err(store_error("upload_part", error))
            }
        }
    }

    async fn finish(self, last: Vec<u8>) -> StoreResult<()> {
        let writer = if last.is_empty() {
            self
        } else {
            self.send(last).await?
        };
        let completed = writer
            .objects
            .client
            .complete_multipart_upload()
            .bucket(&writer.objects.bucket)
            .key(&writer.key)
            .upload_id(&writer.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(writer.parts.clone()))
                    .build(),
            )
            .send()
            .await;
        match completed {
            Ok(_) => Ok(()),
            Err(error) => {
                writer.abort().await;
                Err(store_error("complete_multipart_upload", error))
            }
        }
    }

    /// Best effort: the bucket's lifecycle rule removes what is left.
    async fn abort(self) {
        let aborted = self
            .objects
            .client
            .abort_multipart_upload()
            .bucket(&self.objects.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
        if let Err(error) = aborted {
            tracing::warn!(key = %self.key, error = %DisplayErrorContext(error), "multipart upload not aborted");
        }
    }
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

    async fn list(&self, prefix: &str) -> StoreResult<Vec<(String, UploadInfo)>> {
        let pages: Vec<_> = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send()
            .collect()
            .await;
        let mut objects = Vec::new();
        for page in pages {
            let page = page.map_err(|e| store_error("list_objects", e))?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                objects.push((
                    key.to_owned(),
                    UploadInfo {
                        size: object.size().unwrap_or(0).max(0) as u64,
                        etag: object
                            .e_tag()
                            .unwrap_or_default()
                            .trim_matches('"')
                            .to_owned(),
                        // A listing has no checksum values, only algorithms.
                        checksum_sha256: None,
                    },
                ));
            }
        }
        Ok(objects)
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

    async fn read_upload(&self, key: &str, confirmed: &UploadInfo) -> StoreResult<UploadRead> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .if_match(&confirmed.etag)
            .send()
            .await;
        let object = match result {
            Ok(object) => object,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(UploadRead::Missing)
            }
            // 412: another object was put under the key since confirm.
            Err(error)
                if error
                    .raw_response()
                    .is_some_and(|r| r.status().as_u16() == 412) =>
            {
                return Ok(UploadRead::Changed)
            }
            Err(error) => return Err(store_error("get_object", error)),
        };
        // Same ETag with another length cannot happen on S3; checked before
        // a byte is read all the same, so that no answer makes the worker
        // hold more than was confirmed.
        if object.content_length().and_then(|n| u64::try_from(n).ok()) != Some(confirmed.size) {
            return Ok(UploadRead::Changed);
        }
        let body = object
            .body
            .collect()
            .await
            .map_err(|e| StoreError::new("get_object", e))?;
        Ok(UploadRead::Read(body.into_bytes()))
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

    async fn put_json_stream(
        &self,
        key: &str,
        mut chunks: BoxStream<'_, StoreResult<Vec<u8>>>,
    ) -> StoreResult<u64> {
        let mut part = Vec::with_capacity(PART_SIZE);
        let mut size = 0u64;
        let mut upload: Option<MultipartWriter> = None;
        while let Some(chunk) = chunks.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    if let Some(upload) = upload {
                        upload.abort().await;
                    }
                    return Err(error);
                }
            };
            size += chunk.len() as u64;
            part.extend_from_slice(&chunk);
            if part.len() >= PART_SIZE {
                let writer = match upload.take() {
                    Some(writer) => writer,
                    None => MultipartWriter::start(self, key).await?,
                };
                upload = Some(writer.send(std::mem::take(&mut part)).await?);
            }
        }
        match upload {
            // Small enough for one part: one plain PUT.
            None => self.put_json(key, part).await?,
            Some(writer) => writer.finish(part).await?,
        }
        Ok(size)
    }

    async fn exists(&self, key: &str) -> StoreResult<bool> {
        let result = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(false),
            Err(error) => Err(store_error("head_object", error)),
        }
    }

    async fn delete_prefix(&self, prefix: &str) -> StoreResult<usize> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut deleted = 0;
        // A listing page holds at most 1000 keys, as one DeleteObjects may.
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| store_error("list_objects", e))?;
            let keys: Vec<String> = page
                .contents()
                .iter()
                .filter_map(|object| object.key().map(str::to_owned))
                .collect();
            deleted += keys.len();
            self.delete(&keys).await?;
        }
        Ok(deleted)
    }

    async fn delete(&self, keys: &[String]) -> StoreResult<()> {
        for chunk in keys.chunks(DELETE_BATCH) {
            let objects = chunk
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StoreError::new("delete_objects", e))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| StoreError::new("delete_objects", e))?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| store_error("delete_objects", e))?;
            // A key that is not there is no error; any other is.
            if let Some(error) = output.errors().first() {
                return Err(StoreError::new(
                    "delete_objects",
                    format!(
                        "{} of {} keys not deleted, first {:?}: {:?}",
                        output.errors().len(),
                        chunk.len(),
                        error.key(),
                        error.code()
                    ),
                ));
            }
        }
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
