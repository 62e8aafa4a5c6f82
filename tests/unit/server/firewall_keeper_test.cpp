#include "server/firewall_keeper.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace berth::server {
namespace {

// Records what the keeper asks; the test says when the kernel drifts.
class RecordingFirewall : public bridge::Firewall {
 public:
  void apply(const bridge::FirewallState& state) override {
    if (fail_next) {
      fail_next = false;
      throw bridge::FirewallError("nft: Could not process rule");
    }
    applied.push_back(state);
    in_sync_ = true;
  }
  void remove() override { ++removes; }
  std::optional<std::string> kernel_table() override { return "table inet berth {}"; }
  bool in_sync() override { return in_sync_; }
  bool enable_ipv4_forwarding() override {
    ++forwarding_asked;
    return true;
  }
  bool enable_ipv6_forwarding() override {
    ++forwarding6_asked;
    return true;
  }
  // Every listing is `ruleset`; the test sets it.
  std::string list_json(const std::string& what) override {
    listed.push_back(what);
    return ruleset;
  }
  void execute(const std::string& commands) override { executed.push_back(commands); }

  std::string ruleset = R"({"nftables": []})";
  std::vector<std::string> listed;
  std::vector<std::string> executed;

  std::vector<bridge::FirewallState> applied;
  int removes = 0;
  int forwarding_asked = 0;
  int forwarding6_asked = 0;
  bool fail_next = false;
  bool in_sync_ = false;
};

bridge::FirewallState state_with(bool nat) {
  bridge::FirewallState s;
  s.bridges.push_back(bridge::FirewallBridge{
      .name = "br0", .address = *Ipv4Prefix::parse("198.18.0.1/24"), .nat = nat});
  return s;
}

class FirewallKeeperTest : public ::testing::Test {
 protected:
  FirewallKeeperTest()
      : keeper(
            io, [this] { return state; }, std::chrono::milliseconds(1)) {
    auto fw = std::make_unique<RecordingFirewall>();
    firewall = fw.get();
    owned = std::move(fw);
  }

  boost::asio::io_context io;
  bridge::FirewallState state = state_with(false);
  FirewallKeeper keeper;
  RecordingFirewall* firewall = nullptr;
  std::unique_ptr<RecordingFirewall> owned;
};

TEST_F(FirewallKeeperTest, AppliesOnlyWhenTheStateChanges) {
  EXPECT_FALSE(keeper.enabled());
  keeper.apply();  // not enabled: nothing to apply to
  keeper.enable(std::move(owned));
  ASSERT_EQ(firewall->applied.size(), 1u);
  keeper.apply();
  EXPECT_EQ(firewall->applied.size(), 1u);
  state = state_with(true);
  keeper.apply();
  ASSERT_EQ(firewall->applied.size(), 2u);
  EXPECT_TRUE(firewall->applied.back().bridges[0].nat);
  EXPECT_EQ(firewall->forwarding_asked, 1) << "NAT needs IPv4 forwarding";
  keeper.apply(/* force= */ true);
  EXPECT_EQ(firewall->applied.size(), 3u);
}

TEST_F(FirewallKeeperTest, Nat66AsksForIpv6ForwardingAndPlainIpv6DoesNot) {
  keeper.enable(std::move(owned));
  state.bridges[0].ipv6 = Ipv6Prefix::parse("fd00:1::1/64");
  keeper.apply();
  EXPECT_EQ(firewall->forwarding6_asked, 0) << "a prefix without NAT66 needs no forwarding";
  state.bridges[0].ipv6_nat = true;
  keeper.apply();
  EXPECT_EQ(firewall->forwarding6_asked, 1);
  EXPECT_EQ(firewall->forwarding_asked, 0) << "NAT66 alone does not need IPv4 forwarding";
}

TEST_F(FirewallKeeperTest, AFailureIsKeptAndTheNextApplyTriesAgain) {
  firewall->fail_next = true;
  keeper.enable(std::move(owned));
  EXPECT_TRUE(firewall->applied.empty());
  EXPECT_NE(keeper.last_error().find("Could not process rule"), std::string::npos);
  keeper.apply();
  EXPECT_EQ(firewall->applied.size(), 1u);
  EXPECT_TRUE(keeper.last_error().empty());
}

TEST_F(FirewallKeeperTest, ATableChangedByAnotherProgramIsPutBack) {
  keeper.enable(std::move(owned));
  ASSERT_EQ(firewall->applied.size(), 1u);
  firewall->in_sync_ = false;  // someone ran `nft flush ruleset`
  for (int i = 0; i < 100 && firewall->applied.size() < 2; ++i) io.run_one();
  EXPECT_EQ(firewall->applied.size(), 2u);
  EXPECT_TRUE(firewall->in_sync_);
}

TEST_F(FirewallKeeperTest, StopRemovesTheTableUnlessKept) {
  keeper.enable(std::move(owned));
  keeper.stop(/* keep_rules= */ true);
  EXPECT_EQ(firewall->removes, 0);
  keeper.stop(/* keep_rules= */ false);
  EXPECT_EQ(firewall->removes, 1);
}

TEST_F(FirewallKeeperTest, InfoComparesTheStateWithWhatWasApplied) {
  keeper.enable(std::move(owned));
  FirewallKeeper::Info info = keeper.info();
  EXPECT_EQ(info.wanted, bridge::render_table(state));
  EXPECT_TRUE(info.in_sync);
  state = state_with(true);  // changed, not applied yet
  EXPECT_FALSE(keeper.info().in_sync);
  keeper.disable();
  EXPECT_FALSE(keeper.enabled());
  EXPECT_EQ(keeper.info().wanted, "");
}

std::string nft_data(const std::string& name) {
  std::ifstream in(std::string(BERTH_TEST_DATA_DIR) + "/nft/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(FirewallKeeperTest, DockersDropGetsAcceptsAfterTheMarkingTableAndLosesThemOnStop) {
  firewall->ruleset = nft_data("docker_ruleset.json");
  keeper.enable(std::move(owned));
  ASSERT_EQ(firewall->applied.size(), 1u);
  EXPECT_TRUE(firewall->applied[0].reply_mark) << "the accept for replies needs the mark";
  ASSERT_EQ(firewall->executed.size(), 1u);
  EXPECT_NE(firewall->executed[0].find("insert rule ip filter DOCKER-USER iifname \"br0\""),
            std::string::npos);
  ASSERT_EQ(keeper.findings().size(), 1u);
  EXPECT_EQ(keeper.findings()[0].action, "accept rules for br0 in DOCKER-USER");
  EXPECT_TRUE(keeper.info().in_sync);
  EXPECT_NE(keeper.info().wanted.find("chain reply_mark"), std::string::npos);

  // The rules are there now: a refresh adds nothing.
  firewall->ruleset = nft_data("docker_with_berth_rules.json");
  state.bridges[0].name = "berth0";
  keeper.apply();
  ASSERT_EQ(firewall->executed.size(), 2u);  // old0's rule and the duplicate go
  EXPECT_EQ(firewall->executed[1].find("insert"), std::string::npos);

  // Other detectors' findings follow berth's own.
  keeper.add_finding_source([] {
    return std::vector<bridge::ForeignFinding>{{.table = "inet firewalld",
                                                .chain = "filter_FORWARD",
                                                .finding = "reject",
                                                .action = "none"}};
  });
  ASSERT_EQ(keeper.findings().size(), 2u);
  EXPECT_EQ(keeper.findings()[1].table, "inet firewalld");

  keeper.stop(/* keep_rules= */ false);
  ASSERT_EQ(firewall->executed.size(), 3u);
  EXPECT_EQ(firewall->executed[2].find("insert"), std::string::npos);
  EXPECT_NE(firewall->executed[2].find("delete rule ip filter DOCKER-USER handle"),
            std::string::npos);
  EXPECT_EQ(firewall->removes, 1);
}

TEST_F(FirewallKeeperTest, ForeignFalseOnlyReports) {
  firewall->ruleset = nft_data("docker_ruleset.json");
  keeper.set_foreign(false);
  keeper.enable(std::move(owned));
  EXPECT_TRUE(firewall->executed.empty());
  EXPECT_FALSE(firewall->applied.at(0).reply_mark);
  ASSERT_EQ(keeper.findings().size(), 1u);
  EXPECT_EQ(keeper.findings()[0].action, "none (foreign = false)");
  keeper.stop(/* keep_rules= */ true);
  EXPECT_TRUE(firewall->executed.empty());
}

}  // namespace
}  // namespace berth::server
