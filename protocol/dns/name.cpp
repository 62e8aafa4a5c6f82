#include "protocol/dns/name.hpp"

#include <cstring>

#include "protocol/dns/wire.hpp"

namespace berth::dns {
namespace {

// Checks an uncompressed name: labels of 1..63 bytes, ending in the root
// label exactly at the end of `wire`, 255 bytes at most.
bool valid_uncompressed(ByteView wire) {
  if (wire.empty() || wire.size() > kMaxNameWire) return false;
  size_t pos = 0;
  while (pos < wire.size()) {
    const uint8_t len = wire[pos];
    if (len == 0) return pos + 1 == wire.size();
    if ((len & wire::kLabelTypeMask) != 0) return false;
    pos += 1 + len;
  }
  return false;
}

}  // namespace

Name::Name() { buf_[0] = 0; }

Result<Name> Name::from_text(std::string_view text) {
  Name n;
  if (text == ".") return n;
  if (text.empty()) return make_error(Errc::malformed, "empty name");
  if (text.back() == '.') text.remove_suffix(1);
  size_t len = 0;
  while (true) {
    const size_t dot = text.find('.');
    const std::string_view label = text.substr(0, dot);
    if (label.empty()) return make_error(Errc::malformed, "empty label");
    if (label.size() > kMaxLabel) return make_error(Errc::malformed, "label over 63 bytes");
    if (len + 1 + label.size() + 1 > kMaxNameWire) {
      return make_error(Errc::malformed, "name over 255 bytes");
    }
    n.buf_[len] = static_cast<uint8_t>(label.size());
    std::memcpy(n.buf_.data() + len + 1, label.data(), label.size());
    len += 1 + label.size();
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  n.buf_[len] = 0;
  n.len_ = static_cast<uint8_t>(len + 1);
  return n;
}

Result<Name> Name::from_wire(ByteView wire) {
  if (!valid_uncompressed(wire)) return make_error(Errc::malformed, "bad uncompressed name");
  Name n;
  std::memcpy(n.buf_.data(), wire.data(), wire.size());
  n.len_ = static_cast<uint8_t>(wire.size());
  return n;
}

// Like dig: bytes outside printable ASCII, and '.' and '\' inside a label,
// become \DDD so the text reads back unambiguously.
std::string Name::to_text() const {
  if (is_root()) return ".";
  std::string out;
  out.reserve(len_);
  for (size_t pos = 0; buf_[pos] != 0; pos += 1 + buf_[pos]) {
    if (pos != 0) out.push_back('.');
    for (size_t i = pos + 1; i <= pos + buf_[pos]; ++i) {
      const uint8_t c = buf_[i];
      if (c > 0x20 && c < 0x7F && c != '.' && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('\\');
        out.push_back(static_cast<char>('0' + c / 100));
        out.push_back(static_cast<char>('0' + c / 10 % 10));
        out.push_back(static_cast<char>('0' + c % 10));
      }
    }
  }
  return out;
}

size_t Name::label_count() const {
  size_t n = 0;
  for (size_t pos = 0; buf_[pos] != 0; pos += 1 + buf_[pos]) ++n;
  return n;
}

std::string_view Name::label(size_t i) const {
  size_t pos = 0;
  for (; buf_[pos] != 0 && i > 0; --i) pos += 1 + buf_[pos];
  return {reinterpret_cast<const char*>(buf_.data() + pos + 1), buf_[pos]};
}

bool Name::equals_ci(const Name& other) const {
  if (len_ != other.len_) return false;
  // Length bytes are at most 63, below 'A', so lowering them is harmless.
  for (size_t i = 0; i < len_; ++i) {
    if (ascii_lower(buf_[i]) != ascii_lower(other.buf_[i])) return false;
  }
  return true;
}

bool Name::is_subdomain_ci(const Name& zone) const {
  if (zone.len_ > len_) return false;
  const size_t start = len_ - zone.len_;
  size_t pos = 0;
  while (pos < start) pos += 1 + buf_[pos];
  if (pos != start) return false;  // the suffix would cut a label
  for (size_t i = 0; i < zone.len_; ++i) {
    if (ascii_lower(buf_[start + i]) != ascii_lower(zone.buf_[i])) return false;
  }
  return true;
}

Name Name::lowercased() const {
  Name n;
  for (size_t i = 0; i < len_; ++i) n.buf_[i] = ascii_lower(buf_[i]);
  n.len_ = len_;
  return n;
}

size_t Name::hash_ci() const {
  // FNV-1a over the lowercased wire form: equal for equals_ci names.
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len_; ++i) {
    h ^= ascii_lower(buf_[i]);
    h *= 0x100000001b3ull;
  }
  return static_cast<size_t>(h);
}

Name Name::strip_left(size_t n) const {
  size_t pos = 0;
  for (; n > 0 && buf_[pos] != 0; --n) pos += 1 + buf_[pos];
  Name out;
  std::memcpy(out.buf_.data(), buf_.data() + pos, len_ - pos);
  out.len_ = static_cast<uint8_t>(len_ - pos);
  return out;
}

// A label with a '.' in it is refused too: it would only read back as one
// label through \046, which is never what a caller building a name means.
Result<Name> Name::prepend(std::string_view label) const {
  if (label.empty() || label.size() > kMaxLabel || label.find('.') != std::string_view::npos) {
    return make_error(Errc::malformed, "invalid label");
  }
  if (1 + label.size() + len_ > kMaxNameWire) {
    return make_error(Errc::malformed, "name over 255 bytes");
  }
  Name out;
  out.buf_[0] = static_cast<uint8_t>(label.size());
  std::memcpy(out.buf_.data() + 1, label.data(), label.size());
  std::memcpy(out.buf_.data() + 1 + label.size(), buf_.data(), len_);
  out.len_ = static_cast<uint8_t>(1 + label.size() + len_);
  return out;
}

bool Name::operator==(const Name& o) const {
  return len_ == o.len_ && std::memcmp(buf_.data(), o.buf_.data(), len_) == 0;
}

}  // namespace berth::dns
