#include "leases/lease_script.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace berth::leases {
namespace {

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }
MacAddress mac(uint8_t last) { return MacAddress({0x02, 0, 0, 0, 0, last}); }

Lease bound(uint8_t m, const char* name, int64_t expires) {
  return Lease{.bridge = "br0",
               .ip = ip("198.18.0.10"),
               .mac = mac(m),
               .client_id = {},
               .hostname = name,
               .state = LeaseState::bound,
               .expires_at = expires,
               .updated_at = 0};
}

Lease with_state(Lease l, LeaseState s, int64_t expires) {
  l.state = s;
  l.expires_at = expires;
  return l;
}

const ScriptContext kCtx{.interface = "br0", .domain = "lab", .now = 1000, .renewals = true};

// The value of NAME in the call's environment, or nullopt.
std::optional<std::string> env(const ScriptCall& c, std::string_view name) {
  const std::string prefix = std::string(name) + "=";
  for (const std::string& e : c.env) {
    if (e.rfind(prefix, 0) == 0) return e.substr(prefix.size());
  }
  return std::nullopt;
}

using Args = std::vector<std::string>;

TEST(LeaseScript, NewLeaseIsAddWithRequestEnvironment) {
  ScriptRequest req{.supplied_hostname = "web",
                    .vendor_class = "udhcp 1.36",
                    .user_classes = {"iPXE", "lab"},
                    .requested_options = {1, 3, 6, 15},
                    .mud_url = {},
                    .relay = std::nullopt,
                    .known = true};
  Lease after = bound(1, "web", 4600);
  after.client_id = {0x01, 0x02, 0, 0, 0, 0, 0x01};
  auto calls = script_calls(std::nullopt, after, &req, kCtx);
  ASSERT_EQ(calls.size(), 1u);
  const ScriptCall& c = calls[0];
  EXPECT_EQ(c.action, ScriptAction::add);
  EXPECT_EQ(c.args, (Args{"add", "02:00:00:00:00:01", "198.18.0.10", "web"}));
  EXPECT_EQ(env(c, "DNSMASQ_INTERFACE"), "br0");
  EXPECT_EQ(env(c, "DNSMASQ_LEASE_EXPIRES"), "4600");
  EXPECT_EQ(env(c, "DNSMASQ_TIME_REMAINING"), "3600");
  EXPECT_EQ(env(c, "DNSMASQ_DOMAIN"), "lab");
  EXPECT_EQ(env(c, "DNSMASQ_CLIENT_ID"), "01:02:00:00:00:00:01");
  EXPECT_EQ(env(c, "DNSMASQ_SUPPLIED_HOSTNAME"), "web");
  EXPECT_EQ(env(c, "DNSMASQ_VENDOR_CLASS"), "udhcp 1.36");
  EXPECT_EQ(env(c, "DNSMASQ_USER_CLASS0"), "iPXE");
  EXPECT_EQ(env(c, "DNSMASQ_USER_CLASS1"), "lab");
  EXPECT_EQ(env(c, "DNSMASQ_USER_CLASS2"), std::nullopt);
  EXPECT_EQ(env(c, "DNSMASQ_REQUESTED_OPTIONS"), "1,3,6,15");
  EXPECT_EQ(env(c, "DNSMASQ_TAGS"), "br0 known");
  EXPECT_EQ(env(c, "DNSMASQ_RELAY_ADDRESS"), std::nullopt);
  EXPECT_EQ(env(c, "DNSMASQ_OLD_HOSTNAME"), std::nullopt);
  for (const std::string& e : c.env) EXPECT_EQ(e.rfind("DNSMASQ_", 0), 0u) << e;
}

TEST(LeaseScript, NamelessLeaseHasNoHostnameArgumentNorDomain) {
  auto calls = script_calls(std::nullopt, bound(1, "", 4600), nullptr, kCtx);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].args, (Args{"add", "02:00:00:00:00:01", "198.18.0.10"}));
  EXPECT_EQ(env(calls[0], "DNSMASQ_DOMAIN"), std::nullopt);
  EXPECT_EQ(env(calls[0], "DNSMASQ_CLIENT_ID"), std::nullopt);
  EXPECT_EQ(env(calls[0], "DNSMASQ_SUPPLIED_HOSTNAME"), std::nullopt);
}

TEST(LeaseScript, RenewalIsOldOnlyWithRenewals) {
  ScriptRequest req;
  req.supplied_hostname = "web";
  auto calls = script_calls(bound(1, "web", 4600), bound(1, "web", 5000), &req, kCtx);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].args, (Args{"old", "02:00:00:00:00:01", "198.18.0.10", "web"}));
  EXPECT_EQ(env(calls[0], "DNSMASQ_LEASE_EXPIRES"), "5000");
  EXPECT_EQ(env(calls[0], "DNSMASQ_SUPPLIED_HOSTNAME"), "web");

  ScriptContext plain = kCtx;
  plain.renewals = false;  // dnsmasq without --script-on-renewal
  EXPECT_TRUE(script_calls(bound(1, "web", 4600), bound(1, "web", 5000), &req, plain).empty());
  // The same lease committed again unchanged: nothing to tell.
  EXPECT_TRUE(script_calls(bound(1, "web", 4600), bound(1, "web", 4600), &req, kCtx).empty());
}

TEST(LeaseScript, HostnameChangeIsOldEvenWithoutRenewals) {
  ScriptContext plain = kCtx;
  plain.renewals = false;
  auto renamed = script_calls(bound(1, "web", 4600), bound(1, "db", 4600), nullptr, plain);
  ASSERT_EQ(renamed.size(), 1u);
  EXPECT_EQ(renamed[0].args, (Args{"old", "02:00:00:00:00:01", "198.18.0.10", "db"}));
  EXPECT_EQ(env(renamed[0], "DNSMASQ_OLD_HOSTNAME"), "web");

  // dnsmasq(8): a removed name: "old" with no name, the former in OLD_HOSTNAME.
  auto removed = script_calls(bound(1, "web", 4600), bound(1, "", 4600), nullptr, plain);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].args, (Args{"old", "02:00:00:00:00:01", "198.18.0.10"}));
  EXPECT_EQ(env(removed[0], "DNSMASQ_OLD_HOSTNAME"), "web");

  auto named = script_calls(bound(1, "", 4600), bound(1, "web", 4600), nullptr, plain);
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].action, ScriptAction::old);
  EXPECT_EQ(env(named[0], "DNSMASQ_OLD_HOSTNAME"), std::nullopt);
}

TEST(LeaseScript, MacChangeOfTheSameClientIdIsOld) {
  Lease a = bound(1, "web", 4600);
  a.client_id = {0xff, 1, 2, 3};
  Lease b = a;
  b.mac = mac(2);
  ScriptContext plain = kCtx;
  plain.renewals = false;
  auto calls = script_calls(a, b, nullptr, plain);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].args, (Args{"old", "02:00:00:00:00:02", "198.18.0.10", "web"}));
}

TEST(LeaseScript, AnotherClientAtTheAddressIsDelThenAdd) {
  auto calls = script_calls(bound(1, "web", 4600), bound(2, "db", 4700), nullptr, kCtx);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].args, (Args{"del", "02:00:00:00:00:01", "198.18.0.10", "web"}));
  EXPECT_EQ(calls[1].args, (Args{"add", "02:00:00:00:00:02", "198.18.0.10", "db"}));
}

TEST(LeaseScript, ReleaseExpiryDeclineAndForgetAreDel) {
  const Lease was = bound(1, "web", 4600);
  for (LeaseState s : {LeaseState::released, LeaseState::expired, LeaseState::declined}) {
    auto calls = script_calls(was, with_state(was, s, 1000), nullptr, kCtx);
    ASSERT_EQ(calls.size(), 1u) << to_string(s);
    EXPECT_EQ(calls[0].args, (Args{"del", "02:00:00:00:00:01", "198.18.0.10", "web"}));
    // The lease ended now: nothing remains.
    EXPECT_EQ(env(calls[0], "DNSMASQ_LEASE_EXPIRES"), "1000");
    EXPECT_EQ(env(calls[0], "DNSMASQ_TIME_REMAINING"), "0");
    EXPECT_EQ(env(calls[0], "DNSMASQ_INTERFACE"), "br0");
  }
  auto erased = script_calls(was, std::nullopt, nullptr, kCtx);
  ASSERT_EQ(erased.size(), 1u);
  EXPECT_EQ(erased[0].action, ScriptAction::del);
  EXPECT_EQ(env(erased[0], "DNSMASQ_TIME_REMAINING"), "3600");
}

TEST(LeaseScript, NothingForRecordsThatWereNotLeases) {
  const Lease released = with_state(bound(1, "web", 4600), LeaseState::released, 900);
  // Forgetting a released lease, releasing twice, a quarantine: no lease came or went.
  EXPECT_TRUE(script_calls(released, std::nullopt, nullptr, kCtx).empty());
  EXPECT_TRUE(script_calls(released, released, nullptr, kCtx).empty());
  EXPECT_TRUE(
      script_calls(std::nullopt, with_state(released, LeaseState::declined, 2000), nullptr, kCtx)
          .empty());
  // Coming back to a released address is a new lease, as in dnsmasq.
  auto back = script_calls(released, bound(1, "web", 5000), nullptr, kCtx);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].action, ScriptAction::add);
}

TEST(LeaseScript, StartupCallIsOldWithDataMissingAndNoInterface) {
  auto call = script_startup_call(bound(1, "web", 4600), kCtx);
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->args, (Args{"old", "02:00:00:00:00:01", "198.18.0.10", "web"}));
  EXPECT_EQ(env(*call, "DNSMASQ_DATA_MISSING"), "1");
  EXPECT_EQ(env(*call, "DNSMASQ_INTERFACE"), std::nullopt);
  EXPECT_EQ(env(*call, "DNSMASQ_TAGS"), std::nullopt);
  // Expired by now, or released: none.
  EXPECT_FALSE(script_startup_call(bound(1, "web", 999), kCtx).has_value());
  EXPECT_FALSE(
      script_startup_call(with_state(bound(1, "web", 4600), LeaseState::released, 4600), kCtx));
}

Lease bound6(uint32_t iaid, const char* name, int64_t expires) {
  Lease l = bound(1, name, expires);
  l.ip = *Ipv6Address::parse("fd00:6::1:10");
  l.client_id = {0, 3, 0, 1, 2, 0, 0, 0, 0, 1};  // DUID-LL
  l.iaid = iaid;
  return l;
}

TEST(LeaseScript, Dhcpv6LeaseHasTheDuidIaidAndServerDuidAsDnsmasqGivesThem) {
  ScriptContext ctx = kCtx;
  ctx.server_duid = {0, 4, 0xaa, 0xbb};
  auto calls = script_calls(std::nullopt, bound6(7, "web", 4600), nullptr, ctx);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].args, (Args{"add", "00:03:00:01:02:00:00:00:00:01", "fd00:6::1:10", "web"}));
  EXPECT_EQ(env(calls[0], "DNSMASQ_IAID"), "7");
  EXPECT_EQ(env(calls[0], "DNSMASQ_SERVER_DUID"), "00:04:aa:bb");
  EXPECT_EQ(env(calls[0], "DNSMASQ_MAC"), "02:00:00:00:00:01");
  EXPECT_EQ(env(calls[0], "DNSMASQ_CLIENT_ID"), std::nullopt);
  EXPECT_EQ(env(calls[0], "DNSMASQ_INTERFACE"), "br0");

  // Another IAID of the same DUID at the address is another binding.
  auto moved = script_calls(bound6(7, "web", 4600), bound6(8, "web", 4600), nullptr, ctx);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].action, ScriptAction::del);
  EXPECT_EQ(moved[1].action, ScriptAction::add);
  // Renewed: old. Released: del. Unknown MAC: no DNSMASQ_MAC.
  auto renewed = script_calls(bound6(7, "web", 4600), bound6(7, "web", 5600), nullptr, ctx);
  ASSERT_EQ(renewed.size(), 1u);
  EXPECT_EQ(renewed[0].action, ScriptAction::old);
  Lease anonymous = bound6(7, "", 4600);
  anonymous.mac = MacAddress();
  auto gone =
      script_calls(anonymous, with_state(anonymous, LeaseState::released, 1000), nullptr, ctx);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].args, (Args{"del", "00:03:00:01:02:00:00:00:00:01", "fd00:6::1:10"}));
  EXPECT_EQ(env(gone[0], "DNSMASQ_MAC"), std::nullopt);
  // Start-up: old, as for DHCPv4.
  auto startup = script_startup_call(bound6(7, "web", 4600), ctx);
  ASSERT_TRUE(startup.has_value());
  EXPECT_EQ(startup->action, ScriptAction::old);
  EXPECT_EQ(env(*startup, "DNSMASQ_IAID"), "7");
}

dhcp4::Message request_with(std::vector<std::pair<uint8_t, Bytes>> options) {
  dhcp4::Message m;
  m.set_mac(mac(1));
  m.set_type(dhcp4::MessageType::request);
  for (auto& [code, value] : options) m.options.set(code, value);
  return m;
}

TEST(LeaseScript, RequestOfReadsOptions) {
  auto m = request_with({
      {dhcp4::opt::hostname, Bytes{'w', 'e', 'b'}},
      {dhcp4::opt::vendor_class, Bytes{'v', 0x01, 'c'}},
      {77, Bytes{4, 'i', 'P', 'X', 'E', 2, 'a', 'b'}},
      {dhcp4::opt::parameter_request_list, Bytes{1, 3, 6, 121}},
      {161, Bytes{'h', 't', 't', 'p', 's', ':', '/', '/', 'm'}},
  });
  m.giaddr = ip("198.18.1.1");
  ScriptRequest r = script_request_of(m);
  EXPECT_EQ(r.supplied_hostname, "web");
  EXPECT_EQ(r.vendor_class, "v?c");  // a control byte cannot stand in the environment
  EXPECT_EQ(r.user_classes, (std::vector<std::string>{"iPXE", "ab"}));
  EXPECT_EQ(r.requested_options, (std::vector<uint8_t>{1, 3, 6, 121}));
  EXPECT_EQ(r.mud_url, "https://m");
  EXPECT_EQ(r.relay, ip("198.18.1.1"));
  auto calls = script_calls(std::nullopt, bound(1, "web", 4600), &r, kCtx);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(env(calls[0], "DNSMASQ_RELAY_ADDRESS"), "198.18.1.1");
  EXPECT_EQ(env(calls[0], "DNSMASQ_MUD_URL"), "https://m");
  EXPECT_EQ(env(calls[0], "DNSMASQ_TAGS"), "br0");
}

TEST(LeaseScript, UserClassThatIsNotRfc3004IsOneClass) {
  // "MSFT 5.0" sent bare: its first byte (77, 'M') is longer than the rest.
  auto m = request_with({{77, Bytes{'M', 'S', 'F', 'T', ' ', '5', '.', '0'}}});
  EXPECT_EQ(script_request_of(m).user_classes, (std::vector<std::string>{"MSFT 5.0"}));
  auto zero = request_with({{77, Bytes{0, 'a'}}});
  EXPECT_EQ(script_request_of(zero).user_classes, (std::vector<std::string>{"?a"}));
}

TEST(LeaseScript, SuppliedHostnameFallsBackToClientFqdn) {
  dhcp4::ClientFqdn fqdn{.flags = dhcp4::ClientFqdn::kFlagS, .name = "box.lab"};
  auto m = request_with({{dhcp4::opt::client_fqdn, dhcp4::encode_client_fqdn(fqdn)}});
  EXPECT_EQ(script_request_of(m).supplied_hostname, "box.lab");
  EXPECT_EQ(script_request_of(request_with({})).supplied_hostname, "");
}

}  // namespace
}  // namespace berth::leases
