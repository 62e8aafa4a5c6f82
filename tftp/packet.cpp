#include "tftp/packet.hpp"

#include <algorithm>
#include <cctype>

namespace berth::tftp {

namespace {

uint16_t read_u16(ByteView data, size_t at) {
  return static_cast<uint16_t>((data[at] << 8) | data[at + 1]);
}

void put_u16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v & 0xff));
}

void put_string(Bytes& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
  out.push_back(0);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits NUL-terminated strings from `at` to the end; nothing when the last
// one has no NUL.
std::optional<std::vector<std::string>> strings_from(ByteView data, size_t at) {
  std::vector<std::string> out;
  while (at < data.size()) {
    const auto nul = std::find(data.begin() + static_cast<std::ptrdiff_t>(at), data.end(), 0);
    if (nul == data.end()) return std::nullopt;
    const auto end = static_cast<size_t>(nul - data.begin());
    out.emplace_back(reinterpret_cast<const char*>(data.data() + at), end - at);
    at = end + 1;
  }
  return out;
}

Result<std::vector<Option>> options_of(const std::vector<std::string>& s, size_t first) {
  if ((s.size() - first) % 2 != 0) return make_error(Errc::malformed, "option without a value");
  if ((s.size() - first) / 2 > kMaxOptions) return make_error(Errc::malformed, "too many options");
  std::vector<Option> options;
  for (size_t i = first; i < s.size(); i += 2) {
    Option o{.name = lower(s[i]), .value = s[i + 1]};
    if (o.name.empty()) return make_error(Errc::malformed, "empty option name");
    if (find_option(options, o.name) != nullptr) {
      return make_error(Errc::malformed, "option given twice");
    }
    options.push_back(std::move(o));
  }
  return options;
}

}  // namespace

const Option* find_option(const std::vector<Option>& options, std::string_view name) {
  for (const Option& o : options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Result<Packet> parse_packet(ByteView data) {
  if (data.size() < 4) return make_error(Errc::truncated, "packet shorter than 4 bytes");
  const uint16_t op = read_u16(data, 0);
  switch (static_cast<Opcode>(op)) {
    case Opcode::rrq:
    case Opcode::wrq: {
      if (data.size() > kMaxRequestSize) {
        return make_error(Errc::malformed, "request longer than 512 bytes");
      }
      auto s = strings_from(data, 2);
      if (!s) return make_error(Errc::truncated, "request string without NUL");
      if (s->size() < 2) return make_error(Errc::truncated, "request without a mode");
      if ((*s)[0].empty()) return make_error(Errc::malformed, "empty file name");
      if ((*s)[1].empty()) return make_error(Errc::malformed, "empty mode");
      auto options = options_of(*s, 2);
      if (!options) return options.error();
      return Packet(Request{.op = static_cast<Opcode>(op),
                            .filename = (*s)[0],
                            .mode = lower((*s)[1]),
                            .options = std::move(*options)});
    }
    case Opcode::data:
      return Packet(
          Data{.block = read_u16(data, 2), .payload = Bytes(data.begin() + 4, data.end())});
    case Opcode::ack:
      if (data.size() != 4) return make_error(Errc::malformed, "ACK is not 4 bytes");
      return Packet(Ack{.block = read_u16(data, 2)});
    case Opcode::error: {
      const uint16_t code = read_u16(data, 2);
      std::string message;
      if (data.size() > 4) {
        auto s = strings_from(data, 4);
        if (!s || s->size() != 1) return make_error(Errc::malformed, "error message without NUL");
        message = (*s)[0];
      }
      return Packet(
          ErrorPacket{.code = code <= 8 ? static_cast<ErrorCode>(code) : ErrorCode::not_defined,
                      .message = std::move(message)});
    }
    case Opcode::oack: {
      auto s = strings_from(data, 2);
      if (!s) return make_error(Errc::truncated, "option string without NUL");
      auto options = options_of(*s, 0);
      if (!options) return options.error();
      return Packet(Oack{.options = std::move(*options)});
    }
  }
  return make_error(Errc::unsupported, "unknown opcode");
}

Bytes encode_request(const Request& r) {
  Bytes out;
  put_u16(out, static_cast<uint16_t>(r.op));
  put_string(out, r.filename);
  put_string(out, r.mode);
  for (const Option& o : r.options) {
    put_string(out, o.name);
    put_string(out, o.value);
  }
  return out;
}

Bytes encode_data(uint16_t block, ByteView payload) {
  Bytes out;
  out.reserve(4 + payload.size());
  put_u16(out, static_cast<uint16_t>(Opcode::data));
  put_u16(out, block);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes encode_ack(uint16_t block) {
  Bytes out;
  put_u16(out, static_cast<uint16_t>(Opcode::ack));
  put_u16(out, block);
  return out;
}

Bytes encode_error(ErrorCode code, std::string_view message) {
  Bytes out;
  put_u16(out, static_cast<uint16_t>(Opcode::error));
  put_u16(out, static_cast<uint16_t>(code));
  put_string(out, message.substr(0, message.find('\0')));
  return out;
}

Bytes encode_oack(const std::vector<Option>& options) {
  Bytes out;
  put_u16(out, static_cast<uint16_t>(Opcode::oack));
  for (const Option& o : options) {
    put_string(out, o.name);
    put_string(out, o.value);
  }
  return out;
}

}  // namespace berth::tftp
