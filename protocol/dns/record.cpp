#include "protocol/dns/record.hpp"

#include "protocol/dns/message.hpp"

namespace berth::dns {
namespace {

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

// A host name as DNS names go (RFC 1123 letters, digits and hyphens, plus
// '_' for SRV owners such as _http._tcp), dot-separated, a final dot allowed.
std::optional<std::string> name_problem(std::string_view field, std::string_view name) {
  const std::string shown = "'" + std::string(name.substr(0, 80)) + "'";
  if (name.empty()) return std::string(field) + " is empty";
  if (name.size() > 253) return std::string(field) + " is longer than 253 characters";
  std::string_view body = name;
  if (body.back() == '.') body.remove_suffix(1);
  if (body.empty()) return std::string(field) + " " + shown + " is the root, not a name";
  size_t label = 0;
  for (char c : body) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) {
      return std::string(field) + " " + shown +
             " may hold only letters, digits, '-', '_' and dots between labels";
    }
    if (c == '.') {
      if (label == 0) return std::string(field) + " " + shown + " has an empty label";
      label = 0;
    } else if (++label > kMaxLabel) {
      return std::string(field) + " " + shown + " has a label longer than 63 characters";
    }
  }
  if (label == 0) return std::string(field) + " " + shown + " has an empty label";
  return std::nullopt;
}

std::optional<Name> lowered(std::string_view text) {
  auto n = Name::from_text(text);
  if (!n) return std::nullopt;
  return n->lowercased();
}

// `n` + "." + `zone`, or nullopt when too long.
std::optional<Name> join(const Name& n, const Name& zone) {
  Name out = zone;
  for (size_t i = n.label_count(); i-- > 0;) {
    auto next = out.prepend(n.label(i));
    if (!next) return std::nullopt;
    out = *next;
  }
  return out.lowercased();
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::optional<RecordType> record_type_from_string(std::string_view s) {
  if (s.size() > 5) return std::nullopt;
  std::string up;
  for (char c : s) up.push_back(upper(c));
  return kRecordTypeNames.value(up);
}

uint16_t wire_type(RecordType t) {
  switch (t) {
    case RecordType::a:
      return type::A;
    case RecordType::aaaa:
      return type::AAAA;
    case RecordType::cname:
      return type::CNAME;
    case RecordType::srv:
      return type::SRV;
    case RecordType::txt:
      return type::TXT;
  }
  return 0;
}

std::optional<std::string> record_problem(const UserRecord& r) {
  if (auto p = name_problem("name", r.name)) return p;
  const std::string_view type = to_string(r.type);
  const bool uses_address = r.type == RecordType::a || r.type == RecordType::aaaa;
  const bool uses_target = r.type == RecordType::cname || r.type == RecordType::srv;
  if (!uses_address && r.address) {
    return "a " + std::string(type) + " record has no 'address'";
  }
  if (!uses_target && !r.target.empty()) {
    return "a " + std::string(type) + " record has no 'target'";
  }
  if (r.type != RecordType::srv && (r.priority != 0 || r.weight != 0 || r.port != 0)) {
    return "only an SRV record has 'priority', 'weight' and 'port'";
  }
  if (r.type != RecordType::txt && !r.text.empty()) {
    return "only a TXT record has 'text'";
  }
  switch (r.type) {
    case RecordType::a:
      if (!r.address || !r.address->is_v4()) {
        return std::string("an A record needs an IPv4 'address' like 10.0.3.9");
      }
      if (r.address->is_unspecified())
        return std::string("an A record's address may not be 0.0.0.0");
      break;
    case RecordType::aaaa:
      if (!r.address || !r.address->is_v6()) {
        return std::string("an AAAA record needs an IPv6 'address' like fd42::9");
      }
      if (r.address->is_unspecified()) return std::string("an AAAA record's address may not be ::");
      break;
    case RecordType::cname:
    case RecordType::srv:
      if (r.target.empty()) return "a " + std::string(type) + " record needs a 'target' name";
      if (auto p = name_problem("target", r.target)) return p;
      if (r.type == RecordType::cname) {
        auto a = lowered(r.name), b = lowered(r.target);
        if (a && b && *a == *b) return std::string("a CNAME record may not point to itself");
      }
      break;
    case RecordType::txt: {
      if (r.text.empty()) return std::string("a TXT record needs one or more strings in 'text'");
      if (r.text.size() > kMaxTxtStrings) {
        return "a TXT record holds at most " + std::to_string(kMaxTxtStrings) + " strings";
      }
      for (size_t i = 0; i < r.text.size(); ++i) {
        if (r.text[i].size() > kMaxTxtString) {
          return "TXT string " + std::to_string(i + 1) + " is " + std::to_string(r.text[i].size()) +
                 " bytes; each may have at most 255";
        }
      }
      break;
    }
  }
  return std::nullopt;
}

std::optional<Name> record_owner(const UserRecord& r, std::string_view domain) {
  auto n = lowered(r.name);
  if (!n || r.bridge.empty() || r.name.back() == '.' || domain.empty()) return n;
  auto zone = lowered(domain);
  if (!zone || n->is_subdomain_ci(*zone)) return n;
  return join(*n, *zone);
}

std::optional<Name> record_target(const UserRecord& r, std::string_view domain) {
  if (r.target.empty()) return std::nullopt;
  auto n = lowered(r.target);
  if (!n || r.bridge.empty() || domain.empty() || r.target.find('.') != std::string::npos) {
    return n;
  }
  auto zone = lowered(domain);
  if (!zone) return n;
  return join(*n, *zone);
}

std::string record_value_text(const UserRecord& r) {
  switch (r.type) {
    case RecordType::a:
    case RecordType::aaaa:
      return r.address ? r.address->to_string() : std::string();
    case RecordType::cname:
      return r.target;
    case RecordType::srv:
      return std::to_string(r.priority) + " " + std::to_string(r.weight) + " " +
             std::to_string(r.port) + " " + r.target;
    case RecordType::txt: {
      std::string out;
      for (const std::string& s : r.text) out += (out.empty() ? "" : " ") + quoted(s);
      return out;
    }
  }
  return {};
}

bool same_value(const UserRecord& a, const UserRecord& b) {
  if (a.type != b.type) return false;
  const auto lower_eq = [](std::string_view x, std::string_view y) {
    auto nx = lowered(x), ny = lowered(y);
    return nx && ny && *nx == *ny;
  };
  switch (a.type) {
    case RecordType::a:
    case RecordType::aaaa:
      return a.address == b.address;
    case RecordType::cname:
      return true;  // a name has one CNAME at most
    case RecordType::srv:
      return a.priority == b.priority && a.weight == b.weight && a.port == b.port &&
             lower_eq(a.target, b.target);
    case RecordType::txt:
      return a.text == b.text;
  }
  return false;
}

std::vector<uint8_t> txt_rdata(const std::vector<std::string>& text) {
  std::vector<uint8_t> out;
  for (const std::string& s : text) {
    const size_t len = s.size() < kMaxTxtString ? s.size() : kMaxTxtString;
    out.push_back(static_cast<uint8_t>(len));
    out.insert(out.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(len));
  }
  return out;
}

std::vector<uint8_t> srv_rdata(uint16_t priority, uint16_t weight, uint16_t port,
                               const Name& target) {
  std::vector<uint8_t> out;
  for (uint16_t v : {priority, weight, port}) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v & 0xff));
  }
  out.insert(out.end(), target.wire().begin(), target.wire().end());
  return out;
}

std::optional<std::string> record_conflict(const UserRecord& r, const Name& owner,
                                           const std::vector<OwnedRecord>& existing) {
  for (const OwnedRecord& o : existing) {
    if (!o.owner.equals_ci(owner)) continue;
    const UserRecord& e = *o.record;
    const std::string which = "record " + std::to_string(e.id) + " (" + owner.to_text() + " " +
                              std::string(to_string(e.type)) + " " + record_value_text(e) + ")";
    if (e.type == RecordType::cname && r.type == RecordType::cname) {
      return owner.to_text() + " already has a CNAME: " + which;
    }
    if (e.type == RecordType::cname) {
      return owner.to_text() + " is an alias (" + which + "); an alias may have no other records";
    }
    if (r.type == RecordType::cname) {
      return "a CNAME may not join other records at " + owner.to_text() + ": " + which;
    }
    if (same_value(r, e)) return "the same record exists: " + which;
  }
  return std::nullopt;
}

}  // namespace berth::dns
