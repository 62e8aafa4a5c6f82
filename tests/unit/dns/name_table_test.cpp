#include "dns/name_table.hpp"

#include <gtest/gtest.h>

#include <array>
#include <variant>

#include "tests/unit/dns/name_table_test_util.hpp"

namespace berth::dns {
namespace {

using test::a_of;
using test::ask;

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

NameTableSpec spec() {
  NameTableSpec s;
  s.bridges = {{"br0", *Ipv4Prefix::parse("198.18.0.1/24"), "lab"},
               {"br1", *Ipv4Prefix::parse("198.18.1.1/24"), "other"}};
  s.host_name = "myhost";
  s.local_ttl = 7;
  s.names = {{0, "web", ip("198.18.0.10"), false},
             {0, "db", ip("198.18.0.11"), true},
             {1, "web", ip("198.18.1.10"), false}};
  s.statics.hosts = {{"ext.example.net", ip("198.19.0.1")}};
  s.statics.cnames = {{"www.lab", "web.lab"}};
  s.statics.srvs = {{"_http._tcp.web.lab", "web.lab", 80, 1, 2}};
  s.statics.txts = {{"info.lab", {"hello", std::string(300, 'x')}}};
  return s;
}

TEST(DnsNames, ShortAndFullNamesWithQuestionCase) {
  auto t = NameTable::build(spec(), nullptr, nullptr);
  auto r = ask(*t, "WeB.Lab", dns::type::A);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->msg.header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(r->msg.header.aa);
  EXPECT_TRUE(r->msg.header.qr);
  EXPECT_EQ(r->msg.header.id, 0x1234);
  EXPECT_EQ(a_of(r->msg), std::vector<std::string>{"198.18.0.10"});
  EXPECT_EQ(r->msg.answers[0].name.to_text(), "WeB.Lab");  // owner as asked
  EXPECT_EQ(r->msg.answers[0].ttl, 7u);
  // The short name is looked up in the domain of the bridge asked on.
  EXPECT_EQ(a_of(ask(*t, "web", dns::type::A, 0)->msg), std::vector<std::string>{"198.18.0.10"});
  EXPECT_EQ(a_of(ask(*t, "web", dns::type::A, 1)->msg), std::vector<std::string>{"198.18.1.10"});
  EXPECT_EQ(a_of(ask(*t, "db", dns::type::A)->msg), std::vector<std::string>{"198.18.0.11"});
}

TEST(DnsNames, GatewayHostNameAndPtr) {
  auto t = NameTable::build(spec(), nullptr, nullptr);
  EXPECT_EQ(a_of(ask(*t, "_gateway.lab", dns::type::A)->msg),
            std::vector<std::string>{"198.18.0.1"});
  EXPECT_EQ(a_of(ask(*t, "myhost", dns::type::A, 1)->msg), std::vector<std::string>{"198.18.1.1"});
  auto p = ask(*t, "10.0.18.198.in-addr.arpa", dns::type::PTR);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->msg.answers.size(), 1u);
  EXPECT_EQ(std::get<dns::Name>(p->msg.answers[0].rdata).to_text(), "web.lab");
  auto self = ask(*t, "1.0.18.198.in-addr.arpa", dns::type::PTR);
  EXPECT_EQ(std::get<dns::Name>(self->msg.answers.at(0).rdata).to_text(), "myhost.lab");
  // Outside the subnets: not ours, except a static host's address.
  EXPECT_FALSE(ask(*t, "1.1.1.1.in-addr.arpa", dns::type::PTR));
  auto ext = ask(*t, "1.0.19.198.in-addr.arpa", dns::type::PTR);
  ASSERT_TRUE(ext);
  EXPECT_EQ(std::get<dns::Name>(ext->msg.answers.at(0).rdata).to_text(), "ext.example.net");
  // In a subnet without a name: NXDOMAIN with the reverse zone's SOA.
  auto none = ask(*t, "99.0.18.198.in-addr.arpa", dns::type::PTR);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->msg.header.rcode, dns::rcode::NXDOMAIN);
  ASSERT_EQ(none->msg.authority.size(), 1u);
  EXPECT_EQ(none->msg.authority[0].name.to_text(), "0.18.198.in-addr.arpa");
}

TEST(DnsNames, NegativeAnswersCarryTheZoneSoa) {
  auto t = NameTable::build(spec(), nullptr, nullptr);
  auto nx = ask(*t, "nobody.lab", dns::type::A);
  ASSERT_TRUE(nx);
  EXPECT_EQ(nx->msg.header.rcode, dns::rcode::NXDOMAIN);
  EXPECT_TRUE(nx->msg.header.aa);
  ASSERT_EQ(nx->msg.authority.size(), 1u);
  EXPECT_EQ(nx->msg.authority[0].type, dns::type::SOA);
  EXPECT_EQ(nx->msg.authority[0].name.to_text(), "lab");
  const auto& soa = std::get<dns::Soa>(nx->msg.authority[0].rdata);
  EXPECT_EQ(soa.mname.to_text(), "myhost.lab");
  EXPECT_EQ(soa.minimum, 7u);
  auto nodata = ask(*t, "web.lab", dns::type::AAAA);
  EXPECT_EQ(nodata->msg.header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(nodata->msg.answers.empty());
  EXPECT_EQ(nodata->msg.authority.size(), 1u);
  // An empty non-terminal is NODATA, not NXDOMAIN.
  auto ent = ask(*t, "_tcp.web.lab", dns::type::A);
  EXPECT_EQ(ent->msg.header.rcode, dns::rcode::NOERROR);
  // A single label that no bridge knows: NXDOMAIN, never forwarded.
  auto single = ask(*t, "nosuchhost", dns::type::A);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->msg.header.rcode, dns::rcode::NXDOMAIN);
  // The apex answers SOA.
  auto apex = ask(*t, "LAB", dns::type::SOA);
  ASSERT_EQ(apex->msg.answers.size(), 1u);
  EXPECT_EQ(apex->msg.answers[0].name.to_text(), "LAB");
  // Names outside our zones are forwarded.
  EXPECT_FALSE(ask(*t, "example.com", dns::type::A));
  EXPECT_FALSE(ask(*t, "other.example.net", dns::type::A));
}

TEST(DnsNames, StaticRecords) {
  auto t = NameTable::build(spec(), nullptr, nullptr);
  auto c = ask(*t, "www.lab", dns::type::A);
  ASSERT_EQ(c->msg.answers.size(), 2u);
  EXPECT_EQ(c->msg.answers[0].type, dns::type::CNAME);
  EXPECT_EQ(std::get<dns::Name>(c->msg.answers[0].rdata).to_text(), "web.lab");
  EXPECT_EQ(c->msg.answers[1].name.to_text(), "web.lab");
  EXPECT_EQ(a_of(c->msg), std::vector<std::string>{"198.18.0.10"});
  auto srv = ask(*t, "_http._tcp.web.lab", dns::type::SRV);
  ASSERT_EQ(srv->msg.answers.size(), 1u);
  const auto& s = std::get<dns::Srv>(srv->msg.answers[0].rdata);
  EXPECT_EQ(s.port, 80);
  EXPECT_EQ(s.priority, 1);
  EXPECT_EQ(s.weight, 2);
  auto txt = ask(*t, "info.lab", dns::type::TXT, 0, true);
  ASSERT_EQ(txt->msg.answers.size(), 1u);
  const auto& raw = std::get<dns::RawRdata>(txt->msg.answers[0].rdata);
  EXPECT_EQ(raw.size(), 1u + 5 + 1 + 255 + 1 + 45);  // 300 bytes split as 255 + 45
  EXPECT_TRUE(txt->msg.edns.has_value());
  auto ext = ask(*t, "ext.example.net", dns::type::A);
  EXPECT_EQ(a_of(ext->msg), std::vector<std::string>{"198.19.0.1"});
  // ANY: one RRset (RFC 8482).
  auto any = ask(*t, "web.lab", dns::type::ANY);
  EXPECT_EQ(any->msg.answers.size(), 1u);
}

TEST(DnsNames, TruncatesWhatDoesNotFit) {
  NameTableSpec s = spec();
  s.statics.txts = {{"big.lab", {std::string(1000, 'y')}}};
  auto t = NameTable::build(s, nullptr, nullptr);
  auto udp = ask(*t, "big.lab", dns::type::TXT, 0, false, 512);
  ASSERT_TRUE(udp);
  EXPECT_TRUE(udp->msg.header.tc);
  EXPECT_TRUE(udp->msg.answers.empty());
  EXPECT_LE(udp->size, 512u);
  auto tcp = ask(*t, "big.lab", dns::type::TXT, 0, false, 65535);
  EXPECT_FALSE(tcp->msg.header.tc);
  EXPECT_EQ(tcp->msg.answers.size(), 1u);
}

TEST(DnsNames, ClashRules) {
  NameTableSpec s = spec();
  // A dynamic client asks for the reserved name "db", and two dynamic
  // clients both want "app".
  s.names.push_back({0, "db", ip("198.18.0.20"), false});
  s.names.push_back({0, "app", ip("198.18.0.31"), false});
  s.names.push_back({0, "app", ip("198.18.0.30"), false});
  s.names.push_back({0, "_gateway", ip("198.18.0.40"), false});
  std::vector<std::string> clashes;
  auto t = NameTable::build(s, nullptr, &clashes);
  EXPECT_EQ(t->addresses("db.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.11")});
  EXPECT_EQ(t->addresses("app.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.30")});
  EXPECT_EQ(t->addresses("_gateway.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.1")});
  EXPECT_EQ(clashes.size(), 3u);
  // The holder keeps the name in the next snapshot even though another
  // client with a lower address now claims it.
  NameTableSpec s2 = s;
  s2.names.push_back({0, "app", ip("198.18.0.29"), false});
  auto t2 = NameTable::build(s2, t.get(), nullptr);
  EXPECT_EQ(t2->addresses("app.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.30")});
  // Once it lets go, the next claimant gets it.
  NameTableSpec s3 = s2;
  std::erase_if(s3.names, [](const NamedAddress& n) { return n.ip == ip("198.18.0.30"); });
  auto t3 = NameTable::build(s3, t2.get(), nullptr);
  EXPECT_EQ(t3->addresses("app.lab", 0), std::vector<Ipv4Address>{ip("198.18.0.29")});
}

// Most reverse names hold only their PTR and are kept apart from the other
// names; one that holds more, or that a CNAME wants, is still one name.
TEST(DnsNames, ReverseNamesWithOtherRecords) {
  NameTableSpec s = spec();
  s.bridges.push_back({"br2", *Ipv4Prefix::parse("198.20.0.1/16"), "wide"});
  s.names.push_back({2, "far", ip("198.20.7.9"), false});
  s.statics.txts.push_back({"10.0.18.198.in-addr.arpa", {"note"}});
  s.statics.cnames.push_back({"11.0.18.198.in-addr.arpa", "web.lab"});
  std::vector<std::string> clashes;
  auto t = NameTable::build(s, nullptr, &clashes);
  auto ptr = ask(*t, "10.0.18.198.in-addr.arpa", dns::type::PTR);
  ASSERT_EQ(ptr->msg.answers.size(), 1u);
  EXPECT_EQ(std::get<dns::Name>(ptr->msg.answers[0].rdata).to_text(), "web.lab");
  EXPECT_EQ(ask(*t, "10.0.18.198.in-addr.arpa", dns::type::TXT)->msg.answers.size(), 1u);
  // 198.18.0.11 is db's: its reverse name has a PTR, so no CNAME.
  ASSERT_EQ(clashes.size(), 1u);
  EXPECT_EQ(clashes[0].rfind("cname 11.0.18.198.in-addr.arpa", 0), 0u);
  auto db = ask(*t, "11.0.18.198.IN-ADDR.ARPA", dns::type::PTR);
  EXPECT_EQ(std::get<dns::Name>(db->msg.answers.at(0).rdata).to_text(), "db.lab");
  auto nodata = ask(*t, "11.0.18.198.in-addr.arpa", dns::type::A);
  EXPECT_EQ(nodata->msg.header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(nodata->msg.answers.empty());
  ASSERT_EQ(nodata->msg.authority.size(), 1u);
  EXPECT_EQ(nodata->msg.authority[0].name.to_text(), "0.18.198.in-addr.arpa");
  // In a /16, 7.20.198.in-addr.arpa lies between the zone and 9.7.20.198:
  // NODATA, not forwarded.
  auto far = ask(*t, "9.7.20.198.in-addr.arpa", dns::type::PTR, 2);
  EXPECT_EQ(std::get<dns::Name>(far->msg.answers.at(0).rdata).to_text(), "far.wide");
  auto ent = ask(*t, "7.20.198.in-addr.arpa", dns::type::PTR);
  ASSERT_TRUE(ent);
  EXPECT_EQ(ent->msg.header.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(ent->msg.answers.empty());
  EXPECT_EQ(ent->msg.authority.at(0).name.to_text(), "20.198.in-addr.arpa");
}

TEST(DnsNames, ReverseNames) {
  EXPECT_EQ(reverse_name(ip("10.0.3.5")).to_text(), "5.3.0.10.in-addr.arpa");
  EXPECT_EQ(address_of_reverse_name(*dns::Name::from_text("5.3.0.10.IN-ADDR.ARPA")),
            ip("10.0.3.5"));
  EXPECT_FALSE(address_of_reverse_name(*dns::Name::from_text("05.3.0.10.in-addr.arpa")));
  EXPECT_FALSE(address_of_reverse_name(*dns::Name::from_text("256.3.0.10.in-addr.arpa")));
  EXPECT_FALSE(address_of_reverse_name(*dns::Name::from_text("3.0.10.in-addr.arpa")));
  EXPECT_FALSE(address_of_reverse_name(*dns::Name::from_text("a.3.0.10.in-addr.arpa")));
}

}  // namespace
}  // namespace berth::dns
