// One read transfer (RFC 1350 §2, lock-step DATA/ACK) with option
// negotiation (RFC 2347 OACK; blksize RFC 2348; tsize and timeout RFC 2349).
// Pure: datagrams and timer expiries in, packets to send out. The caller
// owns the socket and the timer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "protocol/bytes.hpp"
#include "tftp/packet.hpp"

namespace berth::tftp {

// The file being sent, read front to back. read() fills `out` whole unless
// the file ends first (a shorter count is the end); nothing on a read error.
class BlockSource {
 public:
  virtual ~BlockSource() = default;
  virtual std::optional<size_t> read(MutableByteView out) = 0;
};

// RFC 1350 netascii: each LF sent as CR LF and each CR as CR NUL.
class NetasciiSource : public BlockSource {
 public:
  explicit NetasciiSource(std::unique_ptr<BlockSource> inner) : inner_(std::move(inner)) {}
  std::optional<size_t> read(MutableByteView out) override;

 private:
  std::unique_ptr<BlockSource> inner_;
  Bytes buffer_;
  size_t at_ = 0;
  bool eof_ = false;
  std::optional<uint8_t> pending_;  // the second byte of a pair cut by the block end
};

struct TransferLimits {
  uint16_t max_block_size = 1468;
  uint32_t timeout_seconds = 2;  // unless the client negotiates one
  uint32_t retries = 5;
};

// What to do after an event.
struct Step {
  enum class Kind {
    send,    // send `packet`, (re)start the timer
    ignore,  // nothing; the timer keeps running
    done,    // the last block is acknowledged
    abort,   // send `packet` when it is not empty, then end the transfer
  };
  Kind kind = Kind::ignore;
  Bytes packet;
  std::string_view reason;  // why a transfer is aborted, for logs and counters
};

class Transfer {
 public:
  // `request` is an RRQ in mode octet or netascii; `size` is the file's
  // size (tsize is answered for octet only). The options the transfer can
  // honour are accepted; others are left out of the OACK (RFC 2347).
  Transfer(const Request& request, uint64_t size, std::unique_ptr<BlockSource> source,
           const TransferLimits& limits);

  // The first packet: OACK when options were accepted, else DATA block 1.
  Step start();
  // A datagram from the client's TID.
  Step on_datagram(ByteView datagram);
  // The timer ran out: the last packet again, or abort after the retries.
  Step on_timeout();

  uint32_t timeout_seconds() const { return timeout_; }
  uint16_t block_size() const { return block_size_; }
  uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  Step next_block();

  std::unique_ptr<BlockSource> source_;
  std::vector<Option> accepted_;
  uint16_t block_size_ = kDefaultBlockSize;
  uint32_t timeout_;
  uint32_t retries_;
  uint32_t retries_left_;
  uint16_t block_ = 0;      // the block last sent (0: the OACK)
  bool last_sent_ = false;  // the block last sent is the final one
  bool started_ = false;
  Bytes last_packet_;
  uint64_t bytes_sent_ = 0;
};

}  // namespace berth::tftp

namespace berth::tftp {

// What the server port (69) does with one datagram.
struct Admission {
  std::optional<Request> request;  // a read to serve
  Bytes reply;                     // else an ERROR to send back; empty: stay silent
  std::string_view reason;         // why it is refused or dropped
};

// A read request in mode octet or netascii is admitted while fewer than
// `max_transfers` run. A write request gets "access violation" (this
// server is read-only), another mode "illegal operation", a full server
// "not defined: too many transfers". Malformed datagrams and packets other
// than requests are dropped without a word (they may be spoofed).
Admission admit(ByteView datagram, size_t active, size_t max_transfers);

}  // namespace berth::tftp
