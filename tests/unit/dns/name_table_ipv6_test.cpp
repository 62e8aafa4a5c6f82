// NameTable with IPv6: AAAA records, ip6.arpa PTRs and reverse zones, the
// sources served over IPv6, and clashes settled per family.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "dns/name_table.hpp"
#include "tests/unit/dns/name_table_test_util.hpp"

namespace berth::dns {
namespace {

using test::a_of;
using test::aaaa_of;
using test::ask;

Ipv4Address ip4(const char* s) { return *Ipv4Address::parse(s); }
Ipv6Address ip6(const char* s) { return *Ipv6Address::parse(s); }

// The reverse zone of fd42:1:2:3::/64.
constexpr const char* kZone6 = "3.0.0.0.2.0.0.0.1.0.0.0.2.4.d.f.ip6.arpa";

// br0 has both families, br1 only IPv4. web has an A (DHCPv4 lease) and an
// AAAA (DHCPv6 lease), v4only and v6only one family each.
NameTableSpec spec6() {
  NameTableSpec s;
  s.bridges = {{.name = "br0",
                .address = *Ipv4Prefix::parse("198.18.0.1/24"),
                .domain = "lab",
                .ipv6 = *Ipv6Prefix::parse("fd42:1:2:3::1/64")},
               {.name = "br1", .address = *Ipv4Prefix::parse("198.18.1.1/24"), .domain = "other"}};
  s.host_name = "myhost";
  s.local_ttl = 7;
  s.names = {{0, "web", ip4("198.18.0.10"), false},
             {0, "web", ip6("fd42:1:2:3::10"), false},
             {0, "v4only", ip4("198.18.0.11"), false},
             {0, "v6only", ip6("fd42:1:2:3::11"), false},
             {0, "db", ip6("fd42:1:2:3::50"), true}};
  s.statics.cnames = {{"www.lab", "web.lab"}};
  return s;
}

std::string ptr_of(const test::Reply& r) {
  if (r.msg.answers.size() != 1 || r.msg.answers[0].type != dns::type::PTR) return "?";
  return std::get<dns::Name>(r.msg.answers[0].rdata).to_text();
}

TEST(DnsNamesIpv6, AaaaForClientsGatewayAndHost) {
  auto t = NameTable::build(spec6(), nullptr, nullptr);
  auto r = ask(*t, "V6Only.lab", dns::type::AAAA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->msg.header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(r->msg.header.aa);
  EXPECT_EQ(aaaa_of(r->msg), std::vector<std::string>{"fd42:1:2:3::11"});
  EXPECT_EQ(r->msg.answers.at(0).name.to_text(), "V6Only.lab");  // owner as asked
  EXPECT_EQ(r->msg.answers.at(0).ttl, 7u);
  // The short name, in the domain of the bridge asked on.
  EXPECT_EQ(aaaa_of(ask(*t, "v6only", dns::type::AAAA, 0)->msg),
            std::vector<std::string>{"fd42:1:2:3::11"});
  EXPECT_EQ(aaaa_of(ask(*t, "db", dns::type::AAAA)->msg),
            std::vector<std::string>{"fd42:1:2:3::50"});
  // The bridge's own names have its IPv6 address too.
  for (const char* name : {"_gateway.lab", "myhost.lab", "_gateway", "MYHOST"}) {
    auto g = ask(*t, name, dns::type::AAAA);
    ASSERT_TRUE(g) << name;
    EXPECT_EQ(aaaa_of(g->msg), std::vector<std::string>{"fd42:1:2:3::1"}) << name;
    EXPECT_EQ(a_of(ask(*t, name, dns::type::A)->msg), std::vector<std::string>{"198.18.0.1"})
        << name;
  }
  EXPECT_EQ(t->addresses6("_gateway.lab", 0), std::vector<Ipv6Address>{ip6("fd42:1:2:3::1")});
  EXPECT_EQ(t->addresses6("v6only", 0), std::vector<Ipv6Address>{ip6("fd42:1:2:3::11")});
  EXPECT_TRUE(t->addresses("v6only", 0).empty());
}

TEST(DnsNamesIpv6, ANameWithBothFamilies) {
  auto t = NameTable::build(spec6(), nullptr, nullptr);
  auto a = ask(*t, "web.lab", dns::type::A);
  EXPECT_EQ(a_of(a->msg), std::vector<std::string>{"198.18.0.10"});
  EXPECT_TRUE(aaaa_of(a->msg).empty());
  auto aaaa = ask(*t, "web.lab", dns::type::AAAA);
  EXPECT_EQ(aaaa_of(aaaa->msg), std::vector<std::string>{"fd42:1:2:3::10"});
  EXPECT_TRUE(a_of(aaaa->msg).empty());
  EXPECT_EQ(t->addresses("web.lab", 0), std::vector<Ipv4Address>{ip4("198.18.0.10")});
  EXPECT_EQ(t->addresses6("web.lab", 0), std::vector<Ipv6Address>{ip6("fd42:1:2:3::10")});
  // ANY: one RRset (RFC 8482), the A set first.
  auto any = ask(*t, "web.lab", dns::type::ANY);
  ASSERT_EQ(any->msg.answers.size(), 1u);
  EXPECT_EQ(any->msg.answers[0].type, dns::type::A);
  auto v6any = ask(*t, "v6only.lab", dns::type::ANY);
  ASSERT_EQ(v6any->msg.answers.size(), 1u);
  EXPECT_EQ(v6any->msg.answers[0].type, dns::type::AAAA);
}

TEST(DnsNamesIpv6, OtherFamilyOnlyIsNodata) {
  auto t = NameTable::build(spec6(), nullptr, nullptr);
  struct Case {
    const char* name;
    uint16_t type;
    size_t bridge;
  };
  for (const Case& c : {Case{"v4only.lab", dns::type::AAAA, 0}, Case{"v6only.lab", dns::type::A, 0},
                        Case{"db", dns::type::A, 0},
                        // br1 has no IPv6: its own names have no AAAA.
                        Case{"_gateway", dns::type::AAAA, 1}, Case{"myhost", dns::type::AAAA, 1}}) {
    auto r = ask(*t, c.name, c.type, c.bridge);
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->msg.header.rcode, dns::rcode::NOERROR) << c.name;
    EXPECT_TRUE(r->msg.answers.empty()) << c.name;
    ASSERT_EQ(r->msg.authority.size(), 1u) << c.name;
    EXPECT_EQ(r->msg.authority[0].type, dns::type::SOA) << c.name;
  }
  // And a name nobody has is NXDOMAIN for AAAA as for A.
  auto nx = ask(*t, "nobody.lab", dns::type::AAAA);
  EXPECT_EQ(nx->msg.header.rcode, dns::rcode::NXDOMAIN);
  EXPECT_EQ(nx->msg.authority.at(0).name.to_text(), "lab");
}

TEST(DnsNamesIpv6, PtrInIp6Arpa) {
  auto t = NameTable::build(spec6(), nullptr, nullptr);
  auto web = ask(*t, reverse_name(ip6("fd42:1:2:3::10")).to_text(), dns::type::PTR);
  ASSERT_TRUE(web);
  EXPECT_EQ(ptr_of(*web), "web.lab");
  EXPECT_TRUE(web->msg.header.aa);
  // The bridge's own address names the host, as in in-addr.arpa.
  auto self = ask(*t, reverse_name(ip6("fd42:1:2:3::1")).to_text(), dns::type::PTR);
  ASSERT_TRUE(self);
  EXPECT_EQ(ptr_of(*self), "myhost.lab");
  // Hex nibbles in upper case are the same name.
  std::string upper = reverse_name(ip6("fd42:1:2:3::50")).to_text();
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto db = ask(*t, upper, dns::type::PTR);
  ASSERT_TRUE(db);
  EXPECT_EQ(ptr_of(*db), "db.lab");
  // An address in the prefix without a name: NXDOMAIN with the zone's SOA.
  auto none = ask(*t, reverse_name(ip6("fd42:1:2:3::99")).to_text(), dns::type::PTR);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->msg.header.rcode, dns::rcode::NXDOMAIN);
  ASSERT_EQ(none->msg.authority.size(), 1u);
  EXPECT_EQ(none->msg.authority[0].name.to_text(), kZone6);
  // The zone's apex answers SOA (its primary named in the zone, as the
  // in-addr.arpa zones do).
  auto apex = ask(*t, kZone6, dns::type::SOA);
  ASSERT_EQ(apex->msg.answers.size(), 1u);
  EXPECT_EQ(apex->msg.answers[0].type, dns::type::SOA);
  EXPECT_EQ(std::get<dns::Soa>(apex->msg.answers[0].rdata).mname.to_text(),
            std::string("myhost.") + kZone6);
  // Outside the prefix: not ours, forwarded.
  EXPECT_FALSE(ask(*t, reverse_name(ip6("fd42:1:2:4::10")).to_text(), dns::type::PTR));
  EXPECT_FALSE(ask(*t, reverse_name(ip6("2001:db8::1")).to_text(), dns::type::PTR));
  // A PTR query of an A name, and an AAAA query of a reverse name: NODATA.
  auto nodata = ask(*t, reverse_name(ip6("fd42:1:2:3::10")).to_text(), dns::type::AAAA);
  EXPECT_EQ(nodata->msg.header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(nodata->msg.answers.empty());
  EXPECT_EQ(nodata->msg.authority.at(0).name.to_text(), kZone6);
}

// Between the /64 zone and an address's 32 nibbles lie names that hold
// nothing themselves: NODATA above a PTR, NXDOMAIN elsewhere in the zone.
TEST(DnsNamesIpv6, ReverseNamesBetweenZoneAndAddress) {
  auto t = NameTable::build(spec6(), nullptr, nullptr);
  const std::string full = reverse_name(ip6("fd42:1:2:3::10")).to_text();
  // Strip nibbles off the left: "0.1.0.0..." is above ::10 and ::11.
  for (size_t strip : {1u, 2u, 8u, 15u}) {
    std::string name = full.substr(strip * 2);
    auto r = ask(*t, name, dns::type::PTR);
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->msg.header.rcode, dns::rcode::NOERROR) << name;
    EXPECT_TRUE(r->msg.answers.empty()) << name;
    EXPECT_EQ(r->msg.authority.at(0).name.to_text(), kZone6) << name;
  }
  // "2.<...>" with the rest of ::10's upper nibbles: nobody has ::2x.
  auto empty = ask(*t, "2." + full.substr(4), dns::type::PTR);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->msg.header.rcode, dns::rcode::NXDOMAIN);
  EXPECT_EQ(empty->msg.authority.at(0).name.to_text(), kZone6);
  // Nibble f after all: nothing past the last address.
  auto high = ask(*t, std::string("f.") + kZone6, dns::type::PTR);
  EXPECT_EQ(high->msg.header.rcode, dns::rcode::NXDOMAIN);
  // Not a nibble, but inside our zone: ours to deny.
  auto junk = ask(*t, std::string("xy.") + kZone6, dns::type::PTR);
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->msg.header.rcode, dns::rcode::NXDOMAIN);
  // Above the zone: not ours.
  EXPECT_FALSE(ask(*t, "2.4.d.f.ip6.arpa", dns::type::PTR));
}

TEST(DnsNamesIpv6, ServesSourcesInServedPrefixes) {
  NameTableSpec s = spec6();
  s.bridges.push_back({.name = "br2",
                       .address = *Ipv4Prefix::parse("198.18.2.1/24"),
                       .domain = "gone",
                       .serving = false,
                       .ipv6 = *Ipv6Prefix::parse("fd42:9::1/64")});
  auto t = NameTable::build(s, nullptr, nullptr);
  EXPECT_TRUE(t->serves(ip6("fd42:1:2:3::1234")));
  EXPECT_TRUE(t->serves(ip6("fd42:1:2:3::1")));
  EXPECT_FALSE(t->serves(ip6("fd42:1:2:4::1234")));
  EXPECT_FALSE(t->serves(ip6("fe80::1")));            // link-local: see the header
  EXPECT_FALSE(t->serves(ip6("fd42:9::5")));          // a bridge no longer served
  EXPECT_FALSE(t->serves(ip6("::ffff:198.18.0.5")));  // v4-mapped is not IPv4
  EXPECT_FALSE(t->serves(Ipv6Address::loopback()));
  EXPECT_TRUE(t->serves(ip4("198.18.0.5")));
  EXPECT_TRUE(t->serves(ip4("198.18.1.5")));
  EXPECT_FALSE(t->serves(ip4("198.18.2.5")));
  // The unserved bridge has no reverse zone either.
  EXPECT_FALSE(ask(*t, reverse_name(ip6("fd42:9::5")).to_text(), dns::type::PTR));
}

TEST(DnsNamesIpv6, ClashesPerFamily) {
  NameTableSpec s = spec6();
  // "db" is reserved for an IPv6 address: a dynamic IPv6 client loses it, a
  // dynamic IPv4 client does not (it is another family).
  s.names.push_back({0, "db", ip6("fd42:1:2:3::60"), false});
  s.names.push_back({0, "db", ip4("198.18.0.60"), false});
  // Two dynamic IPv6 clients want "app": the lowest address gets it, and
  // an IPv4 client has the A meanwhile.
  s.names.push_back({0, "app", ip6("fd42:1:2:3::31"), false});
  s.names.push_back({0, "app", ip6("fd42:1:2:3::30"), false});
  s.names.push_back({0, "app", ip4("198.18.0.30"), false});
  // The bridge's own names win in both families.
  s.names.push_back({0, "_gateway", ip6("fd42:1:2:3::40"), false});
  s.names.push_back({1, "myhost", ip6("fd42:1:2:3::41"), false});
  std::vector<std::string> clashes;
  auto t = NameTable::build(s, nullptr, &clashes);
  EXPECT_EQ(t->addresses6("db.lab", 0), std::vector<Ipv6Address>{ip6("fd42:1:2:3::50")});
  EXPECT_EQ(t->addresses("db.lab", 0), std::vector<Ipv4Address>{ip4("198.18.0.60")});
  EXPECT_EQ(t->addresses6("app.lab", 0), std::vector<Ipv6Address>{ip6("fd42:1:2:3::30")});
  EXPECT_EQ(t->addresses("app.lab", 0), std::vector<Ipv4Address>{ip4("198.18.0.30")});
  EXPECT_EQ(t->addresses6("_gateway.lab", 0), std::vector<Ipv6Address>{ip6("fd42:1:2:3::1")});
  EXPECT_TRUE(t->addresses6("myhost", 1).empty());
  ASSERT_EQ(clashes.size(), 4u);
  EXPECT_NE(std::find(clashes.begin(), clashes.end(),
                      "br0: name db of fd42:1:2:3::60 (lease) is not served: reservation "
                      "fd42:1:2:3::50 has it"),
            clashes.end());
  // A loser's address has no PTR.
  EXPECT_EQ(
      ask(*t, reverse_name(ip6("fd42:1:2:3::31")).to_text(), dns::type::PTR)->msg.header.rcode,
      dns::rcode::NXDOMAIN);

  // The IPv6 holder keeps "app" though a lower address now wants it, and
  // whatever happens to the IPv4 one.
  NameTableSpec s2 = s;
  s2.names.push_back({0, "app", ip6("fd42:1:2:3::29"), false});
  s2.names.push_back({0, "app", ip4("198.18.0.29"), false});
  auto t2 = NameTable::build(s2, t.get(), nullptr);
  EXPECT_EQ(t2->addresses6("app.lab", 0), std::vector<Ipv6Address>{ip6("fd42:1:2:3::30")});
  EXPECT_EQ(t2->addresses("app.lab", 0), std::vector<Ipv4Address>{ip4("198.18.0.30")});
  NameTableSpec s3 = s2;
  std::erase_if(s3.names, [](const NamedAddress& n) { return n.ip == ip4("198.18.0.30"); });
  auto t3 = NameTable::build(s3, t2.get(), nullptr);
  EXPECT_EQ(t3->addresses6("app.lab", 0), std::vector<Ipv6Address>{ip6("fd42:1:2:3::30")});
  EXPECT_EQ(t3->addresses("app.lab", 0), std::vector<Ipv4Address>{ip4("198.18.0.29")});
}

TEST(DnsNamesIpv6, AliasFollowsToTheFamilyAsked) {
  auto t = NameTable::build(spec6(), nullptr, nullptr);
  auto aaaa = ask(*t, "www.lab", dns::type::AAAA);
  ASSERT_EQ(aaaa->msg.answers.size(), 2u);
  EXPECT_EQ(aaaa->msg.answers[0].type, dns::type::CNAME);
  EXPECT_EQ(aaaa->msg.answers[1].name.to_text(), "web.lab");
  EXPECT_EQ(aaaa_of(aaaa->msg), std::vector<std::string>{"fd42:1:2:3::10"});
  auto a = ask(*t, "www.lab", dns::type::A);
  ASSERT_EQ(a->msg.answers.size(), 2u);
  EXPECT_EQ(a_of(a->msg), std::vector<std::string>{"198.18.0.10"});
  // The CNAME alone for other types.
  EXPECT_EQ(ask(*t, "www.lab", dns::type::CNAME)->msg.answers.size(), 1u);
  EXPECT_EQ(ask(*t, "www.lab", dns::type::TXT)->msg.answers.size(), 1u);
  // An alias of an IPv4-only name: the CNAME alone for AAAA.
  NameTableSpec s = spec6();
  s.statics.cnames.push_back({"old.lab", "v4only.lab"});
  auto t2 = NameTable::build(s, nullptr, nullptr);
  auto only = ask(*t2, "old.lab", dns::type::AAAA);
  ASSERT_EQ(only->msg.answers.size(), 1u);
  EXPECT_EQ(only->msg.answers[0].type, dns::type::CNAME);
  EXPECT_TRUE(t2->addresses6("old.lab", 0).empty());
  EXPECT_TRUE(t2->addresses("www.lab", 0).empty());
}

TEST(DnsNamesIpv6, ReverseNames) {
  EXPECT_EQ(reverse_name(ip6("2001:db8::567:89ab")).to_text(),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  const auto round = address_of_reverse_name6(reverse_name(ip6("fd42:1:2:3::abcd")));
  EXPECT_EQ(round, ip6("fd42:1:2:3::abcd"));
  EXPECT_EQ(address_of_reverse_name6(*dns::Name::from_text(
                "B.A.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.IP6.ARPA")),
            ip6("2001:db8::567:89ab"));
  // 31 nibbles, a two-digit label, a non-hex label, another root.
  EXPECT_FALSE(address_of_reverse_name6(*dns::Name::from_text(
      "a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")));
  EXPECT_FALSE(address_of_reverse_name6(*dns::Name::from_text(
      "ba.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")));
  EXPECT_FALSE(address_of_reverse_name6(*dns::Name::from_text(
      "g.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")));
  EXPECT_FALSE(address_of_reverse_name6(*dns::Name::from_text(
      "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.int")));
}

}  // namespace
}  // namespace berth::dns
