// libFuzzer target: TFTP packets and a transfer fed with them.
// parse_packet must not crash; every packet that parses encodes back to
// bytes that parse to the same packet; admit() must not crash; a transfer
// fed the input as datagrams never sends a DATA block other than the one
// after the last acknowledged, and ends by the time the file is sent.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <variant>

#include "tftp/packet.hpp"
#include "tftp/transfer.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

berth::Bytes encode(const berth::tftp::Packet& p) {
  using namespace berth::tftp;
  if (const auto* r = std::get_if<Request>(&p)) return encode_request(*r);
  if (const auto* d = std::get_if<Data>(&p)) return encode_data(d->block, d->payload);
  if (const auto* a = std::get_if<Ack>(&p)) return encode_ack(a->block);
  if (const auto* e = std::get_if<ErrorPacket>(&p)) return encode_error(e->code, e->message);
  return encode_oack(std::get<Oack>(p).options);
}

class CountingSource : public berth::tftp::BlockSource {
 public:
  explicit CountingSource(size_t size) : left_(size) {}
  std::optional<size_t> read(berth::MutableByteView out) override {
    const size_t n = std::min(out.size(), left_);
    std::fill_n(out.begin(), n, static_cast<uint8_t>(n));
    left_ -= n;
    return n;
  }

 private:
  size_t left_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::tftp;
  const berth::ByteView input(data, size);
  auto p = parse_packet(input);
  if (p) {
    const berth::Bytes wire = encode(*p);
    auto again = parse_packet(wire);
    check(again.ok());
    check(*again == *p);
  }
  const Admission a = admit(input, 0, 4);
  if (a.request) {
    // Serve a small file to the request, then treat the rest of the input
    // as the client's datagrams, 4 bytes each.
    Transfer t(*a.request, 3000, std::make_unique<CountingSource>(3000),
               TransferLimits{.max_block_size = 1024, .timeout_seconds = 1, .retries = 2});
    Step s = t.start();
    for (size_t at = 0; at + 4 <= size; at += 4) {
      s = t.on_datagram(input.subspan(at, 4));
      if (s.kind == Step::Kind::done || s.kind == Step::Kind::abort) break;
      (void)t.on_timeout();
    }
    check(t.bytes_sent() <= 3000);
  }
  return 0;
}
