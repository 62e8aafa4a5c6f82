// Names: text and wire forms, comparisons, and the 63/255-byte limits.
#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

#include "protocol/dns/name.hpp"

namespace berth::dns {
namespace {

Name name(std::string_view text) {
  auto n = Name::from_text(text);
  EXPECT_TRUE(n) << text;
  return n ? *n : Name();
}

Bytes wire_of(const Name& n) { return Bytes(n.wire().begin(), n.wire().end()); }

TEST(DnsName, DefaultIsRoot) {
  Name root;
  EXPECT_TRUE(root.is_root());
  EXPECT_EQ(root.wire_size(), 1u);
  EXPECT_EQ(root.label_count(), 0u);
  EXPECT_EQ(root.to_text(), ".");
}

TEST(DnsName, FromTextWithAndWithoutTrailingDot) {
  const Bytes expected{3, 'w', 'e', 'b', 5, 'b', 'e', 'r', 't', 'h', 0};
  EXPECT_EQ(wire_of(name("web.berth")), expected);
  EXPECT_EQ(wire_of(name("web.berth.")), expected);
  EXPECT_EQ(wire_of(name("web")), (Bytes{3, 'w', 'e', 'b', 0}));
  EXPECT_TRUE(name(".").is_root());
  EXPECT_EQ(name("web.berth.").to_text(), "web.berth");
}

TEST(DnsName, FromTextRefusesEmptyLabels) {
  for (std::string_view bad : {"", "..", "a..b", ".a", "a..", ".a.", "a.b.."}) {
    auto n = Name::from_text(bad);
    ASSERT_FALSE(n) << bad;
    EXPECT_EQ(n.error().code, Errc::malformed);
  }
}

TEST(DnsName, FromTextKeepsCase) {
  const Name n = name("WeB.BeRtH");
  EXPECT_EQ(n.to_text(), "WeB.BeRtH");
  EXPECT_EQ(n.label(0), "WeB");
  EXPECT_EQ(n.label(1), "BeRtH");
}

TEST(DnsName, LabelOf63AcceptedAnd64Refused) {
  const std::string l63(63, 'a');
  EXPECT_TRUE(Name::from_text(l63 + ".berth"));
  EXPECT_FALSE(Name::from_text(l63 + "a.berth"));
  EXPECT_TRUE(name("berth").prepend(l63));
  EXPECT_FALSE(name("berth").prepend(l63 + "a"));
}

TEST(DnsName, NameOf255AcceptedAnd256Refused) {
  const std::string l63(63, 'x');
  // 3 * (1 + 63) + (1 + 61) + 1 = 255 bytes in wire form.
  const std::string max = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'y');
  auto n = Name::from_text(max);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->wire_size(), 255u);
  EXPECT_EQ(n->to_text(), max);
  EXPECT_FALSE(Name::from_text(max + "y"));
  EXPECT_FALSE(Name::from_text("a." + max));
  // prepend() and from_wire() keep the same limit.
  auto shorter = Name::from_text(l63 + "." + l63 + "." + l63 + "." + std::string(59, 'y'));
  ASSERT_TRUE(shorter);
  EXPECT_TRUE(shorter->prepend("a"));
  EXPECT_FALSE(shorter->prepend("ab"));
  Bytes too_long = wire_of(*n);
  too_long.insert(too_long.begin(), {1, 'a'});
  EXPECT_FALSE(Name::from_wire(too_long));
}

TEST(DnsName, FromWireChecksLengths) {
  EXPECT_TRUE(Name::from_wire(Bytes{3, 'w', 'e', 'b', 0}));
  EXPECT_TRUE(Name::from_wire(Bytes{0}));
  EXPECT_FALSE(Name::from_wire(Bytes{}));
  EXPECT_FALSE(Name::from_wire(Bytes{3, 'w', 'e', 'b'}));        // no root label
  EXPECT_FALSE(Name::from_wire(Bytes{4, 'w', 'e', 'b', 0}));     // label past end
  EXPECT_FALSE(Name::from_wire(Bytes{3, 'w', 'e', 'b', 0, 0}));  // bytes after root
  EXPECT_FALSE(Name::from_wire(Bytes{0xC0, 0x0C}));              // pointer
  EXPECT_FALSE(Name::from_wire(Bytes{0x40, 'a', 0}));            // extended label
  EXPECT_FALSE(Name::from_wire(Bytes{0x80, 'a', 0}));            // reserved label type
  Bytes l64(66, 'a');
  l64[0] = 64;
  l64[65] = 0;
  EXPECT_FALSE(Name::from_wire(l64));
}

TEST(DnsName, ToTextEscapesLikeDig) {
  const Bytes w{5, 'a', '.', 'b', '\\', ' ', 3, 0x00, 0xFF, 'Z', 0};
  auto n = Name::from_wire(w);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->to_text(), "a\\046b\\092\\032.\\000\\255Z");
  EXPECT_EQ(n->label_count(), 2u);
}

TEST(DnsName, FromTextTakesCharactersAsTheyAre) {
  // No escape processing: a backslash is a backslash.
  const Name n = name("a\\046b");
  EXPECT_EQ(n.label_count(), 1u);
  EXPECT_EQ(n.label(0), "a\\046b");
}

TEST(DnsName, ExactAndCaseInsensitiveEquality) {
  const Name a = name("Web.Berth");
  const Name b = name("web.berth");
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a == name("Web.Berth."));
  EXPECT_TRUE(a.equals_ci(b));
  EXPECT_FALSE(a.equals_ci(name("web.berth.x")));
  EXPECT_FALSE(a.equals_ci(name("wec.berth")));
  EXPECT_EQ(a.hash_ci(), b.hash_ci());
  EXPECT_NE(a.hash_ci(), name("wec.berth").hash_ci());
  EXPECT_TRUE(a.lowercased() == b);
  // Only ASCII letters fold.
  const Bytes upper{1, 0xC4, 0};
  const Bytes lower{1, 0xE4, 0};
  EXPECT_FALSE(Name::from_wire(upper)->equals_ci(*Name::from_wire(lower)));
}

TEST(DnsName, CaseInsensitiveHashSet) {
  std::unordered_set<Name, NameHashCi, NameEqualCi> set;
  set.insert(name("web.berth"));
  EXPECT_EQ(set.count(name("WEB.BERTH")), 1u);
  EXPECT_EQ(set.count(name("web.berth.x")), 0u);
}

TEST(DnsName, Subdomains) {
  const Name n = name("a.Web.Berth");
  EXPECT_TRUE(n.is_subdomain_ci(name("berth")));
  EXPECT_TRUE(n.is_subdomain_ci(name("web.BERTH")));
  EXPECT_TRUE(n.is_subdomain_ci(name("a.web.berth")));  // equal counts
  EXPECT_TRUE(n.is_subdomain_ci(Name()));
  EXPECT_FALSE(n.is_subdomain_ci(name("erth")));  // not on a label boundary
  EXPECT_FALSE(n.is_subdomain_ci(name("b.berth")));
  EXPECT_FALSE(name("berth").is_subdomain_ci(n));
}

TEST(DnsName, LabelsStripAndPrepend) {
  const Name n = name("10.0.18.198.in-addr.arpa");
  ASSERT_EQ(n.label_count(), 6u);
  EXPECT_EQ(n.label(0), "10");
  EXPECT_EQ(n.label(5), "arpa");
  EXPECT_TRUE(n.strip_left(4) == name("in-addr.arpa"));
  EXPECT_TRUE(n.strip_left(6).is_root());
  EXPECT_TRUE(n.strip_left(0) == n);
  auto p = name("berth").prepend("Web");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_text(), "Web.berth");
  EXPECT_EQ(Name().prepend("web")->to_text(), "web");
  EXPECT_FALSE(name("berth").prepend(""));
  EXPECT_FALSE(name("berth").prepend("a.b"));
}

}  // namespace
}  // namespace berth::dns
