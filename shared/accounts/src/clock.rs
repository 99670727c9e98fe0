//! Time as the table stores it: fixed-width RFC 3339 UTC with milliseconds, so that string
//! order is time order (audit sort keys and the purge index rely on it).

use time::macros::format_description;
use time::{Duration, OffsetDateTime};

const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

pub fn format(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// Reads a time written by `format` (and only that shape).
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(text, FORMAT)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub fn plus_days(at: OffsetDateTime, days: u32) -> OffsetDateTime {
    at + Duration::days(i64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_fixed_width_and_sort_as_time() {
        let a = datetime!(2026-01-02 03:04:05.006 UTC);
        let b = datetime!(2026-01-02 03:04:05.06 UTC);
        assert_eq!(format(a), "2026-01-02T03:04:05.006Z");
        assert_eq!(format(b), "2026-01-02T03:04:05.060Z");
        assert!(format(a) < format(b));
        assert_eq!(format(plus_days(a, 30)), "2026-02-01T03:04:05.006Z");
        assert_eq!(parse(&format(a)), Some(a));
        assert_eq!(parse("2026-01-02T03:04:05Z"), None);
    }
}
