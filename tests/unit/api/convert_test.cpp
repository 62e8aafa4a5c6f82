// The API's view of the store's and the config's records.
#include "api/convert.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/unit/api/api_test_util.hpp"

namespace berth::api {
namespace {

using nlohmann::json;

using test::ip;
using test::mac;

leases::Lease stored_lease(leases::LeaseState state) {
  return leases::Lease{.bridge = "lxcbr0",
                       .ip = ip("198.18.0.57"),
                       .mac = mac("00:16:3e:aa:bb:cc"),
                       .client_id = {0x01, 0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc},
                       .hostname = "web",
                       .state = state,
                       .expires_at = 2000,
                       .updated_at = 1000};
}

TEST(ApiConvert, LeaseInfoCopiesEveryFieldAndTheStateAtNow) {
  const LeaseInfo info = lease_info(stored_lease(leases::LeaseState::bound), 1999);
  EXPECT_EQ(info, (LeaseInfo{.bridge = "lxcbr0",
                             .ip = ip("198.18.0.57"),
                             .mac = mac("00:16:3e:aa:bb:cc"),
                             .client_id = {0x01, 0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc},
                             .hostname = "web",
                             .state = LeaseState::bound,
                             .expires_at = 2000,
                             .updated_at = 1000}));
  // Past its expiry a bound lease shows as expired, before the sweep.
  EXPECT_EQ(lease_info(stored_lease(leases::LeaseState::bound), 2000).state, LeaseState::expired);
  // The other states are what the store says, whatever the time.
  EXPECT_EQ(lease_info(stored_lease(leases::LeaseState::released), 5000).state,
            LeaseState::released);
  EXPECT_EQ(lease_info(stored_lease(leases::LeaseState::declined), 5000).state,
            LeaseState::declined);
  EXPECT_EQ(json(lease_info(stored_lease(leases::LeaseState::declined), 0)).at("state"),
            "declined");
}

leases::Reservation stored_reservation(leases::MatchKind kind) {
  // Every key filled: only the one of `kind` may reach the API.
  return leases::Reservation{.id = 7,
                             .bridge = "lxcbr0",
                             .match = kind,
                             .mac = mac("00:16:3e:aa:bb:cc"),
                             .client_id = {0xff, 0x00, 0x01},
                             .hostname_match = "Web-1",
                             .ip = ip("198.18.0.10"),
                             .name = "web",
                             .from_config = false};
}

TEST(ApiConvert, ReservationInfoCarriesOnlyTheKeyOfItsMatch) {
  const ReservationInfo by_mac = reservation_info(stored_reservation(leases::MatchKind::mac));
  EXPECT_EQ(by_mac, (ReservationInfo{.id = 7,
                                     .bridge = "lxcbr0",
                                     .match = MatchKind::mac,
                                     .mac = mac("00:16:3e:aa:bb:cc"),
                                     .client_id = {},
                                     .hostname = {},
                                     .ip = ip("198.18.0.10"),
                                     .name = "web",
                                     .source = ReservationSource::api}));
  const ReservationInfo by_id = reservation_info(stored_reservation(leases::MatchKind::client_id));
  EXPECT_EQ(by_id.match, MatchKind::client_id);
  EXPECT_EQ(by_id.client_id, (Bytes{0xff, 0x00, 0x01}));
  EXPECT_TRUE(by_id.mac.is_zero());
  EXPECT_TRUE(by_id.hostname.empty());
  const ReservationInfo by_name = reservation_info(stored_reservation(leases::MatchKind::hostname));
  EXPECT_EQ(by_name.hostname, "Web-1");
  EXPECT_TRUE(by_name.mac.is_zero());
  EXPECT_TRUE(by_name.client_id.empty());
}

TEST(ApiConvert, ConfigReservationsHaveIdZeroAndSourceConfig) {
  leases::Reservation r = stored_reservation(leases::MatchKind::mac);
  r.from_config = true;
  r.id = 3;  // whatever the table numbered it, the API has no id to act on
  const ReservationInfo info = reservation_info(r);
  EXPECT_EQ(info.id, 0);
  EXPECT_EQ(info.source, ReservationSource::config);
  EXPECT_EQ(json(info).at("source"), "config");
}

TEST(ApiConvert, TheApiSpellsTheMatchAsTheDatabaseDoes) {
  for (auto kind :
       {leases::MatchKind::mac, leases::MatchKind::client_id, leases::MatchKind::hostname}) {
    const json j = reservation_info(stored_reservation(kind));
    EXPECT_EQ(j.at("match"), leases::to_string(kind));
    // The match's name is also the key that carries the client.
    EXPECT_TRUE(j.contains(leases::to_string(kind))) << j.dump();
  }
}

TEST(ApiConvert, ReservationFromARequest) {
  const ReservationCreate by_id{.bridge = "lxcbr0",
                                .match = MatchKind::client_id,
                                .mac = mac("02:00:00:00:00:01"),
                                .client_id = {0x01, 0x02},
                                .hostname = "ignored",
                                .ip = ip("198.18.0.11"),
                                .name = "db",
                                .force = true};
  const leases::Reservation r = reservation_from(by_id);
  EXPECT_EQ(r, (leases::Reservation{.id = 0,
                                    .bridge = "lxcbr0",
                                    .match = leases::MatchKind::client_id,
                                    .mac = {},
                                    .client_id = {0x01, 0x02},
                                    .hostname_match = {},
                                    .ip = ip("198.18.0.11"),
                                    .name = "db",
                                    .from_config = false}));

  ReservationCreate by_name = by_id;
  by_name.match = MatchKind::hostname;
  by_name.hostname = "DB";
  EXPECT_EQ(reservation_from(by_name).hostname_match, "DB");
  EXPECT_TRUE(reservation_from(by_name).client_id.empty());

  // Stored and listed, it reads as it was asked for.
  ReservationCreate by_mac = by_id;
  by_mac.match = MatchKind::mac;
  const ReservationInfo back = reservation_info(reservation_from(by_mac));
  EXPECT_EQ(back.mac, by_mac.mac);
  EXPECT_TRUE(back.client_id.empty());
  EXPECT_EQ(back.ip, by_mac.ip);
  EXPECT_EQ(back.name, by_mac.name);
  EXPECT_EQ(back.source, ReservationSource::api);
}

TEST(ApiConvert, ForwardsOfTheDatabase) {
  const leases::StoredForward stored{.id = 4,
                                     .bridge = "berth0",
                                     .proto = "udp",
                                     .host_address = ip("192.0.2.1"),
                                     .host_port = 5353,
                                     .to = "dns",
                                     .to_port = 53,
                                     .created_at = 1700000000};
  EXPECT_EQ(forward_info(stored), (ForwardInfo{.id = 4,
                                               .bridge = "berth0",
                                               .proto = ForwardProto::udp,
                                               .host_address = ip("192.0.2.1"),
                                               .host_port = 5353,
                                               .to = "dns",
                                               .to_port = 53,
                                               .target = std::nullopt,
                                               .source = ForwardSource::api}));
  leases::StoredForward odd = stored;
  odd.proto = "sctp";
  EXPECT_THROW((void)forward_info(odd), std::invalid_argument);

  const ForwardCreate c{.bridge = "berth0",
                        .proto = ForwardProto::tcp,
                        .host_address = std::nullopt,
                        .host_port = 8080,
                        .to = "web",
                        .to_port = 80};
  const leases::StoredForward row = stored_forward(c, 1700000001);
  EXPECT_EQ(row, (leases::StoredForward{.id = 0,
                                        .bridge = "berth0",
                                        .proto = "tcp",
                                        .host_address = std::nullopt,
                                        .host_port = 8080,
                                        .to = "web",
                                        .to_port = 80,
                                        .created_at = 1700000001}));
  // Stored and listed, it reads as it was asked for.
  const ForwardInfo back = forward_info(row);
  EXPECT_EQ(back.proto, c.proto);
  EXPECT_EQ(back.host_port, c.host_port);
  EXPECT_EQ(back.to, c.to);
}

TEST(ApiConvert, ForwardsOfTheConfigFile) {
  config::ForwardConfig f;
  f.proto = config::ForwardConfig::Proto::udp;
  f.host_address = std::nullopt;
  f.host_port = 53;
  f.to = "198.18.0.5";
  f.to_port = 5353;
  EXPECT_EQ(forward_info("berth0", f), (ForwardInfo{.id = 0,
                                                    .bridge = "berth0",
                                                    .proto = ForwardProto::udp,
                                                    .host_address = std::nullopt,
                                                    .host_port = 53,
                                                    .to = "198.18.0.5",
                                                    .to_port = 5353,
                                                    .target = std::nullopt,
                                                    .source = ForwardSource::config}));
  EXPECT_EQ(forward_proto(config::ForwardConfig::Proto::tcp), ForwardProto::tcp);
  // The config file and the API name the protocols alike.
  for (auto p : {config::ForwardConfig::Proto::tcp, config::ForwardConfig::Proto::udp}) {
    EXPECT_EQ(to_string(forward_proto(p)), config::to_string(p));
  }
}

}  // namespace
}  // namespace berth::api
