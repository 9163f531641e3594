//! The standards checklist (`shared/reference/standards-checklist.md`), item by item: where each applicable
//! item is tested. Every item test is named `item_NN_<rfc>_<section>_<what>` and lives in the behaviour file
//! of its subject, through the public API. The test at the bottom of this file reads this table from its own
//! source and checks it against the test files, so the map can't rot.
//!
//! | Item | Section | Subject | Test |
//! |---|---|---|---|
//! | 1 | RFC 6750 §2.1 | `Bearer <b64token>` grammar, case-insensitive scheme; 400 vs 401 | `bearer_header::item_01_rfc6750_2_1_b64token_syntax` |
//! | 2 | RFC 6750 §2 | one method per request: a second header, query or cookie is a 400 | `bearer_header::item_02_rfc6750_2_one_method_per_request` |
//! | 3 | RFC 6750 §2.2 | form-body tokens are off by default | `bearer_header::item_03_rfc6750_2_2_form_body_tokens_are_off` |
//! | 4 | RFC 6750 §2.3, §5.3 | query-string tokens are off by default | `bearer_header::item_04_rfc6750_2_3_query_tokens_are_off` |
//! | 5 | RFC 6750 §3 | `WWW-Authenticate: Bearer`, each attribute at most once | `authorization::item_05_rfc6750_3_challenge_attributes_appear_once` |
//! | 6 | RFC 6750 §3 | no `"` or `\` can reach `error_description` or the header | `authorization::item_06_rfc6750_3_error_description_characters` |
//! | 7 | RFC 6750 §3.1 | no credentials: a bare challenge without an error code | `bearer_header::item_07_rfc6750_3_1_no_credentials_no_error_code` |
//! | 8 | RFC 6750 §3.1 | `invalid_request` 400, `invalid_token` 401, `insufficient_scope` 403 | `authorization::item_08_rfc6750_3_1_error_codes_and_statuses` |
//! | 9 | RFC 6750 §5.3 | token cookies are `Secure`, `HttpOnly` and `SameSite` | `sliding::item_09_rfc6750_5_3_token_cookies_are_secure_with_samesite` |
//! | 10 | RFC 6750 §5.3 | short-lived access tokens, always with an audience | `issuer_and_audience::item_10_rfc6750_5_3_short_lived_tokens_with_audience` |
//! | 11 | RFC 7519 §7.2 | exactly three segments (no JWE) | `jws_structure::item_11_rfc7519_7_2_exactly_three_segments` |
//! | 12 | RFC 7519 §7.2 | the header is strict base64url, UTF-8 and a JSON object | `jws_structure::item_12_rfc7519_7_2_header_encoding_and_json` |
//! | 13 | RFC 7519 §4 | duplicate claim and header names are refused | `claim_members::item_13_rfc7519_4_duplicate_claims_are_refused` |
//! | 14 | RFC 7519 §4.1.4 | `exp`, with and without leeway | `time_claims::item_14_rfc7519_4_1_4_exp_with_and_without_leeway` |
//! | 15 | RFC 7519 §4.1.5 | `nbf`, with leeway | `time_claims::item_15_rfc7519_4_1_5_nbf_with_leeway` |
//! | 16 | RFC 7519 §4.1.6 | `iat` in the future, and an optional `max_age` | `time_claims::item_16_rfc7519_4_1_6_iat_in_the_future_and_max_age` |
//! | 17 | RFC 7519 §2 | NumericDate is a JSON number (fractions allowed), nothing else | `time_claims::item_17_rfc7519_2_numeric_dates_are_numbers` |
//! | 18 | RFC 7519 §4.1.3 | `aud` is a string or an array of strings naming us | `issuer_and_audience::item_18_rfc7519_4_1_3_audience` |
//! | 19 | RFC 7519 §4.1.1 | `iss` is compared exactly, without normalisation | `issuer_and_audience::item_19_rfc7519_4_1_1_issuer_is_compared_exactly` |
//! | 20 | RFC 7519 §4 | unknown claims are ignored | `claim_members::item_20_rfc7519_4_unknown_claims_are_ignored` |
//! | 21 | RFC 7519 §7.2 | only acceptable algorithms | `algorithms::item_21_rfc7519_7_2_only_acceptable_algorithms` |
//! | 22 | RFC 7515 §4.1.1 | `alg` is required and case-sensitive | `jws_structure::item_22_rfc7515_4_1_1_alg_is_required_and_case_sensitive` |
//! | 23 | RFC 7515 §4.1.11 | `crit` is refused in every form | `jws_structure::item_23_rfc7515_4_1_11_crit` |
//! | 24 | RFC 7515 §5.2 | a changed bit anywhere fails the signature | `algorithms::item_24_rfc7515_5_2_any_flipped_bit_is_refused` |
//! | 25 | RFC 7515 §10.3 | `jku`, `jwk`, `x5u`, `x5c` are never followed | `jws_structure::item_25_rfc7515_10_3_key_headers_are_never_followed` |
//! | 26 | RFC 7515 §2 | strict base64url: no padding, canonical trailing bits | `jws_structure::item_26_rfc7515_2_strict_base64url` |
//! | 27 | RFC 7518 §3.2 | HMAC keys at least as long as the hash | `key_material::item_27_rfc7518_3_2_hmac_key_size` |
//! | 28 | RFC 7518 §3.3 | RSA keys of 2048 bits or more | `key_material::item_28_rfc7518_3_3_rsa_key_size` |
//! | 29 | RFC 7518 §3.4 | ECDSA signatures are fixed-width `R‖S`, no DER, no zero | `algorithms::item_29_rfc7518_3_4_ecdsa_signature_form` |
//! | 30 | RFC 7517 §5 | unusable keys are skipped without failing the set | `jwk_members::item_30_rfc7517_5_unknown_key_types_are_skipped` |
//! | 31 | RFC 7517 §4 | duplicate JWK members are refused | `jwk_members::item_31_rfc7517_4_duplicate_jwk_members_are_refused` |
//! | 32 | RFC 7517 §4.2 | `use` and `key_ops` | `jwk_members::item_32_rfc7517_4_2_use_and_key_ops` |
//! | 33 | RFC 7517 §4.4 | a JWK's `alg` binds the key | `jwk_members::item_33_rfc7517_4_4_jwk_alg_binds_the_key` |
//! | 34 | RFC 7517 §4.5 | `kid` is bounded and selects only trusted keys | `key_selection::item_34_rfc7517_4_5_kid_is_bounded_and_only_selects_trusted_keys` |
//! | 35 | RFC 8725 §3.1 | each key is used with exactly one algorithm | `algorithms::item_35_rfc8725_3_1_each_key_one_algorithm` |
//! | 36 | RFC 8725 §3.2 | `none` is never accepted | `algorithms::item_36_rfc8725_3_2_none_is_never_accepted` |
//! | 37 | RFC 8725 §3.3 | JWE and nested tokens are refused | `jws_structure::item_37_rfc8725_3_3_jwe_and_nested_tokens_are_refused` |
//! | 38 | RFC 8725 §3.4 | validating cryptographic (ECDH-ES) inputs | does not apply |
//! | 39 | RFC 8725 §3.5 | no passwords as HMAC keys (partially applicable) | `key_material::item_39_rfc8725_3_5_hmac_keys_are_raw_bytes_of_hash_length` |
//! | 40 | RFC 8725 §3.6 | `zip` is refused | `jws_structure::item_40_rfc8725_3_6_zip_is_refused` |
//! | 41 | RFC 8725 §3.7 | UTF-8 only | `jws_structure::item_41_rfc8725_3_7_utf8_only` |
//! | 42 | RFC 8725 §3.8 | keys belong to their issuer | `issuer_binding::item_42_rfc8725_3_8_keys_belong_to_the_issuer` |
//! | 43 | RFC 8725 §3.9 | `aud` is mandatory by default | `issuer_and_audience::item_43_rfc8725_3_9_audience_is_mandatory_by_default` |
//! | 44 | RFC 8725 §3.10 | `kid` only selects configured keys; `jku`/`x5u` never fetched | `key_selection::item_44_rfc8725_3_10_kid_and_key_urls` |
//! | 45 | RFC 8725 §3.11 | explicit typing: access tokens are `at+jwt` | `token_profile::item_45_rfc8725_3_11_explicit_typing` |
//! | 46 | RFC 8725 §3.12 | ID tokens are not access tokens | `token_profile::item_46_rfc8725_3_12_id_tokens_are_not_access_tokens` |
//! | 47 | RFC 9068 §2.1 | `typ` must be `at+jwt` | `token_profile::item_47_rfc9068_2_1_typ_must_be_at_jwt` |
//! | 48 | RFC 9068 §2.2 | the profile's required claims | `token_profile::item_48_rfc9068_2_2_required_claims` |
//! | 49 | RFC 9068 §4 | issuer, audience and expiry under the profile | `token_profile::item_49_rfc9068_4_validation` |
//! | 50 | RFC 9068 §4 | encrypted tokens | does not apply |
//! | 51 | RFC 9068 §2.2.3 | scopes: 403 with `scope="a b"`, a failed profile 401 | `authorization::item_51_rfc9068_2_2_3_scope` |
//! | 52 | RFC 6749 §6 | refresh tokens bound to OAuth clients | does not apply |
//! | 53 | RFC 6749 §6 | a refresh never widens the scope (partially applicable) | `refresh_endpoint::item_53_rfc6749_6_scope_is_carried_unchanged` |
//! | 54 | RFC 6749 §6 | the old refresh token is discarded | `refresh_endpoint::item_54_rfc6749_6_the_old_refresh_token_is_discarded` |
//! | 55 | RFC 6749 §10.4 | only a hash of the refresh secret is stored | `refresh_endpoint::item_55_rfc6749_10_4_only_a_hash_of_the_secret_is_stored` |
//! | 56 | RFC 6749 §5.1 | token responses are `no-store`; a bad token is `invalid_grant` | `refresh_endpoint::item_56_rfc6749_5_1_token_responses_are_not_cached` |
//! | 57 | RFC 9700 §2.2.1 | sender-constrained access tokens (DPoP; mTLS does not apply) | `bound_tokens::item_57_rfc9700_2_2_1_sender_constrained_tokens` |
//! | 58 | RFC 9700 §2.2.2 | rotation; reuse revokes the active refresh token | `refresh_endpoint::item_58_rfc9700_2_2_2_rotation_and_reuse_revokes_the_active_token` |
//! | 59 | RFC 9700 §4.14.2 | idle expiry and revocation on security events | `refresh_endpoint::item_59_rfc9700_4_14_2_idle_expiry_and_security_events` |
//! | 60 | RFC 9700 §2.3 | access tokens restricted to an audience | `issuer_and_audience::item_60_rfc9700_2_3_audience_restricted_tokens` |
//! | 61 | RFC 7009 §2.1 | the revocation request | `revoke_endpoint::item_61_rfc7009_2_1_revocation_request` |
//! | 62 | RFC 7009 §2.2 | unknown tokens get 200 and an empty body | `revoke_endpoint::item_62_rfc7009_2_2_unknown_tokens_get_200_and_an_empty_body` |
//! | 63 | RFC 7009 §2.1 | revoking a refresh token revokes its access tokens | `revoke_endpoint::item_63_rfc7009_2_1_revoking_a_refresh_token_revokes_its_access_tokens` |
//!
//! Items that do not apply, and why:
//! - 38 (RFC 8725 §3.4, validating ECDH-ES inputs) and 50 (RFC 9068 §4, encrypted tokens): the crate does not
//!   decrypt JWE at all — five-segment tokens are refused (item 11, item 37).
//! - 52 (RFC 6749 §6, refresh tokens bound to OAuth clients): `Sessions` serves one first-party application;
//!   there are no OAuth clients to bind a token to. Put client authentication in front of the endpoint if you
//!   have clients.
//!
//! Partially applicable, as tested above: 57 (DPoP, RFC 9449, is the sender constraint; mTLS-bound tokens,
//! RFC 8705, need the TLS layer's client certificate, which a tower layer does not see), 39 (the crate refuses HMAC secrets shorter than the hash; it can't tell
//! a password from random bytes of that length), 53 (the refresh grant takes no `scope` parameter: the scope is
//! carried unchanged and a `scope` parameter can't widen it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// This file's own source: the map above.
const SOURCE: &str = include_str!("checklist.rs");

/// The test files' folder (each area of tests is a folder in it).
const TESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/");

/// The rows of the map: item number → `Some((file, test))`, or `None` where the item does not apply.
fn map_rows() -> Vec<(u32, Option<(String, String)>)> {
    SOURCE
        .lines()
        .filter_map(|line| line.strip_prefix("//! |"))
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let item = cells[0].parse().ok()?;
            assert_eq!(cells.len(), 5, "item {item}: four cells: {row}");
            let test = cells[3];
            let named = test
                .strip_prefix('`')
                .and_then(|t| t.strip_suffix('`'))
                .map(|t| {
                    let (file, name) = t
                        .split_once("::")
                        .unwrap_or_else(|| panic!("item {item}: not file::test_name: {t}"));
                    (file.to_owned(), name.to_owned())
                });
            if named.is_none() {
                assert_eq!(test, "does not apply", "item {item}: {row}");
            }
            Some((item, named))
        })
        .collect()
}

/// The items the "do not apply" list names: each `NN (RFC …` in that paragraph.
fn items_that_do_not_apply() -> BTreeSet<u32> {
    let section: Vec<&str> = SOURCE
        .lines()
        .skip_while(|line| *line != "//! Items that do not apply, and why:")
        .skip(1)
        .take_while(|line| *line != "//!")
        .collect();
    let words: Vec<&str> = section.iter().flat_map(|l| l.split_whitespace()).collect();
    words
        .windows(2)
        .filter(|pair| pair[1].starts_with("(RFC"))
        .filter_map(|pair| pair[0].parse().ok())
        .collect()
}

/// Every Rust file under `tests/`, in the areas' folders too.
fn test_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![PathBuf::from(TESTS)];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
                files.push(path);
            }
        }
    }
    files
}

/// A behaviour file's stem: `bearer_header` for `tests/layer/bearer_header.rs`.
fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_str().unwrap().to_owned()
}

/// The source of the one behaviour file named `file`, in whichever area's folder it is.
fn read_test_file(file: &str) -> String {
    let found: Vec<PathBuf> = test_files()
        .into_iter()
        .filter(|path| stem(path) == file)
        .collect();
    assert_eq!(found.len(), 1, "one file tests/**/{file}.rs: {found:?}");
    std::fs::read_to_string(&found[0]).unwrap()
}

/// Whether `source` has exactly one `fn name(` and it carries a test attribute.
fn is_test_fn(source: &str, name: &str) -> bool {
    let signature = format!("fn {name}(");
    let Some(at) = source.find(&signature) else {
        return false;
    };
    let attribute = source[..at]
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty() && *line != "async");
    source.matches(&signature).count() == 1
        && attribute.is_some_and(|a| a == "#[test]" || a.starts_with("#[tokio::test"))
}

#[test]
fn the_checklist_map_names_every_item_once_and_only_tests_that_exist() {
    let rows = map_rows();
    let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
    for (item, _) in &rows {
        *seen.entry(*item).or_default() += 1;
    }
    for item in 1..=63 {
        assert_eq!(
            seen.get(&item),
            Some(&1),
            "item {item} must appear exactly once"
        );
    }
    assert!(
        seen.keys().all(|item| (1..=63).contains(item)),
        "items beyond 1..=63: {seen:?}"
    );

    // Each named test exists, is a test, and carries its item number.
    let mut mapped = BTreeSet::new();
    for (item, test) in &rows {
        let Some((file, name)) = test else { continue };
        let prefix = format!("item_{item:02}_");
        assert!(name.starts_with(&prefix), "item {item}: {name}");
        assert!(
            is_test_fn(&read_test_file(file), name),
            "item {item}: no test fn {name} in tests/**/{file}.rs"
        );
        mapped.insert((file.clone(), name.clone()));
    }

    // The items without a test are exactly the ones the "do not apply" text explains.
    let untested: BTreeSet<u32> = rows
        .iter()
        .filter(|(_, test)| test.is_none())
        .map(|(item, _)| *item)
        .collect();
    assert_eq!(untested, items_that_do_not_apply());

    // And every item test in the test files is in the map.
    for path in test_files() {
        let file = stem(&path);
        let source = std::fs::read_to_string(&path).unwrap();
        // Spelled in two halves so that this file's own source does not match.
        for (at, _) in source.match_indices(concat!("fn ", "item_")) {
            let name: String = source[at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            assert!(
                mapped.contains(&(file.clone(), name.clone())),
                "{file}::{name} is not in the checklist map"
            );
        }
    }
}
