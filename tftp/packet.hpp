// TFTP packets (RFC 1350 §5, RFC 2347 option extension): pure codec over
// byte spans, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/result.hpp"

namespace berth::tftp {

inline constexpr uint16_t kServerPort = 69;
inline constexpr uint16_t kDefaultBlockSize = 512;  // RFC 1350
inline constexpr uint16_t kMinBlockSize = 8;        // RFC 2348
inline constexpr uint16_t kMaxBlockSize = 65464;    // RFC 2348
// RFC 2347: a request with its options fits in 512 bytes.
inline constexpr size_t kMaxRequestSize = 512;
inline constexpr size_t kMaxOptions = 16;

enum class Opcode : uint16_t { rrq = 1, wrq = 2, data = 3, ack = 4, error = 5, oack = 6 };

// RFC 1350 §5 and RFC 2347 (8).
enum class ErrorCode : uint16_t {
  not_defined = 0,
  file_not_found = 1,
  access_violation = 2,
  disk_full = 3,
  illegal_operation = 4,
  unknown_tid = 5,
  file_exists = 6,
  no_such_user = 7,
  option_refused = 8,
};

struct Option {
  std::string name;  // lower case (RFC 2347: names are case-insensitive)
  std::string value;
  bool operator==(const Option&) const = default;
};

struct Request {
  Opcode op = Opcode::rrq;  // rrq or wrq
  std::string filename;
  std::string mode;  // lower case: "octet", "netascii", "mail"
  std::vector<Option> options;
  bool operator==(const Request&) const = default;
};
struct Data {
  uint16_t block = 0;
  Bytes payload;
  bool operator==(const Data&) const = default;
};
struct Ack {
  uint16_t block = 0;
  bool operator==(const Ack&) const = default;
};
struct ErrorPacket {
  ErrorCode code = ErrorCode::not_defined;
  std::string message;
  bool operator==(const ErrorPacket&) const = default;
};
struct Oack {
  std::vector<Option> options;
  bool operator==(const Oack&) const = default;
};

using Packet = std::variant<Request, Data, Ack, ErrorPacket, Oack>;

// Parses one datagram. Strings must end with NUL; a request needs a
// non-empty filename and mode, at most 512 bytes and 16 options, each a
// name and a value; a repeated option name is malformed; an error code
// above 8 is kept as not_defined.
Result<Packet> parse_packet(ByteView data);

// The option `name` (lower case) of a list, if present.
const Option* find_option(const std::vector<Option>& options, std::string_view name);

Bytes encode_request(const Request& r);
Bytes encode_data(uint16_t block, ByteView payload);
Bytes encode_ack(uint16_t block);
Bytes encode_error(ErrorCode code, std::string_view message);
Bytes encode_oack(const std::vector<Option>& options);

}  // namespace berth::tftp
