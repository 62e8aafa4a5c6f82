// The transfer state machine: lock-step DATA/ACK, option negotiation,
// retransmission and its bound, duplicate ACKs, admission.
#include "tftp/transfer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::tftp {
namespace {

class MemorySource : public BlockSource {
 public:
  explicit MemorySource(Bytes data) : data_(std::move(data)) {}
  std::optional<size_t> read(MutableByteView out) override {
    const size_t n = std::min(out.size(), data_.size() - at_);
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(at_), n, out.begin());
    at_ += n;
    return n;
  }

 private:
  Bytes data_;
  size_t at_ = 0;
};

Bytes file_of(size_t size) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

Request rrq(std::vector<Option> options = {}, std::string mode = "octet") {
  return Request{.op = Opcode::rrq, .filename = "f", .mode = mode, .options = std::move(options)};
}

Data data_of(const Step& s) {
  EXPECT_EQ(s.kind, Step::Kind::send);
  auto p = parse_packet(s.packet);
  EXPECT_TRUE(p.ok());
  return std::get<Data>(*p);
}

// Runs a whole transfer, acknowledging every block; returns what arrived.
Bytes receive_all(Transfer& t, Step first) {
  Bytes got;
  Step s = first;
  for (int guard = 0; guard < 100000; ++guard) {
    const Data d = data_of(s);
    got.insert(got.end(), d.payload.begin(), d.payload.end());
    s = t.on_datagram(encode_ack(d.block));
    if (s.kind == Step::Kind::done) return got;
  }
  ADD_FAILURE() << "no end";
  return got;
}

const TransferLimits kLimits{.max_block_size = 1468, .timeout_seconds = 2, .retries = 3};

TEST(TftpTransfer, PlainRequestSendsBlocksOf512AndEndsOnAShortOne) {
  const Bytes file = file_of(512 * 3 + 100);
  Transfer t(rrq(), file.size(), std::make_unique<MemorySource>(file), kLimits);
  Step first = t.start();
  EXPECT_EQ(data_of(first).block, 1);
  EXPECT_EQ(data_of(first).payload.size(), 512u);
  EXPECT_EQ(receive_all(t, first), file);
}

TEST(TftpTransfer, ExactMultipleEndsWithAnEmptyBlock) {
  const Bytes file = file_of(1024);
  Transfer t(rrq(), file.size(), std::make_unique<MemorySource>(file), kLimits);
  Step s = t.start();
  s = t.on_datagram(encode_ack(1));
  s = t.on_datagram(encode_ack(2));
  const Data last = data_of(s);
  EXPECT_EQ(last.block, 3);
  EXPECT_TRUE(last.payload.empty());
  EXPECT_EQ(t.on_datagram(encode_ack(3)).kind, Step::Kind::done);
}

TEST(TftpTransfer, OptionsAreNegotiatedWithAnOack) {
  const Bytes file = file_of(5000);
  Transfer t(rrq({{"blksize", "9000"}, {"tsize", "0"}, {"timeout", "4"}, {"windowsize", "8"}}),
             file.size(), std::make_unique<MemorySource>(file), kLimits);
  Step s = t.start();
  auto p = parse_packet(s.packet);
  ASSERT_TRUE(p.ok());
  const auto& oack = std::get<Oack>(*p);
  // blksize capped at the server's maximum, tsize answered, windowsize left out.
  EXPECT_EQ(oack.options,
            (std::vector<Option>{{"blksize", "1468"}, {"tsize", "5000"}, {"timeout", "4"}}));
  EXPECT_EQ(t.timeout_seconds(), 4u);
  s = t.on_datagram(encode_ack(0));
  const Data first = data_of(s);
  EXPECT_EQ(first.block, 1);
  EXPECT_EQ(first.payload.size(), 1468u);
  Bytes got = first.payload;
  const Bytes rest = receive_all(t, t.on_datagram(encode_ack(1)));
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, file);
}

TEST(TftpTransfer, BadOptionValuesAreIgnored) {
  const Bytes file = file_of(10);
  Transfer t(rrq({{"blksize", "4"}, {"timeout", "0"}, {"tsize", "x"}}), file.size(),
             std::make_unique<MemorySource>(file), kLimits);
  const Data d = data_of(t.start());  // no OACK: nothing accepted
  EXPECT_EQ(d.block, 1);
  EXPECT_EQ(t.block_size(), 512);
}

TEST(TftpTransfer, NetasciiGetsNoTsizeAndConvertsLineEnds) {
  const std::string text = "a\nb\rc";
  Transfer t(rrq({{"tsize", "0"}}, "netascii"), text.size(),
             std::make_unique<NetasciiSource>(
                 std::make_unique<MemorySource>(Bytes(text.begin(), text.end()))),
             kLimits);
  const Data d = data_of(t.start());
  EXPECT_EQ(d.payload, (Bytes{'a', '\r', '\n', 'b', '\r', 0, 'c'}));
}

TEST(TftpTransfer, NetasciiPairCutByABlockEndGoesOn) {
  std::string text(511, 'x');
  text += "\ny";
  Transfer t(rrq({}, "netascii"), text.size(),
             std::make_unique<NetasciiSource>(
                 std::make_unique<MemorySource>(Bytes(text.begin(), text.end()))),
             kLimits);
  const Data first = data_of(t.start());
  EXPECT_EQ(first.payload.back(), '\r');
  const Data second = data_of(t.on_datagram(encode_ack(1)));
  EXPECT_EQ(second.payload, (Bytes{'\n', 'y'}));
}

TEST(TftpTransfer, TimeoutResendsTheSameBlockThenGivesUp) {
  const Bytes file = file_of(2000);
  Transfer t(rrq(), file.size(), std::make_unique<MemorySource>(file), kLimits);
  const Step first = t.start();
  for (uint32_t i = 0; i < kLimits.retries; ++i) {
    const Step again = t.on_timeout();
    EXPECT_EQ(again.kind, Step::Kind::send);
    EXPECT_EQ(again.packet, first.packet);
  }
  EXPECT_EQ(t.on_timeout().kind, Step::Kind::abort);
}

TEST(TftpTransfer, RetriesAreCountedPerBlock) {
  const Bytes file = file_of(2000);
  Transfer t(rrq(), file.size(), std::make_unique<MemorySource>(file), kLimits);
  (void)t.start();
  for (uint32_t i = 0; i < kLimits.retries; ++i) (void)t.on_timeout();
  EXPECT_EQ(data_of(t.on_datagram(encode_ack(1))).block, 2);
  EXPECT_EQ(t.on_timeout().kind, Step::Kind::send);
}

TEST(TftpTransfer, DuplicateAckIsNotAnswered) {
  const Bytes file = file_of(2000);
  Transfer t(rrq(), file.size(), std::make_unique<MemorySource>(file), kLimits);
  (void)t.start();
  EXPECT_EQ(data_of(t.on_datagram(encode_ack(1))).block, 2);
  EXPECT_EQ(t.on_datagram(encode_ack(1)).kind, Step::Kind::ignore);
  EXPECT_EQ(data_of(t.on_datagram(encode_ack(2))).block, 3);
}

TEST(TftpTransfer, ClientErrorEndsAndOtherPacketsAbortWithAnError) {
  const Bytes file = file_of(2000);
  Transfer t(rrq({{"blksize", "1024"}}), file.size(), std::make_unique<MemorySource>(file),
             kLimits);
  (void)t.start();
  const Step declined = t.on_datagram(encode_error(ErrorCode::option_refused, "no"));
  EXPECT_EQ(declined.kind, Step::Kind::abort);
  EXPECT_TRUE(declined.packet.empty());

  Transfer u(rrq(), file.size(), std::make_unique<MemorySource>(file), kLimits);
  (void)u.start();
  const Step bad = u.on_datagram(encode_data(1, Bytes{1}));
  EXPECT_EQ(bad.kind, Step::Kind::abort);
  auto p = parse_packet(bad.packet);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::get<ErrorPacket>(*p).code, ErrorCode::illegal_operation);
  EXPECT_EQ(u.on_datagram(Bytes{0, 4}).kind, Step::Kind::ignore);  // malformed
}

TEST(TftpTransfer, BlockNumbersWrapAfter65535) {
  const Bytes file = file_of(size_t{65536} * 8 + 3);
  Transfer t(rrq({{"blksize", "8"}}), file.size(), std::make_unique<MemorySource>(file), kLimits);
  (void)t.start();
  Step s = t.on_datagram(encode_ack(0));
  for (uint32_t i = 1; i < 65535; ++i) s = t.on_datagram(encode_ack(static_cast<uint16_t>(i)));
  EXPECT_EQ(data_of(s).block, 65535);
  s = t.on_datagram(encode_ack(65535));
  EXPECT_EQ(data_of(s).block, 0);
  s = t.on_datagram(encode_ack(0));
  EXPECT_EQ(data_of(s).block, 1);
  EXPECT_EQ(data_of(s).payload.size(), 3u);
  EXPECT_EQ(t.on_datagram(encode_ack(1)).kind, Step::Kind::done);
}

TEST(TftpAdmit, RefusesWritesModesAndOverload) {
  const Bytes rq = encode_request(rrq());
  EXPECT_TRUE(admit(rq, 0, 1).request.has_value());
  const Admission busy = admit(rq, 1, 1);
  EXPECT_FALSE(busy.request);
  EXPECT_EQ(busy.reason, "too_many_transfers");
  EXPECT_FALSE(busy.reply.empty());

  Request w = rrq();
  w.op = Opcode::wrq;
  const Admission write = admit(encode_request(w), 0, 8);
  EXPECT_FALSE(write.request);
  auto p = parse_packet(write.reply);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::get<ErrorPacket>(*p).code, ErrorCode::access_violation);

  const Admission mail = admit(encode_request(rrq({}, "mail")), 0, 8);
  EXPECT_EQ(mail.reason, "bad_mode");
  const Admission stray = admit(encode_ack(1), 0, 8);
  EXPECT_TRUE(stray.reply.empty());
  EXPECT_FALSE(stray.request);
  EXPECT_TRUE(admit(Bytes{0}, 0, 8).reply.empty());
}

}  // namespace
}  // namespace berth::tftp
