// Option definitions of both spaces: the tables, lookups, validation and
// the text forms.
#include "protocol/option_def.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/dhcp4/options.hpp"

namespace berth {
namespace {

constexpr OptionSpace kDhcp4 = OptionSpace::dhcp4;
constexpr OptionSpace kDhcp6 = OptionSpace::dhcp6;
constexpr std::array kSpaces = {kDhcp4, kDhcp6};

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A text value valid for `def`, in the canonical form format_option_value prints.
std::vector<std::string> samples_for(const OptionDef& def) {
  switch (def.type) {
    case OptionType::empty:
      return {""};
    case OptionType::u8:
      return {"0", "200", "255"};
    case OptionType::u16:
      return {"0", "1500", "65535"};
    case OptionType::u32:
      return {"0", "3600", "4294967295"};
    case OptionType::boolean:
      return {"true", "false"};
    case OptionType::ipv4:
      return {"10.0.3.1", "0.0.0.0"};
    case OptionType::ipv4_list:
      return {"10.0.3.1", "10.0.3.1,198.18.0.1,255.255.255.255"};
    case OptionType::ipv4_pairs:
      return {"10.0.0.0,255.0.0.0", "1.2.3.4,5.6.7.8,9.10.11.12,0.0.0.0"};
    case OptionType::ipv6:
      return {"fd42::1", "::", "::ffff:198.18.0.1", "2001:db8::1:0:0:1"};
    case OptionType::ipv6_list:
      return {"fd42::1", "fd42::1,fe80::1:2,::ffff:198.18.0.1,ff02::1:2"};
    case OptionType::u8_list:
      return {"1", "1,3,6,12,15,28,42,255"};
    case OptionType::u16_list:
      if (def.min_length == 0) return {"", "68", "23,24,39,65535"};
      return {"68", "68,296,576,65535"};
    case OptionType::text:
      return {"berth", "web container: 1"};
    case OptionType::binary: {
      const size_t n = std::clamp<size_t>(5, def.min_length, def.max_length);
      std::string s;
      for (size_t i = 0; i < n; ++i) s += (i ? ":" : "") + std::string(i % 2 ? "ff" : "0a");
      return {s};
    }
    case OptionType::fqdn:
      return {"web", "web.berth.example"};
    case OptionType::domain_list:
      return {"berth", "berth,example.org,a.b.c.d.e"};
  }
  return {};
}

// The smallest and largest lengths a value of type `t` can have in `space`,
// and its element size: what every row's limits must fall within.
struct TypeLimits {
  size_t min;
  size_t max;
  size_t element;
};
TypeLimits limits_of(OptionSpace space, OptionType t) {
  constexpr size_t kAny = kNoLengthLimit;
  switch (t) {
    case OptionType::empty:
      return {0, 0, 1};
    case OptionType::u8:
    case OptionType::boolean:
      return {1, 1, 1};
    case OptionType::u16:
      return {2, 2, 1};
    case OptionType::u32:
    case OptionType::ipv4:
      return {4, 4, 1};
    case OptionType::ipv6:
      return {16, 16, 1};
    case OptionType::ipv4_list:
      return {0, kAny, 4};
    case OptionType::ipv4_pairs:
      return {8, kAny, 8};
    case OptionType::ipv6_list:
      return {16, kAny, 16};
    case OptionType::u16_list:
      return {0, kAny, 2};
    case OptionType::fqdn:  // the flags (and RCODEs) before the name
      return {space == kDhcp4 ? 3u : 1u, kAny, 1};
    case OptionType::domain_list:  // at least one name of at least the root label
    case OptionType::u8_list:
    case OptionType::text:
      return {1, kAny, 1};
    case OptionType::binary:
      return {0, kAny, 1};
  }
  return {0, 0, 1};
}

TEST(OptionTable, EveryRowWellFormed) {
  for (OptionSpace space : kSpaces) {
    auto table = option_table(space);
    std::set<std::string_view> names;
    for (size_t i = 0; i < table.size(); ++i) {
      const OptionDef& d = table[i];
      SCOPED_TRACE(std::string(to_string(space)) + " " + std::string(d.name));
      EXPECT_EQ(d.space, space);
      if (i > 0) {
        EXPECT_LT(table[i - 1].code, d.code);
      }
      EXPECT_NE(d.code, 0);
      if (space == kDhcp4) {
        EXPECT_NE(d.code, dhcp4::opt::pad);
        EXPECT_NE(d.code, dhcp4::opt::end);
        EXPECT_LT(d.code, 255);  // an 8-bit wire code
      }
      EXPECT_TRUE(names.insert(d.name).second) << "duplicate name";
      EXPECT_LE(d.min_length, d.max_length);
      EXPECT_FALSE(d.name.empty());
      for (char c : d.name) {
        EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
      }
      // Lengths consistent with the type.
      const TypeLimits l = limits_of(space, d.type);
      EXPECT_GE(d.min_length, l.min);
      EXPECT_LE(d.max_length, l.max);
      if (l.min == l.max) {
        EXPECT_EQ(d.min_length, l.min);
        EXPECT_EQ(d.max_length, l.max);
      }
      EXPECT_EQ(d.min_length % l.element, 0u);
      EXPECT_TRUE(d.max_length == kNoLengthLimit || d.max_length % l.element == 0);
      // The limits agree with valid_option_value.
      EXPECT_TRUE(valid_option_value(space, d.code, Bytes(d.min_length)));
      if (d.min_length > 0) {
        EXPECT_FALSE(valid_option_value(space, d.code, Bytes(d.min_length - 1u)));
      }
      if (d.max_length != kNoLengthLimit) {
        EXPECT_FALSE(valid_option_value(space, d.code, Bytes(d.max_length + 1u)));
      }
    }
  }
  ASSERT_GE(option_table(kDhcp4).size(), 80u);
  ASSERT_GE(option_table(kDhcp6).size(), 32u);
  // RFC 2132 options 1..76 are all there.
  for (int code = 1; code <= 76; ++code) {
    EXPECT_NE(find_option(kDhcp4, static_cast<uint16_t>(code)), nullptr) << code;
  }
}

TEST(OptionTable, EveryTypeIsUsed) {
  // So the round trips below cover every type.
  for (const auto& entry : kOptionTypeNames.entries) {
    const OptionType t = entry.first;  // clang 14 cannot capture a structured binding
    bool used = false;
    for (OptionSpace space : kSpaces) {
      auto table = option_table(space);
      used |=
          std::any_of(table.begin(), table.end(), [t](const OptionDef& d) { return d.type == t; });
    }
    EXPECT_TRUE(used) << entry.second;
  }
}

TEST(OptionTable, SpaceAndTypeNames) {
  EXPECT_EQ(to_string(kDhcp4), "dhcp4");
  EXPECT_EQ(to_string(kDhcp6), "dhcp6");
  EXPECT_EQ(kOptionSpaceNames.value("dhcp6"), kDhcp6);
  EXPECT_EQ(kOptionSpaceNames.value("DHCP6"), std::nullopt);
  EXPECT_EQ(to_string(OptionType::ipv4_list), "ipv4-list");
  EXPECT_EQ(to_string(OptionType::ipv6_list), "ipv6-list");
  EXPECT_EQ(to_string(OptionType::domain_list), "domain-list");
  EXPECT_EQ(kOptionTypeNames.value("ipv6"), OptionType::ipv6);
  EXPECT_EQ(to_string(static_cast<OptionType>(200)), "unknown");
}

TEST(OptionTable, FindDhcp4ByNameAndCode) {
  struct Want {
    uint16_t code;
    std::string_view name;
    OptionType type;
  };
  for (const Want& w : {
           Want{1, "subnet-mask", OptionType::ipv4},
           Want{3, "routers", OptionType::ipv4_list},
           Want{6, "domain-name-servers", OptionType::ipv4_list},
           Want{12, "host-name", OptionType::text},
           Want{15, "domain-name", OptionType::text},
           Want{26, "interface-mtu", OptionType::u16},
           Want{28, "broadcast-address", OptionType::ipv4},
           Want{50, "dhcp-requested-address", OptionType::ipv4},
           Want{51, "dhcp-lease-time", OptionType::u32},
           Want{52, "dhcp-option-overload", OptionType::u8},
           Want{53, "dhcp-message-type", OptionType::u8},
           Want{54, "dhcp-server-identifier", OptionType::ipv4},
           Want{55, "dhcp-parameter-request-list", OptionType::u8_list},
           Want{56, "dhcp-message", OptionType::text},
           Want{57, "dhcp-max-message-size", OptionType::u16},
           Want{58, "dhcp-renewal-time", OptionType::u32},
           Want{59, "dhcp-rebinding-time", OptionType::u32},
           Want{60, "vendor-class-identifier", OptionType::text},
           Want{61, "dhcp-client-identifier", OptionType::binary},
           Want{77, "user-class", OptionType::binary},
           Want{80, "rapid-commit", OptionType::empty},
           Want{81, "fqdn", OptionType::fqdn},
           Want{82, "dhcp-agent-options", OptionType::binary},
           Want{93, "client-system", OptionType::binary},
           Want{94, "client-ndi", OptionType::binary},
           Want{97, "uuid-guid", OptionType::binary},
           Want{118, "subnet-selection", OptionType::ipv4},
           Want{119, "domain-search", OptionType::domain_list},
           Want{121, "classless-static-route", OptionType::binary},
           Want{249, "ms-classless-static-route", OptionType::binary},
           Want{252, "wpad", OptionType::text},
       }) {
    const OptionDef* by_code = find_option(kDhcp4, w.code);
    ASSERT_NE(by_code, nullptr) << int(w.code);
    EXPECT_EQ(by_code->name, w.name);
    EXPECT_EQ(by_code->type, w.type) << w.name;
    EXPECT_EQ(find_option(kDhcp4, w.name), by_code) << w.name;
  }
  EXPECT_EQ(find_option(kDhcp4, 0), nullptr);
  EXPECT_EQ(find_option(kDhcp4, 255), nullptr);
  EXPECT_EQ(find_option(kDhcp4, 200), nullptr);
  EXPECT_EQ(find_option(kDhcp4, "no-such-option"), nullptr);
  EXPECT_EQ(find_option(kDhcp4, "Routers"), nullptr);
  EXPECT_EQ(find_option(kDhcp4, std::string_view()), nullptr);
}

TEST(OptionTable, FindDhcp6ByNameAndCode) {
  struct Want {
    uint16_t code;
    std::string_view name;
    OptionType type;
  };
  // RFC 8415 §21 and the options after it that berth knows.
  for (const Want& w : {
           Want{1, "clientid", OptionType::binary},
           Want{2, "serverid", OptionType::binary},
           Want{3, "ia-na", OptionType::binary},
           Want{4, "ia-ta", OptionType::binary},
           Want{5, "iaaddr", OptionType::binary},
           Want{6, "oro", OptionType::u16_list},
           Want{7, "preference", OptionType::u8},
           Want{8, "elapsed-time", OptionType::u16},
           Want{9, "relay-msg", OptionType::binary},
           Want{11, "auth", OptionType::binary},
           Want{12, "unicast", OptionType::ipv6},
           Want{13, "status-code", OptionType::binary},
           Want{14, "rapid-commit", OptionType::empty},
           Want{15, "user-class", OptionType::binary},
           Want{16, "vendor-class", OptionType::binary},
           Want{17, "vendor-opts", OptionType::binary},
           Want{18, "interface-id", OptionType::binary},
           Want{19, "reconf-msg", OptionType::u8},
           Want{20, "reconf-accept", OptionType::empty},
           Want{21, "sip-server-dns", OptionType::domain_list},
           Want{22, "sip-server-addr", OptionType::ipv6_list},
           Want{23, "dns-servers", OptionType::ipv6_list},
           Want{24, "domain-search", OptionType::domain_list},
           Want{25, "ia-pd", OptionType::binary},
           Want{26, "iaprefix", OptionType::binary},
           Want{31, "sntp-servers", OptionType::ipv6_list},
           Want{32, "information-refresh-time", OptionType::u32},
           Want{39, "client-fqdn", OptionType::fqdn},
           Want{56, "ntp-server", OptionType::binary},
           Want{79, "client-linklayer-addr", OptionType::binary},
           Want{82, "solmax-rt", OptionType::u32},
           Want{83, "inf-max-rt", OptionType::u32},
       }) {
    const OptionDef* by_code = find_option(kDhcp6, w.code);
    ASSERT_NE(by_code, nullptr) << w.code;
    EXPECT_EQ(by_code->space, kDhcp6);
    EXPECT_EQ(by_code->name, w.name);
    EXPECT_EQ(by_code->type, w.type) << w.name;
    EXPECT_EQ(find_option(kDhcp6, w.name), by_code) << w.name;
  }
  // DUIDs are 2 + 1..128 bytes (RFC 8415 §11.1).
  EXPECT_EQ(find_option(kDhcp6, 1)->min_length, 3);
  EXPECT_EQ(find_option(kDhcp6, 1)->max_length, 130);
  EXPECT_EQ(find_option(kDhcp6, 0), nullptr);
  EXPECT_EQ(find_option(kDhcp6, 10), nullptr);  // unassigned
  EXPECT_EQ(find_option(kDhcp6, 65535), nullptr);
}

TEST(OptionTable, LookupsArePerSpace) {
  // The same name in one space only, or with another code in each.
  EXPECT_NE(find_option(kDhcp6, "dns-servers"), nullptr);
  EXPECT_EQ(find_option(kDhcp4, "dns-servers"), nullptr);
  EXPECT_NE(find_option(kDhcp4, "domain-name-servers"), nullptr);
  EXPECT_EQ(find_option(kDhcp6, "domain-name-servers"), nullptr);
  EXPECT_EQ(find_option(kDhcp4, "domain-search")->code, 119);
  EXPECT_EQ(find_option(kDhcp6, "domain-search")->code, 24);
  EXPECT_EQ(find_option(kDhcp4, "rapid-commit")->code, 80);
  EXPECT_EQ(find_option(kDhcp6, "rapid-commit")->code, 14);
  EXPECT_EQ(find_option(kDhcp6, "fqdn"), nullptr);
  EXPECT_EQ(find_option(kDhcp4, "client-fqdn"), nullptr);
  // The same code, another option.
  EXPECT_EQ(find_option(kDhcp4, 23)->name, "default-ip-ttl");
  EXPECT_EQ(find_option(kDhcp6, 23)->name, "dns-servers");
  // Codes above 255 are not truncated to 8 bits.
  EXPECT_EQ(find_option(kDhcp6, 256 + 23), nullptr);
  EXPECT_EQ(find_option(kDhcp4, 256 + 6), nullptr);
  EXPECT_EQ(find_option(kDhcp4, 256 + 1), nullptr);
  EXPECT_TRUE(valid_option_value(kDhcp6, 256 + 23, Bytes(3)));  // opaque, not dns-servers
  EXPECT_EQ(format_option_value(kDhcp6, 256 + 23, Bytes(16)), to_hex_colon(Bytes(16)));  // not "::"
  EXPECT_EQ(format_option_value(kDhcp4, 256 + 1, Bytes{255, 255, 255, 0}), "ff:ff:ff:00");
}

TEST(OptionValue, TextRoundTripForEveryOption) {
  for (OptionSpace space : kSpaces) {
    for (const OptionDef& def : option_table(space)) {
      for (const std::string& text : samples_for(def)) {
        SCOPED_TRACE(std::string(to_string(space)) + " " + std::string(def.name) + " '" + text +
                     "'");
        auto bytes = parse_option_value(space, def.code, text);
        ASSERT_TRUE(bytes) << bytes.error().what;
        EXPECT_TRUE(valid_option_value(space, def.code, *bytes));
        EXPECT_EQ(format_option_value(space, def.code, *bytes), text);
        // And bytes -> text -> bytes.
        auto again =
            parse_option_value(space, def.code, format_option_value(space, def.code, *bytes));
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *bytes);
      }
    }
  }
}

TEST(OptionValue, WireEncodingsPerType) {
  auto wire = [](uint8_t code, std::string_view text) {
    auto r = parse_option_value(kDhcp4, code, text);
    EXPECT_TRUE(r) << int(code) << " " << text;
    return r ? *r : Bytes{};
  };
  EXPECT_EQ(wire(80, ""), Bytes{});
  EXPECT_EQ(wire(23, "64"), Bytes{64});
  EXPECT_EQ(wire(26, "1500"), (Bytes{0x05, 0xdc}));
  EXPECT_EQ(wire(51, "3600"), (Bytes{0, 0, 0x0e, 0x10}));
  EXPECT_EQ(wire(19, "true"), Bytes{1});
  EXPECT_EQ(wire(19, "false"), Bytes{0});
  EXPECT_EQ(wire(1, "255.255.255.0"), (Bytes{255, 255, 255, 0}));
  EXPECT_EQ(wire(6, "10.0.3.1, 10.0.3.2"), (Bytes{10, 0, 3, 1, 10, 0, 3, 2}));
  EXPECT_EQ(wire(33, "10.1.0.0,10.0.3.1"), (Bytes{10, 1, 0, 0, 10, 0, 3, 1}));
  EXPECT_EQ(wire(55, "1,3,6"), (Bytes{1, 3, 6}));
  EXPECT_EQ(wire(25, "68,1500"), (Bytes{0, 68, 0x05, 0xdc}));
  EXPECT_EQ(wire(12, "web"), bytes_of("web"));
  EXPECT_EQ(wire(61, "01:02:be:00:00:00:01"), (Bytes{1, 2, 0xbe, 0, 0, 0, 1}));
  EXPECT_EQ(wire(81, "web.berth"), (Bytes{dhcp4::ClientFqdn::kFlagE, 0, 0, 3, 'w', 'e', 'b', 5, 'b',
                                          'e', 'r', 't', 'h', 0}));
  // Domain search is written uncompressed.
  EXPECT_EQ(wire(119, "a.b,c.b"), (Bytes{1, 'a', 1, 'b', 0, 1, 'c', 1, 'b', 0}));
  // Unknown codes are binary.
  EXPECT_EQ(wire(200, "de:ad"), (Bytes{0xde, 0xad}));
  EXPECT_EQ(format_option_value(kDhcp4, 200, Bytes{0xde, 0xad}), "de:ad");
}

TEST(OptionValue, Dhcp6WireEncodings) {
  auto wire = [](uint16_t code, std::string_view text) {
    auto r = parse_option_value(kDhcp6, code, text);
    EXPECT_TRUE(r) << code << " " << text;
    return r ? *r : Bytes{};
  };
  EXPECT_EQ(wire(14, ""), Bytes{});
  EXPECT_EQ(wire(7, "255"), Bytes{255});
  EXPECT_EQ(wire(8, "300"), (Bytes{0x01, 0x2c}));
  EXPECT_EQ(wire(82, "3600"), (Bytes{0, 0, 0x0e, 0x10}));
  EXPECT_EQ(wire(6, "23,24"), (Bytes{0, 23, 0, 24}));
  EXPECT_EQ(wire(6, ""), Bytes{});  // an empty option request
  EXPECT_EQ(wire(12, "fd42::1"), (Bytes{0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  Bytes two{0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  two.insert(two.end(), {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  EXPECT_EQ(wire(23, "FD42::1, fe80::2"), two);
  EXPECT_EQ(format_option_value(kDhcp6, 23, two), "fd42::1,fe80::2");
  EXPECT_EQ(wire(1, "00:01:00:01"), (Bytes{0, 1, 0, 1}));
  // RFC 4704 §4: one flags byte, then the name; no RCODEs, no E flag.
  EXPECT_EQ(wire(39, "web.berth"), (Bytes{0, 3, 'w', 'e', 'b', 5, 'b', 'e', 'r', 't', 'h', 0}));
  EXPECT_EQ(wire(24, "a.b,c.b"), (Bytes{1, 'a', 1, 'b', 0, 1, 'c', 1, 'b', 0}));
  EXPECT_EQ(wire(21, "sip.example"),
            (Bytes{3, 's', 'i', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}));
  // Unknown codes, above 255 too, are binary.
  EXPECT_EQ(wire(300, "de:ad"), (Bytes{0xde, 0xad}));
  EXPECT_EQ(format_option_value(kDhcp6, 300, Bytes{0xde, 0xad}), "de:ad");
}

TEST(OptionValue, Dhcp6ParseRejectsBadText) {
  struct Bad {
    uint16_t code;
    std::string_view text;
  };
  for (const Bad& b : {
           Bad{23, ""},
           Bad{23, "198.18.0.1"},
           Bad{23, "fe80::1%eth0"},
           Bad{23, "fd42::1,"},
           Bad{23, "fd42::1 fd42::2"},
           Bad{12, "fd42::1,fd42::2"},  // one address only
           Bad{12, ""},
           Bad{7, "256"},
           Bad{8, "65536"},
           Bad{14, "x"},
           Bad{6, "1,65536"},
           Bad{1, "00:01"},  // a DUID is at least three bytes
           Bad{1, "zz"},
           Bad{39, ""},
           Bad{39, "a..b"},
           Bad{24, ""},
           Bad{24, "ok,"},
       }) {
    auto r = parse_option_value(kDhcp6, b.code, b.text);
    EXPECT_FALSE(r) << b.code << " '" << b.text << "'";
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::malformed);
    }
  }
  std::string long_duid = "00";
  for (int i = 0; i < 130; ++i) long_duid += ":01";  // 131 bytes
  EXPECT_FALSE(parse_option_value(kDhcp6, 1, long_duid));
  EXPECT_TRUE(parse_option_value(kDhcp6, 1, long_duid.substr(3)));
}

TEST(OptionValue, ParseRejectsBadText) {
  struct Bad {
    uint8_t code;
    std::string_view text;
  };
  for (const Bad& b : {
           Bad{80, "x"},
           Bad{23, "256"},
           Bad{23, "-1"},
           Bad{23, "+1"},
           Bad{23, ""},
           Bad{23, "1x"},
           Bad{26, "65536"},
           Bad{51, "4294967296"},
           Bad{51, "0x10"},
           Bad{19, "yes"},
           Bad{19, "1"},
           Bad{1, "10.0.3"},
           Bad{1, "10.0.3.1,10.0.3.2"},  // one address only
           Bad{1, ""},
           Bad{3, ""},
           Bad{3, "10.0.3.1,"},
           Bad{33, "10.0.0.1"},  // odd number of addresses in a pair list
           Bad{55, ""},
           Bad{55, "1,256"},
           Bad{25, "1,70000"},
           Bad{12, ""},
           Bad{61, "zz"},
           Bad{61, "01"},  // client identifier is at least two bytes
           Bad{81, ""},
           Bad{81, "a..b"},
           Bad{81, "."},
           Bad{119, "a..b"},
           Bad{119, "ok,"},
           Bad{119, ""},
       }) {
    auto r = parse_option_value(kDhcp4, b.code, b.text);
    EXPECT_FALSE(r) << int(b.code) << " '" << b.text << "'";
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::malformed);
    }
  }
  const std::string long_label(64, 'a');
  EXPECT_FALSE(parse_option_value(kDhcp4, 119, long_label));
  EXPECT_TRUE(parse_option_value(kDhcp4, 119, long_label.substr(1)));
  // A whole name is at most 255 bytes on the wire.
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += (i ? "." : "") + std::string(60, 'x');
  EXPECT_FALSE(parse_option_value(kDhcp4, 119, long_name));
}

TEST(OptionValue, FormatFallsBackToHexForInvalidValues) {
  EXPECT_EQ(format_option_value(kDhcp4, 1, Bytes{10, 0, 3}), "0a:00:03");
  EXPECT_EQ(format_option_value(kDhcp4, 3, Bytes{10, 0, 3, 1, 2}), "0a:00:03:01:02");
  EXPECT_EQ(format_option_value(kDhcp4, 19, Bytes{2}), "02");
  EXPECT_EQ(format_option_value(kDhcp4, 80, Bytes{1}), "01");
  EXPECT_EQ(format_option_value(kDhcp4, 119, Bytes{5, 'a'}), "05:61");
  EXPECT_EQ(format_option_value(kDhcp4, 81, Bytes{4, 0}), "04:00");
  EXPECT_EQ(format_option_value(kDhcp6, 12, Bytes(15)), to_hex_colon(Bytes(15)));
  EXPECT_EQ(format_option_value(kDhcp6, 23, Bytes(24)), to_hex_colon(Bytes(24)));
  EXPECT_EQ(format_option_value(kDhcp6, 7, Bytes{1, 2}), "01:02");
  EXPECT_EQ(format_option_value(kDhcp6, 39, Bytes{1}), "01");  // no name to print
  EXPECT_EQ(format_option_value(kDhcp6, 1, Bytes{0, 1}), "00:01");
}

TEST(OptionValue, ValidLengthRules) {
  EXPECT_TRUE(valid_option_value(kDhcp4, 1, Bytes(4)));
  EXPECT_FALSE(valid_option_value(kDhcp4, 1, Bytes(3)));
  EXPECT_FALSE(valid_option_value(kDhcp4, 1, Bytes(5)));
  EXPECT_FALSE(valid_option_value(kDhcp4, 3, Bytes{}));
  EXPECT_FALSE(valid_option_value(kDhcp4, 3, Bytes(6)));
  EXPECT_TRUE(valid_option_value(kDhcp4, 3, Bytes(8)));
  EXPECT_TRUE(valid_option_value(kDhcp4, 3, Bytes(400)));  // RFC 3396 lets lists run past 255
  EXPECT_FALSE(valid_option_value(kDhcp4, 21, Bytes(12)));
  EXPECT_TRUE(valid_option_value(kDhcp4, 21, Bytes(16)));
  EXPECT_FALSE(valid_option_value(kDhcp4, 25, Bytes(3)));
  EXPECT_TRUE(valid_option_value(kDhcp4, 68, Bytes{}));  // no home agents
  EXPECT_TRUE(valid_option_value(kDhcp4, 80, Bytes{}));
  EXPECT_FALSE(valid_option_value(kDhcp4, 80, Bytes(1)));
  EXPECT_FALSE(valid_option_value(kDhcp4, 53, Bytes(2)));
  EXPECT_FALSE(valid_option_value(kDhcp4, 12, Bytes{}));
  EXPECT_FALSE(valid_option_value(kDhcp4, 61, Bytes(1)));
  EXPECT_TRUE(valid_option_value(kDhcp4, 61, Bytes(2)));
  EXPECT_FALSE(valid_option_value(kDhcp4, 81, Bytes(2)));
  EXPECT_FALSE(valid_option_value(kDhcp4, 94, Bytes(4)));
  // Unknown codes are opaque.
  EXPECT_TRUE(valid_option_value(kDhcp4, 200, Bytes{}));
  EXPECT_TRUE(valid_option_value(kDhcp4, 200, Bytes(300)));
  EXPECT_TRUE(valid_option_value(kDhcp4, 200, Bytes(70000)));  // RFC 3396 has no bound

  EXPECT_TRUE(valid_option_value(kDhcp6, 23, Bytes(16)));
  EXPECT_TRUE(valid_option_value(kDhcp6, 23, Bytes(48)));
  EXPECT_FALSE(valid_option_value(kDhcp6, 23, Bytes{}));
  EXPECT_FALSE(valid_option_value(kDhcp6, 23, Bytes(24)));
  EXPECT_TRUE(valid_option_value(kDhcp6, 12, Bytes(16)));
  EXPECT_FALSE(valid_option_value(kDhcp6, 12, Bytes(32)));
  EXPECT_TRUE(valid_option_value(kDhcp6, 6, Bytes{}));
  EXPECT_FALSE(valid_option_value(kDhcp6, 6, Bytes(3)));
  EXPECT_FALSE(valid_option_value(kDhcp6, 3, Bytes(11)));
  EXPECT_TRUE(valid_option_value(kDhcp6, 3, Bytes(12)));
  EXPECT_FALSE(valid_option_value(kDhcp6, 26, Bytes(24)));
  EXPECT_TRUE(valid_option_value(kDhcp6, 26, Bytes(25)));
  EXPECT_FALSE(valid_option_value(kDhcp6, 13, Bytes(1)));
  EXPECT_TRUE(valid_option_value(kDhcp6, 13, Bytes(2)));
  EXPECT_FALSE(valid_option_value(kDhcp6, 39, Bytes{}));
  EXPECT_TRUE(valid_option_value(kDhcp6, 39, Bytes(1)));
  // A DHCPv6 value stops at the 16-bit option-len, known code or not.
  EXPECT_TRUE(valid_option_value(kDhcp6, 23, Bytes(65520)));
  EXPECT_FALSE(valid_option_value(kDhcp6, 23, Bytes(65536)));
  EXPECT_TRUE(valid_option_value(kDhcp6, 300, Bytes(65535)));
  EXPECT_FALSE(valid_option_value(kDhcp6, 300, Bytes(65536)));
  EXPECT_TRUE(valid_option_value(kDhcp6, 300, Bytes{}));
}

TEST(Dhcp4DomainSearch, DecodesRfc3397Example) {
  // RFC 3397 §3: "eng.apple.com." and "marketing.apple.com.", the second
  // compressed against the first.
  const Bytes v{3, 'e', 'n', 'g', 5,   'a', 'p', 'p', 'l', 'e', 3,   'c',  'o', 'm',
                0, 9,   'm', 'a', 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 0x04};
  EXPECT_EQ(format_option_value(kDhcp4, dhcp4::opt::domain_search, v),
            "eng.apple.com,marketing.apple.com");
}

TEST(Dhcp4DomainSearch, FollowsChainedPointers) {
  // "org" at 0, "example.org" at 5 pointing to 0, "a.example.org" pointing to 5.
  const Bytes v{3,   'o', 'r', 'g',  0, 7, 'e', 'x',  'a', 'm',
                'p', 'l', 'e', 0xc0, 0, 1, 'a', 0xc0, 5};
  EXPECT_EQ(format_option_value(kDhcp4, dhcp4::opt::domain_search, v),
            "org,example.org,a.example.org");
}

TEST(Dhcp4DomainSearch, RejectsLoopsAndBadPointers) {
  const std::vector<Bytes> bad{
      {0xc0, 0x00},                     // points at itself
      {0xc0, 0x02, 1, 'a', 0},          // forward
      {1, 'a', 0xc0, 0x00},             // back into its own name: a loop
      {1, 'a', 0, 1, 'b', 0xc0, 0x03},  // second name points into itself
      {1, 'a', 0, 0xc0},                // pointer cut short
      {1, 'a', 0, 0x80, 0},             // reserved label type
      {3, 'a', 'b'},                    // label past end
      {1, 'a'},                         // no root label
      {0},                              // empty name
      {1, 'a', 0, 0},                   // empty second name
      {1, ',', 0},                      // would not print back
  };
  for (const Bytes& v : bad) {
    // An undecodable list prints as hex, never as names.
    EXPECT_EQ(format_option_value(kDhcp4, dhcp4::opt::domain_search, v), to_hex_colon(v))
        << to_hex_colon(v);
  }
}

TEST(Dhcp6DomainSearch, RefusesCompression) {
  // RFC 8415 §10: names in DHCPv6 options are never compressed, so the
  // RFC 3397 example that DHCPv4 reads is not a DHCPv6 domain list.
  const Bytes compressed{3, 'e', 'n', 'g', 5,   'a', 'p', 'p', 'l', 'e', 3,   'c',  'o', 'm',
                         0, 9,   'm', 'a', 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 0x04};
  EXPECT_EQ(format_option_value(kDhcp4, 119, compressed), "eng.apple.com,marketing.apple.com");
  for (uint16_t code : {21, 24}) {
    EXPECT_EQ(format_option_value(kDhcp6, code, compressed), to_hex_colon(compressed));
  }
  // The same names written out in full read alike in both spaces, and
  // parse back to the same bytes in either.
  auto full = parse_option_value(kDhcp6, 24, "eng.apple.com,marketing.apple.com");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->size(), 15u + 21u);
  EXPECT_EQ(format_option_value(kDhcp6, 24, *full), "eng.apple.com,marketing.apple.com");
  EXPECT_EQ(format_option_value(kDhcp4, 119, *full), "eng.apple.com,marketing.apple.com");
  EXPECT_EQ(parse_option_value(kDhcp4, 119, "eng.apple.com,marketing.apple.com").value(), *full);
  for (const Bytes& bad :
       std::vector<Bytes>{{1, 'a'}, {0}, {1, 'a', 0, 0}, {1, ',', 0}, {0xc0, 0}}) {
    EXPECT_EQ(format_option_value(kDhcp6, 24, bad), to_hex_colon(bad)) << to_hex_colon(bad);
  }
}

TEST(Dhcp6ClientFqdn, FormatsTheName) {
  // RFC 4704 §4: flags, then a name in wire format, maybe partial.
  EXPECT_EQ(
      format_option_value(kDhcp6, 39, Bytes{0x01, 3, 'w', 'e', 'b', 5, 'b', 'e', 'r', 't', 'h', 0}),
      "web.berth");
  EXPECT_EQ(format_option_value(kDhcp6, 39, Bytes{0x00, 3, 'w', 'e', 'b'}), "web");
  // Not the DHCPv4 layout: there the same bytes hold RCODEs and no name.
  EXPECT_EQ(format_option_value(kDhcp4, 81, Bytes{0x04, 3, 'w', 'e', 'b'}), "04:03:77:65:62");
  for (const Bytes& bad : std::vector<Bytes>{
           {0x00, 1, 'a', 0xc0, 1},   // no compression
           {0x00, 4, 'w', 'e', 'b'},  // label past end
           {0x00, 1, 'a', 0, 1},      // bytes after the root label
       }) {
    EXPECT_EQ(format_option_value(kDhcp6, 39, bad), to_hex_colon(bad)) << to_hex_colon(bad);
  }
}
}  // namespace
}  // namespace berth
