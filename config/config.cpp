#include "config/config.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <new>
#include <system_error>

#include "config/schema.hpp"
#include "config/toml_guard.hpp"
#include "config/values.hpp"

namespace berth::config {
namespace {

std::string located(const std::string& file, uint32_t line, uint32_t column, const std::string& key,
                    const std::string& message) {
  std::string out = file;
  if (line != 0) {
    out += ":" + std::to_string(line);
    if (column != 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

// Two checks toml++ 3.3 needs before it sees the text, else it asserts
// (and, built with NDEBUG, assumes the impossible):
// - no raw control character but tab and line breaks, anywhere (TOML 1.0
//   allows none: "Comment", "String");
// - a table header ([name] or [[name]]) starts with a key: its parser calls
//   parse_key() on whatever follows the bracket ("[[#" is enough).
// A small lexer keeps string and comment contents out of the second check.
void refuse_what_tomlxx_cannot_take(std::string_view text, const std::string& file) {
  enum class In { code, comment, basic, literal, ml_basic, ml_literal } in = In::code;
  uint32_t line = 1, column = 1;
  bool line_start = true;  // only whitespace so far on this line, outside strings
  auto starts = [&](size_t i, std::string_view what) {
    return text.substr(i, what.size()) == what;
  };
  auto fail = [&](std::string message) {
    throw ConfigError(file, line, column, "", std::move(message));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", c);
      fail(std::string("control character ") + code + " is not allowed in TOML");
    }
    size_t skip = 0;  // extra bytes consumed with this one
    switch (in) {
      case In::code:
        if (c == '#') {
          in = In::comment;
        } else if (starts(i, "\"\"\"")) {
          in = In::ml_basic, skip = 2;
        } else if (starts(i, "'''")) {
          in = In::ml_literal, skip = 2;
        } else if (c == '"') {
          in = In::basic;
        } else if (c == '\'') {
          in = In::literal;
        } else if (c == '[' && line_start) {
          size_t j = i + 1;
          if (j < text.size() && text[j] == '[') ++j;
          while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
          char k = j < text.size() ? text[j] : '\n';
          bool key = std::isalnum(static_cast<unsigned char>(k)) || k == '_' || k == '-' ||
                     k == '"' || k == '\'' || k == ']';  // "[]" is toml++'s own clear error
          if (!key) fail("a table header must start with a key");
        }
        break;
      case In::comment:
        break;
      case In::basic:
        if (c == '\\')
          skip = 1;  // the escaped character cannot end the string
        else if (c == '"' || c == '\n')
          in = In::code;
        break;
      case In::literal:
        if (c == '\'' || c == '\n') in = In::code;
        break;
      case In::ml_basic:
        if (c == '\\')
          skip = 1;
        else if (starts(i, "\"\"\""))
          in = In::code, skip = 2;
        break;
      case In::ml_literal:
        if (starts(i, "'''")) in = In::code, skip = 2;
        break;
    }
    if (c == '\n') {
      if (in == In::comment) in = In::code;
      ++line;
      column = 1;
      line_start = in == In::code;
      continue;
    }
    if (in != In::code || (c != ' ' && c != '\t' && c != '\r')) line_start = false;
    if ((c & 0xc0) != 0x80) ++column;  // code points, as toml++ counts
    // Consume the rest of a multi-byte token (never a newline, checked above).
    for (; skip > 0 && i + 1 < text.size() && text[i + 1] != '\n'; --skip) {
      ++i;
      ++column;
    }
  }
}

toml::table parse_toml(std::string_view text, const std::string& file) {
  refuse_what_tomlxx_cannot_take(text, file);
  if (auto problem = find_unsafe_non_ascii(text)) {
    throw ConfigError(file, problem->line, problem->column, "", std::move(problem->message));
  }
  try {
    return toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    throw ConfigError(file, begin.line, begin.column, "", std::string(e.description()));
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    // toml++ reports its limits (nesting depth, ...) as parse_error, but
    // nothing it throws may escape as anything but a config problem.
    throw ConfigError(file, 0, 0, "", std::string("cannot parse TOML: ") + e.what());
  }
}

DaemonConfig read_daemon(const toml::node& node, const schema::Site& site) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    site.fail("expected a table [daemon], got " + std::string(schema::type_name(node.type())));
  }
  schema::DaemonDraft draft;
  draft.table = site;
  schema::read_section(*table, schema::daemon_section(), draft);
  return draft.value;
}

std::vector<schema::BridgeDraft> read_bridges(const toml::node& node, const schema::Site& site) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    site.fail("expected an array of tables [[bridge]], got " +
              std::string(schema::type_name(node.type())) + "; write each bridge as [[bridge]]");
  }
  std::vector<schema::BridgeDraft> bridges;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const schema::Site element_site =
        schema::Site::at(site.file, "bridge[" + std::to_string(i) + "]", element.source());
    const auto* table = element.as_table();
    if (table == nullptr) {
      element_site.fail("expected a table, got " + std::string(schema::type_name(element.type())));
    }
    schema::BridgeDraft draft;
    draft.table = element_site;
    if (draft.table.line == 0) {
      draft.table.line = site.line;
      draft.table.column = site.column;
    }
    schema::read_section(*table, schema::bridge_section(), draft);
    bridges.push_back(std::move(draft));
  }
  return bridges;
}

// Whether two forwards would take the same connections: one protocol and
// port, and one host address (a forward on every address takes them all).
bool forwards_collide(const ForwardConfig& a, const ForwardConfig& b) {
  return a.proto == b.proto && a.host_port == b.host_port &&
         (!a.host_address || !b.host_address || *a.host_address == *b.host_address);
}

// Checks of each bridge against the others that only need their names:
// uplinks, MACs, allow_bridges.
void check_bridge_references(const std::vector<schema::BridgeDraft>& bridges) {
  auto bridge_text = [&](size_t j) {
    return "bridge[" + std::to_string(j) + "] " + quoted(bridges[j].value.name);
  };
  for (size_t i = 0; i < bridges.size(); ++i) {
    const schema::BridgeDraft& d = bridges[i];
    const BridgeConfig& b = d.value;
    if (!b.uplink.empty()) {
      for (size_t j = 0; j < bridges.size(); ++j) {
        if (bridges[j].value.name != b.uplink) continue;
        d.site_of("uplink").fail(
            j == i ? "uplink " + quoted(b.uplink) +
                         " is this bridge's own name; an uplink is a host interface such as "
                         "\"eth1\""
                   : "uplink " + quoted(b.uplink) + " is the name of " + bridge_text(j) +
                         "; an uplink is a host interface such as \"eth1\", not a bridge");
      }
      for (size_t j = 0; j < i; ++j) {
        if (bridges[j].value.uplink == b.uplink) {
          d.site_of("uplink").fail("uplink " + quoted(b.uplink) + " is already the uplink of " +
                                   bridge_text(j) +
                                   "; an interface can be enslaved to one bridge only");
        }
      }
    }
    if (b.mac) {
      for (size_t j = 0; j < i; ++j) {
        if (bridges[j].value.mac == b.mac) {
          d.site_of("mac").fail("mac " + b.mac->to_string() + " is already the MAC of " +
                                bridge_text(j));
        }
      }
    }
    for (size_t k = 0; k < b.allow_bridges.size(); ++k) {
      const std::string& other = b.allow_bridges[k];
      const schema::Site& at =
          k < d.allow_sites.size() ? d.allow_sites[k] : d.site_of("allow_bridges");
      if (other == b.name) {
        at.fail("allow_bridges names this bridge itself (" + quoted(other) +
                "); traffic within a bridge is always allowed");
      }
      bool known = false;
      for (const auto& o : bridges) known = known || o.value.name == other;
      if (!known) {
        at.fail("allow_bridges names " + quoted(other) + ", which is not a configured bridge");
      }
    }
  }
}

// Port forwards of all bridges: no two take the same connections.
void check_forwards(const std::vector<schema::BridgeDraft>& bridges) {
  std::vector<const schema::ForwardDraft*> seen;
  for (const auto& bridge : bridges) {
    for (const auto& f : bridge.forwards) {
      for (const schema::ForwardDraft* earlier : seen) {
        if (!forwards_collide(f.value, earlier->value)) continue;
        const std::string mine = schema::forward_text(f.value);
        const std::string theirs = schema::forward_text(earlier->value);
        f.site_of("host_port")
            .fail(mine == theirs
                      ? mine + " is already forwarded by " + earlier->table.key
                      : mine + " overlaps " + earlier->table.key + ", which forwards " + theirs);
      }
      seen.push_back(&f);
    }
  }
}

// What needs the firewall cannot be configured with it off.
void check_firewall_needs(const std::vector<schema::BridgeDraft>& bridges,
                          const FirewallConfig& firewall,
                          const std::optional<schema::Site>& firewall_site) {
  if (firewall.enabled) return;
  std::string off = "[firewall] enabled = false";
  if (firewall_site && firewall_site->line != 0) {
    off += " (line " + std::to_string(firewall_site->line) + ")";
  }
  for (const auto& d : bridges) {
    if (d.value.nat) {
      d.site_of("nat").fail("nat = true needs the firewall, but " + off);
    }
    if (d.ipv6_nat.value_or(false)) {
      d.site_of("ipv6_nat").fail("ipv6_nat = true needs the firewall, but " + off);
    }
    if (!d.forwards.empty()) {
      d.forwards.front().table.fail("port forwards need the firewall, but " + off);
    }
  }
}

// Checks between bridges: unique names, disjoint subnets (but for "auto"
// ones, which berthd keeps apart when it picks them), uplinks, MACs,
// allow_bridges and port forwards.
void check_bridges(const std::vector<schema::BridgeDraft>& bridges) {
  for (size_t i = 0; i < bridges.size(); ++i) {
    const BridgeConfig& b = bridges[i].value;
    for (size_t j = 0; j < i; ++j) {
      const BridgeConfig& earlier = bridges[j].value;
      if (b.name == earlier.name) {
        bridges[i].site_of("name").fail("bridge name " + quoted(b.name) +
                                        " is already used by bridge[" + std::to_string(j) + "]");
      }
      if (b.ipv6 && earlier.ipv6 && b.ipv6->network() == earlier.ipv6->network()) {
        bridges[i].site_of("ipv6").fail("IPv6 prefix " + b.ipv6->network().to_string() +
                                        "/64 is already the prefix of bridge[" + std::to_string(j) +
                                        "] " + quoted(earlier.name));
      }
      if (b.address_auto || earlier.address_auto) continue;
      if (subnets_overlap(b.address, earlier.address)) {
        const Ipv4Prefix mine{b.address.network(), b.address.length};
        const Ipv4Prefix theirs{earlier.address.network(), earlier.address.length};
        bridges[i].site_of("address").fail(
            "subnet " + mine.address.to_string() + "/" + std::to_string(mine.length) +
            " overlaps subnet " + theirs.address.to_string() + "/" + std::to_string(theirs.length) +
            " of bridge[" + std::to_string(j) + "] " + quoted(earlier.name));
      }
    }
  }
  check_bridge_references(bridges);
  check_forwards(bridges);
}

void append_cell(std::string& out, std::string_view text) {
  out += ' ';
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  out += " |";
}

template <class D>
void append_section(std::string& out, const schema::Section<D>& section) {
  out += "## " + std::string(section.header) + "\n\n";
  out += std::string(section.doc) + "\n\n";
  out += "| Key | Type | Default | Reload | Description |\n";
  out += "|---|---|---|---|---|\n";
  for (const auto& row : section.rows) {
    out += '|';
    append_cell(out, "`" + std::string(row.key) + "`");
    append_cell(out, row.type);
    append_cell(out, row.required ? "**required**" : row.default_text);
    append_cell(out, row.reloadable ? "yes" : "no");
    append_cell(out, row.doc);
    out += '\n';
  }
  out += '\n';
}

}  // namespace

ConfigError::ConfigError(std::string file, uint32_t line, uint32_t column, std::string key,
                         std::string message)
    : std::runtime_error(located(file, line, column, key, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_(std::move(key)),
      message_(std::move(message)) {}

Config default_config() {
  BridgeConfig bridge;
  bridge.name = "berth0";
  bridge.address = Ipv4Prefix{Ipv4Address(0x0a000301u), 24};  // 10.0.3.1/24
  const AddressRange pool = default_pool(bridge.address);
  bridge.pool_start = pool.first;
  bridge.pool_end = pool.last;
  bridge.lease_time = 3600;
  bridge.domain = "berth";
  bridge.create = true;
  bridge.nat = true;  // as lxc-net and LXD: a container on the default bridge reaches out
  Config config;
  config.bridges.push_back(std::move(bridge));
  config.source = "<built-in defaults>";
  return config;
}

Config parse_config(std::string_view text, std::string_view source_name) {
  const std::string file(source_name);
  const toml::table root = parse_toml(text, file);
  const schema::Site top{file, "", 0, 0};

  Config config;
  config.source = file;
  std::vector<schema::BridgeDraft> bridges;
  std::optional<schema::Site> bridge_key;
  std::optional<schema::Site> firewall_site;
  for (const auto& [key, node] : schema::entries_in_file_order(root)) {
    const std::string name(key->str());
    const schema::Site site = top.member(name, node->source());
    if (name == schema::daemon_section().name) {
      config.daemon = read_daemon(*node, site);
    } else if (name == schema::bridge_section().name) {
      bridges = read_bridges(*node, site);
      bridge_key = site;
    } else if (name == schema::dns_section().name) {
      if (!node->is_table()) {
        site.fail("expected a table [dns], got " + std::string(schema::type_name(node->type())));
      }
      schema::DnsDraft draft;
      draft.table = site;
      schema::read_section(*node->as_table(), schema::dns_section(), draft);
      config.dns = std::move(draft.value);
    } else if (name == schema::firewall_section().name) {
      if (!node->is_table()) {
        site.fail("expected a table [firewall], got " +
                  std::string(schema::type_name(node->type())));
      }
      schema::FirewallDraft draft;
      draft.table = site;
      schema::read_section(*node->as_table(), schema::firewall_section(), draft);
      config.firewall = draft.value;
      firewall_site = draft.site_of("enabled");
    } else if (name == schema::tftp_section().name) {
      if (!node->is_table()) {
        site.fail("expected a table [tftp], got " + std::string(schema::type_name(node->type())));
      }
      schema::TftpDraft draft;
      draft.table = site;
      schema::read_section(*node->as_table(), schema::tftp_section(), draft);
      config.tftp = draft.value;
    } else {
      // Top-level sections by name, with the header a suggestion prints.
      const std::array<std::pair<std::string_view, std::string_view>, 5> sections = {{
          {schema::daemon_section().name, schema::daemon_section().header},
          {schema::bridge_section().name, schema::bridge_section().header},
          {schema::dns_section().name, schema::dns_section().header},
          {schema::firewall_section().name, schema::firewall_section().header},
          {schema::tftp_section().name, schema::tftp_section().header},
      }};
      std::array<std::string_view, sections.size()> names;
      for (size_t i = 0; i < sections.size(); ++i) names[i] = sections[i].first;
      const bool array_of_tables = node->is_array_of_tables();
      std::string message = node->is_table()  ? "unknown table [" + name + "]"
                            : array_of_tables ? "unknown table [[" + name + "]]"
                                              : "unknown key " + quoted(name) + " at the top level";
      if (auto best = schema::closest_key(name, names)) {
        for (const auto& [section, header] : sections) {
          if (section == *best) message += "; did you mean " + std::string(header) + "?";
        }
      }
      // Report the unknown name itself, at its key.
      schema::Site::at(file, site.key, key->source()).fail(std::move(message));
    }
  }
  if (bridges.empty()) {
    if (bridge_key) bridge_key->fail("no [[bridge]] configured");
    top.fail("no [[bridge]] configured");
  }
  check_bridges(bridges);
  check_firewall_needs(bridges, config.firewall, firewall_site);
  for (auto& b : bridges) {
    // NAT66 is on by default with ipv6 = "auto", but not without a firewall.
    if (!config.firewall.enabled) b.value.ipv6_nat = false;
    config.bridges.push_back(std::move(b.value));
  }
  return config;
}

void resolve_auto_address(BridgeConfig& bridge, Ipv4Prefix chosen) {
  if (auto problem = bridge_address_problem(chosen)) {
    throw std::invalid_argument("cannot give bridge " + bridge.name + " the address " +
                                chosen.to_string() + ": " + *problem);
  }
  schema::set_address(bridge, chosen, std::nullopt);
}

void resolve_auto_ipv6(BridgeConfig& bridge, const Ipv6Prefix& chosen) {
  if (auto problem = schema::bridge_ipv6_problem(chosen)) {
    throw std::invalid_argument("cannot give bridge " + bridge.name + " the IPv6 address " +
                                chosen.to_string() + ": " + *problem);
  }
  bridge.ipv6 = chosen;
  schema::set_default_ipv6_pool(bridge);
}

Config load_config_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) {
    throw ConfigError(path, 0, 0, "", "cannot open: " + std::generic_category().message(errno));
  }
  std::string text;
  std::array<char, 65536> buffer;
  while (true) {
    const size_t n = std::fread(buffer.data(), 1, buffer.size(), f.get());
    text.append(buffer.data(), n);
    if (n < buffer.size()) break;
  }
  if (std::ferror(f.get())) {
    throw ConfigError(path, 0, 0, "", "cannot read: " + std::generic_category().message(errno));
  }
  return parse_config(text, path);
}

namespace {

// [bridge.boot], the keys that are set.
std::string boot_toml(const BootConfig& boot) {
  std::string out = "\n[bridge.boot]\n";
  if (boot.next_server) out += "next_server = \"" + boot.next_server->to_string() + "\"\n";
  const std::pair<std::string_view, const std::string*> texts[] = {
      {"server_name", &boot.server_name},   {"filename", &boot.filename},
      {"filename_efi", &boot.filename_efi}, {"filename_arm64", &boot.filename_arm64},
      {"ipxe_url", &boot.ipxe_url},
  };
  for (const auto& [key, value] : texts) {
    if (!value->empty()) out += std::string(key) + " = " + toml_string(*value) + "\n";
  }
  if (boot.tftp) out += "tftp = true\n";
  return out;
}

}  // namespace

std::string to_toml(const Config& config) {
  std::string out;
  out += "[daemon]\n";
  out += "database = " + toml_string(config.daemon.database) + "\n";
  out += "log_level = " + toml_string(config.daemon.log_level) + "\n";
  out += std::string("durability = ") +
         (config.daemon.durability == Durability::fsync ? "\"fsync\"" : "\"process\"") + "\n";
  out += "commit_interval_ms = " + std::to_string(config.daemon.commit_interval_us / 1000) + "\n";
  out += "control_socket = " + toml_string(config.daemon.control_socket) + "\n";
  out += "control_group = " + toml_string(config.daemon.control_group) + "\n";
  out += "user = " + toml_string(config.daemon.user) + "\n";
  out += std::string("resolved = ") + (config.daemon.resolved ? "true" : "false") + "\n";
  out += "lease_script = " + toml_string(config.daemon.lease_script) + "\n";
  out += "lease_script_timeout = " + std::to_string(config.daemon.lease_script_timeout) + "\n";
  out += std::string("lease_script_renewals = ") +
         (config.daemon.lease_script_renewals ? "true" : "false") + "\n";
  out += "lease_file = " + toml_string(config.daemon.lease_file) + "\n";
  for (const BridgeConfig& b : config.bridges) {
    out += "\n[[bridge]]\n";
    out += "name = " + toml_string(b.name) + "\n";
    if (b.address_auto) {
      out += "address = \"auto\"\n";
    } else {
      out += "address = \"" + b.address.address.to_string() + "/" +
             std::to_string(b.address.length) + "\"\n";
      out += schema::pool_toml(b);
    }
    out += "lease_time = " +
           (b.lease_time == kInfiniteLease ? std::string("\"infinite\"")
                                           : std::to_string(b.lease_time)) +
           "\n";
    out += "domain = " + toml_string(b.domain) + "\n";
    if (b.mtu) out += "mtu = " + std::to_string(*b.mtu) + "\n";
    out += std::string("create = ") + (b.create ? "true" : "false") + "\n";
    out += std::string("authoritative = ") + (b.authoritative ? "true" : "false") + "\n";
    out += std::string("ignore_client_id = ") + (b.ignore_client_id ? "true" : "false") + "\n";
    out += std::string("rapid_commit = ") + (b.rapid_commit ? "true" : "false") + "\n";
    out += "decline_quarantine = " + std::to_string(b.decline_quarantine) + "\n";
    if (b.mac) out += "mac = \"" + b.mac->to_string() + "\"\n";
    out += std::string("nat = ") + (b.nat ? "true" : "false") + "\n";
    if (b.nat_address) out += "nat_address = \"" + b.nat_address->to_string() + "\"\n";
    if (!b.uplink.empty()) {
      out += "uplink = " + toml_string(b.uplink) + "\n";
      out += std::string("uplink_force = ") + (b.uplink_force ? "true" : "false") + "\n";
    }
    out += "allow_bridges = [";
    for (size_t i = 0; i < b.allow_bridges.size(); ++i) {
      if (i > 0) out += ", ";
      out += toml_string(b.allow_bridges[i]);
    }
    out += "]\n";
    out += schema::bridge_options_toml(b);
    if (b.has_ipv6()) {
      out += "ipv6 = \"" + (b.ipv6_auto ? std::string("auto") : b.ipv6->to_string()) + "\"\n";
      out += "ipv6_mode = \"" + std::string(to_string(b.ipv6_mode)) + "\"\n";
      if (b.ipv6_mode == Ipv6Mode::stateful && !b.ipv6_auto) {
        out += "ipv6_pool = \"" + b.ipv6_pool_start.to_string() + "-" +
               b.ipv6_pool_end.to_string() + "\"\n";
      }
      out += std::string("ipv6_nat = ") + (b.ipv6_nat ? "true" : "false") + "\n";
      out += "ra_interval = " + std::to_string(b.ra_interval) + "\n";
    }
    if (b.boot.enabled()) out += boot_toml(b.boot);
    for (const ReservationConfig& r : b.reservations) {
      out += "\n[[bridge.reservation]]\n";
      switch (r.match) {
        case ReservationConfig::Match::mac:
          out += "mac = \"" + r.mac.to_string() + "\"\n";
          break;
        case ReservationConfig::Match::client_id:
          out += "client_id = \"" + to_hex_colon(r.client_id) + "\"\n";
          break;
        case ReservationConfig::Match::hostname:
          out += "hostname = " + toml_string(r.hostname) + "\n";
          break;
      }
      out += "ip = \"" + r.ip.to_string() + "\"\n";
      if (r.ipv6) out += "ipv6 = \"" + r.ipv6->to_string() + "\"\n";
      if (!r.duid.empty()) out += "duid = \"" + to_hex_colon(r.duid) + "\"\n";
      if (!r.name.empty()) out += "name = " + toml_string(r.name) + "\n";
      out += schema::reservation_options_toml(r);
    }
    for (const ForwardConfig& f : b.forwards) {
      out += "\n[[bridge.forward]]\n";
      out += "proto = \"" + std::string(to_string(f.proto)) + "\"\n";
      if (f.host_address) out += "host_address = \"" + f.host_address->to_string() + "\"\n";
      out += "host_port = " + std::to_string(f.host_port) + "\n";
      out += "to = " + toml_string(f.to) + "\n";
      out += "to_port = " + std::to_string(f.to_port) + "\n";
    }
    out += schema::bridge_option_tables_toml(b);
  }
  const DnsConfig& d = config.dns;
  auto upstreams = [](const std::vector<Upstream>& list) {
    std::string text = "[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) text += ", ";
      text += toml_string(list[i].to_string());
    }
    return text + "]";
  };
  out += "\n[dns]\n";
  out += std::string("enabled = ") + (d.enabled ? "true" : "false") + "\n";
  out += "port = " + std::to_string(d.port) + "\n";
  out += "upstreams = " + upstreams(d.upstreams) + "\n";
  out += "resolv_conf = " + toml_string(d.resolv_conf) + "\n";
  out += "cache_size = " + std::to_string(d.cache_size) + "\n";
  out += "local_ttl = " + std::to_string(d.local_ttl) + "\n";
  out += "workers = " + std::to_string(d.workers) + "\n";
  out += "upstream_timeout_ms = " + std::to_string(d.upstream_timeout_ms) + "\n";
  for (const DomainUpstreams& s : d.servers) {
    out += "\n[[dns.server]]\ndomain = " + toml_string(s.domain) +
           "\nupstreams = " + upstreams(s.upstreams) + "\n";
  }
  for (const HostRecord& h : d.hosts) {
    out +=
        "\n[[dns.host]]\nname = " + toml_string(h.name) + "\nip = \"" + h.ip.to_string() + "\"\n";
  }
  for (const CnameRecord& c : d.cnames) {
    out += "\n[[dns.cname]]\nname = " + toml_string(c.name) +
           "\ntarget = " + toml_string(c.target) + "\n";
  }
  for (const SrvRecord& r : d.srvs) {
    out += "\n[[dns.srv]]\nname = " + toml_string(r.name) + "\ntarget = " + toml_string(r.target) +
           "\nport = " + std::to_string(r.port) + "\npriority = " + std::to_string(r.priority) +
           "\nweight = " + std::to_string(r.weight) + "\n";
  }
  for (const TxtRecord& t : d.txts) {
    out += "\n[[dns.txt]]\nname = " + toml_string(t.name) + "\ntext = [";
    for (size_t i = 0; i < t.text.size(); ++i) {
      if (i > 0) out += ", ";
      out += toml_string(t.text[i]);
    }
    out += "]\n";
  }
  out += "\n[firewall]\n";
  out += std::string("enabled = ") + (config.firewall.enabled ? "true" : "false") + "\n";
  out += std::string("keep_rules = ") + (config.firewall.keep_rules ? "true" : "false") + "\n";
  out += std::string("foreign = ") + (config.firewall.foreign ? "true" : "false") + "\n";
  if (config.tftp != TftpConfig{}) {
    out += "\n[tftp]\nroot = " + toml_string(config.tftp.root) + "\n";
    out += "max_transfers = " + std::to_string(config.tftp.max_transfers) + "\n";
    out += "timeout = " + std::to_string(config.tftp.timeout) + "\n";
    out += "retries = " + std::to_string(config.tftp.retries) + "\n";
    out += "max_block_size = " + std::to_string(config.tftp.max_block_size) + "\n";
  }
  return out;
}

std::string config_reference_markdown() {
  std::string out;
  out +=
      "# Configuration reference\n"
      "\n"
      "<!-- Generated by berth::config::config_reference_markdown() from the schema\n"
      "     tables in config/schema.cpp. A unit test fails when this file and the\n"
      "     schema differ: change the schema, then regenerate this file. -->\n"
      "\n"
      "berthd reads one TOML file (`/etc/berth/berth.toml` by default). Without a file\n"
      "it serves the built-in bridge `berth0`: 10.0.3.1/24, pool\n"
      "10.0.3.2-10.0.3.254, domain `berth`.\n"
      "\n"
      "The file is checked strictly. An unknown key is an error (with a suggestion\n"
      "when it is close to a known one), and so is a value of the wrong type or out\n"
      "of range, a pool outside its subnet or holding the network, broadcast or\n"
      "bridge address, two bridges with one name, overlapping subnets, two port\n"
      "forwards taking the same port, and a bridge named in `allow_bridges` or\n"
      "`uplink` that does not fit. Each error names the file, line, column and key:\n"
      "\n"
      "```\n"
      "/etc/berth/berth.toml:9:1: bridge[0].leas_time: unknown key 'leas_time' in "
      "[[bridge]]; did you mean 'lease_time'?\n"
      "```\n"
      "\n"
      "*Reload* says whether a configuration reload may change a key; changing any\n"
      "other key takes a restart of berthd.\n"
      "\n";
  schema::for_each_section([&](const auto& section) { append_section(out, section); });
  out +=
      "## Example\n"
      "\n"
      "The built-in defaults, written out in full:\n"
      "\n"
      "```toml\n";
  out += to_toml(default_config());
  out += "```\n";
  return out;
}

}  // namespace berth::config
