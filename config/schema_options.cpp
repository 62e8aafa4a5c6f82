// DHCPv4 options of a bridge: the typed keys routes, search and
// ntp_servers, options by code ([[bridge.option]], also inside a
// reservation and a class), client classes ([[bridge.class]]) and `pool`
// written as a list of ranges, some restricted to a class.
#include <array>

#include "config/schema.hpp"
#include "protocol/option_domain.hpp"

namespace berth::config::schema {
namespace {

using dhcp4::ClassMatch;
using dhcp4::ConfiguredOption;
using dhcp4::ValueType;

// ---- [[bridge.option]] ----

void apply_opt_code(const Value& v, OptionDraft& d) {
  const int64_t code = v.integer();
  if (code < 1 || code > 254)
    v.fail("option code " + std::to_string(code) + " is out of range 1..254");
  if (auto problem = dhcp4::reserved_option_problem(static_cast<uint8_t>(code))) {
    v.fail("option " + std::to_string(code) + " cannot be configured: " + std::string(*problem));
  }
  d.value.code = static_cast<uint8_t>(code);
}

void apply_opt_type(const Value& v, OptionDraft& d) {
  const std::string& text = v.string();
  auto type = dhcp4::kValueTypeNames.value(text);
  if (!type) {
    v.fail("type " + quoted(text) + " is not one of ip, ips, string, u8, u16, u32, bool, hex");
  }
  d.value.type = *type;
}

// Kept as text until the type is known (it may come later in the table).
void apply_opt_value(const Value& v, OptionDraft& d) {
  const toml::node& n = v.node();
  if (n.is_string()) {
    d.text = v.string();
  } else if (n.is_integer()) {
    d.text = std::to_string(v.integer());
  } else if (n.is_boolean()) {
    d.text = v.boolean() ? "true" : "false";
  } else if (n.is_array()) {
    d.text.clear();
    for (const std::string& s : v.strings()) d.text += (d.text.empty() ? "" : ",") + s;
  } else {
    v.wrong_type();
  }
}

void apply_opt_always(const Value& v, OptionDraft& d) { d.value.always = v.boolean(); }

void finish_option(OptionDraft& d) {
  auto bytes = dhcp4::parse_typed_value(d.value.type, d.text);
  if (!bytes) {
    d.site_of("value").fail("value " + quoted(d.text) + " is not a " +
                            std::string(to_string(d.value.type)) + ": " +
                            std::string(bytes.error().what));
  }
  d.value.value = std::move(*bytes);
}

constexpr std::array<KeyRow<OptionDraft>, 4> kOptionRows = {{
    {"code", "integer", "required", true, true,
     "DHCPv4 option code, 1 to 254. Refused: codes berth computes for each reply (1, 51, "
     "53, 54, 58, 59), framing (0, 52, 255) and codes only clients or relays send (50, 55, "
     "57, 61, 80, 81, 82). Others, the router (3) and DNS servers (6) too, replace the "
     "built-in value.",
     apply_opt_code},
    {"type", "string", "required", true, true,
     "How `value` is written and sent: \"ip\", \"ips\" (several addresses), \"string\", "
     "\"u8\", \"u16\", \"u32\" (network order), \"bool\", \"hex\" (bytes like \"01:02:0a\" or "
     "\"01020a\").",
     apply_opt_type},
    {"value", "string, integer, boolean or array of strings", "required", true, true,
     "The value in the form of `type`: a string, an integer for u8/u16/u32, a boolean for "
     "bool, an array of addresses (or one string \"a,b\") for ips. 1 to 1024 bytes on the "
     "wire; longer than 255 bytes it is split as RFC 3396 says.",
     apply_opt_value},
    {"always", "boolean", "`false`", false, true,
     "Send the option even when the client did not ask for it in its parameter request list "
     "(option 55), like dnsmasq's dhcp-option-force.",
     apply_opt_always},
}};

const Section<OptionDraft> kOptionSection = {
    "option",
    "[[bridge.option]]",
    true,
    "A DHCPv4 option by code with a typed value, sent to the bridge's clients that ask for "
    "it. The same table sits in a reservation ([[bridge.reservation.option]]: that client "
    "only) and in a class ([[bridge.class.option]]: the class's clients). For one code a "
    "reservation's option wins over a class's, a class's over the bridge's, and the bridge's "
    "over the typed keys (`routes`, `search`, `ntp_servers`) and the built-in value.",
    kOptionRows,
    finish_option};

std::vector<ConfiguredOption> read_options(const Value& v) {
  std::vector<OptionDraft> drafts = read_table_array(v, kOptionSection);
  std::vector<ConfiguredOption> out;
  for (size_t i = 0; i < drafts.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (drafts[j].value.code == drafts[i].value.code) {
        drafts[i].site_of("code").fail("option " + std::to_string(drafts[i].value.code) +
                                       " is already given by " + drafts[j].table.key);
      }
    }
    out.push_back(drafts[i].value);
  }
  return out;
}

// ---- [[bridge.class]] ----

void apply_class_name(const Value& v, ClassDraft& d) {
  const std::string& name = v.string();
  if (auto problem = dns_label_problem(name)) v.fail("class name: " + *problem);
  d.value.name = name;
}

void set_class_match(const Value& v, ClassDraft& d, ClassMatch m) {
  if (d.has_match) v.fail("a class matches on exactly one of vendor_class, user_class, arch");
  d.has_match = true;
  d.value.match = m;
}

void apply_class_vendor(const Value& v, ClassDraft& d) {
  set_class_match(v, d, ClassMatch::vendor_class);
  const std::string& text = v.string();
  if (text.empty() || text.size() > 255) v.fail("vendor_class must be 1 to 255 bytes");
  d.value.value.assign(text.begin(), text.end());
}

void apply_class_user(const Value& v, ClassDraft& d) {
  set_class_match(v, d, ClassMatch::user_class);
  const std::string& text = v.string();
  if (text.empty() || text.size() > 255) v.fail("user_class must be 1 to 255 bytes");
  d.value.value.assign(text.begin(), text.end());
}

void apply_class_arch(const Value& v, ClassDraft& d) {
  set_class_match(v, d, ClassMatch::arch);
  const int64_t arch = v.integer();
  if (arch < 0 || arch > 0xffff)
    v.fail("arch " + std::to_string(arch) + " is out of range 0..65535");
  d.value.value = {static_cast<uint8_t>(arch >> 8), static_cast<uint8_t>(arch & 0xff)};
}

void apply_class_options(const Value& v, ClassDraft& d) { d.value.options = read_options(v); }

void finish_class(ClassDraft& d) {
  if (!d.has_match) d.table.fail("a class needs one of vendor_class, user_class or arch");
}

constexpr std::array<KeyRow<ClassDraft>, 5> kClassRows = {{
    {"name", "string", "required", true, true,
     "Name of the class (a DNS label), unique in the bridge; pools name it to serve only its "
     "clients.",
     apply_class_name},
    {"vendor_class", "string", "one of vendor_class, user_class, arch", false, true,
     "Clients whose vendor class identifier (option 60) starts with this string, like "
     "\"PXEClient\" or \"MSFT\".",
     apply_class_vendor},
    {"user_class", "string", "one of vendor_class, user_class, arch", false, true,
     "Clients whose user class (option 77) is this string, or holds it as one of its RFC "
     "3004 entries, like \"iPXE\".",
     apply_class_user},
    {"arch", "integer", "one of vendor_class, user_class, arch", false, true,
     "Clients whose architecture list (option 93, RFC 4578) holds this type: 0 BIOS, 6 EFI "
     "IA32, 7 EFI x64 (BC), 9 EFI x64, 11 EFI ARM64.",
     apply_class_arch},
    {"option", "array of tables [[bridge.class.option]]", "none", false, true,
     "Options for the class's clients, written as [[bridge.option]].", apply_class_options},
}};

const Section<ClassDraft> kClassSection = {
    "class",
    "[[bridge.class]]",
    true,
    "A client class: the bridge's clients that match on option 60, 77 or 93 get the class's "
    "options, and may take addresses from pools restricted to it. A client may be in several "
    "classes; for one code, a later class's option wins.",
    kClassRows,
    finish_class};

std::string options_tables(std::string_view header, const std::vector<ConfiguredOption>& list) {
  std::string out;
  for (const ConfiguredOption& o : list) {
    out += "\n" + std::string(header) + "\n";
    out += "code = " + std::to_string(o.code) + "\n";
    out += "type = \"" + std::string(to_string(o.type)) + "\"\n";
    const std::string text = dhcp4::format_typed_value(o.type, o.value);
    switch (o.type) {
      case ValueType::u8:
      case ValueType::u16:
      case ValueType::u32:
      case ValueType::boolean:
        out += "value = " + text + "\n";
        break;
      default:
        out += "value = " + toml_string(text) + "\n";
        break;
    }
    if (o.always) out += "always = true\n";
  }
  return out;
}

std::string range_text(Ipv4Address first, Ipv4Address last) {
  return AddressRange{first, last}.to_string();
}

}  // namespace

const Section<OptionDraft>& option_section() { return kOptionSection; }
const Section<ClassDraft>& class_section() { return kClassSection; }

void apply_routes(const Value& v, BridgeDraft& d) {
  const std::vector<std::string> texts = v.strings();
  std::vector<dhcp4::StaticRoute> routes;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto r = dhcp4::parse_static_route(texts[i]);
    if (!r) {
      v.element_site(i).fail("route " + quoted(texts[i]) + " is not \"PREFIX via GATEWAY\" like " +
                             "\"10.8.0.0/16 via 198.18.0.254\": " + std::string(r.error().what));
    }
    routes.push_back(*r);
  }
  if (dhcp4::encode_classless_routes(routes).size() > dhcp4::kMaxConfiguredValue) {
    v.fail("routes take more than 1024 bytes");
  }
  d.value.dhcp_options.routes = std::move(routes);
}

void apply_search(const Value& v, BridgeDraft& d) {
  std::vector<std::string> names = v.strings();
  for (size_t i = 0; i < names.size(); ++i) {
    if (!dhcp4::encode_domain_search(std::span(&names[i], 1))) {
      v.element_site(i).fail("search domain " + quoted(names[i]) + " is not a domain name");
    }
  }
  if (!names.empty()) {
    auto wire = dhcp4::encode_domain_search(names);
    if (wire && wire->size() > dhcp4::kMaxConfiguredValue) {
      v.fail("the search list takes more than 1024 bytes");
    }
  }
  d.value.dhcp_options.search = std::move(names);
}

void apply_ntp_servers(const Value& v, BridgeDraft& d) {
  const std::vector<std::string> texts = v.strings();
  std::vector<Ipv4Address> list;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto a = Ipv4Address::parse(texts[i]);
    if (!a) v.element_site(i).fail("ntp server " + quoted(texts[i]) + " is not an IPv4 address");
    list.push_back(*a);
  }
  d.value.dhcp_options.ntp_servers = std::move(list);
}

void apply_bridge_options(const Value& v, BridgeDraft& d) {
  d.value.dhcp_options.options = read_options(v);
}

void apply_classes(const Value& v, BridgeDraft& d) {
  std::vector<ClassDraft> drafts = read_table_array(v, kClassSection);
  for (size_t i = 0; i < drafts.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (drafts[j].value.name == drafts[i].value.name) {
        drafts[i].site_of("name").fail("class " + quoted(drafts[i].value.name) +
                                       " is already defined by " + drafts[j].table.key);
      }
    }
    d.value.dhcp_options.classes.push_back(drafts[i].value);
  }
}

void apply_reservation_options(const Value& v, ReservationDraft& d) {
  d.value.options = read_options(v);
}

void apply_pool_list(const Value& v, BridgeDraft& d) {
  const auto* array = v.node().as_array();
  if (array == nullptr || array->empty()) v.fail("pool as a list needs at least one range");
  d.value.more_pools.clear();
  d.pool_sites.clear();
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const Site at = v.element_site(i);
    std::string range_text;
    std::string class_name;
    if (const auto* s = element.as_string()) {
      range_text = s->get();
    } else if (const auto* t = element.as_table()) {
      for (const auto& [key, node] : *t) {
        const std::string_view k = key.str();
        const auto* str = node.as_string();
        if (k != "range" && k != "class") {
          at.fail("unknown key " + quoted(k) + " in a pool; a pool has range and class");
        }
        if (str == nullptr) at.fail(std::string(k) + " of a pool must be a string");
        (k == "range" ? range_text : class_name) = str->get();
      }
      if (range_text.empty()) at.fail("a pool table needs range = \"FIRST-LAST\"");
      if (class_name.empty()) at.fail("class of a pool must name a [[bridge.class]]");
    } else {
      at.fail(
          "a pool is a string \"FIRST-LAST\" or a table { range = \"FIRST-LAST\", class = "
          "\"NAME\" }");
    }
    auto range = parse_address_range(range_text);
    if (!range) {
      at.fail("pool " + quoted(range_text) +
              " is not an address range like \"10.0.3.2-10.0.3.254\"");
    }
    if (i == 0) {
      d.pool = *range;
      d.value.pool_class = class_name;
    } else {
      d.value.more_pools.push_back(
          PoolConfig{.start = range->first, .end = range->last, .class_name = class_name});
    }
    d.pool_sites.push_back(at);
  }
}

void finish_bridge_options(BridgeDraft& d) {
  const std::vector<dhcp4::ClientClass>& classes = d.value.dhcp_options.classes;
  auto known = [&](const std::string& name) {
    for (const auto& c : classes) {
      if (c.name == name) return true;
    }
    return false;
  };
  std::vector<AddressRange> ranges{AddressRange{d.value.pool_start, d.value.pool_end}};
  for (const PoolConfig& p : d.value.more_pools) ranges.push_back(AddressRange{p.start, p.end});
  auto site = [&](size_t i) -> const Site& {
    return i < d.pool_sites.size() ? d.pool_sites[i] : d.site_of("pool");
  };
  for (size_t i = 0; i < ranges.size(); ++i) {
    const std::string& cls = i == 0 ? d.value.pool_class : d.value.more_pools[i - 1].class_name;
    if (!cls.empty() && !known(cls)) {
      site(i).fail("pool class " + quoted(cls) + " is not a [[bridge.class]] of this bridge");
    }
    if (i > 0) {
      if (auto problem = pool_problem(d.value.address, ranges[i]))
        site(i).fail(std::move(*problem));
    }
    for (size_t j = 0; j < i; ++j) {
      if (ranges[i].first <= ranges[j].last && ranges[j].first <= ranges[i].last) {
        site(i).fail("pool " + ranges[i].to_string() + " overlaps pool " + ranges[j].to_string());
      }
    }
  }
}

std::string pool_toml(const BridgeConfig& b) {
  if (b.pool_class.empty() && b.more_pools.empty()) {
    return "pool = \"" + range_text(b.pool_start, b.pool_end) + "\"\n";
  }
  auto element = [](Ipv4Address first, Ipv4Address last, const std::string& cls) {
    if (cls.empty()) return "\"" + range_text(first, last) + "\"";
    return "{ range = \"" + range_text(first, last) + "\", class = " + toml_string(cls) + " }";
  };
  std::string out = "pool = [" + element(b.pool_start, b.pool_end, b.pool_class);
  for (const PoolConfig& p : b.more_pools) out += ", " + element(p.start, p.end, p.class_name);
  return out + "]\n";
}

std::string bridge_options_toml(const BridgeConfig& b) {
  const dhcp4::BridgeOptions& o = b.dhcp_options;
  std::string out;
  auto list = [&](std::string_view key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += std::string(key) + " = [";
    for (size_t i = 0; i < items.size(); ++i) out += (i > 0 ? ", " : "") + toml_string(items[i]);
    out += "]\n";
  };
  std::vector<std::string> routes;
  for (const auto& r : o.routes) routes.push_back(dhcp4::format_static_route(r));
  list("routes", routes);
  list("search", o.search);
  std::vector<std::string> ntp;
  for (const auto& a : o.ntp_servers) ntp.push_back(a.to_string());
  list("ntp_servers", ntp);
  return out;
}

std::string bridge_option_tables_toml(const BridgeConfig& b) {
  std::string out = options_tables("[[bridge.option]]", b.dhcp_options.options);
  for (const dhcp4::ClientClass& c : b.dhcp_options.classes) {
    out += "\n[[bridge.class]]\nname = " + toml_string(c.name) + "\n";
    switch (c.match) {
      case ClassMatch::vendor_class:
      case ClassMatch::user_class:
        out += std::string(to_string(c.match)) + " = " +
               toml_string(std::string(c.value.begin(), c.value.end())) + "\n";
        break;
      case ClassMatch::arch:
        out += "arch = " + std::to_string(c.value.size() == 2 ? c.value[0] << 8 | c.value[1] : 0) +
               "\n";
        break;
    }
    out += options_tables("[[bridge.class.option]]", c.options);
  }
  return out;
}

std::string reservation_options_toml(const ReservationConfig& r) {
  return options_tables("[[bridge.reservation.option]]", r.options);
}

}  // namespace berth::config::schema
