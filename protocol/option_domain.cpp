#include "protocol/option_domain.hpp"

namespace berth {

bool append_wire_name(std::string_view name, Bytes& out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return false;
  size_t wire_length = 1;
  while (true) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxDomainLabel) return false;
    for (char c : label) {
      if (!printable_label_byte(static_cast<uint8_t>(c))) return false;
    }
    wire_length += 1 + label.size();
    if (wire_length > kMaxDomainWireName) return false;
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name = name.substr(dot + 1);
  }
  out.push_back(0);
  return true;
}

// The first pointer must point before itself and each later one before the previous
// target (RFC 1035 §4.1.4: "a prior occurrence"), so targets strictly
// decrease and a loop or forward reference is rejected instead of followed.
Result<DecodedName> decode_wire_name(ByteView data, size_t at, bool allow_pointers,
                                     LabelBytes allowed) {
  DecodedName out;
  bool jumped = false;
  size_t pos = at;
  size_t bound = 0;  // every target must be below this
  size_t wire_length = 1;
  while (true) {
    if (pos >= data.size()) {
      // A name may stop without a root label only when pointers are not in
      // play (RFC 4702 partial names); callers decide if that is allowed.
      if (jumped) return make_error(Errc::truncated, "domain name pointer past end");
      out.next = pos;
      out.complete = false;
      return out;
    }
    const uint8_t len = data[pos];
    if (len == 0) {
      if (!jumped) out.next = pos + 1;
      out.complete = true;
      return out;
    }
    if ((len & 0xc0) == 0xc0) {
      if (!allow_pointers) return make_error(Errc::malformed, "compression pointer not allowed");
      if (pos + 1 >= data.size()) return make_error(Errc::truncated, "compression pointer");
      const size_t target = static_cast<size_t>(len & 0x3f) << 8 | data[pos + 1];
      if (!jumped) {
        out.next = pos + 2;
        bound = pos;
      }
      if (target >= bound) return make_error(Errc::malformed, "compression pointer loop");
      jumped = true;
      bound = target;
      pos = target;
      continue;
    }
    if ((len & 0xc0) != 0) return make_error(Errc::malformed, "domain label type");
    if (len > data.size() - pos - 1) return make_error(Errc::truncated, "domain label past end");
    wire_length += 1 + len;
    if (wire_length > kMaxDomainWireName)
      return make_error(Errc::malformed, "domain name too long");
    if (!out.name.empty()) out.name.push_back('.');
    for (size_t i = 0; i < len; ++i) {
      const uint8_t c = data[pos + 1 + i];
      const bool good = allowed == LabelBytes::printable ? printable_label_byte(c) : c != '.';
      if (!good) return make_error(Errc::malformed, "domain label byte");
      out.name.push_back(static_cast<char>(c));
    }
    pos += 1 + len;
  }
}

Result<std::vector<std::string>> decode_domain_list(ByteView data, bool allow_pointers) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos < data.size()) {
    auto name = decode_wire_name(data, pos, allow_pointers, LabelBytes::printable);
    if (!name) return name.error();
    if (!name->complete) return make_error(Errc::truncated, "domain search name past end");
    if (name->name.empty()) return make_error(Errc::malformed, "empty domain search name");
    names.push_back(std::move(name->name));
    pos = name->next;
  }
  if (names.empty()) return make_error(Errc::malformed, "empty domain search list");
  return names;
}

Result<std::string> decode_fqdn_name(ByteView name, bool wire_format) {
  if (wire_format) {
    if (name.empty()) return std::string();
    auto decoded = decode_wire_name(name, 0, /*allow_pointers=*/false, LabelBytes::any_but_dot);
    if (!decoded) return decoded.error();
    if (decoded->next != name.size()) return make_error(Errc::malformed, "bytes after fqdn name");
    return std::move(decoded->name);
  }
  while (!name.empty() && name.back() == 0) name = name.first(name.size() - 1);
  std::string out(name.begin(), name.end());
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace berth
