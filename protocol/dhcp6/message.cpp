#include "protocol/dhcp6/message.hpp"

#include <algorithm>

#include "protocol/option_def.hpp"

namespace berth::dhcp6 {
namespace {

// Bytes before the inner options of the options that hold options.
std::optional<size_t> inner_options_offset(uint16_t code) {
  switch (code) {
    case opt::ia_na:
    case opt::ia_pd:
      return 12;  // IAID, T1, T2 (§21.4, §21.21)
    case opt::ia_ta:
      return 4;  // IAID (§21.5)
    case opt::iaaddr:
      return 24;  // address, preferred and valid lifetimes (§21.6)
    case opt::iaprefix:
      return 25;  // lifetimes, prefix length, prefix (§21.22)
    default:
      return std::nullopt;
  }
}

// message → IA_NA → IAADDR → status code is three levels; deeper nesting
// is no real message's, and bounding it bounds the recursion.
constexpr int kMaxOptionDepth = 4;

Result<OptionList> read_options(ByteView data, int depth) {
  if (depth > kMaxOptionDepth) return make_error(Errc::malformed, "options nested too deep");
  OptionList out;
  ByteReader r(data);
  while (r.remaining() > 0) {
    uint16_t code = 0;
    uint16_t len = 0;
    if (!r.u16(code) || !r.u16(len)) return make_error(Errc::truncated, "option header past end");
    ByteView value;
    if (!r.bytes(len, value)) return make_error(Errc::truncated, "option value past end");
    if (!valid_option_value(OptionSpace::dhcp6, code, value)) {
      return make_error(Errc::malformed, "option length not allowed for its code");
    }
    if (auto offset = inner_options_offset(code)) {
      auto inner = read_options(value.subspan(*offset), depth + 1);
      if (!inner) return inner.error();
    }
    out.add(code, value);
  }
  return out;
}

Result<MessageType> read_type(ByteView data) {
  if (data.empty()) return make_error(Errc::truncated, "empty message");
  if (data[0] < 1 || data[0] > 13) return make_error(Errc::unsupported, "message type");
  return static_cast<MessageType>(data[0]);
}

}  // namespace

void OptionList::set(uint16_t code, Bytes value) {
  auto first = std::find_if(entries_.begin(), entries_.end(),
                            [&](const Entry& e) { return e.code == code; });
  if (first == entries_.end()) {
    add(code, std::move(value));
    return;
  }
  first->value = std::move(value);
  const auto at = first - entries_.begin();
  entries_.erase(std::remove_if(entries_.begin() + at + 1, entries_.end(),
                                [&](const Entry& e) { return e.code == code; }),
                 entries_.end());
}

void OptionList::erase(uint16_t code) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.code == code; }),
                 entries_.end());
}

const Bytes* OptionList::get(uint16_t code) const {
  for (const Entry& e : entries_) {
    if (e.code == code) return &e.value;
  }
  return nullptr;
}

std::vector<ByteView> OptionList::all(uint16_t code) const {
  std::vector<ByteView> out;
  for (const Entry& e : entries_) {
    if (e.code == code) out.emplace_back(e.value);
  }
  return out;
}

size_t OptionList::count(uint16_t code) const {
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [&](const Entry& e) { return e.code == code; }));
}

Result<OptionList> parse_options(ByteView data) { return read_options(data, 1); }

Result<size_t> encode_options(const OptionList& options, ByteWriter& w) {
  const size_t start = w.size();
  for (const OptionList::Entry& e : options.entries()) {
    if (e.value.size() > 0xffff) return make_error(Errc::malformed, "option value over 65535");
    w.u16(e.code);
    w.u16(static_cast<uint16_t>(e.value.size()));
    w.bytes(e.value);
  }
  if (!w.ok()) return make_error(Errc::no_space, "output buffer");
  return w.size() - start;
}

Bytes encode_options(const OptionList& options) {
  size_t size = 0;
  for (const OptionList::Entry& e : options.entries()) size += 4 + e.value.size();
  Bytes out(size);
  ByteWriter w(out);
  auto n = encode_options(options, w);
  out.resize(n ? *n : 0);
  return out;
}

Result<Packet> parse_packet(ByteView data) {
  auto type = read_type(data);
  if (!type) return type.error();
  if (is_relay(*type)) {
    auto relay = parse_relay_message(data);
    if (!relay) return relay.error();
    return Packet(std::move(*relay));
  }
  auto msg = parse_message(data);
  if (!msg) return msg.error();
  return Packet(std::move(*msg));
}

Result<Message> parse_message(ByteView data) {
  auto type = read_type(data);
  if (!type) return type.error();
  if (is_relay(*type)) return make_error(Errc::malformed, "relay message where a message is due");
  if (data.size() < kHeaderSize) return make_error(Errc::truncated, "message header");
  Message m;
  m.type = *type;
  m.transaction_id = uint32_t{data[1]} << 16 | uint32_t{data[2]} << 8 | data[3];
  auto options = parse_options(data.subspan(kHeaderSize));
  if (!options) return options.error();
  m.options = std::move(*options);
  return m;
}

Result<RelayMessage> parse_relay_message(ByteView data) {
  auto type = read_type(data);
  if (!type) return type.error();
  if (!is_relay(*type)) return make_error(Errc::malformed, "message where a relay message is due");
  if (data.size() < kRelayHeaderSize) return make_error(Errc::truncated, "relay message header");
  RelayMessage m;
  m.type = *type;
  m.hop_count = data[1];
  m.link_address = Ipv6Address::from_bytes(data.subspan(2, 16));
  m.peer_address = Ipv6Address::from_bytes(data.subspan(18, 16));
  auto options = parse_options(data.subspan(kRelayHeaderSize));
  if (!options) return options.error();
  m.options = std::move(*options);
  // RFC 8415 §9: a relay message carries the message it relays.
  if (m.options.count(opt::relay_msg) != 1) {
    return make_error(Errc::malformed, "relay message without exactly one relay-msg option");
  }
  return m;
}

Result<size_t> encode_message(const Message& msg, MutableByteView out) {
  if (is_relay(msg.type)) return make_error(Errc::malformed, "relay type in a message");
  if (msg.transaction_id > 0xffffff)
    return make_error(Errc::malformed, "transaction id over 24 bits");
  ByteWriter w(out);
  w.u8(static_cast<uint8_t>(msg.type));
  w.u8(static_cast<uint8_t>(msg.transaction_id >> 16));
  w.u16(static_cast<uint16_t>(msg.transaction_id));
  auto n = encode_options(msg.options, w);
  if (!n) return n.error();
  return w.size();
}

Result<size_t> encode_relay_message(const RelayMessage& msg, MutableByteView out) {
  if (!is_relay(msg.type)) return make_error(Errc::malformed, "non-relay type in a relay message");
  ByteWriter w(out);
  w.u8(static_cast<uint8_t>(msg.type));
  w.u8(msg.hop_count);
  w.bytes(msg.link_address.view());
  w.bytes(msg.peer_address.view());
  auto n = encode_options(msg.options, w);
  if (!n) return n.error();
  return w.size();
}

Result<size_t> encode_packet(const Packet& packet, MutableByteView out) {
  if (const auto* m = std::get_if<Message>(&packet)) return encode_message(*m, out);
  return encode_relay_message(std::get<RelayMessage>(packet), out);
}

Result<Bytes> encode_to_bytes(const Packet& packet) {
  size_t size = std::holds_alternative<Message>(packet) ? kHeaderSize : kRelayHeaderSize;
  const OptionList& options = std::holds_alternative<Message>(packet)
                                  ? std::get<Message>(packet).options
                                  : std::get<RelayMessage>(packet).options;
  for (const OptionList::Entry& e : options.entries()) size += 4 + e.value.size();
  Bytes out(size);
  auto n = encode_packet(packet, out);
  if (!n) return n.error();
  out.resize(*n);
  return out;
}

Result<Relayed> unwrap_relays(const RelayMessage& outer) {
  Relayed out;
  out.relays.push_back(outer);
  while (true) {
    const Bytes* inner = out.relays.back().relayed();
    if (inner == nullptr) return make_error(Errc::malformed, "relay message without relay-msg");
    auto packet = parse_packet(*inner);
    if (!packet) return packet.error();
    if (auto* m = std::get_if<Message>(&*packet)) {
      out.message = std::move(*m);
      return out;
    }
    // RFC 8415 §19.1.1: a relay refuses to forward past HOP_COUNT_LIMIT.
    if (out.relays.size() > kHopCountLimit) return make_error(Errc::malformed, "too many relays");
    out.relays.push_back(std::move(std::get<RelayMessage>(*packet)));
  }
}

}  // namespace berth::dhcp6
