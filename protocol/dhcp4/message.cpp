#include "protocol/dhcp4/message.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace berth::dhcp4 {
namespace {

constexpr size_t kOptionsOffset = kFixedHeaderSize + 4;  // after the magic cookie
constexpr size_t kMaxOptionData = 255;

// Option 52 values (RFC 2132 §9.3).
constexpr uint8_t kOverloadFile = 1;
constexpr uint8_t kOverloadSname = 2;

enum class Region { options, file, sname };

// Reads the options of one region into `out`. In the options field the end
// option is required; in file and sname the field's end also ends the list.
// An overload option is only allowed in the options field.
Result<uint8_t> read_options(ByteView region, Region where, OptionList& out) {
  uint8_t overload = 0;
  size_t pos = 0;
  while (true) {
    if (pos >= region.size()) {
      if (where == Region::options) {
        return make_error(Errc::malformed, "options field without end option");
      }
      return overload;
    }
    const uint8_t code = region[pos++];
    if (code == opt::pad) continue;
    if (code == opt::end) return overload;
    if (pos >= region.size()) return make_error(Errc::truncated, "option length past end");
    const size_t len = region[pos++];
    if (len > region.size() - pos) return make_error(Errc::truncated, "option value past end");
    const ByteView value = region.subspan(pos, len);
    pos += len;
    if (code == opt::overload) {
      if (where != Region::options) return make_error(Errc::malformed, "overload loop");
      if (overload != 0) return make_error(Errc::malformed, "repeated overload option");
      if (len != 1 || value[0] < 1 || value[0] > 3) {
        return make_error(Errc::malformed, "overload option value");
      }
      overload = value[0];
      continue;
    }
    out.append(code, value);
  }
}

bool all_zero(ByteView v) {
  return std::all_of(v.begin(), v.end(), [](uint8_t b) { return b == 0; });
}

// Where the encoder puts options: the options field, then (overload) file,
// then sname. Each area keeps one byte for the end option.
struct Area {
  Region region;
  size_t capacity = 0;
  size_t used = 0;
  struct Piece {
    uint8_t code;
    ByteView data;
  };
  std::vector<Piece> pieces;

  size_t room() const { return capacity - used - 1; }
  void put(uint8_t code, ByteView data) {
    pieces.push_back({code, data});
    used += 2 + data.size();
  }
};

// Places `value` in the areas from `current` on. Values of up to 255 bytes
// go whole into the first area with room; longer ones are cut into
// consecutive instances (RFC 3396 §5), cut to fill an area when needed.
// False when the areas run out.
bool place(uint8_t code, ByteView value, std::vector<Area>& areas, size_t& current) {
  const bool long_value = value.size() > kMaxOptionData;
  bool placed_any = false;
  while (!placed_any || !value.empty()) {
    if (current >= areas.size()) return false;
    Area& area = areas[current];
    const size_t room = area.room();
    const size_t piece = std::min(value.size(), kMaxOptionData);
    if (room >= 2 + piece) {
      area.put(code, value.first(piece));
      value = value.subspan(piece);
      placed_any = true;
    } else if (long_value && room >= 3) {
      area.put(code, value.first(room - 2));
      value = value.subspan(room - 2);
      placed_any = true;
    } else {
      ++current;
    }
  }
  return true;
}

void write_area(const Area& area, ByteWriter& w) {
  for (const Area::Piece& p : area.pieces) {
    w.u8(p.code);
    w.u8(static_cast<uint8_t>(p.data.size()));
    w.bytes(p.data);
  }
  w.u8(opt::end);
}

}  // namespace

std::optional<MessageType> Message::type() const {
  auto v = options.get_u8(opt::message_type);
  if (!v || *v < 1 || *v > 8) return std::nullopt;
  return static_cast<MessageType>(*v);
}

void Message::set_mac(const MacAddress& m) {
  htype = 1;
  hlen = 6;
  chaddr.fill(0);
  std::memcpy(chaddr.data(), m.bytes().data(), 6);
}

Result<Message> parse_message(ByteView data) {
  Message m;
  ByteReader r(data);
  uint8_t op = 0;
  uint32_t ciaddr = 0;
  uint32_t yiaddr = 0;
  uint32_t siaddr = 0;
  uint32_t giaddr = 0;
  ByteView chaddr;
  ByteView sname;
  ByteView file;
  if (!(r.u8(op) && r.u8(m.htype) && r.u8(m.hlen) && r.u8(m.hops) && r.u32(m.xid) &&
        r.u16(m.secs) && r.u16(m.flags) && r.u32(ciaddr) && r.u32(yiaddr) && r.u32(siaddr) &&
        r.u32(giaddr) && r.bytes(m.chaddr.size(), chaddr) && r.bytes(m.sname.size(), sname) &&
        r.bytes(m.file.size(), file))) {
    return make_error(Errc::truncated, "fixed header");
  }
  uint32_t cookie = 0;
  if (!r.u32(cookie)) return make_error(Errc::truncated, "magic cookie");
  if (cookie != kMagicCookie) return make_error(Errc::malformed, "magic cookie");
  if (op != static_cast<uint8_t>(Op::request) && op != static_cast<uint8_t>(Op::reply)) {
    return make_error(Errc::malformed, "op");
  }
  m.op = static_cast<Op>(op);
  m.ciaddr = Ipv4Address(ciaddr);
  m.yiaddr = Ipv4Address(yiaddr);
  m.siaddr = Ipv4Address(siaddr);
  m.giaddr = Ipv4Address(giaddr);
  std::copy(chaddr.begin(), chaddr.end(), m.chaddr.begin());
  std::copy(sname.begin(), sname.end(), m.sname.begin());
  std::copy(file.begin(), file.end(), m.file.begin());

  auto overload = read_options(r.rest(), Region::options, m.options);
  if (!overload) return overload.error();
  // RFC 2131 §4.1: the options field first, then file, then sname.
  if ((*overload & kOverloadFile) != 0) {
    auto more = read_options(file, Region::file, m.options);
    if (!more) return more.error();
    m.file.fill(0);
  }
  if ((*overload & kOverloadSname) != 0) {
    auto more = read_options(sname, Region::sname, m.options);
    if (!more) return more.error();
    m.sname.fill(0);
  }
  // The encoder writes the message type first, so keeping it first here makes
  // parse(encode(m)) == m for every parsed m (dhcpcd sends option 50 first).
  if (const Bytes* type = m.options.get(opt::message_type);
      type != nullptr && m.options.entries().front().first != opt::message_type) {
    OptionList ordered;
    ordered.set(opt::message_type, *type);
    for (const auto& [code, value] : m.options.entries()) {
      if (code != opt::message_type) ordered.set(code, value);
    }
    m.options = std::move(ordered);
  }
  return m;
}

Result<size_t> encode_message(const Message& msg, MutableByteView out, size_t max_size) {
  const size_t limit = std::min(std::max(max_size, kDefaultMaxMessageSize), out.size());
  if (limit < kMinMessageSize) return make_error(Errc::no_space, "buffer below 300 bytes");

  // Message type first (RFC 2131 §4.1 does not demand it; clients expect it),
  // then the rest in list order. Pad and end are framing, and overload is the
  // encoder's own business.
  std::vector<std::pair<uint8_t, ByteView>> order;
  if (const Bytes* type = msg.options.get(opt::message_type)) {
    order.emplace_back(opt::message_type, *type);
  }
  for (const auto& [code, value] : msg.options.entries()) {
    if (code == opt::pad || code == opt::end || code == opt::overload ||
        code == opt::message_type) {
      continue;
    }
    order.emplace_back(code, value);
  }

  const size_t options_capacity = limit - kOptionsOffset;
  std::vector<Area> areas{Area{.region = Region::options, .capacity = options_capacity}};
  bool overloaded = false;
  size_t current = 0;
  bool fits = true;
  for (const auto& [code, value] : order) {
    if (!place(code, value, areas, current)) {
      fits = false;
      break;
    }
  }
  if (!fits) {
    // RFC 2132 §9.3: move what does not fit into file, then sname, when the
    // message does not need those fields for their own purpose.
    overloaded = true;
    areas.assign(1, Area{.region = Region::options, .capacity = options_capacity});
    if (all_zero(msg.file)) areas.push_back(Area{.region = Region::file, .capacity = 128});
    if (all_zero(msg.sname)) areas.push_back(Area{.region = Region::sname, .capacity = 64});
    current = 0;
    bool type_first = !order.empty() && order.front().first == opt::message_type;
    size_t i = 0;
    if (type_first) {
      if (!place(order[0].first, order[0].second, areas, current)) {
        return make_error(Errc::no_space, "message type does not fit");
      }
      i = 1;
    }
    // The overload option itself stays in the options field, written below.
    if (areas[0].room() < 3) return make_error(Errc::no_space, "no room for overload option");
    areas[0].used += 3;
    for (; i < order.size(); ++i) {
      if (!place(order[i].first, order[i].second, areas, current)) {
        return make_error(Errc::no_space, "options do not fit even with overload");
      }
    }
  }

  uint8_t overload = 0;
  for (const Area& a : areas) {
    if (a.pieces.empty()) continue;
    if (a.region == Region::file) overload |= kOverloadFile;
    if (a.region == Region::sname) overload |= kOverloadSname;
  }
  auto area_for = [&](Region region) -> const Area* {
    for (const Area& a : areas) {
      if (a.region == region && (region == Region::options || !a.pieces.empty())) return &a;
    }
    return nullptr;
  };

  ByteWriter w(out.first(limit));
  w.u8(static_cast<uint8_t>(msg.op));
  w.u8(msg.htype);
  w.u8(msg.hlen);
  w.u8(msg.hops);
  w.u32(msg.xid);
  w.u16(msg.secs);
  w.u16(msg.flags);
  w.u32(msg.ciaddr.value());
  w.u32(msg.yiaddr.value());
  w.u32(msg.siaddr.value());
  w.u32(msg.giaddr.value());
  w.bytes(msg.chaddr);
  for (Region region : {Region::sname, Region::file}) {
    const ByteView fixed = region == Region::sname ? ByteView(msg.sname) : ByteView(msg.file);
    const Area* area = area_for(region);
    if (area == nullptr) {
      w.bytes(fixed);
      continue;
    }
    const size_t start = w.size();
    write_area(*area, w);
    w.zeros(fixed.size() - (w.size() - start));
  }
  w.u32(kMagicCookie);

  const Area& options = *area_for(Region::options);
  const Area::Piece* piece = options.pieces.data();
  const Area::Piece* const pieces_end = piece + options.pieces.size();
  if (overloaded) {
    // Message type, when present, keeps the first slot; overload follows.
    if (piece != pieces_end && piece->code == opt::message_type) {
      w.u8(piece->code);
      w.u8(static_cast<uint8_t>(piece->data.size()));
      w.bytes(piece->data);
      ++piece;
    }
    if (overload != 0) {
      w.u8(opt::overload);
      w.u8(1);
      w.u8(overload);
    } else {
      w.zeros(3);  // nothing overflowed after all: three pads keep the layout
    }
  }
  for (; piece != pieces_end; ++piece) {
    w.u8(piece->code);
    w.u8(static_cast<uint8_t>(piece->data.size()));
    w.bytes(piece->data);
  }
  w.u8(opt::end);
  if (w.size() < kMinMessageSize) w.zeros(kMinMessageSize - w.size());
  if (!w.ok()) return make_error(Errc::no_space, "output buffer");
  return w.size();
}

}  // namespace berth::dhcp4
