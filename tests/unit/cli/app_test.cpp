// berthctl end to end, in process: cli::run() against a real ControlServer
// on a socket in a temporary directory, with an in-memory fake of berthd.
#include "cli/app.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/client.hpp"
#include "api/response.hpp"
#include "server/control_server.hpp"

namespace berth::cli {
namespace {

namespace net = boost::asio;
using nlohmann::json;
using server::ApiResponse;

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }
MacAddress mac(const char* s) { return *MacAddress::parse(s); }

ApiResponse reply(int status, const json& j) {
  return ApiResponse{
      .status = status, .content_type = "application/json", .body = api::json_text(j)};
}
ApiResponse refuse(int status, std::string message) {
  return ApiResponse{
      .status = status,
      .content_type = "application/json",
      .body = api::error_body({.status = status, .message = std::move(message), .allow = {}})};
}

// berthd in miniature: reservations in a vector, one lease, refusals where
// berthd would refuse.
class FakeBerthd : public server::ControlBackend {
 public:
  void handle(const api::Request& req, const server::Peer&,
              std::function<void(ApiResponse)> done) override {
    std::lock_guard lock(mu);
    requests.push_back(req);
    done(answer(req));
  }

  ApiResponse answer(const api::Request& req) {
    if (std::holds_alternative<api::GetStatus>(req)) {
      return reply(200,
                   api::Status{.version = "0.1.0",
                               .uptime_s = 7500,
                               .bridges = 1,
                               .leases = {.bound = 1, .released = 0, .expired = 0, .declined = 0},
                               .reservations = reservations.size(),
                               .database = "/var/lib/berth/berth.db",
                               .config = "/etc/berth/berth.toml"});
    }
    if (std::holds_alternative<api::ListBridges>(req)) {
      return reply(200, api::BridgeList{.bridges = {{.name = "br0",
                                                     .address = *Ipv4Prefix::parse("198.18.0.1/24"),
                                                     .pool_start = ip("198.18.0.10"),
                                                     .pool_end = ip("198.18.0.200"),
                                                     .pool_size = 191,
                                                     .leases_bound = 1,
                                                     .domain = "lab"}}});
    }
    if (const auto* l = std::get_if<api::ListLeases>(&req)) {
      api::LeaseList list;
      if (!l->bridge || *l->bridge == "br0") list.leases.push_back(lease);
      return reply(200, list);
    }
    if (const auto* f = std::get_if<api::ForgetLease>(&req)) {
      if (f->bridge != lease.bridge || f->ip != lease.ip) {
        return refuse(404, "no lease for " + f->ip.to_string() + " on " + f->bridge);
      }
      return reply(200, lease);
    }
    if (const auto* l = std::get_if<api::ListReservations>(&req)) {
      api::ReservationList list;
      for (const auto& r : reservations) {
        if (!l->bridge || *l->bridge == r.bridge) list.reservations.push_back(r);
      }
      return reply(200, list);
    }
    if (const auto* a = std::get_if<api::AddReservation>(&req)) {
      const auto& c = a->reservation;
      for (const auto& r : reservations) {
        if (r.ip == c.ip) {
          return refuse(409, c.ip.to_string() + " is already reserved (reservation " +
                                 std::to_string(r.id) + ")");
        }
      }
      api::ReservationInfo r{.id = next_id++,
                             .bridge = c.bridge,
                             .match = c.match,
                             .mac = c.mac,
                             .client_id = c.client_id,
                             .hostname = c.hostname,
                             .ip = c.ip,
                             .name = c.name,
                             .source = api::ReservationSource::api};
      reservations.push_back(r);
      api::ReservationChange change{.reservation = r, .forgotten_leases = {}};
      if (c.force && c.ip == lease.ip) change.forgotten_leases.push_back(lease);
      return reply(201, change);
    }
    if (const auto* d = std::get_if<api::DeleteReservation>(&req)) {
      for (auto it = reservations.begin(); it != reservations.end(); ++it) {
        if (it->id == d->id) {
          api::ReservationChange change{.reservation = *it, .forgotten_leases = {}};
          reservations.erase(it);
          return reply(200, change);
        }
      }
      return refuse(404, "no reservation " + std::to_string(d->id));
    }
    if (const auto* p = std::get_if<api::PatchReservation>(&req)) {
      for (auto& r : reservations) {
        if (r.id == p->id) {
          if (p->patch.ip) r.ip = *p->patch.ip;
          if (p->patch.name) r.name = *p->patch.name;
          return reply(200, api::ReservationChange{.reservation = r, .forgotten_leases = {}});
        }
      }
      return refuse(404, "no reservation " + std::to_string(p->id));
    }
    if (std::holds_alternative<api::Reload>(req)) {
      return reply(200, api::ReloadResult{.config = "/etc/berth/berth.toml",
                                          .bridges = 2,
                                          .bridges_added = {"br1"},
                                          .bridges_removed = {},
                                          .bridges_changed = {}});
    }
    if (const auto* l = std::get_if<api::ListForwards>(&req)) {
      api::ForwardList list;
      for (const auto& f : forwards) {
        if (!l->bridge || *l->bridge == f.bridge) list.forwards.push_back(f);
      }
      return reply(200, list);
    }
    if (const auto* a = std::get_if<api::AddForward>(&req)) {
      const auto& c = a->forward;
      if (c.bridge != "br0") return refuse(404, "no bridge named " + c.bridge);
      for (const auto& f : forwards) {
        if (f.proto == c.proto && f.host_port == c.host_port) {
          return refuse(409, "forward conflicts with forward " + std::to_string(f.id));
        }
      }
      api::ForwardInfo f{
          .id = next_id++,
          .bridge = c.bridge,
          .proto = c.proto,
          .host_address = c.host_address,
          .host_port = c.host_port,
          .to = c.to,
          .to_port = c.to_port,
          .target = c.to == "c57" ? std::optional(lease.ip) : Ipv4Address::parse(c.to),
          .source = api::ForwardSource::api};
      forwards.push_back(f);
      return reply(201, f);
    }
    if (const auto* d = std::get_if<api::DeleteForward>(&req)) {
      for (auto it = forwards.begin(); it != forwards.end(); ++it) {
        if (it->id == d->id) {
          const api::ForwardInfo gone = *it;
          forwards.erase(it);
          return reply(200, gone);
        }
      }
      return refuse(404, "no forward " + std::to_string(d->id));
    }
    if (const auto* a = std::get_if<api::Attach>(&req)) {
      if (a->netns == "missing") return refuse(404, "no network namespace named missing");
      return reply(201, api::AttachResult{.bridge = a->bridge,
                                          .host_ifname = "vb0a1b2c3d",
                                          .ifname = a->ifname,
                                          .mac = a->mac.value_or(mac("02:00:00:00:00:99"))});
    }
    if (const auto* d = std::get_if<api::Detach>(&req)) {
      return reply(200, api::DetachResult{.bridge = d->bridge, .ifname = d->ifname});
    }
    if (std::holds_alternative<api::GetFirewall>(req)) return reply(200, firewall);
    return ApiResponse{.status = 200,
                       .content_type = "text/plain; version=0.0.4",
                       .body = "berth_leases{bridge=\"br0\",state=\"bound\"} 1\n"};
  }

  template <class T>
  std::vector<T> requests_of() {
    std::lock_guard lock(mu);
    std::vector<T> out;
    for (const auto& r : requests) {
      if (const auto* t = std::get_if<T>(&r)) out.push_back(*t);
    }
    return out;
  }

  std::mutex mu;
  std::vector<api::Request> requests;
  std::vector<api::ReservationInfo> reservations;
  std::vector<api::ForwardInfo> forwards;
  api::FirewallInfo firewall;
  void set_firewall(api::FirewallInfo f) {
    std::lock_guard lock(mu);
    firewall = std::move(f);
  }
  int64_t next_id = 1;
  api::LeaseInfo lease{.bridge = "br0",
                       .ip = ip("198.18.0.57"),
                       .mac = mac("00:16:3e:00:00:57"),
                       .client_id = {},
                       .hostname = "c57",
                       .state = api::LeaseState::bound,
                       .expires_at = 1735693200,
                       .updated_at = 1735689600};
};

struct Outcome {
  int rc = -1;
  std::string out;
  std::string err;
};

class BerthctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berthctl-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/berthd.sock";
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }

  void TearDown() override {
    if (thread_.joinable()) {
      std::promise<void> stopped;
      net::post(io_, [&] {
        server_->stop();
        stopped.set_value();
      });
      stopped.get_future().wait();
      work_.reset();
      thread_.join();
    }
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start() {
    server_ = std::make_unique<server::ControlServer>(io_, path_, 0660, std::nullopt, berthd_,
                                                      server::ControlServerLimits{});
    thread_ = std::thread([this] { io_.run(); });
  }

  Outcome berthctl(std::vector<std::string> args, bool with_socket = true) {
    std::vector<std::string> full = {"berthctl"};
    if (with_socket) {
      full.push_back("--socket");
      full.push_back(path_);
    }
    full.insert(full.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : full) argv.push_back(a.c_str());
    std::ostringstream out, err;
    Outcome r;
    r.rc = cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  std::string write_file(const std::string& name, const std::string& text) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }

  std::string dir_;
  std::string path_;
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
  FakeBerthd berthd_;
  std::unique_ptr<server::ControlServer> server_;
  std::thread thread_;
};

TEST_F(BerthctlTest, Status) {
  start();
  Outcome r = berthctl({"status"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "berthd        0.1.0\n"
            "up            2h 5m\n"
            "config        /etc/berth/berth.toml\n"
            "database      /var/lib/berth/berth.db\n"
            "bridges       1\n"
            "leases        1 bound, 0 released, 0 expired, 0 declined\n"
            "reservations  0\n");
  // --json after the subcommand, too.
  r = berthctl({"status", "--json"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(json::parse(r.out).get<api::Status>().uptime_s, 7500);
}

TEST_F(BerthctlTest, BridgesAndLeasesTables) {
  start();
  Outcome r = berthctl({"bridges"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "BRIDGE  ADDRESS        POOL                      BOUND  DOMAIN\n"
            "br0     198.18.0.1/24  198.18.0.10-198.18.0.200  1/191  lab\n");
  r = berthctl({"leases", "--bridge", "br0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "BRIDGE  IP           MAC                HOSTNAME  STATE  EXPIRES\n"
            "br0     198.18.0.57  00:16:3e:00:00:57  c57       bound  2025-01-01 01:00:00\n");
  ASSERT_EQ(berthd_.requests_of<api::ListLeases>().size(), 1u);
  EXPECT_EQ(berthd_.requests_of<api::ListLeases>()[0].bridge, "br0");
}

TEST_F(BerthctlTest, ReservationLifecycle) {
  start();
  Outcome r = berthctl({"reservation", "add", "--bridge", "br0", "--mac", "00:16:3E:AA:BB:CC",
                        "--ip", "198.18.0.10", "--name", "web"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "added reservation 1 on br0: 00:16:3e:aa:bb:cc -> 198.18.0.10 (web)\n");
  auto adds = berthd_.requests_of<api::AddReservation>();
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0].reservation.mac, mac("00:16:3e:aa:bb:cc"));
  EXPECT_FALSE(adds[0].reservation.force);

  // The same address again: berthd's 409 and its sentence, exit 1.
  r = berthctl(
      {"reservation", "add", "--bridge", "br0", "--hostname", "db", "--ip", "198.18.0.10"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: 198.18.0.10 is already reserved (reservation 1)\n");
  r = berthctl({"--json", "reservation", "add", "--bridge", "br0", "--hostname", "db", "--ip",
                "198.18.0.10"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(json::parse(r.err).at("status"), 409);

  // --force, and the lease it forgot.
  r = berthctl({"reservation", "add", "-b", "br0", "--client-id", "01:02:03", "--ip", "198.18.0.57",
                "--force"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "added reservation 2 on br0: client-id 01:02:03 -> 198.18.0.57\n"
            "forgot lease 198.18.0.57 on br0 of 00:16:3e:00:00:57 (c57)\n");

  r = berthctl({"reservation", "list"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  BRIDGE  MATCH      CLIENT             IP           NAME  SOURCE\n"
            "1   br0     mac        00:16:3e:aa:bb:cc  198.18.0.10  web   api\n"
            "2   br0     client-id  01:02:03           198.18.0.57  -     api\n");

  r = berthctl({"reservation", "set", "1", "--ip", "198.18.0.11", "--no-name"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "changed reservation 1 on br0: 00:16:3e:aa:bb:cc -> 198.18.0.11\n");
  auto patches = berthd_.requests_of<api::PatchReservation>();
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0],
            (api::PatchReservation{
                .id = 1, .patch = {.ip = ip("198.18.0.11"), .name = "", .force = false}}));

  r = berthctl({"reservation", "rm", "2"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "removed reservation 2 on br0: client-id 01:02:03 -> 198.18.0.57\n");
  r = berthctl({"reservation", "rm", "2"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: no reservation 2\n");
}

TEST_F(BerthctlTest, LeaseForgetReloadMetrics) {
  start();
  Outcome r = berthctl({"lease", "forget", "--bridge", "br0", "198.18.0.57"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "forgot lease 198.18.0.57 on br0 of 00:16:3e:00:00:57 (c57)\n");
  r = berthctl({"lease", "forget", "--bridge", "br0", "198.18.0.58"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: no lease for 198.18.0.58 on br0\n");

  r = berthctl({"reload"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "reloaded /etc/berth/berth.toml: 2 bridges\n  added: br1\n");
  r = berthctl({"metrics"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "berth_leases{bridge=\"br0\",state=\"bound\"} 1\n");
}

TEST_F(BerthctlTest, ForwardLifecycle) {
  start();
  Outcome r = berthctl({"forward", "add", "--bridge", "br0", "tcp", "8080", "c57:80"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "added forward 1 on br0: tcp *:8080 -> c57:80 (now 198.18.0.57)\n");
  auto adds = berthd_.requests_of<api::AddForward>();
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0].forward, (api::ForwardCreate{.bridge = "br0",
                                                 .proto = api::ForwardProto::tcp,
                                                 .host_address = std::nullopt,
                                                 .host_port = 8080,
                                                 .to = "c57",
                                                 .to_port = 80}));

  // No port after the target: the host port. A host address; options after
  // the positionals.
  r = berthctl({"forward", "add", "udp", "5353", "198.18.0.9", "--bridge", "br0", "--host-address",
                "192.0.2.1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "added forward 2 on br0: udp 192.0.2.1:5353 -> 198.18.0.9:5353\n");
  adds = berthd_.requests_of<api::AddForward>();
  ASSERT_EQ(adds.size(), 2u);
  EXPECT_EQ(adds[1].forward.host_address, ip("192.0.2.1"));
  EXPECT_EQ(adds[1].forward.to_port, 5353);
  // 0.0.0.0 is every address, as no --host-address.
  r = berthctl(
      {"forward", "add", "-b", "br0", "tcp", "9000", "web:90", "--host-address", "0.0.0.0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(berthd_.requests_of<api::AddForward>().back().forward.host_address, std::nullopt);

  // berthd's refusals: exit 1 with its sentence.
  r = berthctl({"forward", "add", "--bridge", "br0", "tcp", "8080", "web:81"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: forward conflicts with forward 1\n");
  r = berthctl({"forward", "add", "--bridge", "br9", "tcp", "1", "web"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: no bridge named br9\n");

  r = berthctl({"forward", "list"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  BRIDGE  PROTO  HOST            TO               TARGET       SOURCE\n"
            "1   br0     tcp    *:8080          c57:80           198.18.0.57  api\n"
            "2   br0     udp    192.0.2.1:5353  198.18.0.9:5353  198.18.0.9   api\n"
            "3   br0     tcp    *:9000          web:90           -            api\n");
  r = berthctl({"forward", "list", "--bridge", "br1", "--json"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out).get<api::ForwardList>().forwards.empty());
  EXPECT_EQ(berthd_.requests_of<api::ListForwards>().back().bridge, "br1");

  r = berthctl({"forward", "rm", "2"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "removed forward 2 on br0: udp 192.0.2.1:5353 -> 198.18.0.9:5353\n");
  r = berthctl({"--json", "forward", "rm", "2"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(json::parse(r.err).at("status"), 404);
}

TEST_F(BerthctlTest, AttachAndDetach) {
  start();
  Outcome r = berthctl({"attach", "--bridge", "br0", "--netns", "web"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "attached eth0 (02:00:00:00:00:99) in netns web to br0 through vb0a1b2c3d\n");
  auto attaches = berthd_.requests_of<api::Attach>();
  ASSERT_EQ(attaches.size(), 1u);
  EXPECT_EQ(attaches[0], (api::Attach{.bridge = "br0",
                                      .netns = "web",
                                      .pid = std::nullopt,
                                      .ifname = "eth0",
                                      .mac = std::nullopt}));
  r = berthctl({"attach", "--bridge", "br0", "--pid", "4242", "--ifname", "net1", "--mac",
                "02:16:3E:00:00:01"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "attached net1 (02:16:3e:00:00:01) in pid 4242 to br0 through vb0a1b2c3d\n");
  attaches = berthd_.requests_of<api::Attach>();
  ASSERT_EQ(attaches.size(), 2u);
  EXPECT_EQ(attaches[1], (api::Attach{.bridge = "br0",
                                      .netns = std::nullopt,
                                      .pid = 4242,
                                      .ifname = "net1",
                                      .mac = mac("02:16:3e:00:00:01")}));
  r = berthctl({"attach", "--bridge", "br0", "--netns", "missing"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: no network namespace named missing\n");
  r = berthctl({"--json", "attach", "--bridge", "br0", "--netns", "web"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).get<api::AttachResult>().host_ifname, "vb0a1b2c3d");

  r = berthctl({"detach", "--bridge", "br0", "--pid", "4242", "--ifname", "net1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "detached net1 in pid 4242 from br0\n");
  r = berthctl({"detach", "--bridge", "br0", "--netns", "web"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "detached eth0 in netns web from br0\n");
  const auto detaches = berthd_.requests_of<api::Detach>();
  ASSERT_EQ(detaches.size(), 2u);
  EXPECT_EQ(detaches[1],
            (api::Detach{.bridge = "br0", .netns = "web", .pid = std::nullopt, .ifname = "eth0"}));
}

TEST_F(BerthctlTest, FirewallShow) {
  start();
  const std::string table = "table inet berth {\n\tchain input {\n\t}\n}\n";
  berthd_.set_firewall({.enabled = true, .in_sync = true, .wanted = table, .kernel = table});
  Outcome r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "wanted by berthd:\n" + table + "\nin the kernel:\n" + table + "\nin sync\n");

  berthd_.set_firewall({.enabled = true,
                        .in_sync = false,
                        .wanted = table,
                        .kernel = std::string("table inet berth {\x1b[31m\n}")});
  r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.rc, 0) << r.err;
  // Escape bytes never reach the terminal; a missing last newline is added.
  EXPECT_EQ(r.out, "wanted by berthd:\n" + table +
                       "\nin the kernel:\ntable inet berth {\\x1b[31m\n}\n\ndiffers\n");

  berthd_.set_firewall(
      {.enabled = true, .in_sync = false, .wanted = table, .kernel = std::nullopt});
  r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.out,
            "wanted by berthd:\n" + table + "\nin the kernel:\n(no table inet berth)\n\nmissing\n");
  r = berthctl({"firewall", "show", "--json"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(json::parse(r.out).get<api::FirewallInfo>(), berthd_.firewall);

  berthd_.set_firewall({.enabled = false, .in_sync = false, .wanted = "", .kernel = std::nullopt});
  r = berthctl({"firewall", "show"});
  EXPECT_EQ(r.out, "berthd does not manage the firewall ([firewall] enabled = false)\n");
}

TEST_F(BerthctlTest, UsageErrorsExit2) {
  start();
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"status", "--bogus"},
           {"reservation"},
           {"reservation", "add", "--bridge", "br0", "--ip", "198.18.0.10"},  // no client
           {"reservation", "add", "--bridge", "br0", "--mac", "00:16:3e:aa:bb:cc", "--hostname",
            "x", "--ip", "198.18.0.10"},
           {"reservation", "add", "--bridge", "br0", "--mac", "00:16:3e:aa:bb", "--ip",
            "198.18.0.10"},
           {"reservation", "add", "--mac", "00:16:3e:aa:bb:cc", "--ip", "198.18.0.10"},
           {"reservation", "add", "--bridge", "br0", "--mac", "00:16:3e:aa:bb:cc", "--ip",
            "198.18.0.0.1"},
           {"reservation", "add", "--bridge", "br0", "--mac", "00:16:3e:aa:bb:cc", "--ip",
            "198.18.0.10", "--name", "a.b"},
           {"reservation", "add", "--bridge", "this-name-is-too-long", "--mac", "00:16:3e:aa:bb:cc",
            "--ip", "198.18.0.10"},
           {"reservation", "rm", "0"},
           {"reservation", "rm", "x"},
           {"reservation", "set", "1"},
           {"reservation", "set", "1", "--name", "a", "--no-name"},
           {"lease", "forget", "198.18.0.57"},
           {"lease", "forget", "--bridge", "br0", "nope"},
           {"--timeout", "0", "status"},
           {"attach", "--bridge", "br0"},  // no namespace
           {"attach", "--bridge", "br0", "--netns", "a", "--pid", "4"},
           {"attach", "--netns", "a"},  // no bridge
           {"attach", "--bridge", "br0", "--netns", "/run/netns/a"},
           {"attach", "--bridge", "br0", "--netns", ".."},
           {"attach", "--bridge", "br0", "--pid", "0"},
           {"attach", "--bridge", "br0", "--pid", "4194305"},
           {"attach", "--bridge", "br0", "--pid", "x"},
           {"attach", "--bridge", "br0", "--pid", "1", "--mac", "01:00:5e:00:00:01"},
           {"attach", "--bridge", "br0", "--pid", "1", "--ifname", "0123456789abcdef"},
           {"attach", "--bridge", "br0", "--pid", "1", "--ifname", ""},
           {"detach", "--bridge", "br0"},
           {"detach", "--bridge", "br0", "--pid", "1", "--mac", "02:00:00:00:00:01"},
           {"forward"},
           {"forward", "add", "tcp", "8080", "web:80"},  // no bridge
           {"forward", "add", "--bridge", "br0", "sctp", "8080", "web:80"},
           {"forward", "add", "--bridge", "br0", "tcp", "0", "web:80"},
           {"forward", "add", "--bridge", "br0", "tcp", "65536", "web:80"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080", "web:0"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080", "web.lxc:80"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080", "web", "--host-address", "x"},
           {"forward", "add", "--bridge", "br0", "tcp", "8080", "web", "--host-address",
            "224.0.0.1"},
           {"forward", "rm"},
           {"forward", "rm", "-3"},
           {"forward", "list", "--bridge", "a/b"},
           {"firewall"},
           {"firewall", "show", "extra"},
       }) {
    Outcome r = berthctl(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.rc, 2) << joined << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << joined;
  }
  // None of them reached berthd.
  std::lock_guard lock(berthd_.mu);
  EXPECT_TRUE(berthd_.requests.empty());
}

TEST_F(BerthctlTest, HelpOnEverySubcommand) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--help"},
           {"status", "--help"},
           {"bridges", "--help"},
           {"leases", "--help"},
           {"lease", "forget", "--help"},
           {"reservation", "add", "--help"},
           {"reservation", "rm", "--help"},
           {"reservation", "set", "--help"},
           {"reservation", "list", "--help"},
           {"reload", "--help"},
           {"metrics", "--help"},
           {"config", "check", "--help"},
           {"import", "--help"},
           {"import", "dnsmasq-leases", "--help"},
           {"import", "dnsmasq-hosts", "--help"},
           {"import", "lxd", "--help"},
           {"import", "libvirt", "--help"},
           {"attach", "--help"},
           {"detach", "--help"},
           {"forward", "--help"},
           {"forward", "add", "--help"},
           {"forward", "rm", "--help"},
           {"forward", "list", "--help"},
           {"firewall", "--help"},
           {"firewall", "show", "--help"},
       }) {
    Outcome r = berthctl(args, /*with_socket=*/false);
    EXPECT_EQ(r.rc, 0) << args[0];
    EXPECT_NE(r.out.find("Usage: "), std::string::npos) << args[0];
    // A sentence before the usage line.
    EXPECT_NE(r.out.find("Usage: "), 0u) << args[0];
  }
  Outcome r = berthctl({"--version"}, false);
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, std::string("berthctl ") + BERTH_VERSION + "\n");
}

TEST_F(BerthctlTest, DaemonNotRunning) {
  Outcome r = berthctl({"status"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: berthd is not running (no socket at " + path_ + ")\n");

  // A socket file nothing listens on.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  r = berthctl({"reservation", "list"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, "berthctl: berthd is not running (nothing listens on " + path_ + ")\n");
}

TEST_F(BerthctlTest, PermissionSentenceNamesTheGroup) {
  const std::string file = write_file("sock", "");
  // The group of a file this test created is its own.
  EXPECT_EQ(api::connect_problem(file, EACCES), "permission denied on " + file +
                                                    ": run as root or as a member of group " +
                                                    std::string(::getgrgid(::getegid())->gr_name));
  EXPECT_EQ(api::connect_problem(dir_ + "/missing/sock", EACCES),
            "permission denied on " + dir_ +
                "/missing/sock: run as root or as a member of the group that owns it");
}

TEST_F(BerthctlTest, SocketFromEnvironment) {
  start();
  ::setenv("BERTH_SOCKET", path_.c_str(), 1);
  Outcome r = berthctl({"status"}, /*with_socket=*/false);
  ::unsetenv("BERTH_SOCKET");
  EXPECT_EQ(r.rc, 0) << r.err;
}

TEST_F(BerthctlTest, ConfigCheckIsOffline) {
  const std::string good =
      write_file("good.toml", "[[bridge]]\nname = \"br0\"\naddress = \"198.18.0.1/24\"\n");
  Outcome r = berthctl({"config", "check", good});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, good.size() + 14), good + ": OK, 1 bridge");
  EXPECT_NE(r.out.find("br0     198.18.0.1/24"), std::string::npos) << r.out;

  const std::string bad = write_file("bad.toml", "[[bridge]]\nname = \"br0\"\nadress = \"x\"\n");
  r = berthctl({"config", "check", bad});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err.rfind("berthctl: " + bad + ":3:", 0), 0u) << r.err;
  r = berthctl({"--json", "config", "check", bad});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(json::parse(r.out).at("ok"), false);
  r = berthctl({"config", "check", dir_ + "/none.toml"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos);
}

TEST_F(BerthctlTest, ImportDnsmasqLeasesAsReservations) {
  start();
  const std::string file = std::string(BERTH_TEST_DATA_DIR) + "/import/dnsmasq.lxcbr0.leases";
  Outcome r = berthctl({"import", "dnsmasq-leases", file, "--bridge", "lxcbr0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  const auto adds = berthd_.requests_of<api::AddReservation>();
  ASSERT_GE(adds.size(), 4u);
  EXPECT_EQ(adds[0].reservation, (api::ReservationCreate{.bridge = "lxcbr0",
                                                         .match = api::MatchKind::mac,
                                                         .mac = mac("00:16:3e:5a:1b:01"),
                                                         .client_id = {},
                                                         .hostname = {},
                                                         .ip = ip("10.0.3.23"),
                                                         .name = "web",
                                                         .force = false}));
  EXPECT_EQ(adds[1].reservation.name, "");  // '*': no host name
  EXPECT_NE(r.out.find("imported " + std::to_string(adds.size()) + " of " +
                       std::to_string(adds.size()) + " reservation(s) from " + file),
            std::string::npos)
      << r.out;

  // Again: every entry is already there; nothing is sent, exit 0.
  const size_t sent = berthd_.requests_of<api::AddReservation>().size();
  r = berthctl({"import", "dnsmasq-leases", file, "--bridge", "lxcbr0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(berthd_.requests_of<api::AddReservation>().size(), sent);
  EXPECT_NE(r.out.find("imported 0 of " + std::to_string(adds.size()) + " reservation(s) from " +
                       file + ", " + std::to_string(adds.size()) + " already there"),
            std::string::npos)
      << r.out;

  // Another client on an address already reserved: refused, exit 1.
  const std::string other = dir_ + "/other.leases";
  std::ofstream(other) << "1700000000 00:16:3e:99:99:99 10.0.3.23 thief *\n";
  r = berthctl({"import", "dnsmasq-leases", other, "--bridge", "lxcbr0"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("berthctl: 00:16:3e:99:99:99 -> 10.0.3.23: 10.0.3.23 is already reserved"),
            std::string::npos)
      << r.err;
}

TEST_F(BerthctlTest, ImportDryRunContactsNobody) {
  const std::string file = std::string(BERTH_TEST_DATA_DIR) + "/import/virbr0.status";
  Outcome r = berthctl({"import", "libvirt", file, "--bridge", "virbr0", "--dry-run"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("virbr0  52:54:00:3c:7e:10  192.168.122.45   fedora39\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(dry run: berthd was not contacted)"), std::string::npos);
  // The IPv6 entry is a problem, reported as a warning.
  EXPECT_NE(r.err.find("berthctl: warning: " + file + ": entry "), std::string::npos) << r.err;
}

TEST_F(BerthctlTest, ImportHostsFileAndLxdDirectory) {
  start();
  const std::string hosts = std::string(BERTH_TEST_DATA_DIR) + "/import/dnsmasq.hostsfile";
  Outcome r = berthctl({"--json", "import", "dnsmasq-hosts", hosts, "--bridge", "br-lab"});
  EXPECT_EQ(r.rc, 0) << r.err;
  const json result = json::parse(r.out);
  EXPECT_FALSE(result.at("added").empty());
  EXPECT_TRUE(result.at("refused").empty());
  bool saw_hostname = false, saw_client_id = false;
  for (const auto& a : berthd_.requests_of<api::AddReservation>()) {
    saw_hostname |=
        a.reservation.match == api::MatchKind::hostname && a.reservation.hostname == "camera";
    saw_client_id |= a.reservation.match == api::MatchKind::client_id;
  }
  EXPECT_TRUE(saw_hostname);
  EXPECT_TRUE(saw_client_id);

  const std::string lxd = std::string(BERTH_TEST_DATA_DIR) + "/import/lxd/lxdbr0/dnsmasq.hosts";
  const size_t before = berthd_.requests_of<api::AddReservation>().size();
  r = berthctl({"import", "lxd", lxd, "--bridge", "lxdbr0"});
  EXPECT_LE(r.rc, 1) << r.err;
  EXPECT_GT(berthd_.requests_of<api::AddReservation>().size(), before);
  r = berthctl({"import", "lxd", hosts, "--bridge", "lxdbr0"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("is not a directory"), std::string::npos);
  r = berthctl({"import", "libvirt", dir_ + "/missing.status", "--bridge", "virbr0"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace berth::cli
