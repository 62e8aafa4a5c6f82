// Domain names inside DHCP option values (RFC 1035 §3.1 wire form): the
// domain lists of DHCPv4 option 119 and DHCPv6 options 21 and 24, and the
// name in the client FQDN options (RFC 4702, RFC 4704).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/result.hpp"

namespace berth {

inline constexpr size_t kMaxDomainLabel = 63;
inline constexpr size_t kMaxDomainWireName = 255;

// Label bytes berth accepts in names it prints: printable ASCII other than
// the separators of the text forms ('.' between labels, ',' between names).
constexpr bool printable_label_byte(uint8_t c) {
  return c > 0x20 && c < 0x7f && c != '.' && c != ',';
}

enum class LabelBytes {
  printable,    // printable_label_byte: names that go into comma-separated lists
  any_but_dot,  // only '.' is refused, since the dotted form could not hold it
};

// Appends `name` ("a.b.c", optional trailing dot) in wire format with the
// root label, never compressed. False when a label is empty, too long or
// holds a byte that could not be printed back.
bool append_wire_name(std::string_view name, Bytes& out);

struct DecodedName {
  std::string name;
  size_t next = 0;        // offset just past the name where it started
  bool complete = false;  // ended with the root label
};

// Reads one name at `at`, following compression pointers when
// `allow_pointers`; a loop or forward pointer is an error. A name may stop
// at the end of `data` without the root label (complete == false) when no
// pointer was followed.
Result<DecodedName> decode_wire_name(ByteView data, size_t at, bool allow_pointers,
                                     LabelBytes allowed);

// A non-empty sequence of complete, non-empty names filling `data`.
// Compression pointers (into the whole value) are followed when
// `allow_pointers`: DHCPv4 allows them (RFC 3397), DHCPv6 forbids them
// (RFC 8415 §10).
Result<std::vector<std::string>> decode_domain_list(ByteView data, bool allow_pointers);

// The name part of a client FQDN option, after its flags: canonical wire
// format without compression when `wire_format` (a partial name stops
// without the root label), else the deprecated ASCII form of RFC 4702
// §2.3.1, where a trailing NUL or dot is dropped. An empty view is "".
Result<std::string> decode_fqdn_name(ByteView name, bool wire_format);

}  // namespace berth
