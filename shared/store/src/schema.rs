//! Creating the table from its declared shape (the one in `template.yaml`).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
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
}
