#include "leases/time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace berth::leases {
namespace {

TEST(FormatUtc, EpochAndKnownDates) {
  EXPECT_EQ(format_utc(0), "1970-01-01 00:00:00 UTC");
  EXPECT_EQ(format_utc(1796388846), "2026-12-04 12:54:06 UTC");
  EXPECT_EQ(format_utc(951782400), "2000-02-29 00:00:00 UTC");  // leap day of a 400th year
  EXPECT_EQ(format_utc(951868799), "2000-02-29 23:59:59 UTC");
  EXPECT_EQ(format_utc(4107542400), "2100-03-01 00:00:00 UTC");  // 2100 is not a leap year
  EXPECT_EQ(format_utc(4107542399), "2100-02-28 23:59:59 UTC");
  EXPECT_EQ(format_utc(2147483647), "2038-01-19 03:14:07 UTC");
  EXPECT_EQ(format_utc(2147483648), "2038-01-19 03:14:08 UTC");  // past 32-bit time_t
}

TEST(FormatUtc, BeforeNineteenSeventy) {
  EXPECT_EQ(format_utc(-1), "1969-12-31 23:59:59 UTC");
  EXPECT_EQ(format_utc(-86400), "1969-12-31 00:00:00 UTC");
  EXPECT_EQ(format_utc(-86401), "1969-12-30 23:59:59 UTC");
  EXPECT_EQ(format_utc(-2208988800), "1900-01-01 00:00:00 UTC");
  EXPECT_EQ(format_utc(-5364662400), "1800-01-01 00:00:00 UTC");
  EXPECT_EQ(format_utc(-62135596800), "0001-01-01 00:00:00 UTC");
  EXPECT_EQ(format_utc(-62135596801), "0000-12-31 23:59:59 UTC");  // 1 BC, a leap year
  EXPECT_EQ(format_utc(-62162121600), "0000-02-29 00:00:00 UTC");
  EXPECT_EQ(format_utc(-62167219201), "-0001-12-31 23:59:59 UTC");
}

TEST(FormatUtc, FarFuture) {
  EXPECT_EQ(format_utc(253402300799), "9999-12-31 23:59:59 UTC");
  EXPECT_EQ(format_utc(253402300800), "10000-01-01 00:00:00 UTC");
}

TEST(FormatUtc, EveryInt64HasADateAndTheExtremesAreRight) {
  // The last second representable: 292277026596-12-04 15:30:07 UTC.
  EXPECT_EQ(format_utc(std::numeric_limits<int64_t>::max()), "292277026596-12-04 15:30:07 UTC");
  EXPECT_EQ(format_utc(std::numeric_limits<int64_t>::min()), "-292277022657-01-27 08:29:52 UTC");
  EXPECT_EQ(format_utc(std::numeric_limits<int64_t>::max() / 2), "146138514283-06-19 07:45:03 UTC");
}

// The standard library's calendar (C++20 <chrono>) as the reference, for every
// day of years -2000..4000 (a 400-year cycle many times over) at a second that
// moves through the day.
TEST(FormatUtc, AgreesWithChronoCalendar) {
  using namespace std::chrono;
  const int64_t first = sys_days{year{-2000} / January / 1}.time_since_epoch().count();
  const int64_t last = sys_days{year{4000} / December / 31}.time_since_epoch().count();
  int checked = 0;
  for (int64_t d = first; d <= last; ++d) {
    const year_month_day ymd{sys_days{days{d}}};
    const int64_t second = (d * 7919) % 86400 < 0 ? (d * 7919) % 86400 + 86400 : (d * 7919) % 86400;
    const int y = static_cast<int>(ymd.year());
    char want[64];
    std::snprintf(want, sizeof want, "%s%04d-%02u-%02u %02lld:%02lld:%02lld UTC", y < 0 ? "-" : "",
                  std::abs(y), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(second / 3600), static_cast<long long>(second / 60 % 60),
                  static_cast<long long>(second % 60));
    ASSERT_EQ(format_utc(d * 86400 + second), want) << "day " << d;
    ++checked;
  }
  EXPECT_GT(checked, 2'000'000);
}

}  // namespace
}  // namespace berth::leases
