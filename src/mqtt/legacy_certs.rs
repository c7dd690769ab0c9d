//! The certificates of Mosquitto's own TLS guide (`man 7 mosquitto-tls`),
//! accepted with the checks OpenSSL makes for mosquitto_sub and Python's ssl
//! makes for paho-mqtt: its `openssl x509 -req` lines make X.509 **v1**
//! certificates (webpki refuses every v1 end-entity certificate) with the host
//! name in the subject's **CN** only (webpki reads subjectAltName only).
//!
//! webpki stays the first judge. Only when it refuses a certificate for one of
//! these two reasons is the certificate checked here: the chain to the chosen
//! roots (each signature, each validity period), then the host name (the SAN
//! when there is one, else the CN, as RFC 6125 and OpenSSL do). Nothing here
//! is laxer than that: an unknown issuer, an expired certificate or a wrong
//! host is refused with the same error webpki would give.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use x509_parser::prelude::{FromDer as _, GeneralName, X509Certificate, X509Version};

/// Certificates in a chain, at most (the end entity included).
const MAX_CHAIN: usize = 8;

/// webpki first; the guide's certificates (v1, or a host name only in the CN)
/// checked the OpenSSL way when webpki refuses them for that reason alone.
#[derive(Debug)]
pub struct CompatibleVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    roots: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl CompatibleVerifier {
    pub fn new(
        webpki: Arc<WebPkiServerVerifier>,
        roots: Vec<CertificateDer<'static>>,
        algorithms: WebPkiSupportedAlgorithms,
    ) -> Self {
        Self {
            webpki,
            roots,
            algorithms,
        }
    }
}

/// Whether a DER certificate is X.509 v1 (what webpki cannot parse).
fn is_v1(der: &[u8]) -> bool {
    X509Certificate::from_der(der).is_ok_and(|(_, cert)| cert.version() == X509Version::V1)
}

/// Whether the certificate carries a subjectAltName extension at all (read
/// by its OID: one x509-parser cannot parse still counts, so the CN is then
/// never used in its place).
fn has_san(cert: &X509Certificate<'_>) -> bool {
    cert.extensions()
        .iter()
        .any(|e| e.oid == x509_parser::oid_registry::OID_X509_EXT_SUBJECT_ALT_NAME)
}

/// Signatures no longer trusted for certificates (MD5, SHA-1).
fn weak_signature(cert: &X509Certificate<'_>) -> bool {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    matches!(
        oid.as_str(),
        "1.2.840.113549.1.1.4" | "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.3.14.3.2.29"
    )
}

impl ServerCertVerifier for CompatibleVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refused = match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(verified) => return Ok(verified),
            Err(e) => e,
        };
        let Ok((_, cert)) = X509Certificate::from_der(end_entity) else {
            return Err(refused);
        };
        let name_only = matches!(
            refused,
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            )
        );
        if name_only && !has_san(&cert) {
            // webpki checked the chain before the name: only the CN is left to read.
            return if name_matches(&cert, server_name) {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(refused)
            };
        }
        // Only a v1 server certificate (the guide's) is checked here; any other
        // refusal stands, whatever else the server sends along.
        if cert.version() != X509Version::V1 {
            return Err(refused);
        }
        verify_chain(&cert, intermediates, &self.roots, now)?;
        if !name_matches(&cert, server_name) {
            return Err(CertificateError::NotValidForName.into());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if !is_v1(cert) {
            return rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms);
        }
        let (algorithm_id, key) = public_key_parts(cert)?;
        // TLS 1.2 names a family of algorithms: try each that fits the key, as rustls does.
        let candidates = self
            .algorithms
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == dss.scheme)
            .map(|(_, algs)| *algs)
            .ok_or(rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
        for alg in candidates {
            if alg.public_key_alg_id().as_ref() == algorithm_id
                && alg.verify_signature(key, message, dss.signature()).is_ok()
            {
                return Ok(HandshakeSignatureValid::assertion());
            }
        }
        Err(CertificateError::BadSignature.into())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if !is_v1(cert) {
            return rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms);
        }
        let (_, parsed) = X509Certificate::from_der(cert).map_err(|_| CertificateError::BadEncoding)?;
        let spki = SubjectPublicKeyInfoDer::from(parsed.public_key().raw);
        rustls::crypto::verify_tls13_signature_with_raw_key(message, &spki, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The DER contents of a certificate's public key AlgorithmIdentifier and the key bits.
fn public_key_parts(cert: &[u8]) -> Result<(&[u8], &[u8]), rustls::Error> {
    let (_, parsed) = X509Certificate::from_der(cert).map_err(|_| CertificateError::BadEncoding)?;
    let spki: &[u8] = parsed.tbs_certificate.subject_pki.raw;
    // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    let bad = || rustls::Error::from(CertificateError::BadEncoding);
    let (_, body, _) = der_element(spki).ok_or_else(bad)?;
    let (_, algorithm, rest) = der_element(body).ok_or_else(bad)?;
    let (_, bits, _) = der_element(rest).ok_or_else(bad)?;
    let key = bits.get(1..).ok_or_else(bad)?; // skip the unused-bits count
    Ok((algorithm, key))
}

/// One DER element: (tag, contents, what follows). Definite lengths only, as DER requires.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[count..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The chain from `cert` up to one of `roots`: each certificate signed by the
/// next, each within its validity period, intermediates marked as CAs when
/// they are v3. The errors are webpki's, so they read the same.
fn verify_chain(
    cert: &X509Certificate<'_>,
    intermediates: &[CertificateDer<'_>],
    roots: &[CertificateDer<'static>],
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let time = x509_parser::time::ASN1Time::from_timestamp(now.as_secs() as i64)
        .map_err(|_| rustls::Error::General("the clock is out of range".into()))?;
    fn parse<'a>(der: &'a [u8]) -> Option<X509Certificate<'a>> {
        X509Certificate::from_der(der).ok().map(|(_, c)| c)
    }
    let roots: Vec<X509Certificate<'_>> = roots.iter().filter_map(|r| parse(r)).collect();
    let intermediates: Vec<X509Certificate<'_>> = intermediates.iter().filter_map(|c| parse(c)).collect();
    let mut current = cert.clone();
    for _ in 0..MAX_CHAIN {
        check_validity(&current, time)?;
        let signed_by = |issuer: &X509Certificate<'_>| {
            issuer.subject().as_raw() == current.issuer().as_raw()
                && current.verify_signature(Some(issuer.public_key())).is_ok()
        };
        if let Some(root) = roots.iter().find(|r| signed_by(r)) {
            return check_validity(root, time);
        }
        if weak_signature(&current) {
            return Err(CertificateError::BadSignature.into());
        }
        // An intermediate must say it is a CA (so a v1 one never is: OpenSSL takes
        // a v1 certificate as a CA only when it is a self-signed trust root), and
        // one that limits the names below it is left to webpki, which refused.
        let Some(next) = intermediates.iter().find(|c| {
            signed_by(c) && c.version() == X509Version::V3 && c.is_ca() && c.name_constraints().ok().flatten().is_none()
        }) else {
            let named = roots
                .iter()
                .chain(&intermediates)
                .any(|c| c.subject().as_raw() == current.issuer().as_raw());
            return Err(if named {
                CertificateError::BadSignature
            } else {
                CertificateError::UnknownIssuer
            }
            .into());
        };
        current = next.clone();
    }
    Err(CertificateError::UnknownIssuer.into())
}

fn check_validity(cert: &X509Certificate<'_>, time: x509_parser::time::ASN1Time) -> Result<(), rustls::Error> {
    let validity = cert.validity();
    if time < validity.not_before {
        Err(CertificateError::NotValidYet.into())
    } else if time > validity.not_after {
        Err(CertificateError::Expired.into())
    } else {
        Ok(())
    }
}

/// The host name check of RFC 6125 as OpenSSL applies it: the DNS names and
/// IP addresses of the subjectAltName when there is one; otherwise the
/// subject's CN. One leading `*.` wildcard matches one whole label.
fn name_matches(cert: &X509Certificate<'_>, server_name: &ServerName<'_>) -> bool {
    let san = cert.subject_alternative_name().ok().flatten();
    if san.is_none() && has_san(cert) {
        return false; // a SAN that cannot be read: never fall back to the CN
    }
    match server_name {
        ServerName::DnsName(host) => {
            let host = host.as_ref();
            match san {
                Some(san) => san.value.general_names.iter().any(|name| match name {
                    GeneralName::DNSName(pattern) => dns_matches(pattern, host),
                    _ => false,
                }),
                None => cert
                    .subject()
                    .iter_common_name()
                    .filter_map(|cn| cn.as_str().ok())
                    .any(|cn| dns_matches(cn, host)),
            }
        }
        ServerName::IpAddress(ip) => {
            let ip = std::net::IpAddr::from(*ip);
            match san {
                Some(san) => san.value.general_names.iter().any(|name| match name {
                    GeneralName::IPAddress(bytes) => match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).is_ok_and(|b| std::net::IpAddr::from(b) == ip),
                        16 => <[u8; 16]>::try_from(*bytes).is_ok_and(|b| std::net::IpAddr::from(b) == ip),
                        _ => false,
                    },
                    _ => false,
                }),
                // An address is never matched against the CN (OpenSSL and Python do not).
                None => false,
            }
        }
        _ => false,
    }
}

fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    if let Some(suffix) = pattern.strip_prefix("*.") {
        // The wildcard stands for exactly one label, never for a public suffix alone.
        return suffix.contains('.')
            && host
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(suffix));
    }
    pattern.eq_ignore_ascii_case(host)
}

/// Whether the private key's public half is the certificate's. Read with
/// x509-parser, so v1 client certificates (the guide's) are compared too.
pub fn key_matches_certificate(cert: &CertificateDer<'_>, key_spki: &[u8]) -> Result<bool, String> {
    let (_, parsed) = X509Certificate::from_der(cert).map_err(|e| format!("it is not an X.509 certificate ({e})"))?;
    Ok(parsed.public_key().raw == key_spki)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label_only() {
        assert!(dns_matches("broker.local", "BROKER.local"));
        assert!(dns_matches("*.example.com", "mqtt.example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.com", "example.com"), "not a whole public suffix");
        assert!(!dns_matches("localhost", "localhost2"));
    }

    #[test]
    fn der_elements_read_short_and_long_lengths() {
        assert_eq!(
            der_element(&[0x30, 0x01, 0xaa, 0xbb]),
            Some((0x30, &[0xaa][..], &[0xbb][..]))
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(der_element(&long).map(|(_, c, r)| (c.len(), r.len())), Some((0x80, 0)));
        assert_eq!(der_element(&[0x30, 0x05, 1]), None, "a length past the end");
        assert_eq!(der_element(&[0x30, 0x80]), None, "indefinite lengths are not DER");
    }

    fn openssl(dir: &std::path::Path, args: &[&str]) {
        let status = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl (Debian package openssl) is installed");
        assert!(status.success(), "openssl {args:?}");
    }

    fn der(dir: &std::path::Path, name: &str) -> CertificateDer<'static> {
        use rustls::pki_types::pem::PemObject as _;
        CertificateDer::from_pem_file(dir.join(name)).unwrap()
    }

    #[test]
    fn a_v1_certificate_is_never_an_intermediate_ca() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-new",
                "-x509",
                "-days",
                "30",
                "-extensions",
                "v3_ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-subj",
                "/CN=Guide CA",
                "-passout",
                "pass:x",
            ],
        );
        for (name, subject, issuer, issuer_key) in [
            ("client", "/CN=client1", "ca.crt", "ca.key"),
            // Signed by the v1 client certificate: what a client could forge.
            ("forged", "/CN=localhost", "client.crt", "client.key"),
        ] {
            openssl(d, &["genrsa", "-out", &format!("{name}.key"), "2048"]);
            openssl(
                d,
                &[
                    "req",
                    "-new",
                    "-key",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                    "-subj",
                    subject,
                ],
            );
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    issuer,
                    "-CAkey",
                    issuer_key,
                    "-CAcreateserial",
                    "-out",
                    &format!("{name}.crt"),
                    "-days",
                    "30",
                    "-passin",
                    "pass:x",
                ],
            );
        }
        let (ca, client, forged) = (der(d, "ca.crt"), der(d, "client.crt"), der(d, "forged.crt"));
        let parse = |c: &CertificateDer<'static>| X509Certificate::from_der(c).unwrap().1.version();
        assert_eq!((parse(&client), parse(&forged)), (X509Version::V1, X509Version::V1));
        let now = UnixTime::now();
        let roots = vec![ca];
        let (_, client_cert) = X509Certificate::from_der(&client).unwrap();
        assert!(
            verify_chain(&client_cert, &[], &roots, now).is_ok(),
            "the guide's v1 certificate chains to its CA"
        );
        let (_, forged_cert) = X509Certificate::from_der(&forged).unwrap();
        let err = verify_chain(&forged_cert, std::slice::from_ref(&client), &roots, now).unwrap_err();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::BadSignature),
            "{err:?}"
        );
    }
}
