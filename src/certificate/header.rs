//! [`CertificateHeader`]: the client certificate a trusted TLS-terminating proxy names in a request header.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::header::{HeaderMap, HeaderName};

use super::ClientCertificate;
use crate::error::ConfigError;

/// Longest header value read (a URL-encoded PEM certificate with a long chain stays well below).
const MAX_VALUE: usize = 16 * 1024;

/// A request header in which a trusted TLS-terminating proxy names the client's certificate, for
/// [`ClientCertificates::trusted_header`](super::ClientCertificates::trusted_header). A header that is
/// missing, empty, repeated or unreadable names no certificate (so a bound token is refused).
#[derive(Debug, Clone)]
pub struct CertificateHeader {
    name: HeaderName,
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// A URL-encoded PEM certificate (nginx `$ssl_client_escaped_cert`, AWS ALB `X-Amzn-Mtls-Clientcert`).
    EscapedPem,
    /// Envoy's `x-forwarded-client-cert`: one element whose `Hash=` is the hex SHA-256 of the DER.
    EnvoyHash,
}

impl CertificateHeader {
    /// A header holding the URL-encoded PEM certificate, as nginx sets it with
    /// `proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;` (the first certificate of the PEM is the
    /// client's). `name` must be a valid header name.
    pub fn escaped_pem(name: &str) -> Result<Self, ConfigError> {
        let name = HeaderName::try_from(name).map_err(|_| ConfigError::InvalidName {
            setting: "CertificateHeader::escaped_pem",
            name: name.to_owned(),
        })?;
        Ok(Self {
            name,
            format: Format::EscapedPem,
        })
    }

    /// Envoy's `x-forwarded-client-cert` (XFCC), read for its `Hash=` (the hex SHA-256 of the client
    /// certificate's DER). Configure Envoy with `forward_client_cert_details: SANITIZE_SET` and
    /// `set_current_client_cert_details: { cert: true }` or the default hash, so the header holds exactly one
    /// element, the current client's: a header with several elements (a chain of proxies) names none.
    pub fn envoy() -> Self {
        Self {
            name: HeaderName::from_static("x-forwarded-client-cert"),
            format: Format::EnvoyHash,
        }
    }

    /// The header's name.
    pub fn name(&self) -> &HeaderName {
        &self.name
    }

    /// The certificate the header names, if it is present exactly once and readable.
    pub(crate) fn certificate_in(&self, headers: &HeaderMap) -> Option<ClientCertificate> {
        let mut values = headers.get_all(&self.name).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return None;
        };
        let value = value.to_str().ok().filter(|v| v.len() <= MAX_VALUE)?;
        match self.format {
            Format::EscapedPem => escaped_pem(value),
            Format::EnvoyHash => envoy_hash(value),
        }
    }
}

/// The first `CERTIFICATE` of a URL-encoded PEM text.
fn escaped_pem(value: &str) -> Option<ClientCertificate> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let pem = percent_decode(value)?;
    let body = pem.split_once(BEGIN)?.1.split_once(END)?.0;
    let base64: String = body.split_ascii_whitespace().collect();
    let der = STANDARD.decode(base64).ok()?;
    (!der.is_empty()).then(|| ClientCertificate::from_der(&der))
}

/// `%XX` escapes decoded (a `+` stays a `+`: this is not form encoding); invalid escapes or UTF-8 are `None`.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `Hash=` of a one-element XFCC value (`Key=value` pairs split by `;`, values optionally quoted; a `,`
/// outside quotes starts another element).
fn envoy_hash(value: &str) -> Option<ClientCertificate> {
    let mut hash = None;
    for pair in split_unquoted(value, ';')? {
        let (key, raw) = pair.split_once('=')?;
        if key.trim().eq_ignore_ascii_case("hash") {
            if hash.is_some() {
                return None;
            }
            hash = Some(raw.trim().trim_matches('"'));
        }
    }
    let hex = hash?;
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(ClientCertificate::from_digest(&digest))
}

/// `value` split on `separator` outside double quotes; `None` when it holds a second element (a `,` outside
/// quotes) or an unterminated quote.
fn split_unquoted(value: &str, separator: char) -> Option<Vec<&str>> {
    let (mut parts, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => return None,
            c if c == separator && !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    parts.push(&value[start..]);
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(header: &CertificateHeader, value: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(header.name().clone(), value.parse().unwrap());
        header
            .certificate_in(&headers)
            .map(|c| c.thumbprint().to_owned())
    }

    #[test]
    fn envoy_hash_is_read_from_one_element_only() {
        let envoy = CertificateHeader::envoy();
        // SHA-256("abc").
        let hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let expected = ClientCertificate::from_der(b"abc").thumbprint().to_owned();
        let value = format!("By=spiffe://a;Hash={hash};Subject=\"CN=a,O=b\";URI=spiffe://c");
        assert_eq!(read(&envoy, &value), Some(expected.clone()));
        assert_eq!(read(&envoy, &format!("hash=\"{hash}\"")), Some(expected));
        for bad in [
            format!("Hash={hash},Hash={hash}"),
            format!("Hash={hash};Hash={hash}"),
            format!("Hash={}", &hash[..62]),
            format!("Hash={}zz", &hash[..62]),
            "By=x".to_owned(),
            format!("Hash={hash};Subject=\"open"),
        ] {
            assert_eq!(read(&envoy, &bad), None, "{bad}");
        }
    }

    #[test]
    fn escaped_pem_is_url_decoded_and_base64_read() {
        let header = CertificateHeader::escaped_pem("X-SSL-Client-Cert").unwrap();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode(b"not really DER, but bytes+/")
        );
        let escaped: String = pem
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let expected = ClientCertificate::from_der(b"not really DER, but bytes+/");
        assert_eq!(
            read(&header, &escaped).as_deref(),
            Some(expected.thumbprint())
        );
        for bad in ["", "%ZZ", "-----BEGIN CERTIFICATE-----", "%2"] {
            assert_eq!(read(&header, bad), None, "{bad:?}");
        }
        assert!(CertificateHeader::escaped_pem("bad header").is_err());
    }
}
