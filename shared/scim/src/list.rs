//! GET /Users query parameters and the ListResponse (RFC 7644 §3.4.2).

use std::num::IntErrorKind;

use serde_json::{Value, json};

use crate::LIST_RESPONSE;
use crate::error::{ScimError, echo, invalid_value};
use crate::filter::{Filter, parse_filter};

/// The most resources one page holds, and the page size when `count` is not given. Larger
/// `count`s are lowered to it: RFC 7644 §3.4.2.4 lets a service provider return fewer.
pub const MAX_COUNT: usize = 100;

/// A parsed GET /Users query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based, at least 1.
    pub start_index: usize,
    /// At most [`MAX_COUNT`]; 0 asks for `totalResults` only.
    pub count: usize,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

/// Reads the query parameters (already percent-decoded, in request order).
///
/// - Names are matched case-insensitively; a parameter given twice is 400 `invalidValue`.
/// - `startIndex` below 1 is read as 1, and a negative `count` as 0 (RFC 7644 §3.4.2.4).
///   A value that is not an integer is 400 `invalidValue`.
/// - `sortBy` and `sortOrder` are ignored. RFC 7644 §3.4.2.3 makes sorting OPTIONAL and names
///   no error for a server without it; [`crate::service_provider_config`] says
///   `"sort": {"supported": false}`, and results come in the server's stable order.
/// - `attributes` and `excludedAttributes` are kept for [`crate::project`]; both at once is
///   400 `invalidValue` there and here. Empty ones count as absent.
/// - Other parameters are ignored.
pub fn parse_list_query(params: &[(String, String)]) -> Result<ListQuery, ScimError> {
    let mut filter = None;
    let mut start_index = None;
    let mut count = None;
    let mut attributes = None;
    let mut excluded_attributes = None;
    for (name, value) in params {
        let slot = match name.to_ascii_lowercase().as_str() {
            "filter" => &mut filter,
            "startindex" => &mut start_index,
            "count" => &mut count,
            "attributes" => &mut attributes,
            "excludedattributes" => &mut excluded_attributes,
            _ => continue,
        };
        if slot.replace(value.as_str()).is_some() {
            return Err(invalid_value(format!(
                "the query parameter {} is given twice",
                echo(name)
            )));
        }
    }
    let non_empty = |value: Option<&str>| value.filter(|v| !v.trim().is_empty()).map(str::to_owned);
    let attributes = non_empty(attributes);
    let excluded_attributes = non_empty(excluded_attributes);
    if attributes.is_some() && excluded_attributes.is_some() {
        return Err(invalid_value(
            "use either attributes or excludedAttributes, not both",
        ));
    }
    Ok(ListQuery {
        filter: filter.map(parse_filter).transpose()?,
        start_index: match start_index {
            Some(text) => {
                usize::try_from(integer(text, "startIndex")?.max(1)).unwrap_or(usize::MAX)
            }
            None => 1,
        },
        count: match count {
            Some(text) => usize::try_from(integer(text, "count")?.max(0))
                .map_or(MAX_COUNT, |count| count.min(MAX_COUNT)),
            None => MAX_COUNT,
        },
        attributes,
        excluded_attributes,
    })
}

/// An integer query parameter. Values beyond `i64` saturate: the clamping that follows would
/// bring them into range anyway.
fn integer(text: &str, name: &str) -> Result<i64, ScimError> {
    match text.trim().parse::<i64>() {
        Ok(value) => Ok(value),
        Err(error) => match error.kind() {
            IntErrorKind::PosOverflow => Ok(i64::MAX),
            IntErrorKind::NegOverflow => Ok(i64::MIN),
            _ => Err(invalid_value(format!(
                "{name} must be an integer, not {}",
                echo(text)
            ))),
        },
    }
}

/// A ListResponse (RFC 7644 §3.4.2): `itemsPerPage` is the number of resources on this page.
pub fn list_response(total_results: usize, start_index: usize, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total_results,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScimType;

    fn query(pairs: &[(&str, &str)]) -> Result<ListQuery, ScimError> {
        let params: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        parse_list_query(&params)
    }

    #[test]
    fn no_parameters_mean_the_first_full_page() {
        let q = query(&[]).unwrap();
        assert_eq!((q.start_index, q.count), (1, MAX_COUNT));
        assert_eq!(q.filter, None);
    }

    #[test]
    fn okta_paging_is_read_as_sent() {
        let q = query(&[("startIndex", "101"), ("count", "100")]).unwrap();
        assert_eq!((q.start_index, q.count), (101, 100));
        let q = query(&[("startIndex", "1"), ("count", "2")]).unwrap();
        assert_eq!((q.start_index, q.count), (1, 2));
    }

    #[test]
    fn out_of_range_paging_is_clamped_as_rfc_7644_says() {
        let q = query(&[("startIndex", "0"), ("count", "-5")]).unwrap();
        assert_eq!((q.start_index, q.count), (1, 0));
        let q = query(&[("startIndex", "-3"), ("count", "1000")]).unwrap();
        assert_eq!((q.start_index, q.count), (1, MAX_COUNT));
        let q = query(&[("count", "99999999999999999999999")]).unwrap();
        assert_eq!(q.count, MAX_COUNT);
    }

    #[test]
    fn non_numeric_paging_is_an_invalid_value() {
        for (name, value) in [("startIndex", "one"), ("count", "1.5"), ("count", "")] {
            let error = query(&[(name, value)]).unwrap_err();
            assert_eq!(
                error.scim_type,
                Some(ScimType::InvalidValue),
                "{name}={value}"
            );
            assert!(error.detail.contains(name));
        }
    }

    #[test]
    fn parameter_names_are_case_insensitive_and_sorting_is_ignored() {
        let q = query(&[
            ("FILTER", r#"userName eq "a""#),
            ("StartIndex", "3"),
            ("sortBy", "userName"),
            ("sortOrder", "descending"),
        ])
        .unwrap();
        assert_eq!(q.start_index, 3);
        assert_eq!(q.filter.map(|f| f.conditions.len()), Some(1));
    }

    #[test]
    fn a_bad_filter_fails_the_query() {
        let error = query(&[("filter", r#"userName co "a""#)]).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
    }

    #[test]
    fn a_repeated_parameter_is_refused() {
        let error = query(&[("count", "1"), ("Count", "2")]).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn attributes_and_excluded_attributes_exclude_each_other() {
        let q = query(&[("attributes", "userName"), ("excludedAttributes", "")]).unwrap();
        assert_eq!(q.attributes.as_deref(), Some("userName"));
        assert_eq!(q.excluded_attributes, None);
        let error =
            query(&[("attributes", "userName"), ("excludedAttributes", "emails")]).unwrap_err();
        assert_eq!(error.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn a_list_response_counts_the_page_it_carries() {
        let body = list_response(250, 101, vec![json!({"id": "a"}), json!({"id": "b"})]);
        assert_eq!(
            body,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 250,
                "startIndex": 101,
                "itemsPerPage": 2,
                "Resources": [{"id": "a"}, {"id": "b"}],
            })
        );
    }
}
