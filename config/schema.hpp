// The config schema (STYLE 8): one declarative table of keys per TOML
// section. The reader, the unknown-key check, the type errors and the
// reference documentation are all driven by these rows. Internal to config/.
// The machinery is in schema.cpp; the tables are in schema_daemon.cpp
// ([daemon], [firewall]), schema_bridge.cpp, schema_reservation.cpp,
// schema_forward.cpp and schema_dns.cpp ([dns] and its records).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/toml.hpp"

#include "config/config.hpp"
#include "config/values.hpp"

namespace berth::config::schema {

// Where a node sits: the file, its dotted key ("bridge[0].pool") and its
// line and column (0 when unknown).
struct Site {
  std::string_view file;
  std::string key;
  uint32_t line = 0;
  uint32_t column = 0;

  static Site at(std::string_view file, std::string key, const toml::source_region& region);
  // The site of `child` (a key of this table), located at `region`.
  Site member(std::string_view child, const toml::source_region& region) const;
  [[noreturn]] void fail(std::string message) const;
};

// "leas_time" -> "lease_time" when some candidate is within edit distance 2.
std::optional<std::string_view> closest_key(std::string_view key,
                                            std::span<const std::string_view> candidates);

// Name of a TOML node type as the error messages print it ("integer").
std::string_view type_name(toml::node_type type);

// The value of one key, with its type spelled as the schema row does, so a
// wrong type is reported in the row's own words.
class Value {
 public:
  Value(const toml::node& node, Site site, std::string_view type)
      : node_(node), site_(std::move(site)), type_(type) {}

  const toml::node& node() const { return node_; }
  const Site& site() const { return site_; }

  const std::string& string() const;
  int64_t integer() const;
  bool boolean() const;
  // An array whose every element is a string; an element of another type
  // fails at that element.
  std::vector<std::string> strings() const;
  // The site of element `index` of this array value ("key[index]").
  Site element_site(size_t index) const;

  [[noreturn]] void wrong_type() const;
  [[noreturn]] void fail(std::string message) const { site_.fail(std::move(message)); }

 private:
  const toml::node& node_;
  Site site_;
  std::string_view type_;
};

// A host address given in the file ("nat_address", "host_address"): a single
// unicast IPv4 address of the host.
Ipv4Address host_address(const Value& v, std::string_view key);

// What is known while a section's table is read. Cross-key checks (a pool
// against the bridge address) run when the table is complete and need the
// sites of the keys that were given.
struct Draft {
  Site table;
  std::vector<std::pair<std::string_view, Site>> given;

  bool has(std::string_view key) const;
  // The site of `key`, or of the whole table when it was not given.
  const Site& site_of(std::string_view key) const;
};

struct DaemonDraft : Draft {
  DaemonConfig value;
};

struct ReservationDraft : Draft {
  ReservationConfig value;
  bool has_match = false;
};

struct ForwardDraft : Draft {
  ForwardConfig value;
};

struct BridgeDraft : Draft {
  BridgeConfig value;
  std::optional<AddressRange> pool;
  std::optional<bool> ipv6_nat;  // as written; the default depends on ipv6 = "auto"
  std::vector<ReservationDraft> reservations;
  std::vector<ForwardDraft> forwards;
  std::vector<Site> allow_sites;  // of each allow_bridges element, in order
  std::vector<Site> pool_sites;   // of each range when `pool` is a list
};

struct OptionDraft : Draft {
  dhcp4::ConfiguredOption value;
  std::string text;  // `value` as text, parsed by `type` once the table is read
};
struct ClassDraft : Draft {
  dhcp4::ClientClass value;
  bool has_match = false;
};

struct BootDraft : Draft {
  BootConfig value;
};
struct TftpDraft : Draft {
  TftpConfig value;
};

struct DnsDraft : Draft {
  DnsConfig value;
};
struct FirewallDraft : Draft {
  FirewallConfig value;
};
struct HostDraft : Draft {
  HostRecord value;
};
struct CnameDraft : Draft {
  CnameRecord value;
};
struct SrvDraft : Draft {
  SrvRecord value;
};
struct TxtDraft : Draft {
  TxtRecord value;
};
struct DomainUpstreamsDraft : Draft {
  DomainUpstreams value;
};

template <class D>
struct KeyRow {
  std::string_view key;
  std::string_view type;          // also the "expected ..." of a type error
  std::string_view default_text;  // documentation; "required" for required keys
  bool required;
  bool reloadable;  // whether a reload may change it without a restart
  std::string_view doc;
  void (*apply)(const Value& value, D& draft);
};

template <class D>
struct Section {
  std::string_view name;    // "daemon"
  std::string_view header;  // "[daemon]" or "[[bridge]]"
  bool repeated;            // an array of tables
  std::string_view doc;
  std::span<const KeyRow<D>> rows;
  void (*finish)(D& draft);  // cross-key checks and derived defaults, after all rows
};

const Section<DaemonDraft>& daemon_section();
const Section<BridgeDraft>& bridge_section();
const Section<ReservationDraft>& reservation_section();
const Section<ForwardDraft>& forward_section();
const Section<OptionDraft>& option_section();
const Section<ClassDraft>& class_section();
const Section<FirewallDraft>& firewall_section();
const Section<BootDraft>& boot_section();
const Section<TftpDraft>& tftp_section();
const Section<DnsDraft>& dns_section();
const Section<DomainUpstreamsDraft>& dns_server_section();
const Section<HostDraft>& dns_host_section();
const Section<CnameDraft>& dns_cname_section();
const Section<SrvDraft>& dns_srv_section();
const Section<TxtDraft>& dns_txt_section();

// Calls `f` with every section, in the order the references document them
// (docs/configuration.md, berth.toml(5)).
template <class F>
void for_each_section(F&& f) {
  f(daemon_section());
  f(bridge_section());
  f(reservation_section());
  f(forward_section());
  f(boot_section());
  f(option_section());
  f(class_section());
  f(dns_section());
  f(dns_server_section());
  f(dns_host_section());
  f(dns_cname_section());
  f(dns_srv_section());
  f(dns_txt_section());
  f(firewall_section());
  f(tftp_section());
}

// Sets the bridge's address and its pool: `pool` when given (already checked
// with pool_problem), else default_pool(). The one place both a written
// address and resolve_auto_address() take their pool from.
void set_address(BridgeConfig& bridge, const Ipv4Prefix& address,
                 const std::optional<AddressRange>& pool);

// The IPv6 keys of [[bridge]] (schema_bridge_ipv6.cpp).
void apply_ipv6(const Value& v, BridgeDraft& d);
void apply_ipv6_mode(const Value& v, BridgeDraft& d);
void apply_ipv6_pool(const Value& v, BridgeDraft& d);
void apply_ipv6_nat(const Value& v, BridgeDraft& d);
void apply_ra_interval(const Value& v, BridgeDraft& d);
// Cross-key checks of the IPv6 keys and their defaults (the pool, NAT66).
void finish_bridge_ipv6(BridgeDraft& d);
// Why a bridge cannot have this IPv6 address and prefix, or nothing.
std::optional<std::string> bridge_ipv6_problem(const Ipv6Prefix& p);
// The address `offset` places into a /64 prefix (the low 64 bits).
Ipv6Address pool_offset(const Ipv6Prefix& p, uint64_t offset);
// <prefix>::1:0 to <prefix>::1:ffff, the pool when ipv6_pool is not written.
void set_default_ipv6_pool(BridgeConfig& bridge);

// [bridge.boot] (schema_boot.cpp): reads the table into the bridge.
void apply_boot(const Value& v, BridgeDraft& d);
// The option keys of [[bridge]] and [[bridge.reservation]], `pool` as a
// list, and their TOML forms (schema_options.cpp).
void apply_routes(const Value& v, BridgeDraft& d);
void apply_search(const Value& v, BridgeDraft& d);
void apply_ntp_servers(const Value& v, BridgeDraft& d);
void apply_bridge_options(const Value& v, BridgeDraft& d);
void apply_classes(const Value& v, BridgeDraft& d);
void apply_pool_list(const Value& v, BridgeDraft& d);
void apply_reservation_options(const Value& v, ReservationDraft& d);
// The pools against each other and the classes; after set_address().
void finish_bridge_options(BridgeDraft& d);
std::string pool_toml(const BridgeConfig& b);
std::string bridge_options_toml(const BridgeConfig& b);  // keys of [[bridge]]
std::string bridge_option_tables_toml(
    const BridgeConfig& b);  // [[bridge.option]], [[bridge.class]]
std::string reservation_options_toml(const ReservationConfig& r);

// "tcp port 8080 on 198.18.0.1", "udp port 53 on every host address".
std::string forward_text(const ForwardConfig& forward);

// Table entries in file order, so the first problem in the file is the one
// reported.
std::vector<std::pair<const toml::key*, const toml::node*>> entries_in_file_order(
    const toml::table& table);

// Reads `table` through the section's rows into `draft`, whose `table` site
// must be set: unknown keys, wrong types, bad values and missing required
// keys all throw ConfigError.
template <class D>
void read_section(const toml::table& table, const Section<D>& section, D& draft) {
  for (const auto& [key, node] : entries_in_file_order(table)) {
    const Site site = draft.table.member(key->str(), key->source());
    const KeyRow<D>* row = nullptr;
    for (const auto& r : section.rows) {
      if (r.key == key->str()) row = &r;
    }
    if (row == nullptr) {
      std::vector<std::string_view> names;
      for (const auto& r : section.rows) names.push_back(r.key);
      std::string message =
          "unknown key " + quoted(key->str()) + " in " + std::string(section.header);
      if (auto best = closest_key(key->str(), names)) {
        message += "; did you mean '" + std::string(*best) + "'?";
      }
      site.fail(std::move(message));
    }
    const Site value_site = draft.table.member(key->str(), node->source());
    row->apply(Value(*node, value_site, row->type), draft);
    draft.given.emplace_back(row->key, value_site);
  }
  for (const auto& r : section.rows) {
    if (r.required && !draft.has(r.key)) {
      Site missing = draft.table;
      missing.key += "." + std::string(r.key);
      missing.fail("missing required key '" + std::string(r.key) + "' in " +
                   std::string(section.header));
    }
  }
  if (section.finish != nullptr) section.finish(draft);
}

// Reads an array of tables ([[bridge.reservation]], [[dns.host]], ...) at
// `site` through `section`, one draft per element, sited "key[i]".
template <class D>
std::vector<D> read_table_array(const Value& value, const Section<D>& section) {
  const auto* array = value.node().as_array();
  if (array == nullptr || !value.node().is_array_of_tables()) {
    value.fail("expected an array of tables " + std::string(section.header) + ", got " +
               std::string(type_name(value.node().type())));
  }
  std::vector<D> drafts;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    D draft;
    draft.table = Site::at(value.site().file, value.site().key + "[" + std::to_string(i) + "]",
                           element.source());
    if (draft.table.line == 0) {
      draft.table.line = value.site().line;
      draft.table.column = value.site().column;
    }
    read_section(*element.as_table(), section, draft);
    drafts.push_back(std::move(draft));
  }
  return drafts;
}

}  // namespace berth::config::schema
