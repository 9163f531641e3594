//! RFC 9449 §4.3 `htu` comparison: the proof's URI and the request's, both without query and fragment, compared
//! after the syntax- and scheme-based normalisation of RFC 3986 §6.2.2–6.2.3 (case of scheme and host, default
//! ports, percent-encoding, dot segments).

/// A URI reduced to what `htu` compares: `scheme://host[:port]/path`, normalised.
pub(crate) fn normalize(uri: &str) -> Option<String> {
    let uri = uri.split(['#', '?']).next().unwrap_or_default();
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = split_port(authority)?;
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let mut out = format!("{scheme}://{}", host.to_ascii_lowercase());
    if let Some(port) = port.filter(|port| *port != default_port) {
        out.push(':');
        out.push_str(port);
    }
    out.push_str(&normalize_path(path)?);
    Some(out)
}

/// `host[:port]`, with IPv6 literals in brackets; an empty or non-numeric port is refused.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let colon = match authority.strip_prefix('[') {
        Some(v6) => v6
            .find(']')
            .map(|end| end + 2)
            .filter(|i| *i <= authority.len())?,
        None => authority.find(':').unwrap_or(authority.len()),
    };
    let (host, port) = authority.split_at(colon);
    match port.strip_prefix(':') {
        None if port.is_empty() => Some((host, None)),
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            // Leading zeros name the same port.
            let trimmed = port.trim_start_matches('0');
            Some((host, Some(if trimmed.is_empty() { "0" } else { trimmed })))
        }
        _ => None,
    }
}

/// The path with unreserved characters decoded, other escapes in upper case, dot segments removed, and `/`
/// for an empty path.
pub(crate) fn normalize_path(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut decoded = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            if value.is_ascii_alphanumeric() || b"-._~".contains(&value) {
                decoded.push(value as char);
            } else {
                decoded.push('%');
                decoded.push_str(&std::str::from_utf8(hex).ok()?.to_ascii_uppercase());
            }
            i += 3;
        } else if b.is_ascii_graphic() {
            decoded.push(b as char);
            i += 1;
        } else {
            return None;
        }
    }
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = decoded.split('/').skip(1).peekable();
    let mut trailing_slash = decoded.is_empty() || decoded == "/";
    while let Some(segment) = parts.next() {
        let last = parts.peek().is_none();
        match segment {
            "." => trailing_slash |= last,
            ".." => {
                segments.pop();
                trailing_slash |= last;
            }
            _ => {
                segments.push(segment);
                trailing_slash = false;
            }
        }
    }
    let mut out = String::with_capacity(decoded.len() + 1);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// Whether a request path has a `.` or `..` segment (also percent-encoded), or does not start with `/`: a
/// router sees such a path raw, so no proof may name it through its normalised form.
pub(crate) fn is_unusual_path(path: &str) -> bool {
    if !path.starts_with('/') {
        return true;
    }
    path.split('/').any(|segment| {
        let dots = segment.replace("%2E", ".").replace("%2e", ".");
        dots == "." || dots == ".."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3986_normalisation() {
        let same = [
            ("https://api.example.com/me", "https://api.example.com/me"),
            ("HTTPS://API.Example.COM/me", "https://api.example.com/me"),
            (
                "https://api.example.com:443/me",
                "https://api.example.com/me",
            ),
            ("http://a.example:80/", "http://a.example/"),
            ("https://a.example", "https://a.example/"),
            (
                "https://a.example/%7Euser/%2f",
                "https://a.example/~user/%2F",
            ),
            ("https://a.example/a/./b/../c", "https://a.example/a/c"),
            ("https://a.example/me?x=1#f", "https://a.example/me"),
            ("https://a.example:08443/me", "https://a.example:8443/me"),
            ("https://[::1]:8443/me", "https://[::1]:8443/me"),
        ];
        for (input, expected) in same {
            assert_eq!(normalize(input).as_deref(), Some(expected), "{input}");
        }
        for bad in [
            "ftp://a.example/",
            "https://user@a.example/",
            "https:///me",
            "https://a.example:x/",
            "https://a.example/%zz",
            "a.example/me",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
        assert_ne!(
            normalize("https://a.example:8443/me"),
            normalize("https://a.example/me")
        );
        assert_ne!(
            normalize("https://a.example/Me"),
            normalize("https://a.example/me")
        );
    }
}
