// Times in messages a person reads: a date in UTC, never an epoch number,
// and the same on every machine (no locale, no TZ).
#pragma once

#include <cstdint>
#include <string>

namespace berth::leases {

// "2026-12-04 10:15:00 UTC" for Unix seconds, proleptic Gregorian calendar.
// Every int64_t has a date: years before 1 are astronomical (0 is 1 BC,
// -1 is 2 BC), with a '-' sign; years past 9999 get more digits.
std::string format_utc(int64_t unix_seconds);

}  // namespace berth::leases
