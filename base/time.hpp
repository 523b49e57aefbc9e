// Wall-clock time as milliseconds since the Unix epoch, UTC; ISO 8601 text; civil dates;
// and the monthly billing periods of ARCHITECTURE §4 (00:00 UTC on a tenant's anchor day).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aibud::time {

// Milliseconds since 1970-01-01T00:00:00Z (system clock).
int64_t now_ms();

// "2026-11-25T09:50:31Z" (UTC, whole seconds; milliseconds are truncated toward the past).
std::string to_iso8601(int64_t ms);

// Accepts "YYYY-MM-DDTHH:MM:SS" with an optional fraction (".123") and an optional zone
// ("Z", "+hh:mm", "-hh:mm", "+hhmm"); no zone means UTC. Also a bare date "YYYY-MM-DD"
// (midnight UTC). Returns nothing on any other text or an impossible date or time.
std::optional<int64_t> parse_iso8601(std::string_view text);

// A proleptic Gregorian calendar date.
struct civil_date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Days since 1970-01-01 of a date (negative before it), and back.
int64_t days_from_civil(civil_date date);
civil_date civil_from_days(int64_t days);

// The UTC date that contains the instant `ms`.
civil_date utc_date(int64_t ms);
// 00:00:00 UTC of `date`, in ms.
int64_t utc_midnight_ms(civil_date date);

int days_in_month(int year, int month);
// `date` moved by `months` months, the day unchanged (callers keep days <= 28).
civil_date add_months(civil_date date, int months);

// A billing period: [start_ms, end_ms).
struct period {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

// The period containing `now_ms`: it starts at 00:00 UTC on `anchor_day` of a month and
// ends at the same instant one month later. REQUIRES: 1 <= anchor_day <= 28 (clamped).
period billing_period(int anchor_day, int64_t now_ms);

// The anchor day a new tenant gets by default: today's UTC day, capped at 28.
int default_anchor_day(int64_t now_ms);

}  // namespace aibud::time
