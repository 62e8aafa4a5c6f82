// The nftables table berth renders, and Nftables against the real kernel.
// Rendering tests are pure. Kernel tests fork a child that moves into a fresh
// network namespace (unshare(CLONE_NEWNET)) before it builds an nft context,
// so the host's ruleset is never read or changed; the namespace and its
// ruleset disappear with the child. They need root and skip otherwise.
#include "bridge/firewall.hpp"
#include "bridge/netlink.hpp"
#include "tests/unit/bridge/netns_child.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace berth::bridge {
namespace {

Ipv4Address ip(const char* text) { return *Ipv4Address::parse(text); }
Ipv4Prefix prefix(const char* text) { return *Ipv4Prefix::parse(text); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The lines of one chain's body, rules only (type line dropped).
std::vector<std::string> chain_rules(const std::string& table, const std::string& chain) {
  std::vector<std::string> rules;
  const std::string head = "\tchain " + chain + " {\n";
  size_t at = table.find(head);
  if (at == std::string::npos) return rules;
  at += head.size();
  const size_t end = table.find("\t}\n", at);
  std::string body = table.substr(at, end - at);
  size_t line_start = 0;
  bool first = true;
  while (line_start < body.size()) {
    size_t nl = body.find('\n', line_start);
    if (nl == std::string::npos) nl = body.size();
    std::string line = body.substr(line_start, nl - line_start);
    line_start = nl + 1;
    if (first) {  // "type ... policy accept;"
      first = false;
      continue;
    }
    rules.push_back(line.substr(line.find_first_not_of('\t')));
  }
  return rules;
}

FirewallState one_nat_bridge_one_forward() {
  return FirewallState{
      .bridges = {{.name = "br0", .address = prefix("10.0.3.1/24"), .nat = true}},
      .forwards = {{.bridge = "br0",
                    .proto = Proto::tcp,
                    .host_port = 8080,
                    .target = ip("10.0.3.10"),
                    .target_port = 80}},
  };
}

// Three bridges, forwards of both kinds, an allowed pair, SNAT and a custom
// DNS port: most of what the renderer can say.
FirewallState larger_state() {
  return FirewallState{
      .bridges = {{.name = "bt-a",
                   .address = prefix("198.18.1.1/24"),
                   .nat = true,
                   .ipv6 = Ipv6Prefix::parse("fd00:a:b:c::1/64"),
                   .ipv6_nat = true},
                  {.name = "bt-b",
                   .address = prefix("198.18.2.1/24"),
                   .nat = true,
                   .nat_address = ip("198.19.0.5"),
                   .dns_port = 5353},
                  {.name = "bt-c",
                   .address = prefix("198.18.3.1/25"),
                   .ipv6 = Ipv6Prefix::parse("fd00:c::1/64")}},
      .forwards = {{.bridge = "bt-a",
                    .proto = Proto::tcp,
                    .host_port = 8080,
                    .target = ip("198.18.1.10"),
                    .target_port = 80,
                    .target6 = Ipv6Address::parse("fd00:a:b:c::10")},
                   {.bridge = "bt-b",
                    .proto = Proto::udp,
                    .host_address = ip("198.19.0.5"),
                    .host_port = 8080,
                    .target = ip("198.18.2.20"),
                    .target_port = 53},
                   {.bridge = "bt-b",
                    .proto = Proto::tcp,
                    .host_address = ip("198.19.0.5"),
                    .host_port = 8080,
                    .target = ip("198.18.2.21"),
                    .target_port = 8443}},
      .allowed_pairs = {{"bt-c", "bt-a"}},
  };
}

TEST(FirewallRenderTest, OneNatBridgeWithOneForwardExactly) {
  const std::string expected =
      "table inet berth {\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy accept;\n"
      "\t\tiifname \"br0\" udp dport 67 accept\n"
      "\t\tiifname \"br0\" udp dport 53 accept\n"
      "\t\tiifname \"br0\" tcp dport 53 accept\n"
      "\t}\n"
      "\n"
      "\tchain forward {\n"
      "\t\ttype filter hook forward priority filter; policy accept;\n"
      "\t\tct status dnat accept\n"
      "\t\tiifname \"br0\" accept\n"
      "\t\toifname \"br0\" ct state established,related accept\n"
      "\t}\n"
      "\n"
      "\tchain prerouting {\n"
      "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
      "\t\tmeta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 10.0.3.10:80\n"
      "\t}\n"
      "\n"
      "\tchain output {\n"
      "\t\ttype nat hook output priority -100; policy accept;\n"
      "\t\tip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 dnat ip to 10.0.3.10:80\n"
      "\t}\n"
      "\n"
      "\tchain postrouting {\n"
      "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
      "\t\tip saddr 10.0.3.0/24 ip daddr 10.0.3.0/24 ct status dnat masquerade\n"
      "\t\tip saddr 10.0.3.0/24 ip daddr != 10.0.3.0/24 masquerade\n"
      "\t}\n"
      "}\n";
  EXPECT_EQ(render_table(one_nat_bridge_one_forward()), expected);
}

TEST(FirewallRenderTest, EmptyStateHasChainsAndNoBridgeRules) {
  const std::string expected =
      "table inet berth {\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy accept;\n"
      "\t}\n"
      "\n"
      "\tchain forward {\n"
      "\t\ttype filter hook forward priority filter; policy accept;\n"
      "\t\tct status dnat accept\n"
      "\t}\n"
      "\n"
      "\tchain prerouting {\n"
      "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
      "\t}\n"
      "\n"
      "\tchain output {\n"
      "\t\ttype nat hook output priority -100; policy accept;\n"
      "\t}\n"
      "\n"
      "\tchain postrouting {\n"
      "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
      "\t}\n"
      "}\n";
  EXPECT_EQ(render_table(FirewallState{}), expected);
}

TEST(FirewallRenderTest, ReplyMarkChainOnlyWhenAskedAndBeforeOtherTablesForwardChains) {
  FirewallState state = one_nat_bridge_one_forward();
  EXPECT_FALSE(contains(render_table(state), "reply_mark"));
  EXPECT_FALSE(contains(render_table(state), "meta mark"));
  state.reply_mark = true;
  const std::string text = render_table(state);
  EXPECT_TRUE(contains(text,
                       "\tchain reply_mark {\n"
                       "\t\ttype filter hook forward priority mangle; policy accept;\n"
                       "\t\toifname \"br0\" ct state established,related meta mark set meta mark | "
                       "0x10000000\n"
                       "\t}\n"));
  // It only marks: no verdict of its own.
  EXPECT_EQ(chain_rules(text, "reply_mark").size(), 1u);
  EXPECT_FALSE(contains(chain_rules(text, "reply_mark")[0], "accept"));
}

TEST(FirewallRenderTest, TransactionCreatesDeletesAndDefinesInOneBatch) {
  const FirewallState state = larger_state();
  EXPECT_EQ(render_transaction(state),
            "table inet berth\ndelete table inet berth\n" + render_table(state));
}

TEST(FirewallRenderTest, SameStateRendersSameText) {
  EXPECT_EQ(render_table(larger_state()), render_table(larger_state()));
  FirewallState swapped = larger_state();
  swapped.allowed_pairs = {{"bt-a", "bt-c"}};  // the same unordered pair
  EXPECT_EQ(render_table(swapped), render_table(larger_state()));
}

TEST(FirewallRenderTest, NoDropsAndNoPolicyOtherThanAccept) {
  const std::string text = render_table(larger_state());
  EXPECT_EQ(count_of(text, "policy accept;"), 5u);
  EXPECT_EQ(count_of(text, "policy"), 5u);
  EXPECT_EQ(count_of(text, "reject"), 0u);
  // Every drop is a forward between two bridges.
  for (const auto& chain : {"input", "prerouting", "output", "postrouting"}) {
    for (const auto& rule : chain_rules(text, chain)) {
      EXPECT_FALSE(contains(rule, "drop")) << chain << ": " << rule;
    }
  }
  for (const auto& rule : chain_rules(text, "forward")) {
    if (contains(rule, "drop")) {
      EXPECT_TRUE(rule.starts_with("iifname \"bt-") && contains(rule, " oifname \"bt-")) << rule;
    }
  }
}

TEST(FirewallRenderTest, InputAcceptsDhcpAndDnsOnEachBridgesPort) {
  const auto rules = chain_rules(render_table(larger_state()), "input");
  const std::vector<std::string> expected = {
      "iifname \"bt-a\" udp dport 67 accept",
      "iifname \"bt-a\" udp dport 53 accept",
      "iifname \"bt-a\" tcp dport 53 accept",
      "iifname \"bt-a\" udp dport 547 accept",
      "iifname \"bt-a\" icmpv6 type nd-router-solicit accept",
      "iifname \"bt-b\" udp dport 67 accept",
      "iifname \"bt-b\" udp dport 5353 accept",
      "iifname \"bt-b\" tcp dport 5353 accept",
      "iifname \"bt-c\" udp dport 67 accept",
      "iifname \"bt-c\" udp dport 53 accept",
      "iifname \"bt-c\" tcp dport 53 accept",
      "iifname \"bt-c\" udp dport 547 accept",
      "iifname \"bt-c\" icmpv6 type nd-router-solicit accept"};
  EXPECT_EQ(rules, expected);

  FirewallState no_dns{
      .bridges = {{.name = "br0", .address = prefix("10.0.3.1/24"), .dns_port = 0}}};
  EXPECT_EQ(chain_rules(render_table(no_dns), "input"),
            std::vector<std::string>{"iifname \"br0\" udp dport 67 accept"});
}

TEST(FirewallRenderTest, IsolationDropsEveryPairThatIsNotAllowed) {
  const auto rules = chain_rules(render_table(larger_state()), "forward");
  const std::vector<std::string> expected = {
      "ct status dnat accept",
      "iifname \"bt-a\" oifname \"bt-b\" drop",
      "iifname \"bt-b\" oifname \"bt-a\" drop",
      "iifname \"bt-b\" oifname \"bt-c\" drop",
      "iifname \"bt-c\" oifname \"bt-b\" drop",
      "iifname \"bt-a\" accept",
      "oifname \"bt-a\" ct state established,related accept",
      "iifname \"bt-b\" accept",
      "oifname \"bt-b\" ct state established,related accept",
      "iifname \"bt-c\" accept",
      "oifname \"bt-c\" ct state established,related accept"};
  EXPECT_EQ(rules, expected);

  // Allowing every pair leaves no drop; pairs naming unknown bridges or a
  // bridge with itself change nothing.
  FirewallState open = larger_state();
  open.allowed_pairs = {{"bt-a", "bt-b"}, {"bt-c", "bt-b"}, {"bt-a", "bt-c"}};
  EXPECT_EQ(count_of(render_table(open), "drop"), 0u);
  FirewallState noise = larger_state();
  noise.allowed_pairs.push_back({"bt-a", "bt-zz"});
  noise.allowed_pairs.push_back({"bt-b", "bt-b"});
  EXPECT_EQ(render_table(noise), render_table(larger_state()));

  // A lone bridge has nothing to be isolated from.
  EXPECT_EQ(count_of(render_table(one_nat_bridge_one_forward()), "drop"), 0u);
}

TEST(FirewallRenderTest, ForwardsOnAHostAddressComeBeforeForwardsOnAnyAddress) {
  const std::string text = render_table(larger_state());
  const std::vector<std::string> pre = {
      "ip daddr 198.19.0.5 udp dport 8080 dnat ip to 198.18.2.20:53",
      "ip daddr 198.19.0.5 tcp dport 8080 dnat ip to 198.18.2.21:8443",
      "meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 198.18.1.10:80",
      "meta nfproto ipv6 fib daddr type local tcp dport 8080 dnat ip6 to [fd00:a:b:c::10]:80"};
  EXPECT_EQ(chain_rules(text, "prerouting"), pre);
  const std::vector<std::string> out = {
      "ip daddr 198.19.0.5 udp dport 8080 dnat ip to 198.18.2.20:53",
      "ip daddr 198.19.0.5 tcp dport 8080 dnat ip to 198.18.2.21:8443",
      "ip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 dnat ip to 198.18.1.10:80",
      "ip6 daddr != ::1 fib daddr type local tcp dport 8080 dnat ip6 to [fd00:a:b:c::10]:80"};
  EXPECT_EQ(chain_rules(text, "output"), out);
}

TEST(FirewallRenderTest, ForwardsToANameWithOnlyAnIpv6AddressHaveOnlyIpv6Rules) {
  FirewallState s{.bridges = {{.name = "br0",
                               .address = prefix("198.18.0.1/24"),
                               .ipv6 = Ipv6Prefix::parse("fd00:6::1/64")}},
                  .forwards = {{.bridge = "br0",
                                .proto = Proto::udp,
                                .host_port = 5353,
                                .target_port = 53,
                                .target6 = Ipv6Address::parse("fd00:6::53")},
                               // On a host address (IPv4) the IPv6 target has no rule.
                               {.bridge = "br0",
                                .proto = Proto::tcp,
                                .host_address = ip("198.19.0.5"),
                                .host_port = 22,
                                .target_port = 22,
                                .target6 = Ipv6Address::parse("fd00:6::22")}}};
  const std::string text = render_table(s);
  EXPECT_EQ(
      chain_rules(text, "prerouting"),
      std::vector<std::string>{"meta nfproto ipv6 fib daddr type local udp dport 5353 dnat ip6 to "
                               "[fd00:6::53]:53"});
  EXPECT_EQ(chain_rules(text, "postrouting"),
            std::vector<std::string>{
                "ip6 saddr fd00:6::/64 ip6 daddr fd00:6::/64 ct status dnat masquerade"});
  EXPECT_FALSE(contains(text, "dnat ip to"));
}

TEST(FirewallRenderTest, PostroutingMasqueradesSnatsAndHairpinsPerBridge) {
  const std::vector<std::string> expected = {
      "ip saddr 198.18.1.0/24 ip daddr 198.18.1.0/24 ct status dnat masquerade",
      "ip saddr 198.18.1.0/24 ip daddr != 198.18.1.0/24 masquerade",
      "ip6 saddr fd00:a:b:c::/64 ip6 daddr fd00:a:b:c::/64 ct status dnat masquerade",
      "ip6 saddr fd00:a:b:c::/64 ip6 daddr != fd00:a:b:c::/64 masquerade",
      "ip saddr 198.18.2.0/24 ip daddr 198.18.2.0/24 ct status dnat masquerade",
      "ip saddr 198.18.2.0/24 ip daddr != 198.18.2.0/24 snat ip to 198.19.0.5"};
  // bt-c has neither NAT, NAT66 nor forwards: nothing.
  EXPECT_EQ(chain_rules(render_table(larger_state()), "postrouting"), expected);

  // nat_address means nothing without nat; a /32 lists as a bare address.
  FirewallState s{.bridges = {{.name = "br0",
                               .address = prefix("198.18.9.9/32"),
                               .nat = false,
                               .nat_address = ip("198.19.0.1")}},
                  .forwards = {{.bridge = "br0",
                                .proto = Proto::udp,
                                .host_port = 53,
                                .target = ip("198.18.9.9"),
                                .target_port = 5353}}};
  EXPECT_EQ(chain_rules(render_table(s), "postrouting"),
            std::vector<std::string>{
                "ip saddr 198.18.9.9 ip daddr 198.18.9.9 ct status dnat masquerade"});
}

void expect_render_error(const FirewallState& state, const std::string& needle) {
  try {
    (void)render_table(state);
    ADD_FAILURE() << "expected FirewallError containing \"" << needle << "\"";
  } catch (const FirewallError& e) {
    EXPECT_TRUE(contains(e.what(), needle)) << e.what();
  }
}

TEST(FirewallRenderTest, Ipv6BridgesAcceptDhcpv6AndSolicitationsAndNat66OnlyWhenAsked) {
  const std::string table = render_table(larger_state());
  const auto input = chain_rules(table, "input");
  for (const char* bridge : {"bt-a", "bt-c"}) {
    const std::string iif = std::string("iifname \"") + bridge + "\" ";
    EXPECT_NE(std::find(input.begin(), input.end(), iif + "udp dport 547 accept"), input.end());
    EXPECT_NE(std::find(input.begin(), input.end(), iif + "icmpv6 type nd-router-solicit accept"),
              input.end());
  }
  EXPECT_FALSE(contains(table, "iifname \"bt-b\" udp dport 547"));
  const auto post = chain_rules(table, "postrouting");
  EXPECT_NE(std::find(post.begin(), post.end(),
                      "ip6 saddr fd00:a:b:c::/64 ip6 daddr != fd00:a:b:c::/64 masquerade"),
            post.end());
  EXPECT_FALSE(contains(table, "fd00:c::/64")) << "bt-c has IPv6 but no NAT66";
}

TEST(FirewallRenderTest, RefusesStatesWithoutASoundTable) {
  auto with_bridge_name = [](std::string name) {
    return FirewallState{.bridges = {{.name = std::move(name), .address = prefix("10.0.3.1/24")}}};
  };
  expect_render_error(with_bridge_name(""), "empty");
  expect_render_error(with_bridge_name("a-very-long-name"), "too long");
  expect_render_error(with_bridge_name("br\"0"), "cannot be written into an nftables rule");
  expect_render_error(with_bridge_name("br*"), "cannot be written into an nftables rule");
  expect_render_error(with_bridge_name("br 0"), "cannot be written into an nftables rule");
  expect_render_error(with_bridge_name("br\\0"), "cannot be written into an nftables rule");
  EXPECT_NO_THROW((void)render_table(with_bridge_name("lxc_br-0.1")));
  EXPECT_NO_THROW((void)render_table(with_bridge_name("fifteen-chars-1")));

  FirewallState twice = larger_state();
  twice.bridges.push_back(twice.bridges[0]);
  expect_render_error(twice, "bridge bt-a appears twice");

  FirewallState zero_length = with_bridge_name("br0");
  zero_length.bridges[0].address.length = 0;
  expect_render_error(zero_length, "prefix length must be 1 to 32");
  zero_length.bridges[0].address.length = 33;
  expect_render_error(zero_length, "prefix length must be 1 to 32");

  FirewallState unknown = one_nat_bridge_one_forward();
  unknown.forwards[0].bridge = "br9";
  expect_render_error(unknown, "names bridge \"br9\", which is not in the firewall state");

  FirewallState port_zero = one_nat_bridge_one_forward();
  port_zero.forwards[0].target_port = 0;
  expect_render_error(port_zero, "has port 0");
  port_zero = one_nat_bridge_one_forward();
  port_zero.forwards[0].host_port = 0;
  expect_render_error(port_zero, "has port 0");

  FirewallState duplicate = one_nat_bridge_one_forward();
  duplicate.forwards.push_back(duplicate.forwards[0]);
  duplicate.forwards[1].target = ip("10.0.3.11");
  expect_render_error(duplicate, "two port forwards for tcp port 8080 on any host address");
  // Other protocol, or a specific address, is a different forward.
  duplicate.forwards[1].proto = Proto::udp;
  EXPECT_NO_THROW((void)render_table(duplicate));
  duplicate.forwards[1].proto = Proto::tcp;
  duplicate.forwards[1].host_address = ip("10.0.3.1");
  EXPECT_NO_THROW((void)render_table(duplicate));
  duplicate.forwards.push_back(duplicate.forwards[1]);
  expect_render_error(duplicate, "two port forwards for tcp port 8080 on 10.0.3.1");

  // render_transaction validates the same way.
  EXPECT_THROW((void)render_transaction(unknown), FirewallError);
}

// --- against the kernel, inside a throwaway network namespace ---------------

using test::Failures;

#define NS_EXPECT_FIREWALL_ERROR(f, stmt, needle) \
  CHILD_EXPECT_THROWS(f, stmt, FirewallError, needle)

TEST(NftablesTest, CheckValidatesWithoutChangingTheKernel) {
  test::run_in_new_netns([](Failures& f) {
    Nftables nft;
    nft.check(larger_state());
    nft.check(one_nat_bridge_one_forward());
    nft.check(FirewallState{});
    CHILD_EXPECT(f, !nft.kernel_table().has_value());
    CHILD_EXPECT(f, nft.run("list ruleset\n").empty());

    nft.apply(one_nat_bridge_one_forward());
    const std::string before = nft.applied_listing();
    nft.check(larger_state());
    CHILD_EXPECT(f, nft.kernel_table() == before);
    CHILD_EXPECT(f, nft.in_sync());
    // A dry run leaves the context applying for real afterwards.
    nft.apply(larger_state());
    CHILD_EXPECT(f, nft.kernel_table() == render_table(larger_state()));
  });
}

TEST(NftablesTest, ApplyListsExactlyAsRenderedAndReplacesWhole) {
  test::run_in_new_netns([](Failures& f) {
    Nftables nft;
    CHILD_EXPECT(f, !nft.kernel_table().has_value());
    CHILD_EXPECT(f, nft.applied_listing().empty());
    CHILD_EXPECT(f, nft.in_sync());  // nothing applied, nothing there

    nft.apply(larger_state());
    const auto first = nft.kernel_table();
    CHILD_EXPECT(f, first.has_value());
    CHILD_EXPECT(f, first == render_table(larger_state()));
    CHILD_EXPECT(f, nft.applied_listing() == first);
    CHILD_EXPECT(f, nft.in_sync());

    // A second apply replaces the table instead of adding to it.
    nft.apply(one_nat_bridge_one_forward());
    CHILD_EXPECT(f, nft.kernel_table() == render_table(one_nat_bridge_one_forward()));
    CHILD_EXPECT(f, nft.in_sync());
    nft.apply(one_nat_bridge_one_forward());
    CHILD_EXPECT(f, nft.kernel_table() == render_table(one_nat_bridge_one_forward()));
    CHILD_EXPECT(f, count_of(nft.run("list ruleset\n"), "table ") == 1);

    nft.apply(FirewallState{});
    CHILD_EXPECT(f, nft.kernel_table() == render_table(FirewallState{}));
    CHILD_EXPECT(f, nft.in_sync());
  });
}

TEST(NftablesTest, NoticesAndRepairsChangesByOthers) {
  test::run_in_new_netns([](Failures& f) {
    Nftables nft;
    Nftables other;  // stands for another program on the host
    nft.apply(larger_state());
    CHILD_EXPECT(f, nft.in_sync());

    other.run("delete table inet berth\n");
    CHILD_EXPECT(f, !nft.in_sync());
    CHILD_EXPECT(f, !nft.kernel_table().has_value());
    nft.apply(larger_state());
    CHILD_EXPECT(f, nft.in_sync());
    CHILD_EXPECT(f, nft.kernel_table() == render_table(larger_state()));

    other.run("flush ruleset\n");
    CHILD_EXPECT(f, !nft.in_sync());
    nft.apply(larger_state());
    CHILD_EXPECT(f, nft.in_sync());

    // A rule slipped into berth's table, or a flushed chain, is a difference too.
    other.run("add rule inet berth input tcp dport 22 accept\n");
    CHILD_EXPECT(f, !nft.in_sync());
    nft.apply(larger_state());
    CHILD_EXPECT(f, nft.in_sync());
    other.run("flush chain inet berth forward\n");
    CHILD_EXPECT(f, !nft.in_sync());
    nft.apply(larger_state());
    CHILD_EXPECT(f, nft.in_sync());
  });
}

TEST(NftablesTest, RemoveIsQuietAndLeavesOtherTablesAlone) {
  test::run_in_new_netns([](Failures& f) {
    Nftables nft;
    Nftables other;
    const std::string theirs =
        "table inet theirs {\n"
        "\tchain input {\n"
        "\t\ttype filter hook input priority filter; policy accept;\n"
        "\t\ttcp dport 22 accept\n"
        "\t}\n"
        "}\n";
    other.run(theirs);

    nft.remove();  // absent: no error
    CHILD_EXPECT(f, nft.in_sync());
    nft.apply(larger_state());
    CHILD_EXPECT(f, nft.kernel_table().has_value());
    nft.remove();
    CHILD_EXPECT(f, !nft.kernel_table().has_value());
    CHILD_EXPECT(f, nft.applied_listing().empty());
    CHILD_EXPECT(f, nft.in_sync());  // no table wanted, none there
    nft.remove();
    CHILD_EXPECT(f, other.run("list table inet theirs\n") == theirs);

    // After remove(), a table someone else creates under berth's name is
    // not what berth wants.
    other.run("add table inet berth\n");
    CHILD_EXPECT(f, !nft.in_sync());
    nft.remove();
    CHILD_EXPECT(f, !nft.kernel_table().has_value());
  });
}

TEST(NftablesTest, ErrorsCarryNftsMessage) {
  test::run_in_new_netns([](Failures& f) {
    Nftables nft;
    NS_EXPECT_FIREWALL_ERROR(f, nft.run("list table inet absent\n"), "No such file or directory");
    NS_EXPECT_FIREWALL_ERROR(f, nft.run("add rule inet absent input accept\n"), "nftables: ");
    // A state the renderer refuses never reaches the kernel.
    FirewallState bad = one_nat_bridge_one_forward();
    bad.forwards[0].bridge = "nope";
    NS_EXPECT_FIREWALL_ERROR(f, nft.apply(bad), "not in the firewall state");
    NS_EXPECT_FIREWALL_ERROR(f, nft.check(bad), "not in the firewall state");
    CHILD_EXPECT(f, !nft.kernel_table().has_value());
    CHILD_EXPECT(f, nft.in_sync());

    // Without CAP_NET_ADMIN the kernel says no, and the message says why.
    nft.apply(one_nat_bridge_one_forward());
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      f.add(__FILE__, __LINE__, std::string("cannot drop privileges: ") + std::strerror(errno));
      return;
    }
    NS_EXPECT_FIREWALL_ERROR(f, nft.apply(larger_state()),
                             "cannot apply nftables table inet berth");
    NS_EXPECT_FIREWALL_ERROR(f, nft.check(larger_state()), "nftables refuses table inet berth");
    NS_EXPECT_FIREWALL_ERROR(f, nft.remove(), "cannot remove nftables table inet berth");
    NS_EXPECT_FIREWALL_ERROR(f, nft.kernel_table(), "cannot list nftables table inet berth");
    NS_EXPECT_FIREWALL_ERROR(f, set_ipv4_forwarding(true), "cannot enable IPv4 forwarding");
  });
}

TEST(Ipv6ForwardingTest, TurnsForwardingOnAndKeepsRouterAdvertisementsWhereTaken) {
  test::run_in_new_netns([](Failures& f) {
    auto read = [](const std::string& path) {
      std::ifstream in(path);
      std::string line;
      std::getline(in, line);
      return line;
    };
    auto write = [](const std::string& path, const char* value) {
      std::ofstream out(path);
      out << value << '\n';
    };
    const std::string conf = "/proc/sys/net/ipv6/conf/";
    // Two links of this namespace: one takes router advertisements, one not.
    ensure_bridge(BridgeSpec{.name = "bt-ra", .address = prefix("198.18.9.1/24")});
    ensure_bridge(BridgeSpec{.name = "bt-nora", .address = prefix("198.18.10.1/24")});
    write(conf + "bt-ra/accept_ra", "1");
    write(conf + "bt-nora/accept_ra", "0");
    write(conf + "all/forwarding", "0");
    CHILD_EXPECT(f, !ipv6_forwarding());
    Nftables nft;
    CHILD_EXPECT(f, nft.enable_ipv6_forwarding());
    CHILD_EXPECT(f, ipv6_forwarding());
    CHILD_EXPECT(f, read(conf + "bt-ra/accept_ra") == "2");
    CHILD_EXPECT(f, read(conf + "bt-nora/accept_ra") == "0");
    CHILD_EXPECT(f, !nft.enable_ipv6_forwarding());  // already on
  });
}

TEST(Ipv4ForwardingTest, SetAndReadBackInTheNamespace) {
  test::run_in_new_netns([](Failures& f) {
    set_ipv4_forwarding(true);
    CHILD_EXPECT(f, ipv4_forwarding());
    set_ipv4_forwarding(false);
    CHILD_EXPECT(f, !ipv4_forwarding());
    set_ipv4_forwarding(true);
    CHILD_EXPECT(f, ipv4_forwarding());
  });
}

}  // namespace
}  // namespace berth::bridge

namespace berth::bridge {
namespace {

// Network boot: TFTP requests are accepted only from bridges that serve it.
TEST(FirewallRenderTest, TftpAcceptOnlyForBridgesWithTftp) {
  FirewallState state = one_nat_bridge_one_forward();
  EXPECT_EQ(render_table(state).find("dport 69 accept"), std::string::npos);
  state.bridges.front().tftp = true;
  const std::string text = render_table(state);
  EXPECT_NE(text.find("iifname \"" + state.bridges.front().name + "\" udp dport 69 accept"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace berth::bridge
