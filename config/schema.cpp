// The machinery every section table runs on: sites, typed values, drafts,
// and what parse_config() and several sections share.
#include "config/schema.hpp"

#include <algorithm>

namespace berth::config::schema {
namespace {

constexpr bool is_bare_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A key as it would be written in TOML: bare when possible, quoted otherwise.
std::string key_text(std::string_view key) {
  if (is_bare_key(key)) return std::string(key);
  std::string out = quoted(key);  // 'escaped'
  out.front() = '"';
  out.back() = '"';
  return out;
}

uint32_t checked_index(uint64_t v) { return v > UINT32_MAX ? 0 : static_cast<uint32_t>(v); }

}  // namespace

Site Site::at(std::string_view file, std::string key, const toml::source_region& region) {
  return Site{file, std::move(key), checked_index(region.begin.line),
              checked_index(region.begin.column)};
}

Site Site::member(std::string_view child, const toml::source_region& region) const {
  std::string path = key.empty() ? key_text(child) : key + "." + key_text(child);
  Site s = at(file, std::move(path), region);
  if (s.line == 0) {
    // Nodes made by the parser for dotted keys may carry no position; fall
    // back to the table's.
    s.line = line;
    s.column = column;
  }
  return s;
}

void Site::fail(std::string message) const {
  throw ConfigError(std::string(file), line, column, key, std::move(message));
}

std::optional<std::string_view> closest_key(std::string_view key,
                                            std::span<const std::string_view> candidates) {
  constexpr size_t kMaxDistance = 2;
  std::optional<std::string_view> best;
  size_t best_distance = kMaxDistance + 1;
  for (std::string_view c : candidates) {
    const size_t d = edit_distance(key, c, kMaxDistance);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
  }
  return "unknown";
}

const std::string& Value::string() const {
  if (const auto* s = node_.as_string()) return s->get();
  wrong_type();
}

int64_t Value::integer() const {
  if (const auto* i = node_.as_integer()) return i->get();
  wrong_type();
}

bool Value::boolean() const {
  if (const auto* b = node_.as_boolean()) return b->get();
  wrong_type();
}

std::vector<std::string> Value::strings() const {
  const auto* array = node_.as_array();
  if (array == nullptr) wrong_type();
  std::vector<std::string> out;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* s = element.as_string();
    if (s == nullptr) {
      element_site(i).fail("expected a string, got " + std::string(type_name(element.type())));
    }
    out.push_back(s->get());
  }
  return out;
}

Site Value::element_site(size_t index) const {
  const auto* array = node_.as_array();
  const toml::node* element = array == nullptr ? nullptr : array->get(index);
  if (element == nullptr) return site_;
  Site at = Site::at(site_.file, site_.key + "[" + std::to_string(index) + "]", element->source());
  if (at.line == 0) {
    at.line = site_.line;
    at.column = site_.column;
  }
  return at;
}

void Value::wrong_type() const {
  fail("expected " + std::string(type_) + ", got " + std::string(type_name(node_.type())));
}

bool Draft::has(std::string_view key) const {
  return std::any_of(given.begin(), given.end(), [&](const auto& g) { return g.first == key; });
}

const Site& Draft::site_of(std::string_view key) const {
  for (const auto& g : given) {
    if (g.first == key) return g.second;
  }
  return table;
}

// ---- Values several sections read -------------------------------------------

Ipv4Address host_address(const Value& v, std::string_view key) {
  const std::string& text = v.string();
  auto ip = Ipv4Address::parse(text);
  if (!ip) v.fail(std::string(key) + " " + quoted(text) + " is not an IPv4 address");
  if (ip->is_unspecified()) {
    v.fail(std::string(key) + " 0.0.0.0 is not an address of the host; leave " + std::string(key) +
           " out instead");
  }
  if (ip->value() >= 0xe0000000u) {  // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved, broadcast
    v.fail(std::string(key) + " " + ip->to_string() + " is not a unicast address");
  }
  return *ip;
}

void set_address(BridgeConfig& bridge, const Ipv4Prefix& address,
                 const std::optional<AddressRange>& pool) {
  bridge.address = address;
  const AddressRange range = pool ? *pool : default_pool(address);
  bridge.pool_start = range.first;
  bridge.pool_end = range.last;
}

std::string forward_text(const ForwardConfig& forward) {
  return std::string(to_string(forward.proto)) + " port " + std::to_string(forward.host_port) +
         (forward.host_address ? " on " + forward.host_address->to_string()
                               : std::string(" on every host address"));
}

std::vector<std::pair<const toml::key*, const toml::node*>> entries_in_file_order(
    const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
  });
  return entries;
}

}  // namespace berth::config::schema
