//! Certificates made fresh for each test run with rcgen: a CA, a server
//! certificate it signs (for `localhost` only, so connecting by IP is a name
//! mismatch), an expired server certificate, a client certificate for mutual
//! TLS, and a second, unrelated CA to play the wrong one.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, date_time_ymd,
};

pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub wrong_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub expired_cert: PathBuf,
    pub expired_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key")).expect("a CA")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a PEM file");
    path
}

impl TestPki {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        // Mosquitto started as root reads its files as the user `mosquitto`.
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let d = dir.path();
        let issuer = ca("mqscope test CA");
        let wrong = ca("some other CA");

        let server = |expired: bool| {
            let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("server params");
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            params.distinguished_name.push(DnType::CommonName, "localhost");
            if expired {
                params.not_before = date_time_ymd(2020, 1, 1);
                params.not_after = date_time_ymd(2021, 1, 1);
            }
            let key = KeyPair::generate().expect("a key");
            let cert = params.signed_by(&key, &issuer).expect("a server certificate");
            (cert.pem(), key.serialize_pem())
        };
        let (server_pem, server_key_pem) = server(false);
        let (expired_pem, expired_key_pem) = server(true);

        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params
            .distinguished_name
            .push(DnType::CommonName, "mqscope-test-client");
        let client_key = KeyPair::generate().expect("a key");
        let client = params.signed_by(&client_key, &issuer).expect("a client certificate");

        Self {
            ca: write(d, "ca.pem", &issuer.pem()),
            wrong_ca: write(d, "wrong-ca.pem", &wrong.pem()),
            server_cert: write(d, "server.pem", &server_pem),
            server_key: write(d, "server.key", &server_key_pem),
            expired_cert: write(d, "expired.pem", &expired_pem),
            expired_key: write(d, "expired.key", &expired_key_pem),
            client_cert: write(d, "client.pem", &client.pem()),
            client_key: write(d, "client.key", &client_key.serialize_pem()),
            dir,
        }
    }
}
