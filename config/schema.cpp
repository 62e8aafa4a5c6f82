#include "config/schema.hpp"

#include <algorithm>
#include <array>
#include <cctype>

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

// ---- [daemon] ---------------------------------------------------------------

void apply_database(const Value& v, DaemonDraft& d) {
  const std::string& path = v.string();
  if (path.empty()) v.fail("database path is empty");
  if (path.find('\0') != std::string::npos) v.fail("database path contains a NUL byte");
  d.value.database = path;
}

constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};

void apply_log_level(const Value& v, DaemonDraft& d) {
  const std::string& level = v.string();
  if (std::find(kLogLevels.begin(), kLogLevels.end(), level) == kLogLevels.end()) {
    v.fail("log level " + quoted(level) + " is not one of trace, debug, info, warn, error");
  }
  d.value.log_level = level;
}

void apply_durability(const Value& v, DaemonDraft& d) {
  const std::string& mode = v.string();
  if (mode == "fsync") {
    d.value.durability = Durability::fsync;
  } else if (mode == "process") {
    d.value.durability = Durability::process;
  } else {
    v.fail("durability " + quoted(mode) + " is not one of fsync, process");
  }
}

void apply_control_socket(const Value& v, DaemonDraft& d) {
  const std::string& path = v.string();
  if (path.empty() || path.front() != '/') v.fail("control_socket must be an absolute path");
  if (path.size() >= 108) v.fail("control_socket is longer than 107 bytes (sun_path)");
  d.value.control_socket = path;
}

void apply_control_group(const Value& v, DaemonDraft& d) {
  const std::string& group = v.string();
  if (group.find_first_of(" :/\n") != std::string::npos) {
    v.fail("control_group " + quoted(group) + " is not a group name or number");
  }
  d.value.control_group = group;
}

constexpr std::array<KeyRow<DaemonDraft>, 5> kDaemonRows = {{
    {"database", "string", "`\"/var/lib/berth/berth.db\"`", false, false,
     "SQLite file holding leases and reservations; its directory is created if missing.",
     apply_database},
    {"log_level", "one of \"trace\", \"debug\", \"info\", \"warn\", \"error\"", "`\"info\"`", false,
     true, "Least severe message that is logged.", apply_log_level},
    {"durability", "one of \"fsync\", \"process\"", "`\"fsync\"`", false, false,
     "\"fsync\": an acknowledged lease survives a host crash (SQLite synchronous=FULL). "
     "\"process\": it survives a crash of berthd but not of the host (synchronous=NORMAL), "
     "for more leases per second.",
     apply_durability},
    {"control_socket", "string", "`\"/run/berth/berthd.sock\"`", false, false,
     "Unix socket of the control API (berthctl); created with mode 0660.", apply_control_socket},
    {"control_group", "string", "`\"\"`", false, false,
     "Group (name or number) that owns the control socket, so its members may use berthctl "
     "without root. Empty: root's group.",
     apply_control_group},
}};

const Section<DaemonDraft> kDaemonSection = {
    "daemon",    "[daemon]",
    false,       "Settings of berthd itself. The whole table is optional; every key has a default.",
    kDaemonRows, nullptr};

// ---- [[bridge]] -------------------------------------------------------------

void apply_name(const Value& v, BridgeDraft& d) {
  const std::string& name = v.string();
  if (auto problem = interface_name_problem(name)) v.fail(std::move(*problem));
  d.value.name = name;
}

void apply_address(const Value& v, BridgeDraft& d) {
  const std::string& text = v.string();
  if (text == "auto") {
    d.value.address_auto = true;
    return;
  }
  auto prefix = Ipv4Prefix::parse(text);
  if (!prefix) {
    v.fail("address " + quoted(text) + " is not an IPv4 address with a prefix length, " +
           "like \"10.0.3.1/24\", or \"auto\"");
  }
  if (auto problem = bridge_address_problem(*prefix)) v.fail(std::move(*problem));
  d.value.address = *prefix;
}

void apply_pool(const Value& v, BridgeDraft& d) {
  const std::string& text = v.string();
  auto range = parse_address_range(text);
  if (!range) {
    v.fail("pool " + quoted(text) + " is not an address range like \"10.0.3.2-10.0.3.254\"");
  }
  // Checked against the address in finish_bridge(), which may come later in the table.
  d.pool = *range;
}

void apply_lease_time(const Value& v, BridgeDraft& d) {
  uint64_t seconds = 0;
  if (v.node().is_integer()) {
    const int64_t n = v.integer();
    if (n < 0) v.fail("lease time " + std::to_string(n) + " is negative");
    seconds = static_cast<uint64_t>(n);
  } else if (v.node().is_string()) {
    const std::string& text = v.string();
    auto parsed = parse_lease_time(text);
    if (!parsed) {
      v.fail("lease time " + quoted(text) +
             " is not a number of seconds with an optional unit s, m, h or d, or \"infinite\"");
    }
    seconds = *parsed;
  } else {
    v.wrong_type();
  }
  if (seconds < kMinLeaseTime) {
    v.fail("lease time of " + std::to_string(seconds) +
           " seconds is shorter than the minimum of 120 seconds");
  }
  if (seconds > kInfiniteLease) {
    v.fail("lease time is longer than the maximum of 4294967295 seconds (\"infinite\")");
  }
  d.value.lease_time = static_cast<uint32_t>(seconds);
}

void apply_domain(const Value& v, BridgeDraft& d) {
  const std::string& domain = v.string();
  if (auto problem = dns_domain_problem(domain)) v.fail(std::move(*problem));
  d.value.domain = domain;
}

void apply_mtu(const Value& v, BridgeDraft& d) {
  const int64_t mtu = v.integer();
  if (mtu < kMinMtu || mtu > UINT16_MAX) {
    v.fail("mtu " + std::to_string(mtu) + " is out of range 576..65535");
  }
  d.value.mtu = static_cast<uint16_t>(mtu);
}

void apply_create(const Value& v, BridgeDraft& d) { d.value.create = v.boolean(); }
void apply_authoritative(const Value& v, BridgeDraft& d) { d.value.authoritative = v.boolean(); }
void apply_ignore_client_id(const Value& v, BridgeDraft& d) {
  d.value.ignore_client_id = v.boolean();
}
void apply_rapid_commit(const Value& v, BridgeDraft& d) { d.value.rapid_commit = v.boolean(); }
void apply_decline_quarantine(const Value& v, BridgeDraft& d) {
  const int64_t seconds = v.integer();
  if (seconds < 0 || seconds > 7 * 24 * 3600) {
    v.fail("decline_quarantine " + std::to_string(seconds) + " is out of range 0..604800");
  }
  d.value.decline_quarantine = static_cast<uint32_t>(seconds);
}

void apply_reservations(const Value& v, BridgeDraft& d) {
  d.reservations = read_table_array(v, reservation_section());
}

void apply_forwards(const Value& v, BridgeDraft& d) {
  d.forwards = read_table_array(v, forward_section());
}

void apply_bridge_mac(const Value& v, BridgeDraft& d) {
  const std::string& text = v.string();
  auto mac = MacAddress::parse(text);
  if (!mac) v.fail("mac " + quoted(text) + " is not a MAC address like \"02:16:3e:aa:bb:cc\"");
  if (mac->is_zero()) v.fail("mac " + mac->to_string() + " is all zero");
  // IEEE 802: the lowest bit of the first byte marks a group address.
  if ((mac->bytes()[0] & 0x01) != 0) {
    v.fail("mac " + mac->to_string() +
           " is a multicast address (lowest bit of the first byte set); a bridge needs a "
           "unicast MAC");
  }
  d.value.mac = *mac;
}

void apply_nat(const Value& v, BridgeDraft& d) { d.value.nat = v.boolean(); }

// A host address given in the file: a single unicast address of the host.
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

void apply_nat_address(const Value& v, BridgeDraft& d) {
  // Checked against nat and the subnet in finish_bridge().
  d.value.nat_address = host_address(v, "nat_address");
}

void apply_uplink(const Value& v, BridgeDraft& d) {
  const std::string& name = v.string();
  if (auto problem = interface_name_problem(name)) v.fail(std::move(*problem));
  // Checked against the bridges' names in check_bridges() (config.cpp).
  d.value.uplink = name;
}

void apply_uplink_force(const Value& v, BridgeDraft& d) { d.value.uplink_force = v.boolean(); }

void apply_allow_bridges(const Value& v, BridgeDraft& d) {
  const std::vector<std::string> names = v.strings();
  for (size_t i = 0; i < names.size(); ++i) {
    const Site at = v.element_site(i);
    for (size_t j = 0; j < i; ++j) {
      if (names[j] == names[i]) {
        at.fail("bridge " + quoted(names[i]) + " is listed twice in allow_bridges");
      }
    }
    // Whether the names are configured bridges is known once every bridge
    // is read: check_bridges() (config.cpp).
    d.allow_sites.push_back(at);
  }
  d.value.allow_bridges = names;
}

std::string match_text(const ReservationConfig& r) {
  switch (r.match) {
    case ReservationConfig::Match::mac:
      return "mac " + r.mac.to_string();
    case ReservationConfig::Match::client_id:
      return "client_id " + to_hex_colon(r.client_id);
    case ReservationConfig::Match::hostname:
      return "hostname " + quoted(r.hostname);
  }
  return "";
}

bool same_client(const ReservationConfig& a, const ReservationConfig& b) {
  if (a.match != b.match) return false;
  switch (a.match) {
    case ReservationConfig::Match::mac:
      return a.mac == b.mac;
    case ReservationConfig::Match::client_id:
      return a.client_id == b.client_id;
    case ReservationConfig::Match::hostname: {
      if (a.hostname.size() != b.hostname.size()) return false;
      for (size_t i = 0; i < a.hostname.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a.hostname[i])) !=
            std::tolower(static_cast<unsigned char>(b.hostname[i]))) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

std::string subnet_text(const Ipv4Prefix& p) {
  return p.network().to_string() + "/" + std::to_string(p.length);
}

// An address = "auto" bridge has no subnet until berthd starts, so nothing
// that must lie inside the subnet can be checked: such keys are refused.
void refuse_what_auto_cannot_check(const BridgeDraft& d) {
  constexpr std::string_view kUnknown =
      " with address = \"auto\": the subnet is only chosen when berthd starts";
  if (d.pool) {
    d.site_of("pool").fail("a pool cannot be written" + std::string(kUnknown) +
                           "; write the bridge's address too, or leave the pool out");
  }
  if (!d.reservations.empty()) {
    d.site_of("reservation")
        .fail("reservations cannot be written" + std::string(kUnknown) +
              "; write the bridge's address to reserve addresses in its subnet");
  }
  for (const ForwardDraft& f : d.forwards) {
    if (f.value.to_address()) {
      f.site_of("to").fail("a forward to an address cannot be written" + std::string(kUnknown) +
                           "; forward to the client's name instead");
    }
  }
}

// A forward's target address: a host of the bridge subnet other than the
// bridge itself.
void check_forward_target(const ForwardDraft& f, const Ipv4Prefix& subnet) {
  const auto ip = f.value.to_address();
  if (!ip) return;  // a name, checked when read
  const Site& at = f.site_of("to");
  if (!subnet.contains(*ip)) {
    at.fail("forward target " + ip->to_string() + " is outside the bridge subnet " +
            subnet_text(subnet));
  }
  if (*ip == subnet.network() || *ip == subnet.broadcast()) {
    at.fail("forward target " + ip->to_string() +
            " is the network or broadcast address of the subnet");
  }
  if (*ip == subnet.address) {
    at.fail("forward target " + ip->to_string() + " is the bridge's own address");
  }
}

void finish_bridge(BridgeDraft& d) {
  if (d.value.nat_address) {
    if (!d.value.nat) {
      d.site_of("nat_address").fail("nat_address needs nat = true in the same bridge");
    }
    if (!d.value.address_auto && d.value.address.contains(*d.value.nat_address)) {
      d.site_of("nat_address")
          .fail("nat_address " + d.value.nat_address->to_string() +
                " is inside the bridge subnet " + subnet_text(d.value.address) +
                "; it must be an address of the host outside it, such as the uplink's");
    }
  }
  if (d.value.uplink_force && d.value.uplink.empty()) {
    d.site_of("uplink_force").fail("uplink_force is set but the bridge has no uplink");
  }
  if (d.value.address_auto) {
    refuse_what_auto_cannot_check(d);
    for (const ForwardDraft& f : d.forwards) d.value.forwards.push_back(f.value);
    return;
  }
  if (d.pool) {
    if (auto problem = pool_problem(d.value.address, *d.pool)) {
      d.site_of("pool").fail(std::move(*problem));
    }
  }
  set_address(d.value, d.value.address, d.pool);
  for (const ForwardDraft& f : d.forwards) {
    check_forward_target(f, d.value.address);
    d.value.forwards.push_back(f.value);
  }
  // Reservations are checked against the bridge here: the address may come
  // after them in the table.
  const Ipv4Prefix& subnet = d.value.address;
  for (size_t i = 0; i < d.reservations.size(); ++i) {
    const ReservationDraft& r = d.reservations[i];
    const Ipv4Address ip = r.value.ip;
    const Site& at = r.site_of("ip");
    if (!subnet.contains(ip)) {
      at.fail("reserved address " + ip.to_string() + " is outside the bridge subnet " +
              subnet.network().to_string() + "/" + std::to_string(subnet.length));
    }
    if (ip == subnet.network() || ip == subnet.broadcast()) {
      at.fail("reserved address " + ip.to_string() +
              " is the network or broadcast address of the subnet");
    }
    if (ip == subnet.address) {
      at.fail("reserved address " + ip.to_string() + " is the bridge's own address");
    }
    for (size_t j = 0; j < i; ++j) {
      const ReservationConfig& earlier = d.reservations[j].value;
      if (earlier.ip == ip) {
        at.fail("address " + ip.to_string() + " is already reserved by reservation[" +
                std::to_string(j) + "]");
      }
      if (same_client(earlier, r.value)) {
        r.table.fail(match_text(r.value) + " already has reservation[" + std::to_string(j) + "]");
      }
      if (!r.value.name.empty() && earlier.name == r.value.name) {
        r.site_of("name").fail("name " + quoted(r.value.name) + " is already used by reservation[" +
                               std::to_string(j) + "]");
      }
    }
    d.value.reservations.push_back(r.value);
  }
}

constexpr std::array<KeyRow<BridgeDraft>, 19> kBridgeRows = {{
    {"name", "string", "required", true, false,
     "Interface name of the bridge: 1 to 15 bytes, no '/', ':' or whitespace.", apply_name},
    {"address", "string", "required", true, false,
     "The bridge's own address and subnet, like \"10.0.3.1/24\"; prefix length 8 to 30. "
     "DNS listens here; it is the router and DNS server handed to clients. \"auto\": berthd "
     "picks a free 10.x.y.1/24 that overlaps no address or route of the host and keeps it "
     "across restarts (in the database); `pool`, reservations and forwards to addresses "
     "cannot be written then.",
     apply_address},
    {"pool", "string", "the larger run of hosts beside `address`", false, true,
     "Addresses handed out dynamically, \"FIRST-LAST\" inclusive, like \"10.0.3.2-10.0.3.254\". "
     "Must lie inside the subnet and leave out its network, broadcast and the bridge's own "
     "address. Without it: the hosts of the subnet on the larger side of `address` "
     "(10.0.3.1/24 gives 10.0.3.2-10.0.3.254).",
     apply_pool},
    {"lease_time", "integer or string", "`3600`", false, true,
     "Lease length: seconds as an integer, or a string with a unit as dnsmasq writes it "
     "(\"45m\", \"12h\", \"2d\", \"90s\"), or \"infinite\". At least 120 seconds.",
     apply_lease_time},
    {"domain", "string", "`\"berth\"`", false, true,
     "DNS domain of the bridge's clients: `web` also answers as `web.<domain>`.", apply_domain},
    {"mtu", "integer", "unset", false, false,
     "MTU from 576 to 65535, set on the bridge and sent to clients (DHCP option 26). "
     "Unset: the bridge keeps its MTU and the option is not sent.",
     apply_mtu},
    {"create", "boolean", "`true`", false, false,
     "Create the bridge if it does not exist; when false, someone else must create it.",
     apply_create},
    {"authoritative", "boolean", "`true`", false, true,
     "NAK a request for an address that is not ours on this bridge, so a client that moved "
     "here recovers at once (dnsmasq's dhcp-authoritative). When false, berthd stays silent "
     "about clients it has no record of.",
     apply_authoritative},
    {"ignore_client_id", "boolean", "`false`", false, true,
     "Identify clients by MAC only, ignoring DHCP option 61: cloned VMs often share a client "
     "identifier.",
     apply_ignore_client_id},
    {"rapid_commit", "boolean", "`false`", false, true,
     "Answer a DISCOVER that carries option 80 with an ACK at once (RFC 4039).",
     apply_rapid_commit},
    {"decline_quarantine", "integer", "`600`", false, true,
     "Seconds an address a client declined (DHCPDECLINE: in use on the link) is kept out of "
     "the pool; 0 to 604800.",
     apply_decline_quarantine},
    {"reservation", "array of tables [[bridge.reservation]]", "none", false, true,
     "Static reservations of this bridge, one table each; see [[bridge.reservation]]. "
     "Reservations added at run time (berthctl) live in the database beside these. "
     "Not with address = \"auto\".",
     apply_reservations},
    {"mac", "string", "unset", false, true,
     "MAC address of the bridge, like \"02:16:3e:aa:bb:cc\": unicast, not all zero. "
     "Unset: the kernel's choice is kept.",
     apply_bridge_mac},
    {"nat", "boolean", "`false`", false, true,
     "Masquerade traffic from the subnet to destinations outside it, so clients reach the "
     "outside through the host's address. berthd turns IPv4 forwarding on when any bridge has "
     "NAT. Needs [firewall] enabled.",
     apply_nat},
    {"nat_address", "string", "unset", false, true,
     "With `nat`: translate the source to this fixed IPv4 address (SNAT) instead of "
     "masquerading to the outgoing interface's address. An address of the host outside the "
     "bridge subnet.",
     apply_nat_address},
    {"uplink", "string", "unset", false, false,
     "Host interface (like \"eth1\") enslaved to the bridge, putting the bridge on that "
     "network. Refused when it carries the host's default route, unless `uplink_force`. "
     "It may not be a configured bridge nor the uplink of another bridge.",
     apply_uplink},
    {"uplink_force", "boolean", "`false`", false, false,
     "Enslave `uplink` even when it carries the host's default route (the host may lose its "
     "connectivity through it).",
     apply_uplink_force},
    {"allow_bridges", "array of strings", "`[]`", false, true,
     "Names of other configured bridges whose clients may exchange traffic with this bridge's "
     "clients; traffic between berth bridges is dropped otherwise. Allowing a pair on either "
     "side is enough.",
     apply_allow_bridges},
    {"forward", "array of tables [[bridge.forward]]", "none", false, true,
     "Port forwards from the host to clients of this bridge; see [[bridge.forward]]. Forwards "
     "added at run time (berthctl forward add) live in the database beside these.",
     apply_forwards},
}};

const Section<BridgeDraft> kBridgeSection = {
    "bridge",
    "[[bridge]]",
    true,
    "One table per bridge served. At least one is required; names must be unique and subnets "
    "must not overlap (bridges with address = \"auto\" get subnets that do not).",
    kBridgeRows,
    finish_bridge};

// ---- [[bridge.reservation]] -------------------------------------------------

void set_match(const Value& v, ReservationDraft& d) {
  if (d.has_match) {
    v.fail("a reservation names its client by exactly one of mac, client_id, hostname");
  }
  d.has_match = true;
}

void apply_res_mac(const Value& v, ReservationDraft& d) {
  set_match(v, d);
  const std::string& text = v.string();
  auto mac = MacAddress::parse(text);
  if (!mac || mac->is_zero()) {
    v.fail("mac " + quoted(text) + " is not a MAC address like \"00:16:3e:aa:bb:cc\"");
  }
  d.value.match = ReservationConfig::Match::mac;
  d.value.mac = *mac;
}

void apply_res_client_id(const Value& v, ReservationDraft& d) {
  set_match(v, d);
  const std::string& text = v.string();
  auto bytes = parse_hex_colon(text);
  if (!bytes || bytes->size() < 2) {
    v.fail("client_id " + quoted(text) +
           " is not at least two hex bytes separated by ':', like \"01:00:16:3e:aa:bb:cc\"");
  }
  d.value.match = ReservationConfig::Match::client_id;
  d.value.client_id = std::move(*bytes);
}

void apply_res_hostname(const Value& v, ReservationDraft& d) {
  set_match(v, d);
  const std::string& text = v.string();
  if (auto problem = dns_label_problem(text)) v.fail("hostname: " + *problem);
  d.value.match = ReservationConfig::Match::hostname;
  d.value.hostname = text;
}

void apply_res_ip(const Value& v, ReservationDraft& d) {
  const std::string& text = v.string();
  auto ip = Ipv4Address::parse(text);
  if (!ip) v.fail("ip " + quoted(text) + " is not an IPv4 address");
  d.value.ip = *ip;
}

void apply_res_name(const Value& v, ReservationDraft& d) {
  const std::string& text = v.string();
  if (auto problem = dns_label_problem(text)) v.fail(std::move(*problem));
  d.value.name = text;
}

void finish_reservation(ReservationDraft& d) {
  if (!d.has_match) {
    d.table.fail("a reservation needs one of mac, client_id or hostname to name its client");
  }
}

constexpr std::array<KeyRow<ReservationDraft>, 5> kReservationRows = {{
    {"mac", "string", "one of mac, client_id, hostname", false, true,
     "The client's hardware address, like \"00:16:3e:aa:bb:cc\".", apply_res_mac},
    {"client_id", "string", "one of mac, client_id, hostname", false, true,
     "The client identifier (DHCP option 61) as hex bytes, like \"01:00:16:3e:aa:bb:cc\".",
     apply_res_client_id},
    {"hostname", "string", "one of mac, client_id, hostname", false, true,
     "The host name the client sends (option 12), compared without case.", apply_res_hostname},
    {"ip", "string", "required", true, true,
     "The address this client always gets; inside the subnet, not the bridge's own address. "
     "It leaves the dynamic pool.",
     apply_res_ip},
    {"name", "string", "none", false, true,
     "DNS name (one label) for the address; it resolves even before the client has a lease.",
     apply_res_name},
}};

const Section<ReservationDraft> kReservationSection = {
    "reservation",
    "[[bridge.reservation]]",
    true,
    "Static reservations, as dnsmasq's dhcp-host: each names its client by exactly one of "
    "`mac`, `client_id` or `hostname`. Addresses, clients and names must be unique within a "
    "bridge.",
    kReservationRows,
    finish_reservation};

// ---- [[bridge.forward]] -----------------------------------------------------

void apply_fwd_proto(const Value& v, ForwardDraft& d) {
  const std::string& text = v.string();
  if (text == "tcp") {
    d.value.proto = ForwardConfig::Proto::tcp;
  } else if (text == "udp") {
    d.value.proto = ForwardConfig::Proto::udp;
  } else {
    v.fail("proto " + quoted(text) + " is not one of tcp, udp");
  }
}

uint16_t port_number(const Value& v, std::string_view key) {
  const int64_t port = v.integer();
  if (port < 1 || port > 65535) {
    v.fail(std::string(key) + " " + std::to_string(port) + " is out of range 1..65535");
  }
  return static_cast<uint16_t>(port);
}

void apply_fwd_host_address(const Value& v, ForwardDraft& d) {
  d.value.host_address = host_address(v, "host_address");
}
void apply_fwd_host_port(const Value& v, ForwardDraft& d) {
  d.value.host_port = port_number(v, "host_port");
}

void apply_fwd_to(const Value& v, ForwardDraft& d) {
  const std::string& text = v.string();
  // An address is checked against the subnet in finish_bridge(); anything
  // else must be a client's name.
  if (!Ipv4Address::parse(text)) {
    if (auto problem = dns_label_problem(text)) {
      v.fail("to " + quoted(text) + " is neither an IPv4 address nor a client's name: " + *problem);
    }
  }
  d.value.to = text;
}

void apply_fwd_to_port(const Value& v, ForwardDraft& d) {
  d.value.to_port = port_number(v, "to_port");
}

void finish_forward(ForwardDraft& d) {
  if (!d.has("to_port")) d.value.to_port = d.value.host_port;
}

constexpr std::array<KeyRow<ForwardDraft>, 5> kForwardRows = {{
    {"proto", "one of \"tcp\", \"udp\"", "`\"tcp\"`", false, true, "Transport protocol.",
     apply_fwd_proto},
    {"host_address", "string", "every address of the host", false, true,
     "Forward only connections to this IPv4 address of the host.", apply_fwd_host_address},
    {"host_port", "integer", "required", true, true, "Port on the host, 1 to 65535.",
     apply_fwd_host_port},
    {"to", "string", "required", true, true,
     "The client: an IPv4 address inside the bridge subnet (not the bridge's own), or a "
     "client's name (one DNS label, like \"web\"), whose current lease the forward follows.",
     apply_fwd_to},
    {"to_port", "integer", "`host_port`", false, true, "Port on the client, 1 to 65535.",
     apply_fwd_to_port},
}};

const Section<ForwardDraft> kForwardSection = {
    "forward",
    "[[bridge.forward]]",
    true,
    "Port forwards (DNAT) from the host to a client of the bridge; clients of the bridge reach "
    "them through the host address too. No two forwards of any bridges may take the same "
    "protocol and port on the same host address (a forward on every address takes the port "
    "on all of them).",
    kForwardRows,
    finish_forward};

// ---- [firewall] -------------------------------------------------------------

void apply_fw_enabled(const Value& v, FirewallDraft& d) { d.value.enabled = v.boolean(); }
void apply_fw_keep_rules(const Value& v, FirewallDraft& d) { d.value.keep_rules = v.boolean(); }

constexpr std::array<KeyRow<FirewallDraft>, 2> kFirewallRows = {{
    {"enabled", "boolean", "`true`", false, true,
     "Keep the nftables table `inet berth`: accept DHCP and DNS from each bridge, forward its "
     "traffic, NAT, port forwards and isolation between bridges. When false berthd writes no "
     "rules, and `nat` and [[bridge.forward]] are refused.",
     apply_fw_enabled},
    {"keep_rules", "boolean", "`false`", false, true,
     "Leave the table in place when berthd stops, so clients keep their NAT and forwards "
     "meanwhile; otherwise it is removed.",
     apply_fw_keep_rules},
}};

const Section<FirewallDraft> kFirewallSection = {
    "firewall",
    "[firewall]",
    false,
    "Rules in the nftables table `inet berth`, which berthd owns and replaces whole in one "
    "transaction; no other table is touched. The whole table is optional.",
    kFirewallRows,
    nullptr};

// ---- [dns] ------------------------------------------------------------------

void apply_dns_enabled(const Value& v, DnsDraft& d) { d.value.enabled = v.boolean(); }

void apply_dns_port(const Value& v, DnsDraft& d) {
  const int64_t port = v.integer();
  if (port < 1 || port > 65535)
    v.fail("port " + std::to_string(port) + " is out of range 1..65535");
  d.value.port = static_cast<uint16_t>(port);
}

std::vector<Upstream> upstream_list(const Value& v) {
  std::vector<Upstream> out;
  for (const std::string& text : v.strings()) {
    auto u = parse_upstream(text);
    if (!u) {
      v.fail("upstream " + quoted(text) +
             " is not an IP address with an optional port, like \"198.18.1.1\", "
             "\"198.18.1.1:5353\" or \"[fd00::1]:53\"");
    }
    out.push_back(*u);
  }
  return out;
}

void apply_dns_upstreams(const Value& v, DnsDraft& d) { d.value.upstreams = upstream_list(v); }

void apply_dns_resolv_conf(const Value& v, DnsDraft& d) {
  const std::string& path = v.string();
  if (path.empty() || path.front() != '/') v.fail("resolv_conf must be an absolute path");
  d.value.resolv_conf = path;
}

uint32_t bounded(const Value& v, std::string_view key, int64_t lo, int64_t hi) {
  const int64_t n = v.integer();
  if (n < lo || n > hi) {
    v.fail(std::string(key) + " " + std::to_string(n) + " is out of range " + std::to_string(lo) +
           ".." + std::to_string(hi));
  }
  return static_cast<uint32_t>(n);
}

void apply_dns_cache_size(const Value& v, DnsDraft& d) {
  d.value.cache_size = bounded(v, "cache_size", 0, 10'000'000);
}
void apply_dns_local_ttl(const Value& v, DnsDraft& d) {
  d.value.local_ttl = bounded(v, "local_ttl", 0, 86400);
}
void apply_dns_workers(const Value& v, DnsDraft& d) {
  d.value.workers = bounded(v, "workers", 0, 64);
}
void apply_dns_timeout(const Value& v, DnsDraft& d) {
  d.value.upstream_timeout_ms = bounded(v, "upstream_timeout_ms", 50, 30000);
}

void apply_dns_servers(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_server_section())) d.value.servers.push_back(r.value);
}
void apply_dns_hosts(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_host_section())) d.value.hosts.push_back(r.value);
}
void apply_dns_cnames(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_cname_section())) d.value.cnames.push_back(r.value);
}
void apply_dns_srvs(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_srv_section())) d.value.srvs.push_back(r.value);
}
void apply_dns_txts(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_txt_section())) d.value.txts.push_back(r.value);
}

constexpr std::array<KeyRow<DnsDraft>, 13> kDnsRows = {{
    {"enabled", "boolean", "`true`", false, false,
     "Serve DNS on each bridge address. When false berthd is a DHCP server only.",
     apply_dns_enabled},
    {"port", "integer", "`53`", false, false,
     "UDP and TCP port DNS listens on, at each bridge address (never 0.0.0.0).", apply_dns_port},
    {"upstreams", "array of strings", "`[]`", false, true,
     "Resolvers for names that are not local, like [\"198.18.1.1\", \"198.18.1.2:5353\"]. "
     "Empty: the nameservers of `resolv_conf`, re-read when that file changes.",
     apply_dns_upstreams},
    {"resolv_conf", "string", "`\"/etc/resolv.conf\"`", false, true,
     "File whose nameserver lines are the upstreams when `upstreams` is empty. Loopback "
     "nameservers (such as systemd-resolved's 127.0.0.53) are used as they are.",
     apply_dns_resolv_conf},
    {"cache_size", "integer", "`10000`", false, false,
     "Answers kept in the cache (least recently used are evicted); 0 turns the cache off.",
     apply_dns_cache_size},
    {"local_ttl", "integer", "`0`", false, true,
     "TTL of answers for lease and reservation names, in seconds (as dnsmasq's local-ttl).",
     apply_dns_local_ttl},
    {"workers", "integer", "`0`", false, false,
     "Threads answering DNS; 0 means one per two CPUs, at least 1 and at most 4.",
     apply_dns_workers},
    {"upstream_timeout_ms", "integer", "`1500`", false, true,
     "Time to wait for an upstream before trying the next one, 50 to 30000 ms.", apply_dns_timeout},
    {"server", "array of tables [[dns.server]]", "none", false, true,
     "Upstreams for one domain and its subdomains; see [[dns.server]].", apply_dns_servers},
    {"host", "array of tables [[dns.host]]", "none", false, true,
     "Static A records (and their PTR); see [[dns.host]].", apply_dns_hosts},
    {"cname", "array of tables [[dns.cname]]", "none", false, true,
     "Static CNAME records; see [[dns.cname]].", apply_dns_cnames},
    {"srv", "array of tables [[dns.srv]]", "none", false, true,
     "Static SRV records; see [[dns.srv]].", apply_dns_srvs},
    {"txt", "array of tables [[dns.txt]]", "none", false, true,
     "Static TXT records; see [[dns.txt]].", apply_dns_txts},
}};

const Section<DnsDraft> kDnsSection = {
    "dns",    "[dns]",
    false,    "DNS at the bridge addresses. The whole table is optional; every key has a default.",
    kDnsRows, nullptr};

// ---- [[dns.server]], [[dns.host]], [[dns.cname]], [[dns.srv]], [[dns.txt]] ---

std::string record_name(const Value& v, bool allow_underscore) {
  std::string text = v.string();
  if (auto problem = dns_name_problem(text, "name", allow_underscore)) v.fail(std::move(*problem));
  if (text.size() > 1 && text.back() == '.') text.pop_back();
  return text;
}

void apply_server_domain(const Value& v, DomainUpstreamsDraft& d) {
  d.value.domain = record_name(v, true);
}
void apply_server_upstreams(const Value& v, DomainUpstreamsDraft& d) {
  d.value.upstreams = upstream_list(v);
  if (d.value.upstreams.empty()) v.fail("upstreams is empty; name at least one resolver");
}

constexpr std::array<KeyRow<DomainUpstreamsDraft>, 2> kServerRows = {{
    {"domain", "string", "required", true, true,
     "Domain whose names (and subdomains) go to these upstreams, like \"corp.example\".",
     apply_server_domain},
    {"upstreams", "array of strings", "required", true, true,
     "Resolvers for that domain, in the form of [dns] upstreams.", apply_server_upstreams},
}};

void apply_host_name(const Value& v, HostDraft& d) { d.value.name = record_name(v, false); }
void apply_host_ip(const Value& v, HostDraft& d) {
  const std::string& text = v.string();
  auto ip = Ipv4Address::parse(text);
  if (!ip) v.fail("ip " + quoted(text) + " is not an IPv4 address");
  d.value.ip = *ip;
}

constexpr std::array<KeyRow<HostDraft>, 2> kHostRows = {{
    {"name", "string", "required", true, true, "Fully qualified name, like \"db.lab.example\".",
     apply_host_name},
    {"ip", "string", "required", true, true,
     "Its IPv4 address; the address also answers PTR with this name.", apply_host_ip},
}};

void apply_cname_name(const Value& v, CnameDraft& d) { d.value.name = record_name(v, true); }
void apply_cname_target(const Value& v, CnameDraft& d) { d.value.target = record_name(v, true); }

constexpr std::array<KeyRow<CnameDraft>, 2> kCnameRows = {{
    {"name", "string", "required", true, true, "The alias.", apply_cname_name},
    {"target", "string", "required", true, true,
     "The name it points to; when that name is local its address is added to the answer.",
     apply_cname_target},
}};

void apply_srv_name(const Value& v, SrvDraft& d) { d.value.name = record_name(v, true); }
void apply_srv_target(const Value& v, SrvDraft& d) { d.value.target = record_name(v, false); }
void apply_srv_port(const Value& v, SrvDraft& d) {
  d.value.port = static_cast<uint16_t>(bounded(v, "port", 0, 65535));
}
void apply_srv_priority(const Value& v, SrvDraft& d) {
  d.value.priority = static_cast<uint16_t>(bounded(v, "priority", 0, 65535));
}
void apply_srv_weight(const Value& v, SrvDraft& d) {
  d.value.weight = static_cast<uint16_t>(bounded(v, "weight", 0, 65535));
}

constexpr std::array<KeyRow<SrvDraft>, 5> kSrvRows = {{
    {"name", "string", "required", true, true, "Owner, like \"_http._tcp.web.berth\".",
     apply_srv_name},
    {"target", "string", "required", true, true, "Host offering the service.", apply_srv_target},
    {"port", "integer", "required", true, true, "Port of the service, 0 to 65535.", apply_srv_port},
    {"priority", "integer", "`0`", false, true, "Lower is tried first.", apply_srv_priority},
    {"weight", "integer", "`0`", false, true, "Share among equal priorities.", apply_srv_weight},
}};

void apply_txt_name(const Value& v, TxtDraft& d) { d.value.name = record_name(v, true); }
void apply_txt_text(const Value& v, TxtDraft& d) {
  if (v.node().is_string()) {
    d.value.text = {v.string()};
  } else {
    d.value.text = v.strings();
  }
  size_t total = 0;
  for (const auto& t : d.value.text) total += t.size() + t.size() / 255 + 1;
  if (total > 16000) v.fail("text is longer than 16000 bytes");
}

constexpr std::array<KeyRow<TxtDraft>, 2> kTxtRows = {{
    {"name", "string", "required", true, true, "Owner name.", apply_txt_name},
    {"text", "string or array of strings", "required", true, true,
     "The strings of the record; each longer than 255 bytes is split into pieces.", apply_txt_text},
}};

const Section<DomainUpstreamsDraft> kServerSection = {
    "server",    "[[dns.server]]",
    true,        "Per-domain upstreams, as dnsmasq's `server=/domain/ip`; the longest match wins.",
    kServerRows, nullptr};
const Section<HostDraft> kHostSection = {
    "host",    "[[dns.host]]", true, "Static address records, as dnsmasq's host-record.",
    kHostRows, nullptr};
const Section<CnameDraft> kCnameSection = {
    "cname", "[[dns.cname]]", true, "Static aliases, as dnsmasq's cname.", kCnameRows, nullptr};
const Section<SrvDraft> kSrvSection = {"srv",    "[[dns.srv]]",
                                       true,     "Static service records, as dnsmasq's srv-host.",
                                       kSrvRows, nullptr};
const Section<TxtDraft> kTxtSection = {
    "txt", "[[dns.txt]]", true, "Static text records, as dnsmasq's txt-record.", kTxtRows, nullptr};

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

const Section<DaemonDraft>& daemon_section() { return kDaemonSection; }
const Section<BridgeDraft>& bridge_section() { return kBridgeSection; }
const Section<ReservationDraft>& reservation_section() { return kReservationSection; }
const Section<ForwardDraft>& forward_section() { return kForwardSection; }
const Section<FirewallDraft>& firewall_section() { return kFirewallSection; }
const Section<DnsDraft>& dns_section() { return kDnsSection; }
const Section<DomainUpstreamsDraft>& dns_server_section() { return kServerSection; }
const Section<HostDraft>& dns_host_section() { return kHostSection; }
const Section<CnameDraft>& dns_cname_section() { return kCnameSection; }
const Section<SrvDraft>& dns_srv_section() { return kSrvSection; }
const Section<TxtDraft>& dns_txt_section() { return kTxtSection; }

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
