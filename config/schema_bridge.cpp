// [[bridge]]: one table per bridge served, and the checks that need the
// whole table (pool, reservations and forwards against the address).
#include "config/schema.hpp"

#include <array>
#include <cctype>

namespace berth::config::schema {
namespace {

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
  if (v.node().is_array()) return apply_pool_list(v, d);
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

void check_reservation_ipv6(const ReservationDraft& r, const BridgeConfig& b) {
  const Site& at = r.site_of("ipv6");
  const Ipv6Address& ip = *r.value.ipv6;
  if (b.ipv6_auto) {
    at.fail("reserved address " + ip.to_string() +
            " cannot be checked: the bridge has ipv6 = \"auto\", whose prefix is only chosen "
            "when berthd starts; write the prefix to reserve IPv6 addresses");
  }
  if (!b.ipv6) at.fail("reserved address " + ip.to_string() + " needs ipv6 on the bridge");
  const Ipv6Prefix& p = *b.ipv6;
  if (!p.contains(ip) || ip.is_multicast()) {
    at.fail("reserved address " + ip.to_string() + " is outside the bridge prefix " +
            p.network().to_string() + "/" + std::to_string(p.length));
  }
  if (ip == p.network()) {
    at.fail("reserved address " + ip.to_string() + " is the subnet-router anycast address");
  }
  if (ip == p.address) {
    at.fail("reserved address " + ip.to_string() + " is the bridge's own address");
  }
}

void finish_bridge(BridgeDraft& d) {
  finish_bridge_ipv6(d);
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
  finish_bridge_options(d);
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
    if (r.value.ipv6) check_reservation_ipv6(r, d.value);
    for (size_t j = 0; j < i; ++j) {
      const ReservationConfig& earlier = d.reservations[j].value;
      if (earlier.ip == ip) {
        at.fail("address " + ip.to_string() + " is already reserved by reservation[" +
                std::to_string(j) + "]");
      }
      if (same_client(earlier, r.value)) {
        r.table.fail(match_text(r.value) + " already has reservation[" + std::to_string(j) + "]");
      }
      if (r.value.ipv6 && earlier.ipv6 == r.value.ipv6) {
        r.site_of("ipv6").fail("address " + r.value.ipv6->to_string() +
                               " is already reserved by reservation[" + std::to_string(j) + "]");
      }
      if (!r.value.duid.empty() && earlier.duid == r.value.duid) {
        r.site_of("duid").fail("duid " + to_hex_colon(r.value.duid) + " already has reservation[" +
                               std::to_string(j) + "]");
      }
      if (!r.value.name.empty() && earlier.name == r.value.name) {
        r.site_of("name").fail("name " + quoted(r.value.name) + " is already used by reservation[" +
                               std::to_string(j) + "]");
      }
    }
    d.value.reservations.push_back(r.value);
  }
}

constexpr std::array<KeyRow<BridgeDraft>, 30> kBridgeRows = {{
    {"name", "string", "required", true, false,
     "Interface name of the bridge: 1 to 15 bytes, no '/', ':' or whitespace.", apply_name},
    {"address", "string", "required", true, false,
     "The bridge's own address and subnet, like \"10.0.3.1/24\"; prefix length 8 to 30. "
     "DNS listens here; it is the router and DNS server handed to clients. \"auto\": berthd "
     "picks a free 10.x.y.1/24 that overlaps no address or route of the host and keeps it "
     "across restarts (in the database); `pool`, reservations and forwards to addresses "
     "cannot be written then.",
     apply_address},
    {"pool", "string or array", "the larger run of hosts beside `address`", false, true,
     "Addresses handed out dynamically, \"FIRST-LAST\" inclusive, like \"10.0.3.2-10.0.3.254\". "
     "Must lie inside the subnet and leave out its network, broadcast and the bridge's own "
     "address. Without it: the hosts of the subnet on the larger side of `address` "
     "(10.0.3.1/24 gives 10.0.3.2-10.0.3.254). Several pools: a list of such strings and "
     "tables `{ range = \"FIRST-LAST\", class = \"NAME\" }`, a table's range serving only "
     "clients of that [[bridge.class]]; ranges may not overlap. A client of a class takes "
     "from its class's pools first, then from the unrestricted ones.",
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
    {"ipv6", "string", "unset", false, true,
     "The bridge's IPv6 address in a /64, like \"fd42:1:2:3::1/64\": berthd sends router "
     "advertisements for the prefix, answers DHCPv6 per `ipv6_mode`, and serves DNS (AAAA and "
     "ip6.arpa PTR) on this address too. \"auto\": a random unique local /64 (RFC 4193), "
     "chosen once and kept in the database, as LXD does. Unset: no IPv6 on this bridge.",
     apply_ipv6},
    {"ipv6_mode", "string", "`\"stateless\"`", false, true,
     "How clients get IPv6 addresses: \"slaac\" (router advertisements only; DNS from "
     "RDNSS/DNSSL), \"stateless\" (SLAAC, and DHCPv6 gives the DNS server and search domain), "
     "\"stateful\" (DHCPv6 gives addresses from `ipv6_pool`; names get AAAA records). Needs "
     "`ipv6`.",
     apply_ipv6_mode},
    {"ipv6_pool", "string", "`<prefix>::1:0-<prefix>::1:ffff`", false, true,
     "With ipv6_mode = \"stateful\": the addresses DHCPv6 hands out, \"FIRST-LAST\" "
     "inclusive, inside the prefix and leaving out the bridge's own address.",
     apply_ipv6_pool},
    {"ipv6_nat", "boolean", "`true` with ipv6 = \"auto\", else `false`", false, true,
     "Masquerade IPv6 traffic from the prefix to destinations outside it (NAT66), for unique "
     "local prefixes that are not routed to the host. berthd turns IPv6 forwarding on when "
     "needed. Needs [firewall] enabled.",
     apply_ipv6_nat},
    {"ra_interval", "integer", "`600`", false, true,
     "Longest time in seconds between unsolicited router advertisements (RFC 4861 "
     "MaxRtrAdvInterval, 4 to 1800); the shortest is a third of it.",
     apply_ra_interval},
    {"boot", "table [bridge.boot]", "none", false, true,
     "Network boot (PXE, iPXE) of this bridge's clients; see [bridge.boot].", apply_boot},
    {"routes", "array of strings", "`[]`", false, true,
     "Classless static routes sent as DHCP option 121 and Microsoft's 249 (RFC 3442), each "
     "\"PREFIX via GATEWAY\" like \"10.8.0.0/16 via 10.0.3.254\". Since clients that get "
     "them ignore the router option, a default route via the router (the bridge address, or "
     "option 3 when configured) is added unless a 0.0.0.0/0 route is listed.",
     apply_routes},
    {"search", "array of strings", "`[]`", false, true,
     "Domain search list sent as DHCP option 119 (RFC 3397, with name compression), like "
     "[\"berth\", \"corp.example\"].",
     apply_search},
    {"ntp_servers", "array of strings", "`[]`", false, true,
     "IPv4 addresses of NTP servers, sent as DHCP option 42.", apply_ntp_servers},
    {"option", "array of tables [[bridge.option]]", "none", false, true,
     "DHCPv4 options by code with a typed value; see [[bridge.option]].", apply_bridge_options},
    {"class", "array of tables [[bridge.class]]", "none", false, true,
     "Client classes matched on option 60, 77 or 93, with their own options and pools; see "
     "[[bridge.class]].",
     apply_classes},
}};

const Section<BridgeDraft> kBridgeSection = {
    "bridge",
    "[[bridge]]",
    true,
    "One table per bridge served. At least one is required; names must be unique and subnets "
    "must not overlap (bridges with address = \"auto\" get subnets that do not).",
    kBridgeRows,
    finish_bridge};

}  // namespace

const Section<BridgeDraft>& bridge_section() { return kBridgeSection; }

}  // namespace berth::config::schema
