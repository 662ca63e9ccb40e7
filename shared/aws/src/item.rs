//! Reading and writing DynamoDB attribute values.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use intake_domain::StoreError;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn time(at: &DateTime<Utc>) -> AttributeValue {
    s(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

fn malformed(name: &str) -> StoreError {
    StoreError::new(
        "read_item",
        format!("attribute {name} is missing or malformed"),
    )
}

pub fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

pub fn req_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    get_s(item, name).ok_or_else(|| malformed(name))
}

pub fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<Option<T>, StoreError> {
    match item.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_n()
            .ok()
            .and_then(|raw| raw.parse().ok())
            .map(Some)
            .ok_or_else(|| malformed(name)),
    }
}

pub fn req_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    get_n(item, name)?.ok_or_else(|| malformed(name))
}

pub fn get_time(item: &Item, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    get_s(item, name)
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| malformed(name))
        })
        .transpose()
}

pub fn req_time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    get_time(item, name)?.ok_or_else(|| malformed(name))
}

pub fn parse<T>(raw: &str, name: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(raw).ok_or_else(|| malformed(name))
}
