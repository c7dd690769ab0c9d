//! TLS for broker connections (rustls with the ring provider): the trust
//! roots (the system's, or a CA file), an optional client certificate for
//! mutual TLS, and an explicit "insecure" mode that skips verification. Also
//! turns TLS failures into words a user can act on. Never logs key material.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::legacy_certs::{CompatibleVerifier, key_matches_certificate};
use super::words::decrypt_error_words;
use crate::vocab::TlsSettings;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls client configuration for these settings. Errors name the file
/// and what is wrong with it.
pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    let builder = if settings.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider.clone())))
    } else {
        let (store, roots) = root_store(settings.ca_file.as_deref())?;
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .map_err(|e| format!("TLS set-up failed: {e}"))?;
        let verifier = CompatibleVerifier::new(webpki, roots, provider.signature_verification_algorithms);
        builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier))
    };
    let config = match (&settings.client_cert, &settings.client_key) {
        (Some(cert), Some(key_path)) => {
            let certs = read_certs(cert, "client certificate")?;
            let key = read_key(key_path, settings.key_passphrase.as_ref())?;
            let signing_key = provider.key_provider.load_private_key(key).map_err(|e| {
                format!(
                    "The key file {} holds a private key of a kind TLS cannot use: {e}",
                    key_path.display()
                )
            })?;
            // rustls's own pairing check parses the certificate with webpki, which
            // refuses the v1 certificates of Mosquitto's guide: compare the keys here.
            if let Some(spki) = signing_key.public_key() {
                let matches = key_matches_certificate(&certs[0], spki.as_ref())
                    .map_err(|e| format!("The client certificate {} cannot be read: {e}", cert.display()))?;
                if !matches {
                    return Err(format!(
                        "The client certificate {} and the key {} do not go together: the key is not the one the certificate was made for.",
                        cert.display(),
                        key_path.display()
                    ));
                }
            }
            let certified = Arc::new(CertifiedKey::new(certs, signing_key));
            builder.with_client_cert_resolver(Arc::new(ClientCertificate(certified)))
        }
        (Some(_), None) => return Err("A client certificate needs its key file too (--key).".into()),
        (None, Some(_)) => return Err("A client key needs its certificate file too (--cert).".into()),
        (None, None) => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The one client certificate of a connection, offered whatever the broker hints.
#[derive(Debug)]
struct ClientCertificate(Arc<CertifiedKey>);

impl ResolvesClientCert for ClientCertificate {
    fn resolve(&self, _root_hint_subjects: &[&[u8]], _sigschemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The trust roots, and their certificates as read (the guide's checks need them again).
fn root_store(ca_file: Option<&Path>) -> Result<(RootCertStore, Vec<CertificateDer<'static>>), String> {
    let mut roots = RootCertStore::empty();
    let certs = match ca_file {
        Some(path) => {
            let certs = read_certs(path, "CA file")?;
            let (added, _ignored) = roots.add_parsable_certificates(certs.iter().cloned());
            if added == 0 {
                return Err(format!("The CA file {} holds no usable certificate.", path.display()));
            }
            certs
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs.iter().cloned());
            if roots.is_empty() {
                return Err(
                    "No system root certificates were found: choose a CA file, or install ca-certificates.".into(),
                );
            }
            found.certs
        }
    };
    Ok((roots, certs))
}

/// The largest certificate or key file read (a CA bundle of every public CA is ~250 KiB).
const MAX_TLS_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A certificate or key file: a regular file (never a FIFO or a device that
/// would block or never end), of a size a certificate file can have.
fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    crate::files::read_limited(path, what, MAX_TLS_FILE_BYTES)
        .map_err(|e| e.replace("choose the file itself", "choose the certificate file itself"))
}

fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_file(path, what)?;
    // A DER file (`openssl x509 -outform der`): one certificate, no PEM armour.
    if pem.first() == Some(&0x30) && !contains(&pem, b"-----BEGIN") {
        return Ok(vec![CertificateDer::from(pem)]);
    }
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("The {what} {} is not a readable PEM file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "The {what} {} holds no certificate (expected PEM '-----BEGIN CERTIFICATE-----').",
            path.display()
        ));
    }
    Ok(certs)
}

/// PEM label of a PKCS#8 key encrypted with a passphrase (`openssl pkcs8 -topk8`).
const ENCRYPTED_PKCS8: &[u8] = b"-----BEGIN ENCRYPTED PRIVATE KEY-----";
/// Header of OpenSSL's older encrypted PEM keys.
const LEGACY_ENCRYPTED: &[u8] = b"Proc-Type: 4,ENCRYPTED";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether the key file at `path` needs a passphrase (unreadable files: no,
/// the connection names the problem).
pub fn key_is_encrypted(path: &Path) -> bool {
    read_file(path, "key file").is_ok_and(|pem| contains(&pem, ENCRYPTED_PKCS8) || contains(&pem, LEGACY_ENCRYPTED))
}

fn read_key(path: &Path, passphrase: Option<&crate::secret::Secret>) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read_file(path, "key file")?;
    if contains(&pem, LEGACY_ENCRYPTED) {
        return Err(format!(
            "The key file {} uses OpenSSL's old encryption, which mqscope does not read. Convert it once: \
             openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.pem -out NEW.pem",
            path.display()
        ));
    }
    if contains(&pem, ENCRYPTED_PKCS8) {
        return decrypt_key(path, &pem, passphrase);
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        format!(
            "The key file {} holds no readable private key (PEM PKCS#8, PKCS#1 or SEC1, unencrypted): {e}",
            path.display()
        )
    })
}

/// An encrypted PKCS#8 key opened with its passphrase. The passphrase and the
/// decrypted key never reach an error message.
fn decrypt_key(
    path: &Path,
    pem: &[u8],
    passphrase: Option<&crate::secret::Secret>,
) -> Result<PrivateKeyDer<'static>, String> {
    let Some(passphrase) = passphrase.filter(|p| !p.is_empty()) else {
        return Err(format!(
            "The key file {} is encrypted: give its passphrase in the connection's form.",
            path.display()
        ));
    };
    let (_, der) = pkcs8::der::pem::decode_vec(pem)
        .map_err(|e| format!("The key file {} is not valid PEM: {e}", path.display()))?;
    // An encryption scheme the pkcs5 crate does not know (OpenSSL's
    // `-v1 PBE-SHA1-3DES` is PKCS#12's) fails here, while the key is read.
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice()).map_err(|_| {
        format!(
            "The key file {} is encrypted with a scheme mqscope does not open (PKCS#5 v1, PKCS#12, DES or 3DES): \
             convert it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.pem -out NEW.pem",
            path.display()
        )
    })?;
    let key = info
        .decrypt(passphrase.expose())
        .map_err(|e| decrypt_error_words(path, &e))?;
    Ok(PrivateKeyDer::Pkcs8(key.as_bytes().to_vec().into()))
}

/// Accepts any certificate. Only used when the user ticks "insecure", and the
/// UI keeps saying so while connected. Signatures are still checked, so the
/// handshake itself is sound; only the identity is not.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::super::words::{describe_tls_error, find_tls_alert_in_text, find_tls_error};
    use super::*;
    use crate::secret::Secret;
    use std::path::PathBuf;

    /// A client certificate and its key encrypted by `openssl pkcs8 -topk8` with `passphrase`.
    fn encrypted_client_key(dir: &Path, passphrase: &str) -> (PathBuf, PathBuf, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let plain = dir.join("plain.key");
        std::fs::write(&plain, key.serialize_pem()).unwrap();
        let encrypted = dir.join("client.key");
        let status = std::process::Command::new("openssl")
            .args(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout"])
            .arg(format!("pass:{passphrase}"))
            .arg("-in")
            .arg(&plain)
            .arg("-out")
            .arg(&encrypted)
            .status()
            .expect("openssl (Debian package openssl) is installed");
        assert!(status.success());
        let cert_path = dir.join("client.pem");
        std::fs::write(&cert_path, cert.pem()).unwrap();
        (cert_path, encrypted, key.serialize_der())
    }

    #[test]
    fn an_encrypted_key_opens_with_its_passphrase_only() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, der) = encrypted_client_key(dir.path(), "correct horse");
        assert!(key_is_encrypted(&key));
        assert!(!key_is_encrypted(&dir.path().join("plain.key")));
        assert!(!key_is_encrypted(&dir.path().join("missing.key")));

        let err = read_key(&key, None).unwrap_err();
        assert!(err.contains("is encrypted: give its passphrase"), "{err}");
        let err = read_key(&key, Some(&Secret::new("battery staple"))).unwrap_err();
        assert!(err.contains("passphrase") && err.contains("is wrong"), "{err}");
        assert!(!err.contains("battery staple"), "the passphrase never shows");
        let opened = read_key(&key, Some(&Secret::new("correct horse"))).unwrap();
        assert_eq!(opened.secret_der(), der.as_slice(), "the same key as before encryption");

        // And the whole client configuration takes it.
        let settings = TlsSettings {
            insecure: true,
            client_cert: Some(cert),
            client_key: Some(key),
            key_passphrase: Some(Secret::new("correct horse")),
            ..TlsSettings::default()
        };
        assert!(client_config(&settings).is_ok());

        // OpenSSL's old "Proc-Type: 4,ENCRYPTED" keys are named, with the way out.
        let legacy = dir.path().join("legacy.key");
        std::fs::write(
            &legacy,
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap();
        let err = read_key(&legacy, Some(&Secret::new("x"))).unwrap_err();
        assert!(err.contains("openssl pkcs8 -topk8"), "{err}");

        // Keys encrypted by other `openssl pkcs8` command lines: not a wrong
        // passphrase, and each says how to convert it.
        for (args, says) in [
            (&["-v1", "PBE-SHA1-3DES"][..], "a scheme mqscope does not open"),
            (&["-v2", "des3"][..], "a scheme mqscope does not open"),
        ] {
            let other = dir.path().join("other.key");
            let status = std::process::Command::new("openssl")
                .args(["pkcs8", "-topk8"])
                .args(args)
                .arg("-in")
                .arg(dir.path().join("plain.key"))
                .arg("-out")
                .arg(&other)
                .args(["-passout", "pass:correct horse"])
                .status()
                .unwrap();
            assert!(status.success(), "{args:?}");
            let err = read_key(&other, Some(&Secret::new("correct horse"))).unwrap_err();
            assert!(err.contains(says) && err.contains("-v2 aes-256-cbc"), "{args:?}: {err}");
            assert!(!err.contains("is wrong"), "{args:?}: {err}");
        }
    }

    #[test]
    fn devices_pipes_and_huge_files_are_refused_without_reading_them() {
        let settings = |ca: &str| TlsSettings {
            ca_file: Some(PathBuf::from(ca)),
            ..TlsSettings::default()
        };
        // An endless device: refused at once, not read until memory runs out.
        let err = client_config(&settings("/dev/zero")).unwrap_err();
        assert!(err.contains("/dev/zero") && err.contains("not a regular file"), "{err}");
        assert!(!key_is_encrypted(Path::new("/dev/zero")));
        // A FIFO with no writer would block the open forever.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ca.pipe");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let err = client_config(&settings(fifo.to_str().unwrap())).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        // A file far larger than any certificate.
        let big = dir.path().join("big.pem");
        std::fs::File::create(&big).unwrap().set_len(64 << 20).unwrap();
        let err = client_config(&settings(big.to_str().unwrap())).unwrap_err();
        assert!(err.contains("64.0 MiB: larger than the 4.0 MiB this reads"), "{err}");
    }

    #[test]
    fn missing_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let settings = TlsSettings {
            ca_file: Some(missing.clone()),
            ..TlsSettings::default()
        };
        let err = client_config(&settings).unwrap_err();
        assert!(
            err.contains("Cannot read the CA file") && err.contains("nope.pem"),
            "{err}"
        );

        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "hello").unwrap();
        let settings = TlsSettings {
            ca_file: Some(junk.clone()),
            ..TlsSettings::default()
        };
        let err = client_config(&settings).unwrap_err();
        assert!(err.contains("junk.pem") && err.contains("no certificate"), "{err}");

        let settings = TlsSettings {
            insecure: true,
            client_cert: Some(PathBuf::from("/x/cert.pem")),
            client_key: None,
            ..TlsSettings::default()
        };
        assert!(client_config(&settings).unwrap_err().contains("key file"));

        let settings = TlsSettings {
            insecure: true,
            client_cert: Some(dir.path().join("c.pem")),
            client_key: Some(junk),
            ..TlsSettings::default()
        };
        let err = client_config(&settings).unwrap_err();
        assert!(err.contains("client certificate") && err.contains("c.pem"), "{err}");
    }

    #[test]
    fn certificate_errors_in_words() {
        let (words, retry) = describe_tls_error(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            "b:8883",
        );
        assert!(words.contains("unknown issuer") && words.contains("CA file"), "{words}");
        assert!(!retry);
        let (words, _) = describe_tls_error(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName),
            "b:8883",
        );
        assert!(
            words.contains("name mismatch") && words.contains("subjectAltName=DNS:b"),
            "{words}"
        );
        let presented = rustls::CertificateError::NotValidForNameContext {
            expected: rustls::pki_types::ServerName::try_from("10.0.0.5").unwrap(),
            presented: vec!["broker.local".into(), "localhost".into()],
        };
        let (words, _) = describe_tls_error(&rustls::Error::InvalidCertificate(presented), "10.0.0.5:8883");
        assert!(
            words.contains("not valid for 10.0.0.5")
                && words.contains("it names broker.local, localhost")
                && words.contains("subjectAltName=IP:10.0.0.5"),
            "{words}"
        );
        let (words, _) = describe_tls_error(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
            "b:8883",
        );
        assert!(words.contains("expired"), "{words}");
        let wrapped = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
        );
        assert!(find_tls_error(&wrapped).is_some());
        let hidden = find_tls_alert_in_text("Mqtt serialization error: IO: received fatal alert: CertificateRequired");
        let (words, retry) = describe_tls_error(&hidden.unwrap(), "b:8883");
        assert!(words.contains("client certificate"), "{words}");
        assert!(!retry);
    }
}
