// libFuzzer target: DHCPv6 messages and relay messages. Whatever parses
// must encode back to the very same bytes (options are kept as sent) and
// parse again to the same message; every typed option that reads must
// write back the bytes it was read from; relay chains unwrap to a message
// that encodes to the innermost relay-msg.
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "protocol/dhcp6/message.hpp"
#include "protocol/dhcp6/options.hpp"
#include "protocol/eui64.hpp"

namespace {

using berth::Bytes;
using berth::ByteView;
namespace dhcp6 = berth::dhcp6;
namespace opt = berth::dhcp6::opt;

void check(bool ok) {
  if (!ok) std::abort();
}

bool same(ByteView a, ByteView b) { return Bytes(a.begin(), a.end()) == Bytes(b.begin(), b.end()); }

void check_ia_na(ByteView value) {
  auto ia = dhcp6::parse_ia_na(value);
  check(ia.ok());  // the message parser already read it
  check(same(dhcp6::encode_ia_na(*ia), value));
  auto addresses = dhcp6::ia_addresses(*ia);
  check(addresses.ok());
  for (const dhcp6::IaAddress& a : *addresses) {
    auto again = dhcp6::parse_ia_address(dhcp6::encode_ia_address(a));
    check(again.ok() && *again == a);
  }
  (void)dhcp6::status_of(ia->options);
}

void check_options(const dhcp6::OptionList& options) {
  for (const auto& [code, value] : options.entries()) {
    switch (code) {
      case opt::client_id:
      case opt::server_id:
        if (auto d = dhcp6::parse_duid(value)) {
          check(same(dhcp6::encode_duid(*d), value));
          if (auto mac = dhcp6::duid_mac(value)) check(d->identifier.size() == 6);
        }
        break;
      case opt::ia_na:
        check_ia_na(value);
        break;
      case opt::oro:
        check(same(dhcp6::encode_oro(*dhcp6::parse_oro(value)), value));
        break;
      case opt::elapsed_time:
        check(same(dhcp6::encode_elapsed_time(*dhcp6::parse_elapsed_time(value)), value));
        break;
      case opt::dns_servers:
        check(same(dhcp6::encode_dns_servers(*dhcp6::parse_dns_servers(value)), value));
        break;
      case opt::domain_search:
        if (auto names = dhcp6::parse_domain_list(value)) {
          auto wire = dhcp6::encode_domain_list(*names);
          check(wire.ok() && same(*wire, value));
        }
        break;
      case opt::status_code: {
        auto s = dhcp6::parse_status(value);
        check(s.ok() && s->message.size() + 2 == value.size());
        break;
      }
      case opt::client_linklayer:
        check(same(dhcp6::encode_client_linklayer(*dhcp6::parse_client_linklayer(value)), value));
        break;
      default:
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView input(data, size);
  auto packet = dhcp6::parse_packet(input);
  if (!packet) return 0;
  auto bytes = dhcp6::encode_to_bytes(*packet);
  check(bytes.ok() && same(*bytes, input));
  auto again = dhcp6::parse_packet(*bytes);
  check(again.ok() && *again == *packet);

  if (const auto* m = std::get_if<dhcp6::Message>(&*packet)) {
    check(dhcp6::parse_message(input).ok());
    check_options(m->options);
  } else {
    const auto& relay = std::get<dhcp6::RelayMessage>(*packet);
    check(dhcp6::parse_relay_message(input).ok());
    check_options(relay.options);
    if (auto chain = dhcp6::unwrap_relays(relay)) {
      check(!chain->relays.empty() && chain->relays.size() <= dhcp6::kHopCountLimit + 1u);
      auto inner = dhcp6::encode_to_bytes(chain->message);
      check(inner.ok() && same(*inner, *chain->relays.back().relayed()));
      check_options(chain->message.options);
      (void)berth::mac_from_link_local(chain->relays.back().peer_address);
    }
  }
  return 0;
}
