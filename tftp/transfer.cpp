#include "tftp/transfer.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace berth::tftp {

namespace {

std::optional<uint64_t> number(std::string_view text) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

Step abort_with(ErrorCode code, std::string_view message, std::string_view reason) {
  return Step{.kind = Step::Kind::abort, .packet = encode_error(code, message), .reason = reason};
}

}  // namespace

std::optional<size_t> NetasciiSource::read(MutableByteView out) {
  size_t n = 0;
  while (n < out.size()) {
    if (pending_) {
      out[n++] = *pending_;
      pending_.reset();
      continue;
    }
    if (at_ == buffer_.size()) {
      if (eof_) break;
      buffer_.resize(4096);
      auto got = inner_->read(buffer_);
      if (!got) return std::nullopt;
      buffer_.resize(*got);
      at_ = 0;
      if (*got < 4096) eof_ = true;
      continue;
    }
    const uint8_t c = buffer_[at_++];
    if (c == '\n') {
      out[n++] = '\r';
      pending_ = '\n';
    } else if (c == '\r') {
      out[n++] = '\r';
      pending_ = '\0';
    } else {
      out[n++] = c;
    }
  }
  return n;
}

Transfer::Transfer(const Request& request, uint64_t size, std::unique_ptr<BlockSource> source,
                   const TransferLimits& limits)
    : source_(std::move(source)),
      timeout_(limits.timeout_seconds),
      retries_(limits.retries),
      retries_left_(limits.retries) {
  if (const Option* o = find_option(request.options, "blksize")) {
    // RFC 2348: 8 to 65464; the server may answer with less.
    if (auto v = number(o->value); v && *v >= kMinBlockSize && *v <= kMaxBlockSize) {
      block_size_ = static_cast<uint16_t>(std::min<uint64_t>(*v, limits.max_block_size));
      accepted_.push_back(Option{.name = "blksize", .value = std::to_string(block_size_)});
    }
  }
  if (const Option* o = find_option(request.options, "tsize")) {
    // RFC 2349: 0 in a read request; the answer is the size. A netascii
    // file's size on the wire is not known before it is read.
    if (number(o->value) && request.mode == "octet") {
      accepted_.push_back(Option{.name = "tsize", .value = std::to_string(size)});
    }
  }
  if (const Option* o = find_option(request.options, "timeout")) {
    // RFC 2349: 1 to 255 seconds; the server answers with the same value.
    if (auto v = number(o->value); v && *v >= 1 && *v <= 255) {
      timeout_ = static_cast<uint32_t>(*v);
      accepted_.push_back(Option{.name = "timeout", .value = std::to_string(*v)});
    }
  }
}

Step Transfer::start() {
  started_ = true;
  if (!accepted_.empty()) {
    block_ = 0;
    last_packet_ = encode_oack(accepted_);
    return Step{.kind = Step::Kind::send, .packet = last_packet_};
  }
  return next_block();
}

Step Transfer::next_block() {
  Bytes payload(block_size_);
  auto got = source_->read(payload);
  if (!got) return abort_with(ErrorCode::not_defined, "read error", "read_error");
  payload.resize(*got);
  // Block numbers wrap from 65535 to 0 for files of more than 65535 blocks,
  // as most clients expect.
  ++block_;
  last_sent_ = *got < block_size_;
  retries_left_ = retries_;
  bytes_sent_ += *got;
  last_packet_ = encode_data(block_, payload);
  return Step{.kind = Step::Kind::send, .packet = last_packet_};
}

Step Transfer::on_datagram(ByteView datagram) {
  if (!started_) return Step{.kind = Step::Kind::ignore, .reason = "not_started"};
  auto packet = parse_packet(datagram);
  if (!packet) return Step{.kind = Step::Kind::ignore, .reason = "malformed"};
  if (const auto* ack = std::get_if<Ack>(&*packet)) {
    // RFC 1350 §4: a duplicate or old ACK is not answered, or every block
    // would go twice from then on (the Sorcerer's Apprentice bug).
    if (ack->block != block_) return Step{.kind = Step::Kind::ignore, .reason = "old_ack"};
    if (last_sent_) return Step{.kind = Step::Kind::done};
    return next_block();
  }
  if (std::holds_alternative<ErrorPacket>(*packet)) {
    // RFC 2347: an ERROR in answer to the OACK declines the options.
    return Step{.kind = Step::Kind::abort, .reason = "client_error"};
  }
  return abort_with(ErrorCode::illegal_operation, "only ACK is expected here", "illegal_packet");
}

Step Transfer::on_timeout() {
  if (retries_left_ == 0) return Step{.kind = Step::Kind::abort, .reason = "timeout"};
  --retries_left_;
  return Step{.kind = Step::Kind::send, .packet = last_packet_, .reason = "retransmit"};
}

}  // namespace berth::tftp

namespace berth::tftp {

Admission admit(ByteView datagram, size_t active, size_t max_transfers) {
  auto packet = parse_packet(datagram);
  if (!packet) return Admission{.reason = "malformed"};
  auto* request = std::get_if<Request>(&*packet);
  if (request == nullptr) return Admission{.reason = "not_a_request"};
  if (request->op == Opcode::wrq) {
    return Admission{.reply = encode_error(ErrorCode::access_violation, "read-only server"),
                     .reason = "write_refused"};
  }
  if (request->mode != "octet" && request->mode != "netascii") {
    return Admission{.reply = encode_error(ErrorCode::illegal_operation, "mode not supported"),
                     .reason = "bad_mode"};
  }
  if (active >= max_transfers) {
    return Admission{.reply = encode_error(ErrorCode::not_defined, "too many transfers, try later"),
                     .reason = "too_many_transfers"};
  }
  return Admission{.request = std::move(*request)};
}

}  // namespace berth::tftp
