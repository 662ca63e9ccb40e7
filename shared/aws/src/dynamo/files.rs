//! One file's record on its own, for operators looking at a dead letter.

use async_trait::async_trait;
use intake_domain::ids::{FileId, SessionId};
use intake_domain::model::FileRecord;
use intake_domain::ports::{FileLookup, StoreResult};

use super::sessions::read_file;
use super::{file_sk, session_pk, DynamoStore};

#[async_trait]
impl FileLookup for DynamoStore {
    async fn load_file(
        &self,
        tenant: &str,
        session_id: &SessionId,
        file_id: &FileId,
    ) -> StoreResult<Option<FileRecord>> {
        self.get(
            session_pk(tenant, session_id),
            &file_sk(file_id),
            "load_file",
        )
        .await?
        .map(|item| read_file(&item))
        .transpose()
    }
}
