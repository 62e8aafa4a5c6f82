// libFuzzer target: Ethernet/IPv4/UDP frames and DHCPv4 messages.
// Every message that parses must encode, and what it encodes to must parse
// back to the same message.
#include <array>
#include <cstdint>
#include <cstdlib>

#include "protocol/dhcp4/message.hpp"
#include "protocol/frame.hpp"

namespace {

void check_message(berth::ByteView data) {
  auto msg = berth::dhcp4::parse_message(data);
  if (!msg) return;
  // Text forms of every option must not crash either.
  for (const auto& [code, value] : msg->options.entries()) {
    (void)berth::dhcp4::format_option_value(code, value);
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
