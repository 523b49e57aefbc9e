#include "base/time.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace aibud::time {
namespace {

constexpr int64_t ms_per_day = 86'400'000;

// Floor division: instants before the epoch still belong to the day that contains them.
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool is_leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// Reads exactly `width` decimal digits at `pos`.
bool read_digits(std::string_view text, std::size_t& pos, int width, int& out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += width;
  out = value;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap(year)) return 29;
  return days[(month - 1) % 12];
}

// The era-based conversion: a 400-year era has a fixed number of days, and counting
// years from March puts the leap day at the end of the counted year.
int64_t days_from_civil(civil_date date) {
  int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  int64_t era = floor_div(y, 400);
  int64_t year_of_era = y - era * 400;
  int64_t month_from_march = (date.month + 9) % 12;
  int64_t day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

civil_date civil_from_days(int64_t days) {
  int64_t z = days + 719468;
  int64_t era = floor_div(z, 146097);
  int64_t day_of_era = z - era * 146097;
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t month_from_march = (5 * day_of_year + 2) / 153;
  int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  int year = static_cast<int>(year_of_era + era * 400 + (month <= 2 ? 1 : 0));
  return civil_date{year, month, day};
}

civil_date utc_date(int64_t ms) {
  return civil_from_days(floor_div(ms, ms_per_day));
}

int64_t utc_midnight_ms(civil_date date) {
  return days_from_civil(date) * ms_per_day;
}

civil_date add_months(civil_date date, int months) {
  int64_t index = static_cast<int64_t>(date.year) * 12 + (date.month - 1) + months;
  int64_t year = floor_div(index, 12);
  return civil_date{static_cast<int>(year), static_cast<int>(index - year * 12 + 1), date.day};
}

std::string to_iso8601(int64_t ms) {
  int64_t days = floor_div(ms, ms_per_day);
  int64_t in_day = (ms - days * ms_per_day) / 1000;
  civil_date d = civil_from_days(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day,
                static_cast<int>(in_day / 3600), static_cast<int>(in_day / 60 % 60),
                static_cast<int>(in_day % 60));
  return buf;
}

std::optional<int64_t> parse_iso8601(std::string_view text) {
  std::size_t pos = 0;
  civil_date date;
  if (!read_digits(text, pos, 4, date.year) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, date.month) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, date.day))
    return std::nullopt;
  if (date.month < 1 || date.month > 12 || date.day < 1 ||
      date.day > days_in_month(date.year, date.month))
    return std::nullopt;
  if (pos == text.size()) return utc_midnight_ms(date);

  int hour = 0, minute = 0, second = 0;
  if (!(expect(text, pos, 'T') || expect(text, pos, 't') || expect(text, pos, ' ')))
    return std::nullopt;
  if (!read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, minute) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, second))
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;

  int64_t millis = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }

  int64_t offset_minutes = 0;
  if (pos < text.size()) {
    char zone = text[pos++];
    if (zone == 'Z' || zone == 'z') {
      // UTC
    } else if (zone == '+' || zone == '-') {
      int oh = 0, om = 0;
      if (!read_digits(text, pos, 2, oh)) return std::nullopt;
      expect(text, pos, ':');
      if (!read_digits(text, pos, 2, om)) return std::nullopt;
      if (oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (zone == '+' ? 1 : -1) * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  if (pos != text.size()) return std::nullopt;

  int64_t seconds = static_cast<int64_t>(hour) * 3600 + minute * 60 + second;
  return utc_midnight_ms(date) + seconds * 1000 + millis - offset_minutes * 60'000;
}

period billing_period(int anchor_day, int64_t now_ms) {
  anchor_day = std::clamp(anchor_day, 1, 28);
  civil_date today = utc_date(now_ms);
  civil_date start{today.year, today.month, anchor_day};
  if (today.day < anchor_day) start = add_months(start, -1);
  return period{utc_midnight_ms(start), utc_midnight_ms(add_months(start, 1))};
}

int default_anchor_day(int64_t now_ms) {
  return std::min(utc_date(now_ms).day, 28);
}

}  // namespace aibud::time
