// What berthctl's tests share: cli::run() end to end, in process, against a
// real ControlServer on a socket in a temporary directory, with an
// in-memory fake of berthd.
#pragma once

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
#include "cli/app.hpp"
#include "server/control_server.hpp"

namespace berth::cli::test {

namespace net = boost::asio;
using nlohmann::json;
using server::ApiResponse;

inline Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }
inline MacAddress mac(const char* s) { return *MacAddress::parse(s); }

inline ApiResponse reply(int status, const json& j) {
  return ApiResponse{
      .status = status, .content_type = "application/json", .body = api::json_text(j)};
}
inline ApiResponse refuse(int status, std::string message) {
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
          .target = c.to == "c57" ? std::optional(lease.ip.v4()) : Ipv4Address::parse(c.to),
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

}  // namespace berth::cli::test
