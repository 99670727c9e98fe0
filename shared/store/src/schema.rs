//! Creating the table from its declared shape (the one in `template.yaml`).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};

use crate::client::Store;
use crate::error::{StoreError, classify};

/// A table's keys and indexes, as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSpec {
    /// (name, type) with type `S`, `N` or `B`.
    pub attributes: Vec<(String, String)>,
    /// (name, `HASH` or `RANGE`).
    pub key: Vec<(String, String)>,
    pub indexes: Vec<IndexSpec>,
    /// The stream's view type (`NEW_IMAGE`...), when the table has a stream.
    pub stream_view_type: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub key: Vec<(String, String)>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    pub non_key_attributes: Vec<String>,
}

impl Store {
    /// Creates the table (on-demand billing). An existing table is left as it is.
    pub async fn create_table(&self, spec: &TableSpec) -> Result<bool, StoreError> {
        let key = |k: &[(String, String)]| -> Result<Vec<KeySchemaElement>, StoreError> {
            k.iter()
                .map(|(name, kind)| {
                    KeySchemaElement::builder()
                        .attribute_name(name)
                        .key_type(KeyType::from(kind.as_str()))
                        .build()
                        .map_err(|e| StoreError::Other(e.to_string()))
                })
                .collect()
        };
        let mut request = self
            .client()
            .create_table()
            .table_name(self.table())
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key(&spec.key)?));
        for (name, kind) in &spec.attributes {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::from(kind.as_str()))
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?,
            );
        }
        for index in &spec.indexes {
            let projection = Projection::builder()
                .projection_type(ProjectionType::from(index.projection.as_str()))
                .set_non_key_attributes(
                    (!index.non_key_attributes.is_empty())
                        .then(|| index.non_key_attributes.clone()),
                )
                .build();
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(&index.name)
                    .set_key_schema(Some(key(&index.key)?))
                    .projection(projection)
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?,
            );
        }
        if let Some(view) = &spec.stream_view_type {
            request = request.stream_specification(stream(view)?);
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(classify(err)),
        }
    }

    /// The ARN of the table's stream, enabling the stream (with this view type) on a table
    /// created without one, such as a local table from before the stream was declared.
    pub async fn ensure_stream(&self, view: &str) -> Result<String, StoreError> {
        let described = self
            .client()
            .describe_table()
            .table_name(self.table())
            .send()
            .await
            .map_err(classify)?;
        let table = described.table();
        let enabled = table
            .and_then(|t| t.stream_specification())
            .is_some_and(|s| s.stream_enabled());
        if let (true, Some(arn)) = (enabled, table.and_then(|t| t.latest_stream_arn())) {
            return Ok(arn.to_owned());
        }
        let updated = self
            .client()
            .update_table()
            .table_name(self.table())
            .stream_specification(stream(view)?)
            .send()
            .await
            .map_err(classify)?;
        updated
            .table_description()
            .and_then(|t| t.latest_stream_arn())
            .map(str::to_owned)
            .ok_or_else(|| {
                StoreError::Other("the table's stream was enabled but has no ARN".into())
            })
    }
}

fn stream(view: &str) -> Result<StreamSpecification, StoreError> {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::from(view))
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))
}
