// libFuzzer target: Ethernet/IPv4/UDP frames and DHCPv4 messages.
// Every message that parses must encode, and what it encodes to must parse
// back to the same message. Every option value must print in either space,
// and a printed value that parses back must print the same.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/dhcp4/message.hpp"
#include "protocol/frame.hpp"
#include "protocol/option_def.hpp"

namespace {

void check_option_text(berth::OptionSpace space, uint16_t code, berth::ByteView value) {
  const std::string text = berth::format_option_value(space, code, value);
  auto again = berth::parse_option_value(space, code, text);
  if (!again) return;  // e.g. a name that only the hex fallback could print
  if (!berth::valid_option_value(space, code, *again)) std::abort();
  // A value of the wrong length prints as hex, which a number type may read
  // as decimal ("03" for a one-byte lease time); and a client FQDN's name
  // is trimmed when parsed, so " web" comes back "web".
  if (!berth::valid_option_value(space, code, value)) return;
  const berth::OptionDef* def = berth::find_option(space, code);
  if (def != nullptr && def->type == berth::OptionType::fqdn) return;
  if (berth::format_option_value(space, code, *again) != text) std::abort();
}

void check_message(berth::ByteView data) {
  auto msg = berth::dhcp4::parse_message(data);
  if (!msg) return;
  for (const auto& [code, value] : msg->options.entries()) {
    // The DHCPv6 space reads the same bytes with its own types (16-byte
    // addresses, names without compression), so it is fuzzed here too.
    for (berth::OptionSpace space : {berth::OptionSpace::dhcp4, berth::OptionSpace::dhcp6}) {
      check_option_text(space, code, value);
    }
  }
  for (size_t max_size : {berth::dhcp4::kDefaultMaxMessageSize, size_t{1500}}) {
    std::array<uint8_t, 1500> out{};
    auto n = berth::dhcp4::encode_message(*msg, out, max_size);
    if (!n) {
      // Only running out of room is an acceptable reason to refuse.
      if (n.error().code != berth::Errc::no_space) std::abort();
      continue;
    }
    if (*n > out.size() || *n < berth::dhcp4::kMinMessageSize) std::abort();
    auto again = berth::dhcp4::parse_message(berth::ByteView(out).first(*n));
    if (!again) std::abort();
    if (!(*again == *msg)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const berth::ByteView input(data, size);
  for (bool checksum_not_ready : {false, true}) {
    auto frame = berth::parse_udp_frame(input, checksum_not_ready);
    if (!frame) continue;
    if (frame->payload.data() < data ||
        frame->payload.data() + frame->payload.size() > data + size) {
      std::abort();
    }
    check_message(frame->payload);
  }
  check_message(input);
  return 0;
}
