// The decision about other tables' forward chains (issue 13), on nft JSON
// listings in tests/data/nft (see its README for how each was taken).
#include "bridge/foreign_firewall.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bridge/firewall.hpp"

namespace berth::bridge {
namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(BERTH_TEST_DATA_DIR) + "/nft/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

NftRuleset ruleset(const std::string& name) { return parse_nft_json(read_data(name)); }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const std::vector<ForeignBridge> kBerth0 = {{.name = "berth0"}};

TEST(ForeignFirewallParseTest, ReadsChainsRulesCommentsAndJumps) {
  const NftRuleset rs = ruleset("docker_with_berth_rules.json");
  const auto forward = std::find_if(rs.chains.begin(), rs.chains.end(),
                                    [](const NftChain& c) { return c.name == "FORWARD"; });
  ASSERT_NE(forward, rs.chains.end());
  EXPECT_EQ(*forward, (NftChain{.family = "ip",
                                .table = "filter",
                                .name = "FORWARD",
                                .type = "filter",
                                .hook = "forward",
                                .policy = "drop",
                                .priority = 0}));
  std::vector<std::string> berth_rules;
  bool jumps_to_docker_user = false;
  for (const NftRule& r : rs.rules) {
    if (r.comment == "berth") berth_rules.push_back(r.chain + ": " + r.text);
    if (r.chain == "FORWARD" && r.jumps == std::vector<std::string>{"DOCKER-USER"}) {
      jumps_to_docker_user = true;
      EXPECT_EQ(r.text, "?");  // a jump is nothing berth writes
    }
  }
  EXPECT_TRUE(jumps_to_docker_user);
  EXPECT_EQ(berth_rules,
            (std::vector<std::string>{
                "DOCKER-USER: iifname \"berth0\" accept", "DOCKER-USER: iifname \"old0\" accept",
                "DOCKER-USER: iifname \"berth0\" accept",
                "DOCKER-USER: oifname \"berth0\" meta mark & 0x10000000 == 0x10000000 accept"}));
}

TEST(ForeignFirewallParseTest, RefusesWhatIsNotNftJson) {
  EXPECT_THROW(parse_nft_json("table ip filter {}"), FirewallError);
  EXPECT_THROW(parse_nft_json("{\"tables\": []}"), FirewallError);
  EXPECT_TRUE(parse_nft_json("{\"nftables\": []}").chains.empty());
}

TEST(ForeignFirewallTest, PolicyAcceptNeedsNothing) {
  const ForeignPlan plan =
      plan_foreign_rules(ruleset("iptables_accept.json"), {{.name = "berth0", .ipv6 = true}}, true);
  EXPECT_TRUE(plan.findings.empty());
  EXPECT_EQ(plan.commands, "");
  EXPECT_FALSE(plan.reply_mark);
  EXPECT_TRUE(tables_to_inspect(ruleset("iptables_accept.json"), kBerth0).empty());
}

TEST(ForeignFirewallTest, DockerGetsAcceptsInDockerUser) {
  const NftRuleset rs = ruleset("docker_ruleset.json");
  EXPECT_EQ(tables_to_inspect(ruleset("docker_chains.json"), kBerth0),
            std::vector<std::string>{"ip filter"});
  const ForeignPlan plan =
      plan_foreign_rules(rs, {{.name = "berth0"}, {.name = "lxcbr0"}}, /*act=*/true);
  ASSERT_EQ(plan.findings.size(), 1u);
  EXPECT_EQ(plan.findings[0],
            (ForeignFinding{.table = "ip filter",
                            .chain = "FORWARD",
                            .finding = "policy drop",
                            .action = "accept rules for berth0, lxcbr0 in DOCKER-USER"}));
  EXPECT_TRUE(plan.reply_mark);
  // Inserted last first, so the chain reads in bridge order, before RETURN.
  EXPECT_EQ(lines(plan.commands),
            (std::vector<std::string>{
                "insert rule ip filter DOCKER-USER oifname \"lxcbr0\" meta mark & 0x10000000 == "
                "0x10000000 counter accept comment \"berth\"",
                "insert rule ip filter DOCKER-USER iifname \"lxcbr0\" counter accept comment "
                "\"berth\"",
                "insert rule ip filter DOCKER-USER oifname \"berth0\" meta mark & 0x10000000 == "
                "0x10000000 counter accept comment \"berth\"",
                "insert rule ip filter DOCKER-USER iifname \"berth0\" counter accept comment "
                "\"berth\"",
            }));
}

TEST(ForeignFirewallTest, RulesAlreadyThereAreNotAddedAgainAndStaleOnesGo) {
  // berth0's two rules are there, one of them twice, and a rule for old0,
  // which is no longer a bridge: the duplicate and old0's go by handle.
  const NftRuleset rs = ruleset("docker_with_berth_rules.json");
  std::vector<uint64_t> handles;
  for (const NftRule& r : rs.rules) {
    if (r.comment == "berth") handles.push_back(r.handle);
  }
  ASSERT_EQ(handles.size(), 4u);  // listed top first: berth0, old0, berth0, mark
  const ForeignPlan plan = plan_foreign_rules(rs, kBerth0, true);
  EXPECT_EQ(lines(plan.commands),
            (std::vector<std::string>{
                "delete rule ip filter DOCKER-USER handle " + std::to_string(handles[1]),
                "delete rule ip filter DOCKER-USER handle " + std::to_string(handles[2]),
            }));
  EXPECT_TRUE(plan.reply_mark);
  EXPECT_EQ(plan.findings.at(0).action, "accept rules for berth0 in DOCKER-USER");

  // Once those are gone, nothing is left to do.
  NftRuleset after = rs;
  std::erase_if(after.rules,
                [&](const NftRule& r) { return r.handle == handles[1] || r.handle == handles[2]; });
  EXPECT_EQ(plan_foreign_rules(after, kBerth0, true).commands, "");
}

TEST(ForeignFirewallTest, DropWithoutDockerUserGetsAcceptsAtTheTopOfTheChain) {
  const ForeignPlan plan = plan_foreign_rules(ruleset("inet_filter_drop.json"), kBerth0, true);
  ASSERT_EQ(plan.findings.size(), 1u);
  EXPECT_EQ(plan.findings[0], (ForeignFinding{.table = "inet filter",
                                              .chain = "forward",
                                              .finding = "policy drop",
                                              .action = "accept rules for berth0 at the top of "
                                                        "forward"}));
  EXPECT_EQ(lines(plan.commands),
            (std::vector<std::string>{
                "insert rule inet filter forward oifname \"berth0\" meta mark & 0x10000000 == "
                "0x10000000 counter accept comment \"berth\"",
                "insert rule inet filter forward iifname \"berth0\" counter accept comment "
                "\"berth\"",
            }));
}

TEST(ForeignFirewallTest, Ip6ChainsCountOnlyForBridgesWithIpv6) {
  const NftRuleset rs = ruleset("iptables_ip_ip6_drop.json");
  // IPv4 only: the ip6 chain drops nothing of berth's.
  ForeignPlan plan = plan_foreign_rules(rs, kBerth0, true);
  ASSERT_EQ(plan.findings.size(), 1u);
  EXPECT_EQ(plan.findings[0].table, "ip filter");
  EXPECT_EQ(tables_to_inspect(rs, kBerth0), std::vector<std::string>{"ip filter"});

  const std::vector<ForeignBridge> bridges = {{.name = "v4only"}, {.name = "dual", .ipv6 = true}};
  EXPECT_EQ(tables_to_inspect(rs, bridges), (std::vector<std::string>{"ip filter", "ip6 filter"}));
  plan = plan_foreign_rules(rs, bridges, true);
  ASSERT_EQ(plan.findings.size(), 2u);
  EXPECT_EQ(plan.findings[1], (ForeignFinding{.table = "ip6 filter",
                                              .chain = "FORWARD",
                                              .finding = "policy drop",
                                              .action = "accept rules for dual at the top of "
                                                        "FORWARD"}));
  EXPECT_EQ(plan.findings[0].action, "accept rules for v4only, dual at the top of FORWARD");
  for (const std::string& line : lines(plan.commands)) {
    if (line.starts_with("insert rule ip6 ")) {
      EXPECT_NE(line.find("\"dual\""), std::string::npos);
    }
  }

  // Docker with IPv6: DOCKER-USER of table ip6 filter; the rule commented
  // "berth" in table inet berth is berth's own table, never touched.
  plan = plan_foreign_rules(ruleset("ip6_docker_handwritten.json"), bridges, true);
  ASSERT_EQ(plan.findings.size(), 1u);
  EXPECT_EQ(plan.findings[0].action, "accept rules for dual in DOCKER-USER");
  EXPECT_EQ(plan.commands.find("inet berth"), std::string::npos);
  EXPECT_EQ(lines(plan.commands).size(), 2u);
}

TEST(ForeignFirewallTest, ForeignFalseReportsAndRemovesEverythingOfBerths) {
  ForeignPlan plan = plan_foreign_rules(ruleset("docker_ruleset.json"), kBerth0, /*act=*/false);
  ASSERT_EQ(plan.findings.size(), 1u);
  EXPECT_EQ(plan.findings[0], (ForeignFinding{.table = "ip filter",
                                              .chain = "FORWARD",
                                              .finding = "policy drop",
                                              .action = "none (foreign = false)"}));
  EXPECT_EQ(plan.commands, "");
  EXPECT_FALSE(plan.reply_mark);

  // Rules from a run with foreign = true go.
  plan = plan_foreign_rules(ruleset("docker_with_berth_rules.json"), kBerth0, false);
  EXPECT_EQ(lines(plan.commands).size(), 4u);
  for (const std::string& line : lines(plan.commands)) {
    EXPECT_TRUE(line.starts_with("delete rule ip filter DOCKER-USER handle ")) << line;
  }
}

TEST(ForeignFirewallTest, RemovalDeletesEveryBerthRuleOutsideItsTable) {
  EXPECT_EQ(lines(removal_commands(ruleset("docker_with_berth_rules.json"))).size(), 4u);
  EXPECT_EQ(removal_commands(ruleset("docker_ruleset.json")), "");
  EXPECT_EQ(removal_commands(ruleset("ip6_docker_handwritten.json")), "");
}

TEST(ForeignFirewallTest, MergeKeepsOneCopyOfEachChainAndRule) {
  NftRuleset all = ruleset("docker_chains.json");
  const size_t chains = all.chains.size();
  merge(all, ruleset("docker_ruleset.json"));
  EXPECT_EQ(all.chains.size(), chains);
  const size_t rules = all.rules.size();
  merge(all, ruleset("docker_ruleset.json"));
  EXPECT_EQ(all.rules.size(), rules);
  EXPECT_GT(rules, 0u);
}

}  // namespace
}  // namespace berth::bridge
