#include "protocol/dhcp4/options.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

namespace berth::dhcp4 {
namespace {

constexpr std::array kAllTypes = {
    OptionType::empty,   OptionType::u8,          OptionType::u16,       OptionType::u32,
    OptionType::boolean, OptionType::ipv4,        OptionType::ipv4_list, OptionType::ipv4_pairs,
    OptionType::u8_list, OptionType::u16_list,    OptionType::text,      OptionType::binary,
    OptionType::fqdn,    OptionType::domain_list,
};

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
    case OptionType::u8_list:
      return {"1", "1,3,6,12,15,28,42,255"};
    case OptionType::u16_list:
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

TEST(OptionTable, SortedUniqueAndWellFormed) {
  auto table = option_table();
  ASSERT_GE(table.size(), 80u);
  std::set<std::string_view> names;
  for (size_t i = 0; i < table.size(); ++i) {
    const OptionDef& d = table[i];
    if (i > 0) {
      EXPECT_LT(table[i - 1].code, d.code) << d.name;
    }
    EXPECT_NE(d.code, opt::pad);
    EXPECT_NE(d.code, opt::end);
    EXPECT_TRUE(names.insert(d.name).second) << "duplicate name " << d.name;
    EXPECT_LE(d.min_length, d.max_length) << d.name;
    EXPECT_FALSE(d.name.empty());
    for (char c : d.name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << d.name;
    }
  }
  // RFC 2132 options 1..76 are all there.
  for (int code = 1; code <= 76; ++code)
    EXPECT_NE(find_option(static_cast<uint8_t>(code)), nullptr);
  // Every wire type is used by some option, so the round trips below cover them all.
  for (OptionType t : kAllTypes) {
    const bool used =
        std::any_of(table.begin(), table.end(), [t](const OptionDef& d) { return d.type == t; });
    EXPECT_TRUE(used) << to_string(t);
  }
}

TEST(OptionTable, FindByNameAndCode) {
  struct Want {
    uint8_t code;
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
    const OptionDef* by_code = find_option(w.code);
    ASSERT_NE(by_code, nullptr) << int(w.code);
    EXPECT_EQ(by_code->name, w.name);
    EXPECT_EQ(by_code->type, w.type) << w.name;
    EXPECT_EQ(find_option(w.name), by_code) << w.name;
  }
  EXPECT_EQ(find_option(uint8_t{0}), nullptr);
  EXPECT_EQ(find_option(uint8_t{255}), nullptr);
  EXPECT_EQ(find_option(uint8_t{200}), nullptr);
  EXPECT_EQ(find_option("no-such-option"), nullptr);
  EXPECT_EQ(find_option("Routers"), nullptr);
  EXPECT_EQ(find_option(std::string_view()), nullptr);
}

TEST(OptionValue, TextRoundTripForEveryOption) {
  for (const OptionDef& def : option_table()) {
    for (const std::string& text : samples_for(def)) {
      auto bytes = parse_option_value(def.code, text);
      ASSERT_TRUE(bytes) << def.name << " '" << text << "': " << bytes.error().what;
      EXPECT_TRUE(valid_option_value(def.code, *bytes)) << def.name;
      EXPECT_EQ(format_option_value(def.code, *bytes), text) << def.name;
      // And bytes -> text -> bytes.
      auto again = parse_option_value(def.code, format_option_value(def.code, *bytes));
      ASSERT_TRUE(again) << def.name;
      EXPECT_EQ(*again, *bytes) << def.name;
    }
  }
}

TEST(OptionValue, WireEncodingsPerType) {
  auto wire = [](uint8_t code, std::string_view text) {
    auto r = parse_option_value(code, text);
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
  EXPECT_EQ(wire(81, "web.berth"),
            (Bytes{ClientFqdn::kFlagE, 0, 0, 3, 'w', 'e', 'b', 5, 'b', 'e', 'r', 't', 'h', 0}));
  // Domain search is written uncompressed.
  EXPECT_EQ(wire(119, "a.b,c.b"), (Bytes{1, 'a', 1, 'b', 0, 1, 'c', 1, 'b', 0}));
  // Unknown codes are binary.
  EXPECT_EQ(wire(200, "de:ad"), (Bytes{0xde, 0xad}));
  EXPECT_EQ(format_option_value(200, Bytes{0xde, 0xad}), "de:ad");
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
    auto r = parse_option_value(b.code, b.text);
    EXPECT_FALSE(r) << int(b.code) << " '" << b.text << "'";
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::malformed);
    }
  }
  const std::string long_label(64, 'a');
  EXPECT_FALSE(parse_option_value(119, long_label));
  EXPECT_TRUE(parse_option_value(119, long_label.substr(1)));
  // A whole name is at most 255 bytes on the wire.
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += (i ? "." : "") + std::string(60, 'x');
  EXPECT_FALSE(parse_option_value(119, long_name));
}

TEST(OptionValue, FormatFallsBackToHexForInvalidValues) {
  EXPECT_EQ(format_option_value(1, Bytes{10, 0, 3}), "0a:00:03");
  EXPECT_EQ(format_option_value(3, Bytes{10, 0, 3, 1, 2}), "0a:00:03:01:02");
  EXPECT_EQ(format_option_value(19, Bytes{2}), "02");
  EXPECT_EQ(format_option_value(80, Bytes{1}), "01");
  EXPECT_EQ(format_option_value(119, Bytes{5, 'a'}), "05:61");
  EXPECT_EQ(format_option_value(81, Bytes{4, 0}), "04:00");
}

TEST(OptionValue, ValidLengthRules) {
  EXPECT_TRUE(valid_option_value(1, Bytes(4)));
  EXPECT_FALSE(valid_option_value(1, Bytes(3)));
  EXPECT_FALSE(valid_option_value(1, Bytes(5)));
  EXPECT_FALSE(valid_option_value(3, Bytes{}));
  EXPECT_FALSE(valid_option_value(3, Bytes(6)));
  EXPECT_TRUE(valid_option_value(3, Bytes(8)));
  EXPECT_TRUE(valid_option_value(3, Bytes(400)));  // RFC 3396 lets lists run past 255
  EXPECT_FALSE(valid_option_value(21, Bytes(12)));
  EXPECT_TRUE(valid_option_value(21, Bytes(16)));
  EXPECT_FALSE(valid_option_value(25, Bytes(3)));
  EXPECT_TRUE(valid_option_value(68, Bytes{}));  // no home agents
  EXPECT_TRUE(valid_option_value(80, Bytes{}));
  EXPECT_FALSE(valid_option_value(80, Bytes(1)));
  EXPECT_FALSE(valid_option_value(53, Bytes(2)));
  EXPECT_FALSE(valid_option_value(12, Bytes{}));
  EXPECT_FALSE(valid_option_value(61, Bytes(1)));
  EXPECT_TRUE(valid_option_value(61, Bytes(2)));
  EXPECT_FALSE(valid_option_value(81, Bytes(2)));
  EXPECT_FALSE(valid_option_value(94, Bytes(4)));
  // Unknown codes are opaque.
  EXPECT_TRUE(valid_option_value(200, Bytes{}));
  EXPECT_TRUE(valid_option_value(200, Bytes(300)));
}

TEST(OptionList, SetGetAppendEraseKeepOrder) {
  OptionList l;
  EXPECT_TRUE(l.empty());
  l.set(12, bytes_of("web"));
  l.set_u8(53, 1);
  l.set(12, bytes_of("db"));  // replaces in place
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l.entries()[0].first, 12);
  EXPECT_EQ(*l.get(12), bytes_of("db"));
  l.append(12, bytes_of("01"));
  EXPECT_EQ(*l.get_text(12), "db01");
  l.append(55, Bytes{1, 3});
  EXPECT_EQ(l.entries().back().first, 55);
  l.erase(12);
  EXPECT_FALSE(l.has(12));
  EXPECT_EQ(l.get(12), nullptr);
  EXPECT_EQ(l.size(), 2u);
  l.erase(99);  // absent: no effect
  EXPECT_EQ(l.size(), 2u);
  l.clear();
  EXPECT_TRUE(l.empty());
}

TEST(OptionList, TypedSettersAndGetters) {
  OptionList l;
  l.set_u8(53, 5);
  l.set_u16(57, 1472);
  l.set_u32(51, 86400);
  l.set_ipv4(54, *Ipv4Address::parse("198.18.0.1"));
  const std::vector<Ipv4Address> dns{*Ipv4Address::parse("10.0.3.1"),
                                     *Ipv4Address::parse("10.0.3.2")};
  l.set_ipv4_list(6, dns);
  l.set_text(12, "web");
  EXPECT_EQ(l.get_u8(53), 5);
  EXPECT_EQ(l.get_u16(57), 1472);
  EXPECT_EQ(l.get_u32(51), 86400u);
  EXPECT_EQ(l.get_ipv4(54), Ipv4Address::parse("198.18.0.1"));
  EXPECT_EQ(l.get_ipv4_list(6), dns);
  EXPECT_EQ(l.get_text(12), "web");
  EXPECT_EQ(*l.get(57), (Bytes{0x05, 0xc0}));
  EXPECT_EQ(*l.get(51), (Bytes{0, 1, 0x51, 0x80}));

  // Wrong lengths and missing codes give nullopt.
  EXPECT_FALSE(l.get_u8(57));
  EXPECT_FALSE(l.get_u16(53));
  EXPECT_TRUE(l.get_u32(54));  // any four bytes read as a u32
  EXPECT_FALSE(l.get_ipv4(6));
  EXPECT_FALSE(l.get_ipv4_list(57));
  EXPECT_FALSE(l.get_u8(99));
  EXPECT_FALSE(l.get_text(99));
  l.set(3, Bytes{});
  EXPECT_FALSE(l.get_ipv4_list(3));
  EXPECT_EQ(l.get_text(3), "");

  // Typed values match their text forms.
  EXPECT_EQ(format_option_value(57, *l.get(57)), "1472");
  EXPECT_EQ(format_option_value(6, *l.get(6)), "10.0.3.1,10.0.3.2");
  EXPECT_EQ(format_option_value(54, *l.get(54)), "198.18.0.1");
}

TEST(OptionList, Equality) {
  OptionList a;
  OptionList b;
  a.set_u8(53, 1);
  a.set_text(12, "x");
  b.set_text(12, "x");
  b.set_u8(53, 1);
  EXPECT_NE(a, b);  // order is part of the list
  b.erase(12);
  b.set_text(12, "x");
  EXPECT_EQ(a, b);
}

TEST(DomainSearch, DecodesRfc3397Example) {
  // RFC 3397 §3: "eng.apple.com." and "marketing.apple.com.", the second
  // compressed against the first.
  const Bytes v{3, 'e', 'n', 'g', 5,   'a', 'p', 'p', 'l', 'e', 3,   'c',  'o', 'm',
                0, 9,   'm', 'a', 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 0x04};
  EXPECT_EQ(format_option_value(opt::domain_search, v), "eng.apple.com,marketing.apple.com");
}

TEST(DomainSearch, FollowsChainedPointers) {
  // "org" at 0, "example.org" at 5 pointing to 0, "a.example.org" pointing to 5.
  const Bytes v{3,   'o', 'r', 'g',  0, 7, 'e', 'x',  'a', 'm',
                'p', 'l', 'e', 0xc0, 0, 1, 'a', 0xc0, 5};
  EXPECT_EQ(format_option_value(opt::domain_search, v), "org,example.org,a.example.org");
}

TEST(DomainSearch, RejectsLoopsAndBadPointers) {
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
    EXPECT_EQ(format_option_value(opt::domain_search, v), to_hex_colon(v)) << to_hex_colon(v);
  }
}

TEST(ClientFqdn, ParsesWireEncoding) {
  const Bytes v{0x05, 0, 0, 3, 'w', 'e', 'b', 5, 'b', 'e', 'r', 't', 'h', 0};
  auto f = parse_client_fqdn(v);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->flags, ClientFqdn::kFlagS | ClientFqdn::kFlagE);
  EXPECT_EQ(f->name, "web.berth");

  // A partial name has no root label (RFC 4702 §2.3.1).
  auto partial = parse_client_fqdn(Bytes{ClientFqdn::kFlagE, 0, 0, 3, 'w', 'e', 'b'});
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->name, "web");

  auto none = parse_client_fqdn(Bytes{ClientFqdn::kFlagE | ClientFqdn::kFlagN, 255, 255});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->name, "");
  EXPECT_EQ(none->rcode1, 255);
  EXPECT_EQ(none->rcode2, 255);
}

TEST(ClientFqdn, ParsesAsciiEncoding) {
  const Bytes v{ClientFqdn::kFlagS, 0, 0, 'w', 'e', 'b', '.', 'b', 'e', 'r', 't', 'h', '.', 0};
  auto f = parse_client_fqdn(v);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->flags, ClientFqdn::kFlagS);
  EXPECT_EQ(f->name, "web.berth");
}

TEST(ClientFqdn, RejectsBadWireNames) {
  const std::vector<Bytes> bad{
      {ClientFqdn::kFlagE, 0},                       // shorter than 3
      {ClientFqdn::kFlagE, 0, 0, 4, 'w', 'e', 'b'},  // label past end
      {ClientFqdn::kFlagE, 0, 0, 1, 'a', 0xc0, 3},   // compression not allowed
      {ClientFqdn::kFlagE, 0, 0, 1, 'a', 0, 1},      // bytes after the root label
      {ClientFqdn::kFlagE, 0, 0, 1, '.', 0},         // a dot inside a label
  };
  for (const Bytes& v : bad) EXPECT_FALSE(parse_client_fqdn(v)) << to_hex_colon(v);
}

TEST(ClientFqdn, EncodeRoundTrip) {
  ClientFqdn in{.flags = ClientFqdn::kFlagS | ClientFqdn::kFlagO,
                .rcode1 = 255,
                .rcode2 = 255,
                .name = "web.berth.example"};
  const Bytes wire = encode_client_fqdn(in);
  EXPECT_EQ(wire[0], ClientFqdn::kFlagS | ClientFqdn::kFlagO | ClientFqdn::kFlagE);
  EXPECT_EQ(wire.back(), 0);  // fully qualified
  auto out = parse_client_fqdn(wire);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->flags, wire[0]);
  EXPECT_EQ(out->rcode1, 255);
  EXPECT_EQ(out->rcode2, 255);
  EXPECT_EQ(out->name, in.name);

  EXPECT_EQ(encode_client_fqdn(ClientFqdn{}), (Bytes{ClientFqdn::kFlagE, 0, 0}));
  // Empty labels are skipped and long labels cut, so the result always parses.
  auto odd =
      parse_client_fqdn(encode_client_fqdn(ClientFqdn{.name = "a.." + std::string(70, 'x') + "."}));
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->name, "a." + std::string(63, 'x'));
}

}  // namespace
}  // namespace berth::dhcp4
