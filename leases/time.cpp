#include "leases/time.hpp"

#include <cstdio>

namespace berth::leases {

namespace {

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// Days since 1970-01-01 to a Gregorian date. The calendar repeats every 400
// years (146097 days), so the day is reduced to one such era and its place in
// it; years are counted from March so the leap day falls last.
CivilDate civil_from_days(int64_t days) {
  constexpr int64_t kEraDays = 146097;
  const int64_t shifted = days + 719468;  // 0000-03-01 is day 0
  const int64_t era = (shifted >= 0 ? shifted : shifted - (kEraDays - 1)) / kEraDays;
  const int64_t day_of_era = shifted - era * kEraDays;  // [0, 146096]
  // Years of 365 days, less one day per 4 years, plus one per 100, less the
  // last day of the era: year of the era in [0, 399].
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;  // [0, 11]
  const auto day = static_cast<unsigned>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const auto month =
      static_cast<unsigned>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

}  // namespace

std::string format_utc(int64_t unix_seconds) {
  // Floor division: -1 is 23:59:59 of the day before the epoch.
  int64_t days = unix_seconds / 86400;
  int64_t second_of_day = unix_seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  const CivilDate d = civil_from_days(days);
  const auto hh = static_cast<unsigned>(second_of_day / 3600);
  const auto mm = static_cast<unsigned>(second_of_day / 60 % 60);
  const auto ss = static_cast<unsigned>(second_of_day % 60);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%04lld-%02u-%02u %02u:%02u:%02u UTC", d.year < 0 ? "-" : "",
                static_cast<long long>(d.year < 0 ? -d.year : d.year), d.month, d.day, hh, mm, ss);
  return buf;
}

}  // namespace berth::leases
