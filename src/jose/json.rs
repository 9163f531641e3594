//! Strict JSON objects for JOSE headers and claims sets: member names unique at every level (RFC 7515 §4,
//! RFC 7519 §4), a bounded number of members, and a bounded nesting depth, checked in the one parse that reads
//! the values. A hostile payload costs one failed parse.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Most members one object (or elements one array) of a token may have unless configured: sized for real
/// provider tokens (Entra ID puts up to 200 `groups` into a token, some providers long `aud` lists).
pub const DEFAULT_MAX_JSON_MEMBERS: usize = 1024;
/// Deepest nesting of arrays and objects below a token's top-level object unless configured.
pub const DEFAULT_MAX_JSON_DEPTH: usize = 16;

/// Bounds on the JSON of a token's header and claims; see
/// [`JwtAuthBuilder::json_limits`](crate::JwtAuthBuilder::json_limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonLimits {
    /// Most members per object, and elements per array.
    pub(crate) max_members: usize,
    /// Deepest nesting below the top-level object.
    pub(crate) max_depth: usize,
}

impl Default for JsonLimits {
    fn default() -> Self {
        Self {
            max_members: DEFAULT_MAX_JSON_MEMBERS,
            max_depth: DEFAULT_MAX_JSON_DEPTH,
        }
    }
}

/// Member names seen in one object: a short list, or a set once the object is large (a hostile token with many
/// members costs linear, not quadratic, time).
enum Seen<'de> {
    Few(Vec<Cow<'de, str>>),
    Many(HashSet<Cow<'de, str>>),
}

impl<'de> Seen<'de> {
    /// Adds `name`; `false` if it was there already.
    fn insert(&mut self, name: Cow<'de, str>) -> bool {
        match self {
            Self::Few(names) if names.len() < 16 => {
                if names.contains(&name) {
                    return false;
                }
                names.push(name);
                true
            }
            Self::Few(names) => {
                let mut set: HashSet<Cow<'de, str>> = names.drain(..).collect();
                let fresh = set.insert(name);
                *self = Self::Many(set);
                fresh
            }
            Self::Many(set) => set.insert(name),
        }
    }
}

/// A string that borrows from the input when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CowStr<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// Reads every member of an object: `read` takes the ones it knows (returning `true`), the others are skipped
/// within `depth` more levels. Refuses duplicate names and more than `limits.max_members` members.
pub(crate) fn for_each_member<'de, A, F>(
    mut map: A,
    limits: JsonLimits,
    depth: usize,
    mut read: F,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, &mut A) -> Result<bool, A::Error>,
{
    let mut seen = Seen::Few(Vec::new());
    let mut count = 0;
    while let Some(CowStr(name)) = map.next_key::<CowStr<'de>>()? {
        if count == limits.max_members {
            return Err(de::Error::custom("too many members"));
        }
        count += 1;
        if !read(&name, &mut map)? {
            map.next_value_seed(Skip { limits, depth })?;
        }
        if !seen.insert(name) {
            return Err(de::Error::custom("duplicate member name"));
        }
    }
    Ok(())
}

/// Skips any JSON value, refusing nesting deeper than `depth`, oversized arrays and objects, and duplicate
/// names in nested objects.
pub(crate) struct Skip {
    pub(crate) limits: JsonLimits,
    pub(crate) depth: usize,
}

impl Skip {
    /// A skip with the default limits, starting at the top level.
    pub(crate) fn top() -> Self {
        let limits = JsonLimits::default();
        Self {
            limits,
            depth: limits.max_depth,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self
            .depth
            .checked_sub(1)
            .ok_or_else(|| de::Error::custom("nested too deeply"))?;
        let limits = self.limits;
        let mut count = 0;
        while seq.next_element_seed(Skip { limits, depth })?.is_some() {
            count += 1;
            if count > limits.max_members {
                return Err(de::Error::custom("array too long"));
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let depth = self
            .depth
            .checked_sub(1)
            .ok_or_else(|| de::Error::custom("nested too deeply"))?;
        for_each_member(map, self.limits, depth, |_, _| Ok(false))
    }
}

/// A JSON object whose member names are unique at every level, within the default limits (serde alone would
/// keep the last of two equal names, and read a struct from an array): the form of a DPoP proof's parts and
/// of the token endpoints' JSON bodies. `None` for anything else.
pub(crate) fn strict_object(json: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut strict = serde_json::Deserializer::from_slice(json);
    Skip::top().deserialize(&mut strict).ok()?;
    serde_json::from_slice(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Object;

    impl<'de> Deserialize<'de> for Object {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Object;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object, A::Error> {
                    let limits = JsonLimits::default();
                    for_each_member(map, limits, limits.max_depth, |_, _| Ok(false))
                        .map(|()| Object)
                }
            }
            deserializer.deserialize_map(V)
        }
    }

    fn parse(json: &str) -> Result<Object, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn duplicates_are_refused_at_every_level() {
        assert!(parse(r#"{"a":1,"b":{"c":[1,{"d":2}]}}"#).is_ok());
        assert!(parse(r#"{"a":1,"a":2}"#).is_err());
        assert!(
            parse(r#"{"a":1,"\u0061":2}"#).is_err(),
            "escaped spelling of the same name"
        );
        assert!(parse(r#"{"x":{"a":1,"a":2}}"#).is_err());
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let (max_depth, max_members) = (DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_JSON_MEMBERS);
        let deep = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(max_depth + 1),
            "]".repeat(max_depth + 1)
        );
        assert!(parse(&deep).is_err());
        let ok = format!(
            "{{\"a\":{}1{}}}",
            "[".repeat(max_depth),
            "]".repeat(max_depth)
        );
        assert!(parse(&ok).is_ok());
        let many: Vec<String> = (0..=max_members).map(|i| format!("\"k{i}\":0")).collect();
        assert!(parse(&format!("{{{}}}", many.join(","))).is_err());
        assert!(parse(&format!("{{{}}}", many[..max_members].join(","))).is_ok());
        let mut repeated = many[..100].to_vec();
        repeated.push("\"k3\":1".into());
        assert!(
            parse(&format!("{{{}}}", repeated.join(","))).is_err(),
            "duplicate in a large object"
        );
    }
}
