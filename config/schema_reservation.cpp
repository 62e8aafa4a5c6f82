// [[bridge.reservation]]: static reservations; each is checked against its
// bridge in finish_bridge() (schema_bridge.cpp).
#include "config/schema.hpp"

#include <array>

#include "protocol/dhcp6/options.hpp"

namespace berth::config::schema {
namespace {

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

void apply_res_ipv6(const Value& v, ReservationDraft& d) {
  const std::string& text = v.string();
  auto ip = Ipv6Address::parse(text);
  if (!ip) v.fail("ipv6 " + quoted(text) + " is not an IPv6 address");
  // Checked against the bridge's prefix in finish_bridge().
  d.value.ipv6 = *ip;
}

void apply_res_duid(const Value& v, ReservationDraft& d) {
  const std::string& text = v.string();
  auto bytes = parse_hex_colon(text);
  if (!bytes) v.fail("duid " + quoted(text) + " is not hex bytes separated by ':'");
  if (auto duid = dhcp6::parse_duid(*bytes); !duid) {
    v.fail("duid " + quoted(text) +
           " is not a DUID (RFC 8415 section 11): " + std::string(duid.error().what));
  }
  d.value.duid = std::move(*bytes);
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
  if (d.has("duid") && !d.has("ipv6")) {
    d.site_of("duid").fail("duid needs ipv6 in the same reservation: it finds DHCPv6 clients");
  }
  if (d.has("ipv6") && d.value.duid.empty() && d.value.match != ReservationConfig::Match::mac) {
    d.site_of("ipv6").fail(
        "ipv6 needs a duid, or mac as the client: a DHCPv6 client sends neither its DHCPv4 "
        "client identifier nor a host name to match");
  }
}

constexpr std::array<KeyRow<ReservationDraft>, 8> kReservationRows = {{
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
    {"ipv6", "string", "none", false, true,
     "An IPv6 address inside the bridge's `ipv6` prefix, not its own address: on a stateful "
     "bridge DHCPv6 gives it to this client (found by `duid`, else by `mac`), and on every "
     "bridge `name` has an AAAA record for it.",
     apply_res_ipv6},
    {"duid", "string", "none", false, true,
     "The DHCPv6 client's DUID as hex bytes, like \"00:04:...\" (`ipv6` goes to the client that "
     "sends it). Without it, a reservation by `mac` matches the MAC in the client's link-local "
     "address, DUID or link-layer option (79).",
     apply_res_duid},
    {"name", "string", "none", false, true,
     "DNS name (one label) for the address; it resolves even before the client has a lease.",
     apply_res_name},
    {"option", "array of tables [[bridge.reservation.option]]", "none", false, true,
     "DHCPv4 options for this client only, written as [[bridge.option]]; they win over the "
     "class's and the bridge's.",
     apply_reservation_options},
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

}  // namespace

const Section<ReservationDraft>& reservation_section() { return kReservationSection; }

}  // namespace berth::config::schema
