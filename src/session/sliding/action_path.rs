//! The path syntax of sliding actions: axum 0.8's (`/posts/{id}` one segment, `/files/{*rest}` the rest) and
//! the trailing `/*`, parsed once; a path that could never match a request is refused with what to write instead.

/// One segment of an action path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Text that must equal the request's segment.
    Literal(String),
    /// `{name}`: any one non-empty segment.
    Param,
    /// `{*name}` or `*`, last: whatever non-empty rest follows.
    Rest,
}

/// A parsed action path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ActionPath(Vec<Segment>);

impl ActionPath {
    /// Parses `path`, or says why it could never match a request and what to write instead.
    pub(super) fn parse(path: &str) -> Result<Self, String> {
        let Some(rest) = path.strip_prefix('/') else {
            return Err(format!(
                "`{path}` can never match: request paths begin with `/`; write `/{path}`"
            ));
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let last = parts.len() - 1;
        let segments = parts
            .iter()
            .enumerate()
            .map(|(i, part)| segment(path, part, i == last))
            .collect::<Result<_, _>>()?;
        Ok(Self(segments))
    }

    /// Whether a request path matches: literal segments exactly, `{name}` one non-empty segment, the rest
    /// (`{*name}`, `*`) a non-empty remainder.
    pub(super) fn matches(&self, path: &str) -> bool {
        let Some(mut rest) = path.strip_prefix('/') else {
            return false;
        };
        for (i, segment) in self.0.iter().enumerate() {
            let (head, tail) = match rest.split_once('/') {
                Some((head, tail)) => (head, Some(tail)),
                None => (rest, None),
            };
            let matched = match segment {
                Segment::Rest => return !rest.is_empty(),
                Segment::Param => !head.is_empty(),
                Segment::Literal(text) => head == text,
            };
            match (matched, tail) {
                (false, _) => return false,
                (true, Some(tail)) => rest = tail,
                (true, None) => return i + 1 == self.0.len(),
            }
        }
        // The request path has segments beyond the action's.
        false
    }
}

/// One segment of `path`, or why it could never match as written.
fn segment(path: &str, part: &str, last: bool) -> Result<Segment, String> {
    let braces = part.contains(['{', '}']);
    if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        if let Some(rest_name) = name.strip_prefix('*') {
            if is_name(rest_name) {
                return if last {
                    Ok(Segment::Rest)
                } else {
                    Err(format!(
                        "`{path}`: `{part}` stands for the rest of the path, so it must be the last segment; \
                         end the path with it"
                    ))
                };
            }
        } else if is_name(name) {
            return Ok(Segment::Param);
        }
    }
    if braces {
        return Err(format!(
            "`{path}`: `{part}` is not a parameter this matcher reads; a parameter is a whole segment, \
             `{{name}}` for one segment or `{{*name}}` for the rest (axum 0.8's syntax); other shapes \
             need SlidingPolicy::matcher"
        ));
    }
    if part == "*" {
        return if last {
            Ok(Segment::Rest)
        } else {
            Err(format!(
                "`{path}`: `*` stands for the rest of the path only as the last segment (`/payments/*`); for \
                 other shapes use SlidingPolicy::matcher"
            ))
        };
    }
    if let Some(name) = part.strip_prefix(':').filter(|n| is_name(n)) {
        return Err(format!(
            "`{path}`: `{part}` is axum 0.7's parameter syntax and would only match that literal text; write \
             `{{{name}}}` (axum 0.8's syntax, one segment)"
        ));
    }
    if let Some(name) = part.strip_prefix('*').filter(|n| is_name(n)) {
        return Err(format!(
            "`{path}`: `{part}` is axum 0.7's wildcard syntax and would only match that literal text; write \
             `{{*{name}}}` (axum 0.8's syntax, the rest of the path) as the last segment"
        ));
    }
    Ok(Segment::Literal(part.to_owned()))
}

/// A parameter name: non-empty, without braces, slashes or `*`.
fn is_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['{', '}', '/', '*'])
}

#[cfg(test)]
mod tests {
    use super::ActionPath;

    fn matches(action: &str, path: &str) -> bool {
        ActionPath::parse(action).unwrap().matches(path)
    }

    #[test]
    fn segments_match_like_axum_routes() {
        assert!(matches("/posts", "/posts"));
        assert!(!matches("/posts", "/posts/"));
        assert!(!matches("/posts", "/posts/7"));
        assert!(matches("/", "/"));
        assert!(matches("/posts/{id}", "/posts/7"));
        assert!(!matches("/posts/{id}", "/posts/"));
        assert!(!matches("/posts/{id}", "/posts/7/comments"));
        assert!(matches("/posts/{id}/comments", "/posts/7/comments"));
        assert!(matches("/files/{*rest}", "/files/a/b"));
        assert!(!matches("/files/{*rest}", "/files/"));
        assert!(!matches("/files/{*rest}", "/files"));
        assert!(matches("/payments/*", "/payments/9"));
        assert!(matches("/payments/*", "/payments//"));
        assert!(!matches("/payments/*", "/payments/"));
        assert!(!matches("/payments/*", "/paymentsx/1"));
        assert!(matches("/*", "/x"));
        assert!(!matches("/*", "/"));
    }

    #[test]
    fn paths_that_could_never_match_are_refused() {
        for bad in [
            "posts",
            "",
            "/posts/:id",
            "/files/*rest",
            "/files/{*rest}/x",
            "/a/*/b",
            "/files/{name}.txt",
            "/posts/{}",
        ] {
            assert!(ActionPath::parse(bad).is_err(), "{bad}");
        }
    }
}
