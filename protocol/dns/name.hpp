// DNS names (RFC 1035 3.1, RFC 4343): wire form in fixed storage, text
// form as dig prints it, and comparisons without ASCII case.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/bytes.hpp"
#include "protocol/result.hpp"

namespace berth::dns {

constexpr size_t kMaxNameWire = 255;  // RFC 1035 2.3.4, including the root label
constexpr size_t kMaxLabel = 63;

// A domain name in uncompressed wire form (length-prefixed labels ending in
// the zero root label), case preserved as received. Fixed storage: a Name
// never allocates. Comparisons marked _ci ignore ASCII case, as RFC 4343 asks.
class Name {
 public:
  Name();  // the root name "."

  // "web", "web.berth", "web.berth." and "." are accepted. Refuses empty
  // labels, labels over 63 bytes and names over 255 bytes in wire form.
  // Characters are taken as they are (no escapes); callers validate
  // hostnames themselves.
  static Result<Name> from_text(std::string_view text);
  // From uncompressed wire form; refuses bad lengths.
  static Result<Name> from_wire(ByteView wire);

  std::string to_text() const;  // "web.berth" without trailing dot, "." for root
  ByteView wire() const { return {buf_.data(), len_}; }
  size_t wire_size() const { return len_; }
  size_t label_count() const;
  std::string_view label(size_t i) const;  // i < label_count(), left to right
  bool is_root() const { return len_ == 1; }

  bool equals_ci(const Name& other) const;
  bool is_subdomain_ci(const Name& zone) const;  // true when equal too
  Name lowercased() const;
  size_t hash_ci() const;  // equal for names that are equals_ci
  // This name with its first `n` labels removed (n <= label_count()).
  Name strip_left(size_t n) const;
  // `label` + "." + this; fails if the result is too long or label invalid.
  Result<Name> prepend(std::string_view label) const;

  bool operator==(const Name& o) const;  // exact bytes, case-sensitive

 private:
  std::array<uint8_t, kMaxNameWire> buf_{};
  uint8_t len_ = 1;
};

// DNS names compare ASCII letters without case (RFC 4343); other bytes as they are.
constexpr uint8_t ascii_lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c;
}

struct NameHashCi {
  size_t operator()(const Name& n) const noexcept { return n.hash_ci(); }
};
struct NameEqualCi {
  bool operator()(const Name& a, const Name& b) const noexcept { return a.equals_ci(b); }
};

}  // namespace berth::dns
