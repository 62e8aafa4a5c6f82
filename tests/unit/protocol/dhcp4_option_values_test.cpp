// Routes (RFC 3442), search lists (RFC 3397), typed values and class
// matching: the pure encoders of protocol/dhcp4/option_values.cpp.
#include "protocol/dhcp4/option_values.hpp"

#include <gtest/gtest.h>

#include "protocol/dhcp4/message.hpp"
#include "protocol/option_domain.hpp"

namespace berth::dhcp4 {
namespace {

StaticRoute route(const char* text) {
  auto r = parse_static_route(text);
  EXPECT_TRUE(r.ok()) << text;
  return *r;
}

TEST(StaticRoutes, ParseAndFormatRoundTrip) {
  StaticRoute r = route("10.8.0.0/16 via 198.18.0.254");
  EXPECT_EQ(r.destination.length, 16);
  EXPECT_EQ(r.gateway.to_string(), "198.18.0.254");
  EXPECT_EQ(format_static_route(r), "10.8.0.0/16 via 198.18.0.254");
  EXPECT_FALSE(parse_static_route("10.8.0.1/16 via 198.18.0.254").ok());  // host bits
  EXPECT_FALSE(parse_static_route("10.8.0.0/16 198.18.0.254").ok());
  EXPECT_FALSE(parse_static_route("10.8.0.0/33 via 198.18.0.254").ok());
  EXPECT_FALSE(parse_static_route("10.8.0.0/16 via router").ok());
  EXPECT_FALSE(parse_static_route("").ok());
}

TEST(StaticRoutes, EncodesOnlySignificantOctetsAsRfc3442Example) {
  // RFC 3442 §2 examples: 0/0 -> 0; 10.0.0.0/8 -> 8.10; 10.17.0.0/16 ->
  // 16.10.17; 10.229.0.128/25 -> 25.10.229.0.128.
  std::vector<StaticRoute> routes = {
      route("0.0.0.0/0 via 198.18.0.1"), route("10.0.0.0/8 via 198.18.0.2"),
      route("10.17.0.0/16 via 198.18.0.3"), route("10.229.0.128/25 via 198.18.0.4")};
  Bytes want = {0,   198, 18, 0, 1,  8,  10,  198, 18,  0,   2,  16, 10, 17,
                198, 18,  0,  3, 25, 10, 229, 0,   128, 198, 18, 0,  4};
  EXPECT_EQ(encode_classless_routes(routes), want);
}

TEST(DomainSearch, CompressesSharedSuffixesAsRfc3397Example) {
  // RFC 3397 §3: "eng.apple.com." and "marketing.apple.com.".
  std::vector<std::string> names = {"eng.apple.com", "marketing.apple.com"};
  auto wire = encode_domain_search(names);
  ASSERT_TRUE(wire.ok());
  Bytes want = {3, 'e', 'n', 'g', 5,   'a', 'p', 'p', 'l', 'e', 3,   'c',  'o', 'm',
                0, 9,   'm', 'a', 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 4};
  EXPECT_EQ(*wire, want);
  auto back = decode_domain_list(*wire, /*allow_pointers=*/true);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, names);
}

TEST(DomainSearch, RepeatedAndUnrelatedNamesDecodeBack) {
  std::vector<std::string> names = {"berth", "corp.example", "lab.corp.example", "berth"};
  auto wire = encode_domain_search(names);
  ASSERT_TRUE(wire.ok());
  // "berth" again is one pointer; lab.corp.example is "lab" plus a pointer.
  EXPECT_EQ(wire->size(), size_t{7 + 14 + 6 + 2});
  auto back = decode_domain_list(*wire, true);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, names);
}

TEST(DomainSearch, RefusesEmptyAndBadNames) {
  EXPECT_FALSE(encode_domain_search({}).ok());
  std::vector<std::string> bad = {"a..b"};
  EXPECT_FALSE(encode_domain_search(bad).ok());
  std::vector<std::string> long_label = {std::string(64, 'a') + ".example"};
  EXPECT_FALSE(encode_domain_search(long_label).ok());
}

TEST(DomainSearch, LongListsSplitIntoSeveralInstancesAndJoinBack) {
  std::vector<std::string> names;
  for (int i = 0; i < 30; ++i) names.push_back("host" + std::to_string(i) + "-x.example.org");
  auto wire = encode_domain_search(names);
  ASSERT_TRUE(wire.ok());
  ASSERT_GT(wire->size(), 255u);
  Message m;
  m.op = Op::reply;
  m.set_type(MessageType::ack);
  m.options.set(opt::domain_search, *wire);
  Bytes buf(1500);
  auto n = encode_message(m, buf, 1500);
  ASSERT_TRUE(n.ok());
  auto parsed = parse_message(ByteView(buf).first(*n));
  ASSERT_TRUE(parsed.ok());
  ASSERT_NE(parsed->options.get(opt::domain_search), nullptr);
  EXPECT_EQ(*parsed->options.get(opt::domain_search), *wire);
}

TEST(TypedValues, EachTypeParsesAndFormatsBack) {
  struct Case {
    ValueType type;
    const char* text;
    Bytes wire;
  };
  const Case cases[] = {
      {ValueType::ip, "198.18.0.9", {198, 18, 0, 9}},
      {ValueType::ips, "198.18.0.9,198.18.0.10", {198, 18, 0, 9, 198, 18, 0, 10}},
      {ValueType::string, "hello", {'h', 'e', 'l', 'l', 'o'}},
      {ValueType::u8, "200", {200}},
      {ValueType::u16, "1500", {0x05, 0xdc}},
      {ValueType::u32, "4294967295", {0xff, 0xff, 0xff, 0xff}},
      {ValueType::boolean, "true", {1}},
      {ValueType::hex, "01:02:0a", {1, 2, 10}},
  };
  for (const Case& c : cases) {
    auto wire = parse_typed_value(c.type, c.text);
    ASSERT_TRUE(wire.ok()) << c.text;
    EXPECT_EQ(*wire, c.wire) << c.text;
    EXPECT_EQ(format_typed_value(c.type, *wire), c.text);
  }
  EXPECT_EQ(*parse_typed_value(ValueType::hex, "01020A"), (Bytes{1, 2, 10}));
  EXPECT_EQ(*parse_typed_value(ValueType::ips, " 198.18.0.9 , 198.18.0.10 "),
            (Bytes{198, 18, 0, 9, 198, 18, 0, 10}));
}

TEST(TypedValues, RefusesOutOfRangeMalformedEmptyAndTooLong) {
  EXPECT_FALSE(parse_typed_value(ValueType::u8, "256").ok());
  EXPECT_FALSE(parse_typed_value(ValueType::u16, "65536").ok());
  EXPECT_FALSE(parse_typed_value(ValueType::u32, "-1").ok());
  EXPECT_FALSE(parse_typed_value(ValueType::ip, "198.18.0").ok());
  EXPECT_FALSE(parse_typed_value(ValueType::ips, "198.18.0.1,").ok());
  EXPECT_FALSE(parse_typed_value(ValueType::boolean, "yes").ok());
  EXPECT_FALSE(parse_typed_value(ValueType::hex, "0g").ok());
  EXPECT_FALSE(parse_typed_value(ValueType::hex, "012").ok());
  EXPECT_FALSE(parse_typed_value(ValueType::string, "").ok());
  EXPECT_TRUE(parse_typed_value(ValueType::string, std::string(1024, 'x')).ok());
  EXPECT_FALSE(parse_typed_value(ValueType::string, std::string(1025, 'x')).ok());
}

TEST(ReservedOptions, ManagedCodesRefusedOverridableAllowed) {
  for (uint8_t code : {0, 1, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 80, 81, 82, 255}) {
    EXPECT_TRUE(reserved_option_problem(code).has_value()) << int(code);
  }
  for (uint8_t code : {3, 6, 15, 26, 42, 43, 66, 67, 119, 121, 249}) {
    EXPECT_FALSE(reserved_option_problem(code).has_value()) << int(code);
  }
}

TEST(ConfiguredOptionLine, ParsesFormatsAndReadsBack) {
  auto o = parse_configured_option("43:hex:01:04:c6:12:00:01");
  ASSERT_TRUE(o.ok()) << o.error().what;
  EXPECT_EQ(o->code, 43);
  EXPECT_EQ(o->type, ValueType::hex);
  EXPECT_EQ(o->value, (Bytes{1, 4, 0xc6, 0x12, 0, 1}));
  EXPECT_FALSE(o->always);

  auto f = parse_configured_option("force:66:string:boot:lab");  // the value keeps its ':'
  ASSERT_TRUE(f.ok()) << f.error().what;
  EXPECT_TRUE(f->always);
  EXPECT_EQ(f->code, 66);
  EXPECT_EQ(std::string(f->value.begin(), f->value.end()), "boot:lab");

  for (const char* line : {"43:hex:01:04:c6:12:00:01", "force:66:string:boot:lab",
                           "42:ips:198.18.0.1,198.18.0.2", "26:u16:1400", "19:bool:true"}) {
    auto a = parse_configured_option(line);
    ASSERT_TRUE(a.ok()) << line << ": " << a.error().what;
    auto b = parse_configured_option(format_configured_option(*a));
    ASSERT_TRUE(b.ok()) << format_configured_option(*a);
    EXPECT_EQ(*a, *b) << line;
  }
}

TEST(ConfiguredOptionLine, RefusesReservedCodesBadTypesAndValues) {
  for (const char* line : {"", "43", "43:hex", "0:u8:1", "255:u8:1", "256:u8:1", "x:u8:1",
                           "53:u8:1", "51:u32:60", "43:float:1", "43:hex:zz", "26:u16:70000",
                           "3:ip:not-an-ip", "43:string:", "force:", "force:53:u8:1"}) {
    EXPECT_FALSE(parse_configured_option(line).ok()) << line;
  }
  auto reserved = parse_configured_option("54:ip:198.18.0.1");
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(reserved.error().code, Errc::unsupported);
}

TEST(ClassMatching, VendorPrefixUserClassEntriesAndArchList) {
  const Bytes pxe = {'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't'};
  Bytes sent = pxe;
  for (char c : std::string(":Arch:00007")) sent.push_back(static_cast<uint8_t>(c));
  EXPECT_TRUE(class_matches(ClassMatch::vendor_class, pxe, &sent));
  Bytes other = {'M', 'S', 'F', 'T'};
  EXPECT_FALSE(class_matches(ClassMatch::vendor_class, pxe, &other));
  EXPECT_FALSE(class_matches(ClassMatch::vendor_class, pxe, nullptr));

  const Bytes ipxe = {'i', 'P', 'X', 'E'};
  Bytes raw = ipxe;
  EXPECT_TRUE(class_matches(ClassMatch::user_class, ipxe, &raw));
  Bytes rfc3004 = {3, 'a', 'b', 'c', 4, 'i', 'P', 'X', 'E'};
  EXPECT_TRUE(class_matches(ClassMatch::user_class, ipxe, &rfc3004));
  Bytes broken = {9, 'i', 'P'};
  EXPECT_FALSE(class_matches(ClassMatch::user_class, ipxe, &broken));

  const Bytes efi = {0, 7};
  Bytes archs = {0, 0, 0, 7};
  EXPECT_TRUE(class_matches(ClassMatch::arch, efi, &archs));
  Bytes bios = {0, 0};
  EXPECT_FALSE(class_matches(ClassMatch::arch, efi, &bios));
  Bytes odd = {0};
  EXPECT_FALSE(class_matches(ClassMatch::arch, efi, &odd));
}

}  // namespace
}  // namespace berth::dhcp4
