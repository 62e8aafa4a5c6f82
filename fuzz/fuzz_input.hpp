// What the engine fuzz targets share: a reader that turns the input into
// decisions (past its end every byte is 0, so any input is a whole run) and
// the abort that tells libFuzzer an invariant broke.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace berth::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

// Reads the input from the front.
struct Reader {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  ByteView take(size_t len) {
    len = std::min(len, n);
    ByteView out(p, len);
    p += len;
    n -= len;
    return out;
  }
};

inline Ipv4Address addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return Ipv4Address(uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d);
}

}  // namespace berth::fuzz
