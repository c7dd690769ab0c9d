//! Every connection failure in the user's words: CONNACK and reason codes of
//! both protocol versions, socket and TLS errors (with what to do about them),
//! and why an encrypted key did not open. A leaf: it imports no other part of
//! `mqtt/`, so the connection code, the link and TLS all use it and none of
//! them need each other for words. Never includes a secret.

use std::path::Path;

use rumqttc::v5;
use rumqttc::v5::mqttbytes::v5 as v5b;
use rumqttc::{ConnectReturnCode, ConnectionError, StateError};

/// A connection error in the user's words, and whether retrying can help.
pub fn describe_connection_error(error: &ConnectionError, address: &str) -> (String, bool) {
    match error {
        ConnectionError::ConnectionRefused(code) => {
            let (words, retry) = match code {
                ConnectReturnCode::RefusedProtocolVersion => ("the broker does not accept MQTT 3.1.1", false),
                ConnectReturnCode::BadClientId => ("the broker rejected the client id", false),
                ConnectReturnCode::ServiceUnavailable => ("the broker is unavailable", true),
                ConnectReturnCode::BadUserNamePassword => ("bad user name or password", false),
                ConnectReturnCode::NotAuthorized => ("not authorised", false),
                ConnectReturnCode::Success => ("refused without a reason", true),
            };
            (
                format!(
                    "{address} refused the connection: {words} (CONNACK code {})",
                    *code as u8
                ),
                retry,
            )
        }
        ConnectionError::Io(e) => describe_io_error(e, address),
        ConnectionError::NetworkTimeout => (format!("{address} did not answer in time"), true),
        ConnectionError::FlushTimeout => (format!("{address} stopped reading from us"), true),
        ConnectionError::MqttState(StateError::AwaitPingResp) => {
            (format!("{address} stopped answering pings (keepalive timeout)"), true)
        }
        ConnectionError::MqttState(StateError::Io(e)) => describe_io_error(e, address),
        ConnectionError::MqttState(StateError::ConnectionAborted) => (format!("{address} closed the connection"), true),
        ConnectionError::MqttState(e) => describe_state_error(e, address),
        other => describe_other_error(other, address),
    }
}

/// A protocol-level failure; a TLS alert can hide in here (see `find_tls_alert_in_text`).
pub(super) fn describe_state_error(e: &dyn std::fmt::Display, address: &str) -> (String, bool) {
    let text = e.to_string();
    match find_tls_alert_in_text(&text) {
        Some(tls) => describe_tls_error(&tls, address),
        None => (format!("protocol error with {address}: {text}"), true),
    }
}

/// A socket error in words.
pub(super) fn describe_io_error(e: &std::io::Error, address: &str) -> (String, bool) {
    use std::io::ErrorKind;
    if let Some(tls) = find_tls_error(e) {
        return describe_tls_error(tls, address);
    }
    let words = match e.kind() {
        ErrorKind::ConnectionRefused => format!("connection refused by {address}: is the broker running?"),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof => {
            format!("{address} closed the connection")
        }
        ErrorKind::TimedOut => format!("{address} did not answer in time"),
        _ if e.to_string().contains("failed to lookup") || e.to_string().contains("Name or service") => {
            format!("cannot find the host of {address}: {e}")
        }
        _ => format!("network error with {address}: {e}"),
    };
    (words, true)
}

/// TLS and WebSocket failures (either protocol version), in words.
pub(super) fn describe_other_error(error: &(dyn std::error::Error + 'static), address: &str) -> (String, bool) {
    if let Some(tls) = find_tls_error(error) {
        return describe_tls_error(tls, address);
    }
    let text = error.to_string();
    if let Some(tls) = find_tls_alert_in_text(&text) {
        return describe_tls_error(&tls, address);
    }
    if text.starts_with("Websocket") || text.contains("HTTP") || text.contains("handshake") {
        return (
            format!(
                "{address} did not accept the WebSocket connection ({text}): check the port and the path (often /mqtt)"
            ),
            true,
        );
    }
    if text.contains("DNS name") {
        return (format!("'{address}' is not a valid TLS server name"), false);
    }
    let mut chain = text;
    let mut source = error.source();
    while let Some(e) = source {
        chain.push_str(": ");
        chain.push_str(&e.to_string());
        source = e.source();
    }
    (format!("connection to {address} failed: {chain}"), true)
}

pub(super) fn suback_words(code: v5b::SubscribeReasonCode, reason: Option<&str>) -> String {
    use v5b::SubscribeReasonCode as C;
    let (words, hex) = match code {
        C::Success(_) => ("granted", 0),
        C::Failure | C::Unspecified => ("refused without a reason", 0x80),
        C::ImplementationSpecific => ("refused by the broker's own rules", 0x83),
        C::NotAuthorized => ("not authorised", 0x87),
        C::TopicFilterInvalid => ("the broker finds the filter invalid", 0x8F),
        C::PkidInUse => ("packet id in use", 0x91),
        C::QuotaExceeded => ("quota exceeded", 0x97),
        C::SharedSubscriptionsNotSupported => ("shared subscriptions are not supported", 0x9E),
        C::SubscriptionIdNotSupported => ("subscription ids are not supported", 0xA1),
        C::WildcardSubscriptionsNotSupported => ("wildcard subscriptions are not supported", 0xA2),
    };
    match reason {
        Some(reason) => format!("{words} (SUBACK 0x{hex:02X}: {reason})"),
        None => format!("{words} (SUBACK 0x{hex:02X})"),
    }
}

pub(super) fn puback_words(reason: v5b::PubAckReason) -> Option<String> {
    use v5b::PubAckReason as R;
    let words = match reason {
        // Delivered to nobody, but accepted: not a failure.
        R::Success | R::NoMatchingSubscribers => return None,
        R::UnspecifiedError => "refused without a reason (0x80)",
        R::ImplementationSpecificError => "refused by the broker's own rules (0x83)",
        R::NotAuthorized => "not authorised to publish there (0x87)",
        R::TopicNameInvalid => "the broker finds the topic invalid (0x90)",
        R::PacketIdentifierInUse => "packet id in use (0x91)",
        R::QuotaExceeded => "quota exceeded (0x97)",
        R::PayloadFormatInvalid => "the payload does not match its declared format (0x99)",
    };
    Some(words.to_owned())
}

/// PUBREC carries the same reason codes as PUBACK: one set of words for both.
pub(super) fn pubrec_words(reason: v5b::PubRecReason) -> Option<String> {
    use v5b::{PubAckReason as A, PubRecReason as R};
    puback_words(match reason {
        R::Success => A::Success,
        R::NoMatchingSubscribers => A::NoMatchingSubscribers,
        R::UnspecifiedError => A::UnspecifiedError,
        R::ImplementationSpecificError => A::ImplementationSpecificError,
        R::NotAuthorized => A::NotAuthorized,
        R::TopicNameInvalid => A::TopicNameInvalid,
        R::PacketIdentifierInUse => A::PacketIdentifierInUse,
        R::QuotaExceeded => A::QuotaExceeded,
        R::PayloadFormatInvalid => A::PayloadFormatInvalid,
    })
}

/// An MQTT 5 DISCONNECT reason code in words, with the code.
pub fn disconnect_words(code: v5b::DisconnectReasonCode) -> String {
    use v5b::DisconnectReasonCode as D;
    let words = match code {
        D::NormalDisconnection => "closed normally",
        D::DisconnectWithWillMessage => "closed, with the will message",
        D::UnspecifiedError => "an unspecified error",
        D::MalformedPacket => "a malformed packet",
        D::ProtocolError => "a protocol error",
        D::ImplementationSpecificError => "the broker's own rules",
        D::NotAuthorized => "not authorised",
        D::ServerBusy => "the broker is busy",
        D::ServerShuttingDown => "the broker is shutting down",
        D::KeepAliveTimeout => "keepalive timeout",
        D::SessionTakenOver => "session taken over: another client connected with the same client id",
        D::TopicFilterInvalid => "an invalid topic filter",
        D::TopicNameInvalid => "an invalid topic name",
        D::ReceiveMaximumExceeded => "too many messages in flight (receive maximum exceeded)",
        D::TopicAliasInvalid => "an invalid topic alias",
        D::PacketTooLarge => "a packet too large",
        D::MessageRateTooHigh => "a message rate too high",
        D::QuotaExceeded => "quota exceeded",
        D::AdministrativeAction => "an administrator's action",
        D::PayloadFormatInvalid => "an invalid payload format",
        D::RetainNotSupported => "retain is not supported",
        D::QoSNotSupported => "the QoS is not supported",
        D::UseAnotherServer => "use another server",
        D::ServerMoved => "the server moved",
        D::SharedSubscriptionNotSupported => "shared subscriptions are not supported",
        D::ConnectionRateExceeded => "the connection rate was exceeded",
        D::MaximumConnectTime => "the maximum connect time was reached",
        D::SubscriptionIdentifiersNotSupported => "subscription ids are not supported",
        D::WildcardSubscriptionsNotSupported => "wildcard subscriptions are not supported",
    };
    format!("{words} (DISCONNECT 0x{:02X})", code as u8)
}

/// An MQTT 5 CONNACK refusal in words, and whether retrying can help.
pub(super) fn connack_words(code: v5b::ConnectReturnCode) -> (&'static str, u8, bool) {
    use v5b::ConnectReturnCode as C;
    match code {
        C::Success => ("refused without a reason", 0x00, true),
        C::RefusedProtocolVersion => ("the broker does not accept this protocol version", 0x84, false),
        C::BadClientId => ("the broker rejected the client id", 0x85, false),
        C::ServiceUnavailable => ("the broker is unavailable", 0x88, true),
        C::UnspecifiedError => ("an unspecified error", 0x80, true),
        C::MalformedPacket => ("a malformed packet", 0x81, false),
        C::ProtocolError => ("a protocol error", 0x82, false),
        C::ImplementationSpecificError => ("the broker's own rules", 0x83, false),
        C::UnsupportedProtocolVersion => ("the broker does not support MQTT 5: try 3.1.1", 0x84, false),
        C::ClientIdentifierNotValid => ("the client id is not valid", 0x85, false),
        C::BadUserNamePassword => ("bad user name or password", 0x86, false),
        C::NotAuthorized => ("not authorised", 0x87, false),
        C::ServerUnavailable => ("the broker is unavailable", 0x88, true),
        C::ServerBusy => ("the broker is busy", 0x89, true),
        C::Banned => ("this client is banned", 0x8A, false),
        C::BadAuthenticationMethod => ("bad authentication method", 0x8C, false),
        C::TopicNameInvalid => ("the will topic is invalid", 0x90, false),
        C::PacketTooLarge => ("the CONNECT packet is too large", 0x95, false),
        C::QuotaExceeded => ("quota exceeded", 0x97, true),
        C::PayloadFormatInvalid => ("the will payload format is invalid", 0x99, false),
        C::RetainNotSupported => ("retain is not supported (the will asks for it)", 0x9A, false),
        C::QoSNotSupported => ("the will's QoS is not supported", 0x9B, false),
        C::UseAnotherServer => ("use another server", 0x9C, false),
        C::ServerMoved => ("the server moved", 0x9D, false),
        C::ConnectionRateExceeded => ("connecting too often", 0x9F, true),
    }
}

pub(super) fn describe_v5_error(error: &v5::ConnectionError, address: &str) -> (String, bool) {
    use v5::{ConnectionError as E, StateError};
    match error {
        E::ConnectionRefused(code) => {
            let (words, hex, retry) = connack_words(*code);
            (
                format!("{address} refused the connection: {words} (CONNACK 0x{hex:02X})"),
                retry,
            )
        }
        E::MqttState(StateError::ServerDisconnect {
            reason_code,
            reason_string,
        }) => {
            let words = disconnect_words(*reason_code);
            let retry = !matches!(
                reason_code,
                v5b::DisconnectReasonCode::NotAuthorized | v5b::DisconnectReasonCode::SessionTakenOver
            );
            match reason_string {
                Some(why) => (format!("{address} disconnected us: {words}: {why}"), retry),
                None => (format!("{address} disconnected us: {words}"), retry),
            }
        }
        E::MqttState(StateError::ConnFail { reason }) => {
            let (words, hex, retry) = connack_words(*reason);
            (
                format!("{address} refused the connection: {words} (CONNACK 0x{hex:02X})"),
                retry,
            )
        }
        E::MqttState(StateError::AwaitPingResp) => {
            (format!("{address} stopped answering pings (keepalive timeout)"), true)
        }
        E::MqttState(StateError::Io(e)) | E::Io(e) => describe_io_error(e, address),
        E::MqttState(StateError::ConnectionAborted) => (format!("{address} closed the connection"), true),
        E::Timeout(_) => (format!("{address} did not answer in time"), true),
        E::MqttState(e) => describe_state_error(e, address),
        other => describe_other_error(other, address),
    }
}

/// A name as rustls presents it (`DnsName("localhost")`) as a person writes it.
pub(super) fn presented_name(presented: &str) -> &str {
    match (presented.find('"'), presented.rfind('"')) {
        (Some(start), Some(end)) if end > start => &presented[start + 1..end],
        _ => presented,
    }
}

/// The `subjectAltName` openssl option value for `host`: `IP:…` or `DNS:…`.
pub(super) fn san_for(host: &str) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        format!("IP:{bare}")
    } else {
        format!("DNS:{bare}")
    }
}

/// Why an encrypted key did not open, in words: a wrong passphrase is only one
/// of the reasons (an old or unsupported scheme is another, with a way out).
pub(super) fn decrypt_error_words(path: &Path, error: &pkcs8::Error) -> String {
    let convert = "convert it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.pem -out NEW.pem";
    match error {
        pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::NoPbes1CryptSupport) => format!(
            "The key file {} is encrypted with the old PKCS#5 v1 scheme (PBES1), which mqscope does not open: {convert}",
            path.display()
        ),
        pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::UnsupportedAlgorithm { oid }) => format!(
            "The key file {} is encrypted with an algorithm mqscope does not open ({oid}; 3DES and DES are refused): {convert}",
            path.display()
        ),
        pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::AlgorithmParametersInvalid { .. })
        | pkcs8::Error::ParametersMalformed => format!(
            "The key file {} names its encryption with parameters mqscope cannot use: {convert}",
            path.display()
        ),
        // The cipher's padding or the decrypted key's structure did not check out.
        _ => format!(
            "The passphrase for the key file {} is wrong (or the file is damaged).",
            path.display()
        ),
    }
}

/// The rustls error somewhere in this error's chain (rumqttc and tungstenite
/// wrap it in `io::Error`s, whose `source()` skips the wrapped error itself).
pub(super) fn find_tls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = find_tls_error(inner)
        {
            return Some(tls);
        }
        current = e.source();
    }
    None
}

/// Some wrappers keep only the text of a TLS alert ("received fatal alert:
/// CertificateRequired") — a failed client-certificate check surfaces on the
/// first read after the handshake, inside rumqttc's decoding error. Find it there.
pub(super) fn find_tls_alert_in_text(text: &str) -> Option<rustls::Error> {
    use rustls::AlertDescription as A;
    let name = text.split("received fatal alert: ").nth(1)?;
    let name: String = name.chars().take_while(char::is_ascii_alphanumeric).collect();
    let alert = [
        A::CertificateRequired,
        A::HandshakeFailure,
        A::UnknownCA,
        A::BadCertificate,
        A::CertificateExpired,
        A::CertificateRevoked,
        A::CertificateUnknown,
        A::AccessDenied,
        A::DecryptError,
    ]
    .into_iter()
    .find(|a| format!("{a:?}") == name)?;
    Some(rustls::Error::AlertReceived(alert))
}

/// What webpki found wrong with a certificate, in words (it reports some
/// problems only as its own error type, wrapped in `Other`).
pub(super) fn certificate_problem(error: &rustls::CertificateError) -> String {
    let text = format!("{error:?}");
    let known = [
        ("UnsupportedCertVersion", "it uses an X.509 version that cannot be read"),
        (
            "UnsupportedSignatureAlgorithm",
            "it is signed with an algorithm that is not supported",
        ),
        ("CaUsedAsEndEntity", "it is a CA certificate, not a server's"),
        ("EndEntityUsedAsCa", "a server certificate was used as a CA"),
        ("PathLenConstraintViolated", "the chain is longer than its CA allows"),
        (
            "NameConstraintViolation",
            "the host name is outside what its CA may certify",
        ),
        ("UnknownIssuer", "its issuer is not a CA you trust"),
    ];
    known
        .iter()
        .find(|(name, _)| text.contains(name))
        .map(|(_, words)| (*words).to_owned())
        .unwrap_or_else(|| "it could not be verified".to_owned())
}

/// A TLS failure in words, with the next step where there is one, and
/// whether retrying can help (a certificate problem will not fix itself).
pub(super) fn describe_tls_error(error: &rustls::Error, address: &str) -> (String, bool) {
    use rustls::{AlertDescription, CertificateError};
    let words = match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => format!(
                "the certificate of {address} is signed by an unknown issuer: choose the broker's CA file, or allow insecure"
            ),
            // The names the certificate holds are what the user can act on: connect
            // with one of them (rustls reads only its subjectAltNames, plus the CN
            // of an old certificate without any, see legacy_certs).
            CertificateError::NotValidForNameContext { expected, presented } if !presented.is_empty() => format!(
                "the certificate of {address} is not valid for {} (name mismatch): it names {}; connect with one of those, \
                 or make the certificate with subjectAltName={}",
                expected.to_str(),
                presented
                    .iter()
                    .map(|p| presented_name(p))
                    .collect::<Vec<_>>()
                    .join(", "),
                san_for(&expected.to_str())
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => format!(
                "the certificate of {address} is not valid for this host name (name mismatch): make it with \
                 subjectAltName={} (the name you connect with)",
                san_for(address.rsplit_once(':').map_or(address, |(host, _)| host))
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("the certificate of {address} has expired")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("the certificate of {address} is not valid yet (check the clock)")
            }
            CertificateError::Revoked => format!("the certificate of {address} has been revoked"),
            CertificateError::BadSignature => format!(
                "the certificate of {address} has a bad signature: it was not signed by the CA that its issuer names"
            ),
            CertificateError::BadEncoding => {
                format!("the certificate of {address} is not a readable X.509 certificate")
            }
            CertificateError::UnhandledCriticalExtension => {
                format!("the certificate of {address} carries a critical extension that cannot be checked")
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                format!("the certificate of {address} is not made for a server (its extended key usage says otherwise)")
            }
            other => format!(
                "the certificate of {address} was refused: {}",
                certificate_problem(other)
            ),
        },
        rustls::Error::AlertReceived(alert) => match alert {
            AlertDescription::CertificateRequired | AlertDescription::HandshakeFailure => format!(
                "{address} refused the TLS handshake ({alert:?}): it may require a client certificate (--cert/--key)"
            ),
            AlertDescription::UnknownCA | AlertDescription::BadCertificate => format!(
                "{address} rejected our client certificate ({alert:?}): is it signed by a CA the broker trusts?"
            ),
            AlertDescription::CertificateExpired => format!("{address} says our client certificate has expired"),
            other => format!("{address} ended the TLS handshake (TLS alert {other:?})"),
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!("{address} did not answer in TLS: is this a TLS port (mqtts), or a plain one (mqtt)?")
        }
        other => format!("TLS error with {address}: {other}"),
    };
    let retry = !matches!(
        error,
        rustls::Error::InvalidCertificate(_) | rustls::Error::AlertReceived(_)
    );
    (words, retry)
}
