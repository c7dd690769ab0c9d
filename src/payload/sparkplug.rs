//! Sparkplug B payloads (topics under `spBv1.0/`): the protobuf messages of
//! the Eclipse Tahu `sparkplug_b.proto`, written out with prost's derive (no
//! protoc in the build), and their rendering as readable JSON: metric names,
//! aliases, types, values, timestamps and the sequence number. Fields this
//! view does not show (metadata, property sets, datasets, templates) are
//! skipped by protobuf's own rules, never an error.

use serde_json::{Map, Value, json};

/// `Payload` of sparkplug_b.proto (fields 1–5).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Payload {
    #[prost(uint64, optional, tag = "1")]
    pub timestamp: Option<u64>,
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    #[prost(uint64, optional, tag = "3")]
    pub seq: Option<u64>,
    #[prost(string, optional, tag = "4")]
    pub uuid: Option<String>,
    #[prost(bytes = "vec", optional, tag = "5")]
    pub body: Option<Vec<u8>>,
}

/// `Payload.Metric`, with the scalar members of its `value` oneof.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(uint64, optional, tag = "2")]
    pub alias: Option<u64>,
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
    #[prost(uint32, optional, tag = "4")]
    pub datatype: Option<u32>,
    #[prost(bool, optional, tag = "5")]
    pub is_historical: Option<bool>,
    #[prost(bool, optional, tag = "6")]
    pub is_transient: Option<bool>,
    #[prost(bool, optional, tag = "7")]
    pub is_null: Option<bool>,
    #[prost(oneof = "MetricValue", tags = "10, 11, 12, 13, 14, 15, 16")]
    pub value: Option<MetricValue>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum MetricValue {
    #[prost(uint32, tag = "10")]
    Int(u32),
    #[prost(uint64, tag = "11")]
    Long(u64),
    #[prost(float, tag = "12")]
    Float(f32),
    #[prost(double, tag = "13")]
    Double(f64),
    #[prost(bool, tag = "14")]
    Boolean(bool),
    #[prost(string, tag = "15")]
    String(String),
    #[prost(bytes = "vec", tag = "16")]
    Bytes(Vec<u8>),
}

/// The Sparkplug B data type names, by their number in the spec.
fn type_name(datatype: u32) -> &'static str {
    match datatype {
        1 => "Int8",
        2 => "Int16",
        3 => "Int32",
        4 => "Int64",
        5 => "UInt8",
        6 => "UInt16",
        7 => "UInt32",
        8 => "UInt64",
        9 => "Float",
        10 => "Double",
        11 => "Boolean",
        12 => "String",
        13 => "DateTime",
        14 => "Text",
        15 => "UUID",
        16 => "DataSet",
        17 => "Bytes",
        18 => "File",
        19 => "Template",
        20 => "PropertySet",
        21 => "PropertySetList",
        _ => "Unknown",
    }
}

/// The value as the data type means it: signed types are stored as unsigned
/// two's complement in the wire fields.
fn metric_value(metric: &Metric) -> Value {
    if metric.is_null == Some(true) {
        return Value::Null;
    }
    let datatype = metric.datatype.unwrap_or(0);
    match &metric.value {
        None => Value::Null,
        Some(MetricValue::Int(v)) => match datatype {
            1 => json!(*v as u8 as i8),
            2 => json!(*v as u16 as i16),
            3 => json!(*v as i32),
            _ => json!(v),
        },
        Some(MetricValue::Long(v)) => match datatype {
            4 => json!(*v as i64),
            _ => json!(v),
        },
        Some(MetricValue::Float(v)) => serde_json::Number::from_f64(f64::from(*v)).map_or(Value::Null, Value::Number),
        Some(MetricValue::Double(v)) => serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
        Some(MetricValue::Boolean(v)) => json!(v),
        Some(MetricValue::String(v)) => json!(v),
        Some(MetricValue::Bytes(v)) => json!(format!("{} bytes", v.len())),
    }
}

/// A Sparkplug B payload as pretty JSON, or why it is not one.
pub fn sparkplug(bytes: &[u8]) -> Result<String, String> {
    use prost::Message as _;
    let payload = Payload::decode(bytes).map_err(|e| format!("Not a Sparkplug B payload: {e}"))?;
    let mut out = Map::new();
    if let Some(ts) = payload.timestamp {
        out.insert("timestamp".into(), json!(ts));
    }
    if let Some(seq) = payload.seq {
        out.insert("seq".into(), json!(seq));
    }
    if let Some(uuid) = &payload.uuid {
        out.insert("uuid".into(), json!(uuid));
    }
    let metrics: Vec<Value> = payload
        .metrics
        .iter()
        .map(|m| {
            let mut metric = Map::new();
            if let Some(name) = &m.name {
                metric.insert("name".into(), json!(name));
            }
            if let Some(alias) = m.alias {
                metric.insert("alias".into(), json!(alias));
            }
            if let Some(datatype) = m.datatype {
                metric.insert("type".into(), json!(type_name(datatype)));
            }
            metric.insert("value".into(), metric_value(m));
            if let Some(ts) = m.timestamp {
                metric.insert("timestamp".into(), json!(ts));
            }
            if m.is_historical == Some(true) {
                metric.insert("historical".into(), json!(true));
            }
            if m.is_transient == Some(true) {
                metric.insert("transient".into(), json!(true));
            }
            Value::Object(metric)
        })
        .collect();
    out.insert("metrics".into(), Value::Array(metrics));
    if let Some(body) = &payload.body {
        out.insert("body".into(), json!(format!("{} bytes", body.len())));
    }
    serde_json::to_string_pretty(&Value::Object(out)).map_err(|e| e.to_string())
}

/// The value of the metric called `name`, as a chart number (booleans 1/0).
/// A metric sent by alias only (no name) is not found: resolving aliases needs
/// the edge node's NBIRTH.
pub fn metric_number(bytes: &[u8], name: &str) -> Option<f64> {
    use prost::Message as _;
    let payload = Payload::decode(bytes).ok()?;
    let metric = payload.metrics.iter().find(|m| m.name.as_deref() == Some(name))?;
    match metric_value(metric) {
        Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        v => v.as_f64().filter(|f| f.is_finite()),
    }
}

/// Topics whose payloads are Sparkplug B by the spec's namespace.
pub fn is_sparkplug_topic(topic: &str) -> bool {
    topic.starts_with("spBv1.0/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    /// An NDATA message as an edge node sends it.
    pub fn ndata() -> Vec<u8> {
        Payload {
            timestamp: Some(1_795_426_000_000),
            seq: Some(7),
            metrics: vec![
                Metric {
                    name: Some("Temperature".into()),
                    alias: Some(3),
                    timestamp: Some(1_795_426_000_001),
                    datatype: Some(9),
                    value: Some(MetricValue::Float(21.5)),
                    ..Metric::default()
                },
                Metric {
                    name: Some("Offset".into()),
                    datatype: Some(3),
                    value: Some(MetricValue::Int((-5i32) as u32)),
                    ..Metric::default()
                },
                Metric {
                    name: Some("Running".into()),
                    datatype: Some(11),
                    value: Some(MetricValue::Boolean(true)),
                    ..Metric::default()
                },
            ],
            ..Payload::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn metrics_read_with_names_types_and_signed_values() {
        let text = sparkplug(&ndata()).unwrap();
        assert!(text.contains("\"seq\": 7"), "{text}");
        assert!(text.contains("\"name\": \"Temperature\""), "{text}");
        assert!(text.contains("\"type\": \"Float\""), "{text}");
        assert!(text.contains("\"value\": 21.5"), "{text}");
        assert!(text.contains("\"alias\": 3"), "{text}");
        assert!(text.contains("\"value\": -5"), "the Int32 is signed: {text}");
        assert!(text.contains("\"value\": true"), "{text}");
    }

    #[test]
    fn metrics_chart_by_name() {
        assert_eq!(metric_number(&ndata(), "Temperature"), Some(21.5));
        assert_eq!(metric_number(&ndata(), "Offset"), Some(-5.0));
        assert_eq!(metric_number(&ndata(), "Running"), Some(1.0));
        assert_eq!(metric_number(&ndata(), "Missing"), None);
        assert_eq!(
            crate::payload::extract_number(&ndata(), "metric:Temperature"),
            Some(21.5)
        );
    }

    #[test]
    fn garbage_is_refused_in_words() {
        assert!(
            sparkplug(&[0xff, 0xff, 0xff])
                .unwrap_err()
                .contains("Not a Sparkplug B payload")
        );
        assert!(is_sparkplug_topic("spBv1.0/plant/NDATA/edge1"));
        assert!(!is_sparkplug_topic("spAv1.0/x"));
    }
}
