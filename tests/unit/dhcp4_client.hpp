// A scripted DHCPv4 client for unit tests (as Kea's dhcp4_client.h): it
// builds the messages a real client sends in each RFC 2131 state, with a
// fresh xid each time. The engine tests hand them to Dhcp4Service; the
// server tests wrap them in frames.
#pragma once

#include "protocol/address.hpp"
#include "protocol/dhcp4/message.hpp"

namespace berth::test {

struct Dhcp4Client {
  MacAddress mac;
  Bytes client_id;  // option 61; empty: none sent
  uint32_t xid = 0x1000;

  dhcp4::Message base(dhcp4::MessageType t) {
    namespace opt = dhcp4::opt;
    dhcp4::Message m;
    m.xid = ++xid;
    m.set_mac(mac);
    m.set_type(t);
    if (!client_id.empty()) m.options.set(opt::client_identifier, client_id);
    m.options.set(opt::parameter_request_list,
                  Bytes{opt::subnet_mask, opt::router, opt::dns_servers, opt::domain_name,
                        opt::broadcast_address, opt::renewal_time, opt::rebinding_time});
    return m;
  }
  // INIT.
  dhcp4::Message discover() { return base(dhcp4::MessageType::discover); }
  // SELECTING: the answer to one server's offer.
  dhcp4::Message select(Ipv4Address offered, Ipv4Address server) {
    dhcp4::Message m = base(dhcp4::MessageType::request);
    m.options.set_ipv4(dhcp4::opt::requested_address, offered);
    m.options.set_ipv4(dhcp4::opt::server_identifier, server);
    return m;
  }
  // RENEWING / REBINDING.
  dhcp4::Message renew(Ipv4Address have) {
    dhcp4::Message m = base(dhcp4::MessageType::request);
    m.ciaddr = have;
    return m;
  }
  // INIT-REBOOT.
  dhcp4::Message init_reboot(Ipv4Address want) {
    dhcp4::Message m = base(dhcp4::MessageType::request);
    m.options.set_ipv4(dhcp4::opt::requested_address, want);
    return m;
  }
  dhcp4::Message release(Ipv4Address have, Ipv4Address server) {
    dhcp4::Message m = base(dhcp4::MessageType::release);
    m.ciaddr = have;
    m.options.set_ipv4(dhcp4::opt::server_identifier, server);
    return m;
  }
  dhcp4::Message decline(Ipv4Address bad, Ipv4Address server) {
    dhcp4::Message m = base(dhcp4::MessageType::decline);
    m.options.set_ipv4(dhcp4::opt::requested_address, bad);
    m.options.set_ipv4(dhcp4::opt::server_identifier, server);
    return m;
  }
};

// Client n of a test: MAC 02:00:00:00:00:nn, no client identifier.
inline Dhcp4Client dhcp4_client(uint8_t n) {
  return Dhcp4Client{.mac = MacAddress({0x02, 0, 0, 0, 0, n}), .client_id = {}};
}

}  // namespace berth::test
