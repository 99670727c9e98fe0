//! Values from the outside, parsed once at the edge: past `parse`, a value is valid.

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization;

/// A user to create, already parsed.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub role: tenantry_policy::Role,
}

/// The tenant of the platform's super admins; no tenant can be created with this id.
pub const PLATFORM_TENANT: &str = "platform";

/// A username in canonical form: NFKC, then lowercase, then checked against
/// `[a-z0-9][a-z0-9._@+'-]{2,127}`: room for what directories use as names, such as
/// `ben.ng@acme.test` or `o'neil+ops@acme.test`. Full-width or styled letters fold into
/// ASCII; anything that is not ASCII after folding (Cyrillic look-alikes, for one) is refused,
/// so two look-alike names can never be two accounts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

/// The longest username, in characters (after folding).
pub const MAX_USERNAME_CHARS: usize = 128;

/// The characters a username may hold besides `a-z` and `0-9` (never first).
pub const USERNAME_MARKS: &str = "._-@+'";

impl Username {
    pub fn parse(raw: &str) -> Result<Username, String> {
        let canonical: String = raw.trim().nfkc().collect::<String>().to_lowercase();
        let len = canonical.chars().count();
        if !(3..=MAX_USERNAME_CHARS).contains(&len) {
            return Err(format!("must be 3 to {MAX_USERNAME_CHARS} characters long"));
        }
        let mut chars = canonical.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || USERNAME_MARKS.contains(c));
        if !(first_ok && rest_ok) {
            return Err(
                "may contain only letters a-z, digits and . _ - @ + ' (starting with a letter or digit)"
                    .into(),
            );
        }
        Ok(Username(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `c` is a format character (Unicode category `Cf`): zero-width spaces and joiners,
/// bidi controls, the byte-order mark, tags. They are invisible, so a name holding one looks
/// the same as the name without it: `ben\u{200B}@acme.test` would be a second address that
/// reads `ben@acme.test`.
fn is_format(c: char) -> bool {
    get_general_category(c) == GeneralCategory::Format
}

/// An email address, kept as given (trimmed). Unique per tenant once NFKC-folded and
/// lowercased (`tenantry_store::keys::email_claim`): `Ben@Acme.test` and `ｂｅｎ@acme.test` are one
/// address. Whitespace, control and format characters are refused anywhere in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let email = raw.trim();
        let shape_ok = email.len() <= 254
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || is_format(c))
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if shape_ok {
            Ok(Email(email.to_owned()))
        } else {
            Err("must be an email address like name@example.com, without spaces or invisible characters".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy: 12 to 256 characters, and not containing its account's
/// username, compared the way usernames are (NFKC, lowercase: "Ben", "BEN" and "ｂｅｎ" all count).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str, username: &Username) -> Result<Password, String> {
        match raw.chars().count() {
            0..12 => Err("must be at least 12 characters long".into()),
            257.. => Err("must be at most 256 characters long".into()),
            _ if raw
                .nfkc()
                .collect::<String>()
                .to_lowercase()
                .contains(username.as_str()) =>
            {
                Err("must not contain the username".into())
            }
            _ => Ok(Password(raw.to_owned())),
        }
    }

    /// A password nobody knows (256 random bits), for a user a directory creates without one:
    /// it cannot sign in until someone sets one.
    pub(crate) fn unknown() -> Password {
        use base64::Engine;
        Password(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A tenant id: a slug `[a-z0-9-]{3,32}`, not `platform`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(raw: &str) -> Result<TenantId, String> {
        let ok = (3..=32).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err("must be 3 to 32 characters of a-z, 0-9 and -".into());
        }
        if raw == PLATFORM_TENANT {
            return Err("is reserved".into());
        }
        Ok(TenantId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `id` could name an existing tenant (a slug, or the platform). Anything else
/// exists nowhere and must not reach the table (DynamoDB refuses oversized keys).
pub fn could_be_tenant_id(id: &str) -> bool {
    id == PLATFORM_TENANT || TenantId::parse(id).is_ok()
}

/// Whether `id` could name an existing user: ids are UUIDs, so at most 64 of `[0-9A-Za-z-]`.
pub fn could_be_user_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// What an owner calls a directory token ("Entra ID", "Okta"): 1 to 64 characters, no
/// control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryTokenName(String);

impl DirectoryTokenName {
    pub fn parse(raw: &str) -> Result<DirectoryTokenName, String> {
        let name = raw.trim();
        if !(1..=64).contains(&name.chars().count()) {
            return Err("must be 1 to 64 characters long".into());
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(DirectoryTokenName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's display name: 1 to 100 characters, no control or format characters (so no two
/// tenants can look alike by an invisible difference).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(raw: &str) -> Result<TenantName, String> {
        let name = raw.trim();
        if !(1..=100).contains(&name.chars().count())
            || name.chars().any(|c| c.is_control() || is_format(c))
        {
            return Err(
                "must be 1 to 100 characters, without control or invisible format characters"
                    .into(),
            );
        }
        Ok(TenantName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Days a deleted user stays restorable before the purge: a whole number from 1 to 365.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionDays(u32);

impl RetentionDays {
    pub const RANGE: std::ops::RangeInclusive<u32> = 1..=365;

    /// Accepts a JSON number that is a whole number of days in range (`30` or `30.0`, not
    /// `30.5`, `"30"` or `0`). A JSON number is its value, as JSON Schema's `integer` says:
    /// `30.0` is 30.
    pub fn parse(raw: &serde_json::Value) -> Result<RetentionDays, String> {
        let whole = || {
            raw.as_f64()
                .filter(|days| days.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(days))
                .map(|days| days as u64)
        };
        raw.as_u64()
            .or_else(whole)
            .and_then(|days| u32::try_from(days).ok())
            .filter(|days| RetentionDays::RANGE.contains(days))
            .map(RetentionDays)
            .ok_or_else(|| "must be a whole number of days from 1 to 365".into())
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fold_to_one_canonical_ascii_form() {
        assert_eq!(Username::parse("Ben").unwrap().as_str(), "ben");
        assert_eq!(Username::parse(" BEN ").unwrap().as_str(), "ben");
        // Full-width letters are the same name under NFKC.
        assert_eq!(Username::parse("ｂｅｎ").unwrap().as_str(), "ben");
        assert_eq!(
            Username::parse("ann.lee_2-x").unwrap().as_str(),
            "ann.lee_2-x"
        );
    }

    #[test]
    fn confusable_and_malformed_usernames_are_refused() {
        // "bеn" with a Cyrillic e (U+0435) must never become a second "ben".
        assert!(Username::parse("b\u{0435}n").is_err());
        assert_eq!(
            Username::parse("O'Neil+Ops@Acme.test").unwrap().as_str(),
            "o'neil+ops@acme.test"
        );
        assert!(Username::parse(&"x".repeat(128)).is_ok());
        for bad in [
            "",
            "ab",
            "-ben",
            ".ben",
            "@ben",
            "be n",
            "ben!",
            "ben#1",
            &"x".repeat(129),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            Email::parse(" Ann@Example.com ").unwrap().as_str(),
            "Ann@Example.com"
        );
        for bad in [
            "", "ann", "ann@", "@x.io", "ann@x", "a b@x.io", "a@b@x.io", "a@.x", "a@x.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn emails_and_tenant_names_refuse_invisible_format_characters() {
        // Zero-width space and joiner, bidi override, byte-order mark, soft hyphen, a tag.
        for invisible in [
            '\u{200B}',
            '\u{200D}',
            '\u{202E}',
            '\u{FEFF}',
            '\u{AD}',
            '\u{E0041}',
        ] {
            let email = format!("ben{invisible}@acme.test");
            assert!(Email::parse(&email).is_err(), "{email:?} was accepted");
            let name = format!("Acme{invisible} Inc");
            assert!(TenantName::parse(&name).is_err(), "{name:?} was accepted");
        }
        // Visible non-ASCII stays allowed.
        assert!(Email::parse("zoë@exämple.test").is_ok());
        assert!(TenantName::parse("Zoë & Søn").is_ok());
    }

    #[test]
    fn passwords_are_12_to_256_characters() {
        let ben = Username::parse("ben").unwrap();
        assert!(Password::parse(&"x".repeat(11), &ben).is_err());
        assert!(Password::parse(&"x".repeat(12), &ben).is_ok());
        assert!(Password::parse(&"é".repeat(256), &ben).is_ok());
        assert!(Password::parse(&"x".repeat(257), &ben).is_err());
        assert_eq!(
            format!("{:?}", Password::parse(&"s".repeat(12), &ben).unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn passwords_must_not_contain_the_username() {
        let ben = Username::parse("Ben").unwrap();
        for bad in [
            "ben-password-1",
            "my-BEN-password",
            "password-ｂｅｎ",
            "xxxxxxxxxben",
        ] {
            assert_eq!(
                Password::parse(bad, &ben),
                Err("must not contain the username".into()),
                "{bad:?}"
            );
        }
        // Look-alikes that are not the name are allowed, as is the name in another account.
        assert!(Password::parse("b\u{0435}n-password-1", &ben).is_ok());
        assert!(Password::parse("be-n-password-1", &ben).is_ok());
        let ann = Username::parse("ann").unwrap();
        assert!(Password::parse("ben-password-1", &ann).is_ok());
    }

    #[test]
    fn retention_is_a_whole_number_of_days_from_1_to_365() {
        use serde_json::json;
        assert_eq!(RetentionDays::parse(&json!(1)).unwrap().get(), 1);
        assert_eq!(RetentionDays::parse(&json!(365)).unwrap().get(), 365);
        assert_eq!(RetentionDays::parse(&json!(30.0)).unwrap().get(), 30);
        for bad in [
            json!(0),
            json!(366),
            json!(-1),
            json!(30.5),
            json!(0.0),
            json!(366.0),
            json!(1e300),
            json!("30"),
            json!(null),
            json!(true),
            json!(u64::MAX),
        ] {
            assert!(RetentionDays::parse(&bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn tenant_ids_are_slugs_and_platform_is_reserved() {
        assert!(TenantId::parse("acme-2").is_ok());
        for bad in ["ac", "Acme", "acme_x", "acme!", "platform", &"a".repeat(33)] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(could_be_tenant_id("platform") && could_be_tenant_id("acme-2"));
        assert!(!could_be_tenant_id(&"a".repeat(33)) && !could_be_tenant_id("a#b"));
        assert!(could_be_user_id("01a20a25-caee-7256-823d-16cc79460a61"));
        assert!(
            !could_be_user_id("")
                && !could_be_user_id(&"a".repeat(65))
                && !could_be_user_id("a\0b")
        );
        assert!(TenantName::parse("  ").is_err());
        assert_eq!(
            TenantName::parse(" Acme Inc ").unwrap().as_str(),
            "Acme Inc"
        );
    }
}
