//! Sparkplug B payloads (topics under `spBv1.0/`): the protobuf messages of
//! the Eclipse Tahu `sparkplug_b.proto`, written out with prost's derive (no
//! protoc in the build), and their rendering as readable JSON: metric names
//! (from the birth certificate when a metric comes by alias only), aliases,
//! types, values (signed integers corrected, DateTime as a date), property
//! sets, DataSets, Templates, timestamps and the sequence number. Metadata
//! and extensions are skipped by protobuf's own rules, never an error.

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
    #[prost(message, optional, tag = "9")]
    pub properties: Option<PropertySet>,
    #[prost(oneof = "MetricValue", tags = "10, 11, 12, 13, 14, 15, 16, 17, 18")]
    pub value: Option<MetricValue>,
}

/// `Payload.PropertySet`: keys and values side by side (`engUnit`, `Quality`, …).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertySet {
    #[prost(string, repeated, tag = "1")]
    pub keys: Vec<String>,
    #[prost(message, repeated, tag = "2")]
    pub values: Vec<PropertyValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertyValue {
    #[prost(uint32, optional, tag = "1")]
    pub datatype: Option<u32>,
    #[prost(bool, optional, tag = "2")]
    pub is_null: Option<bool>,
    #[prost(oneof = "PropertyKind", tags = "3, 4, 5, 6, 7, 8, 9")]
    pub value: Option<PropertyKind>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum PropertyKind {
    #[prost(uint32, tag = "3")]
    Int(u32),
    #[prost(uint64, tag = "4")]
    Long(u64),
    #[prost(float, tag = "5")]
    Float(f32),
    #[prost(double, tag = "6")]
    Double(f64),
    #[prost(bool, tag = "7")]
    Boolean(bool),
    #[prost(string, tag = "8")]
    String(String),
    #[prost(message, tag = "9")]
    Set(PropertySet),
}

/// `Payload.DataSet`: a table with typed columns.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataSet {
    #[prost(uint64, optional, tag = "1")]
    pub num_of_columns: Option<u64>,
    #[prost(string, repeated, tag = "2")]
    pub columns: Vec<String>,
    #[prost(uint32, repeated, packed = "false", tag = "3")]
    pub types: Vec<u32>,
    #[prost(message, repeated, tag = "4")]
    pub rows: Vec<DataSetRow>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct DataSetRow {
    #[prost(message, repeated, tag = "1")]
    pub elements: Vec<DataSetValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct DataSetValue {
    #[prost(oneof = "DataSetKind", tags = "1, 2, 3, 4, 5, 6")]
    pub value: Option<DataSetKind>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum DataSetKind {
    #[prost(uint32, tag = "1")]
    Int(u32),
    #[prost(uint64, tag = "2")]
    Long(u64),
    #[prost(float, tag = "3")]
    Float(f32),
    #[prost(double, tag = "4")]
    Double(f64),
    #[prost(bool, tag = "5")]
    Boolean(bool),
    #[prost(string, tag = "6")]
    String(String),
}

/// `Payload.Template`: a definition (`_types_/…`) or an instance of one.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Template {
    #[prost(string, optional, tag = "1")]
    pub version: Option<String>,
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    #[prost(message, repeated, tag = "3")]
    pub parameters: Vec<TemplateParameter>,
    #[prost(string, optional, tag = "4")]
    pub template_ref: Option<String>,
    #[prost(bool, optional, tag = "5")]
    pub is_definition: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TemplateParameter {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(uint32, optional, tag = "2")]
    pub datatype: Option<u32>,
    #[prost(oneof = "ParameterKind", tags = "3, 4, 5, 6, 7, 8")]
    pub value: Option<ParameterKind>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ParameterKind {
    #[prost(uint32, tag = "3")]
    Int(u32),
    #[prost(uint64, tag = "4")]
    Long(u64),
    #[prost(float, tag = "5")]
    Float(f32),
    #[prost(double, tag = "6")]
    Double(f64),
    #[prost(bool, tag = "7")]
    Boolean(bool),
    #[prost(string, tag = "8")]
    String(String),
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
    #[prost(message, tag = "17")]
    DataSet(DataSet),
    #[prost(message, tag = "18")]
    Template(Template),
}

/// A number in a signed or unsigned Sparkplug type, from its unsigned wire field.
fn integer(datatype: u32, wire: u64) -> Value {
    match datatype {
        1 => json!(wire as u8 as i8),
        2 => json!(wire as u16 as i16),
        3 => json!(wire as u32 as i32),
        4 => json!(wire as i64),
        13 => date_time(wire),
        _ => json!(wire),
    }
}

/// A DateTime (milliseconds since 1970, UTC) as the date it is.
fn date_time(ms: u64) -> Value {
    match chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms as i64) {
        Some(t) => json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        None => json!(ms),
    }
}

fn float(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn property_set(set: &PropertySet) -> Value {
    let mut out = Map::new();
    for (key, value) in set.keys.iter().zip(&set.values) {
        let datatype = value.datatype.unwrap_or(0);
        let v = if value.is_null == Some(true) {
            Value::Null
        } else {
            match &value.value {
                None => Value::Null,
                Some(PropertyKind::Int(v)) => integer(datatype, u64::from(*v)),
                Some(PropertyKind::Long(v)) => integer(datatype, *v),
                Some(PropertyKind::Float(v)) => float(f64::from(*v)),
                Some(PropertyKind::Double(v)) => float(*v),
                Some(PropertyKind::Boolean(v)) => json!(v),
                Some(PropertyKind::String(v)) => json!(v),
                Some(PropertyKind::Set(inner)) => property_set(inner),
            }
        };
        out.insert(key.clone(), v);
    }
    Value::Object(out)
}

fn data_set(set: &DataSet) -> Value {
    let rows: Vec<Value> = set
        .rows
        .iter()
        .map(|row| {
            Value::Array(
                row.elements
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let datatype = set.types.get(i).copied().unwrap_or(0);
                        match &e.value {
                            None => Value::Null,
                            Some(DataSetKind::Int(v)) => integer(datatype, u64::from(*v)),
                            Some(DataSetKind::Long(v)) => integer(datatype, *v),
                            Some(DataSetKind::Float(v)) => float(f64::from(*v)),
                            Some(DataSetKind::Double(v)) => float(*v),
                            Some(DataSetKind::Boolean(v)) => json!(v),
                            Some(DataSetKind::String(v)) => json!(v),
                        }
                    })
                    .collect(),
            )
        })
        .collect();
    json!({
        "columns": set.columns,
        "types": set.types.iter().map(|t| type_name(*t)).collect::<Vec<_>>(),
        "rows": rows,
    })
}

fn template(t: &Template) -> Value {
    let mut out = Map::new();
    if let Some(r) = &t.template_ref {
        out.insert("template_ref".into(), json!(r));
    }
    if t.is_definition == Some(true) {
        out.insert("definition".into(), json!(true));
    }
    if let Some(v) = &t.version {
        out.insert("version".into(), json!(v));
    }
    if !t.parameters.is_empty() {
        let params: Map<String, Value> = t
            .parameters
            .iter()
            .map(|p| {
                let datatype = p.datatype.unwrap_or(0);
                let v = match &p.value {
                    None => Value::Null,
                    Some(ParameterKind::Int(v)) => integer(datatype, u64::from(*v)),
                    Some(ParameterKind::Long(v)) => integer(datatype, *v),
                    Some(ParameterKind::Float(v)) => float(f64::from(*v)),
                    Some(ParameterKind::Double(v)) => float(*v),
                    Some(ParameterKind::Boolean(v)) => json!(v),
                    Some(ParameterKind::String(v)) => json!(v),
                };
                (p.name.clone().unwrap_or_default(), v)
            })
            .collect();
        out.insert("parameters".into(), Value::Object(params));
    }
    out.insert(
        "metrics".into(),
        Value::Array(t.metrics.iter().map(|m| metric_json(m, None)).collect()),
    );
    Value::Object(out)
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
        Some(MetricValue::Int(v)) => integer(datatype, u64::from(*v)),
        Some(MetricValue::Long(v)) => integer(datatype, *v),
        Some(MetricValue::Float(v)) => float(f64::from(*v)),
        Some(MetricValue::Double(v)) => float(*v),
        Some(MetricValue::Boolean(v)) => json!(v),
        Some(MetricValue::String(v)) => json!(v),
        Some(MetricValue::Bytes(v)) => json!(format!("{} bytes", v.len())),
        Some(MetricValue::DataSet(set)) => data_set(set),
        Some(MetricValue::Template(t)) => template(t),
    }
}

/// The names (and types) of a node's or device's metrics by alias, from its birth certificate.
pub type AliasNames = std::collections::HashMap<u64, (String, u32)>;

/// One metric as JSON; `births` names a metric sent by alias only.
fn metric_json(m: &Metric, births: Option<&AliasNames>) -> Value {
    let mut metric = Map::new();
    let born = match (&m.name, m.alias, births) {
        (None, Some(alias), Some(births)) => births.get(&alias),
        _ => None,
    };
    if let Some(name) = &m.name {
        metric.insert("name".into(), json!(name));
    } else if let Some((name, _)) = born {
        metric.insert("name".into(), json!(name));
        metric.insert("named_by".into(), json!("birth certificate"));
    }
    if let Some(alias) = m.alias {
        metric.insert("alias".into(), json!(alias));
    }
    let datatype = m.datatype.or(born.map(|(_, t)| *t));
    if let Some(datatype) = datatype {
        metric.insert("type".into(), json!(type_name(datatype)));
    }
    let mut typed = m.clone();
    typed.datatype = datatype;
    metric.insert("value".into(), metric_value(&typed));
    if let Some(ts) = m.timestamp {
        metric.insert("timestamp".into(), json!(ts));
    }
    if let Some(props) = &m.properties {
        metric.insert("properties".into(), property_set(props));
    }
    if m.is_historical == Some(true) {
        metric.insert("historical".into(), json!(true));
    }
    if m.is_transient == Some(true) {
        metric.insert("transient".into(), json!(true));
    }
    Value::Object(metric)
}

/// The payload with the names and types of alias-only metrics filled in from
/// `births`, re-encoded (for charts by metric name); `None` when nothing was missing.
pub fn with_birth_names(bytes: &[u8], births: &AliasNames) -> Option<Vec<u8>> {
    use prost::Message as _;
    let mut payload = Payload::decode(bytes).ok()?;
    let mut named = false;
    for m in &mut payload.metrics {
        if m.name.is_none()
            && let Some((name, datatype)) = m.alias.and_then(|a| births.get(&a))
        {
            m.name = Some(name.clone());
            m.datatype = m.datatype.or(Some(*datatype));
            named = true;
        }
    }
    named.then(|| payload.encode_to_vec())
}

/// The aliases a birth certificate (NBIRTH/DBIRTH) declares.
pub fn birth_aliases(bytes: &[u8]) -> Option<AliasNames> {
    use prost::Message as _;
    let payload = Payload::decode(bytes).ok()?;
    Some(
        payload
            .metrics
            .iter()
            .filter_map(|m| Some((m.alias?, (m.name.clone()?, m.datatype.unwrap_or(0)))))
            .collect(),
    )
}

/// The sequence number of a payload, if it carries one.
pub fn sequence(bytes: &[u8]) -> Option<u64> {
    use prost::Message as _;
    Payload::decode(bytes).ok()?.seq
}

/// A Node Control/Rebirth command (NCMD) asking an edge node to publish its births again.
pub fn rebirth_command(now_ms: u64) -> Vec<u8> {
    use prost::Message as _;
    Payload {
        timestamp: Some(now_ms),
        metrics: vec![Metric {
            name: Some("Node Control/Rebirth".into()),
            timestamp: Some(now_ms),
            datatype: Some(11),
            value: Some(MetricValue::Boolean(true)),
            ..Metric::default()
        }],
        ..Payload::default()
    }
    .encode_to_vec()
}

/// A Sparkplug B payload as pretty JSON, or why it is not one.
pub fn sparkplug(bytes: &[u8]) -> Result<String, String> {
    sparkplug_named(bytes, None)
}

/// As [`sparkplug`], naming alias-only metrics from their birth certificate.
pub fn sparkplug_named(bytes: &[u8], births: Option<&AliasNames>) -> Result<String, String> {
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
    let metrics: Vec<Value> = payload.metrics.iter().map(|m| metric_json(m, births)).collect();
    out.insert("metrics".into(), Value::Array(metrics));
    if let Some(body) = &payload.body {
        out.insert("body".into(), json!(format!("{} bytes", body.len())));
    }
    serde_json::to_string_pretty(&Value::Object(out)).map_err(|e| e.to_string())
}

/// The value of the metric called `name`, as a chart number (booleans 1/0).
/// A metric sent by alias only is found once the Model has named it from its
/// birth certificate ([`with_birth_names`]).
pub fn metric_number(bytes: &[u8], name: &str) -> Option<f64> {
    use prost::Message as _;
    let payload = Payload::decode(bytes).ok()?;
    let metric = payload.metrics.iter().find(|m| m.name.as_deref() == Some(name))?;
    match metric_value(metric) {
        Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        v => v.as_f64().filter(|f| f.is_finite()),
    }
}

/// Every metric of the payload that has a name and a numeric (or boolean,
/// as 1/0) value, in order.
pub fn named_numbers(bytes: &[u8]) -> Vec<(String, f64)> {
    use prost::Message as _;
    let Ok(payload) = Payload::decode(bytes) else {
        return Vec::new();
    };
    payload
        .metrics
        .iter()
        .filter_map(|m| {
            let name = m.name.clone()?;
            let value = match metric_value(m) {
                Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
                v => v.as_f64().filter(|f| f.is_finite()),
            }?;
            Some((name, value))
        })
        .collect()
}

/// Topics whose payloads are Sparkplug B by the spec's namespace.
pub fn is_sparkplug_topic(topic: &str) -> bool {
    topic.starts_with("spBv1.0/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An NBIRTH and a DDATA written byte by byte from the Sparkplug B .proto
    /// (Payload: timestamp=1, metrics=2, seq=3; Metric: name=1, alias=2,
    /// datatype=4, float_value=12), not by our own structs: the decoder is
    /// checked against the wire format, not against itself.
    const GOLDEN_NBIRTH: &[u8] = &[
        0x08, 0xE8, 0x07, // timestamp = 1000 (varint)
        0x12, 0x1D, // metric, 29 bytes:
        0x0A, 0x12, b'B', b'o', b'i', b'l', b'e', b'r', b'/', b'T', b'e', b'm', b'p', b'e', b'r', b'a', b't', b'u',
        b'r', b'e', // name = "Boiler/Temperature" (18 bytes)
        0x10, 0x01, // alias = 1
        0x20, 0x09, // datatype = 9 (Float)
        0x65, 0x00, 0x80, 0x8E, 0x42, // float_value = 71.25 (fixed32, 0x428E8000)
        0x18, 0x00, // seq = 0
    ];
    const GOLDEN_DDATA: &[u8] = &[
        0x08, 0xD0, 0x0F, // timestamp = 2000
        0x12, 0x09, // metric, 9 bytes: by alias only
        0x10, 0x01, // alias = 1
        0x20, 0x09, // datatype = 9 (Float)
        0x65, 0x00, 0x00, 0x91, 0x42, // float_value = 72.5 (0x42910000)
        0x18, 0x01, // seq = 1
    ];

    #[test]
    fn golden_bytes_from_the_proto_decode_and_name_their_aliases() {
        let birth = sparkplug(GOLDEN_NBIRTH).unwrap();
        assert!(
            birth.contains("Boiler/Temperature") && birth.contains("71.25"),
            "{birth}"
        );
        let aliases = birth_aliases(GOLDEN_NBIRTH).expect("the birth's aliases");
        assert_eq!(
            aliases.get(&1).map(|(name, kind)| (name.as_str(), *kind)),
            Some(("Boiler/Temperature", 9))
        );
        let named = sparkplug_named(GOLDEN_DDATA, Some(&aliases)).unwrap();
        assert!(
            named.contains("Boiler/Temperature") && named.contains("72.5"),
            "{named}"
        );
        assert_eq!(sequence(GOLDEN_DDATA), Some(1));
        let with_names = with_birth_names(GOLDEN_DDATA, &aliases).expect("named by the birth");
        assert_eq!(metric_number(&with_names, "Boiler/Temperature"), Some(72.5));
        assert_eq!(
            metric_number(GOLDEN_DDATA, "Boiler/Temperature"),
            None,
            "by alias only, no name"
        );
    }
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
