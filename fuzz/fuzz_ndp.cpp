// libFuzzer target: Router Solicitations and Router Advertisements.
// Every message that parses must encode, and what it encodes to must parse
// back to the same message; validation must agree with the parse and name
// the rule it applied.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "protocol/ndp.hpp"

namespace {

template <class Parse, class Encode>
void round_trip(berth::ByteView input, Parse parse, Encode encode) {
  auto msg = parse(input);
  if (!msg) {
    // Every error of the codec names one of its rules.
    if (!berth::ndp::invalid_reason(msg.error())) std::abort();
    return;
  }
  // What parsed never encodes longer: repeated single options are dropped
  // and DNSSL padding is the least needed. A buffer of the input's size
  // must do.
  static std::vector<uint8_t> out;
  static std::vector<uint8_t> out2;
  out.assign(input.size(), 0);
  auto n = encode(*msg, berth::MutableByteView(out));
  if (!n) std::abort();
  if (*n > out.size()) std::abort();
  auto again = parse(berth::ByteView(out).first(*n));
  if (!again) std::abort();
  if (!(*again == *msg)) std::abort();
  // Encoding is canonical: the second encoding is the first.
  out2.assign(*n, 0);
  auto n2 = encode(*again, berth::MutableByteView(out2));
  if (!n2 || *n2 != *n || !std::equal(out2.begin(), out2.end(), out.begin())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const berth::ByteView input(data, size);
  round_trip(input, berth::ndp::parse_router_solicitation, berth::ndp::encode_router_solicitation);
  round_trip(input, berth::ndp::parse_router_advertisement,
             berth::ndp::encode_router_advertisement);
  // With a good hop limit and source, validation is the parse (plus, for
  // an RS from ::, the link-layer address rule).
  const auto link_local =
      berth::Ipv6Address({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  if (berth::ndp::validate_router_solicitation(input, 255, link_local).ok() !=
      berth::ndp::parse_router_solicitation(input).ok()) {
    std::abort();
  }
  if (berth::ndp::validate_router_advertisement(input, 255, link_local).ok() !=
      berth::ndp::parse_router_advertisement(input).ok()) {
    std::abort();
  }
  auto from_unspecified =
      berth::ndp::validate_router_solicitation(input, 255, berth::Ipv6Address::any());
  if (from_unspecified.ok() && from_unspecified->source_link_layer) std::abort();
  if (berth::ndp::validate_router_solicitation(input, 254, link_local).ok()) std::abort();
  return 0;
}
