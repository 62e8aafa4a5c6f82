// [[bridge.forward]]: port forwards; a target address is checked against its
// bridge in finish_bridge() (schema_bridge.cpp), clashes between bridges in
// check_forwards() (config.cpp).
#include "config/schema.hpp"

#include <array>

namespace berth::config::schema {
namespace {

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
     "client's name (one DNS label, like \"web\"), whose current lease the forward follows; "
     "when the name also has an IPv6 address on a bridge with `ipv6` (a reservation's or a "
     "DHCPv6 lease's), a forward on every host address is forwarded over IPv6 too.",
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

}  // namespace

const Section<ForwardDraft>& forward_section() { return kForwardSection; }

}  // namespace berth::config::schema
