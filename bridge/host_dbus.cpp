#include "bridge/host_dbus.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <variant>

namespace berth::bridge {

namespace {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as sd_bus_get_timeout's

constexpr const char* kResolvedName = "org.freedesktop.resolve1";
constexpr const char* kResolvedPath = "/org/freedesktop/resolve1";
constexpr const char* kResolvedManager = "org.freedesktop.resolve1.Manager";
constexpr const char* kFirewalldName = "org.fedoraproject.FirewallD1";
constexpr const char* kFirewalldPath = "/org/fedoraproject/FirewallD1";
constexpr const char* kFirewalldZone = "org.fedoraproject.FirewallD1.zone";
constexpr const char* kTrustedZone = "trusted";

constexpr auto kReconnectEvery = std::chrono::seconds(10);
constexpr auto kFirstRetry = std::chrono::seconds(1);
constexpr auto kLastRetry = std::chrono::seconds(30);

uint64_t usec(std::chrono::milliseconds d) {
  return static_cast<uint64_t>(std::max<int64_t>(d.count(), 1)) * 1000;
}

// A failed call, as one line: the D-Bus error's name and message, else errno's.
struct CallError {
  std::string text;
};

class BusError {
 public:
  BusError() = default;
  ~BusError() { sd_bus_error_free(&e_); }
  BusError(const BusError&) = delete;
  BusError& operator=(const BusError&) = delete;
  sd_bus_error* get() { return &e_; }
  std::string text(int r) const {
    if (sd_bus_error_is_set(&e_)) {
      return fmt::format("{}: {}", e_.name, e_.message ? e_.message : "");
    }
    return std::strerror(-r);
  }

 private:
  sd_bus_error e_ = SD_BUS_ERROR_NULL;
};

struct MessagePtr {
  sd_bus_message* m = nullptr;
  MessagePtr() = default;
  ~MessagePtr() { sd_bus_message_unref(m); }
  MessagePtr(const MessagePtr&) = delete;
  MessagePtr& operator=(const MessagePtr&) = delete;
};

// A berthd started in a network namespace of its own (`ip netns exec`, a
// test lab) that reaches the host's default system bus would hand its
// ifindexes and interface names to a resolved and a firewalld that see the
// host's links: other links. So the default bus is used only from PID 1's
// network namespace; a bus named in $DBUS_SYSTEM_BUS_ADDRESS is trusted to
// be the right one. Unknown (no access to /proc/1, as for a user without
// CAP_SYS_PTRACE): assumed to be the same, hence asked in the constructor,
// before berthd gives up root.
bool bus_sees_our_links() {
  const char* address = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  if (address != nullptr && *address != '\0') return true;
  struct stat ours {};
  struct stat init {};
  if (::stat("/proc/self/ns/net", &ours) != 0 || ::stat("/proc/1/ns/net", &init) != 0) return true;
  return ours.st_dev == init.st_dev && ours.st_ino == init.st_ino;
}

std::string servers_text(const ResolvedLink& link) {
  std::string out;
  for (const ResolvedServer& s : link.servers) {
    if (!out.empty()) out += ' ';
    if (s.family == AF_INET && s.address.size() == 4) {
      out += Ipv4Address::from_bytes(s.address).to_string();
    } else if (s.family == AF_INET6 && s.address.size() == 16) {
      out += Ipv6Address::from_bytes(s.address).to_string();
    }
    if (s.port != 53) out += fmt::format(":{}", s.port);
  }
  return out;
}

std::string domains_text(const ResolvedLink& link) {
  std::string out;
  for (const std::string& d : link.domains) out += (out.empty() ? "~" : " ~") + d;
  return out;
}

}  // namespace

// Everything the worker thread owns: the bus and what it registered.
struct HostDbus::Worker {
  HostDbus& owner;
  const HostDbusOptions& options;
  sd_bus* bus = nullptr;
  Clock::time_point next_connect{};
  bool told_no_bus = false;
  bool resolved_present = false;
  bool told_no_resolved = false;
  bool firewalld_present = false;
  bool dirty = true;  // apply the wanted state at the next turn
  std::optional<Clock::time_point> retry_at;
  Clock::duration retry_delay = kFirstRetry;
  std::vector<LinkDns> wanted;
  std::map<int, ResolvedLink> registered;            // by ifindex
  std::map<int, std::string> last_error;             // by ifindex: log a repeated failure once
  std::map<std::string, bool> known;                 // firewalld: name -> bound by berth
  std::map<std::string, FirewalldFinding> findings;  // firewalld, by interface

  ~Worker() { disconnect(); }

  // ---- the bus ------------------------------------------------------------

  void disconnect() {
    if (bus != nullptr) bus = sd_bus_flush_close_unref(bus);
    resolved_present = firewalld_present = false;
    registered.clear();
    known.clear();
    findings.clear();
    publish_findings();
  }

  void connect() {
    if (Clock::now() < next_connect) return;
    int r = sd_bus_open_system(&bus);
    if (r < 0) {
      bus = nullptr;
      next_connect = Clock::now() + kReconnectEvery;
      if (!told_no_bus) {
        spdlog::info(
            "host D-Bus: no system bus ({}): bridges are not registered with systemd-resolved "
            "or firewalld until it appears",
            std::strerror(-r));
        told_no_bus = true;
      }
      return;
    }
    sd_bus_set_method_call_timeout(bus, usec(options.call_timeout));
    // Either service coming or going (a restart) means applying it all again.
    for (const char* name : {kResolvedName, kFirewalldName}) {
      if (r >= 0) {
        r =
            add_match(fmt::format("type='signal',sender='org.freedesktop.DBus',"
                                  "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                  "arg0='{}'",
                                  name));
      }
    }
    if (r >= 0) {
      r = add_match(fmt::format("type='signal',interface='{}',member='Reloaded'", kFirewalldName));
    }
    if (r < 0) {
      spdlog::warn("host D-Bus: cannot watch the system bus: {}", std::strerror(-r));
      disconnect();
      next_connect = Clock::now() + kReconnectEvery;
      return;
    }
    if (told_no_bus) spdlog::info("host D-Bus: connected to the system bus");
    told_no_bus = false;
    resolved_present = has_owner(kResolvedName);
    firewalld_present = has_owner(kFirewalldName);
    if (options.resolved && !resolved_present && !told_no_resolved) {
      spdlog::info(
          "host D-Bus: systemd-resolved is not on the system bus: bridges' DNS not registered "
          "with it (registered when it starts)");
      told_no_resolved = true;
    }
    if (options.firewalld && firewalld_present) spdlog::info("host D-Bus: firewalld is running");
    dirty = true;
  }

  int add_match(const std::string& rule) {
    return sd_bus_add_match(bus, nullptr, rule.c_str(), &Worker::on_signal, this);
  }

  bool has_owner(const char* name) {
    BusError error;
    MessagePtr reply;
    int r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "NameHasOwner", error.get(), &reply.m, "s",
                               name);
    int owned = 0;
    if (r >= 0) r = sd_bus_message_read(reply.m, "b", &owned);
    if (r < 0) {
      spdlog::warn("host D-Bus: cannot ask whether {} is on the bus: {}", name, error.text(r));
      return false;
    }
    return owned != 0;
  }

  static int on_signal(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
    auto* self = static_cast<Worker*>(userdata);
    if (sd_bus_message_is_signal(m, kFirewalldName, "Reloaded") > 0) {
      // A reload drops runtime bindings: bind again what berth had bound.
      spdlog::info("host D-Bus: firewalld reloaded: checking the bridges' zones again");
      self->known.clear();
      self->findings.clear();
      self->dirty = true;
      return 0;
    }
    const char* name = nullptr;
    const char* old_owner = nullptr;
    const char* new_owner = nullptr;
    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0) return 0;
    const bool present = new_owner != nullptr && *new_owner != '\0';
    if (std::strcmp(name, kResolvedName) == 0) {
      self->resolved_present = present;
      self->registered.clear();  // a new resolved knows nothing of berth's links
      self->last_error.clear();
      if (self->options.resolved) {
        spdlog::info("host D-Bus: systemd-resolved {} the system bus{}", present ? "is on" : "left",
                     present ? ": registering the bridges" : "");
      }
    } else if (std::strcmp(name, kFirewalldName) == 0) {
      self->firewalld_present = present;
      self->known.clear();
      self->findings.clear();
      if (self->options.firewalld) {
        spdlog::info("host D-Bus: firewalld {} the system bus", present ? "is on" : "left");
      }
    }
    self->dirty = true;
    return 0;
  }

  // ---- systemd-resolved ------------------------------------------------------

  // Calls Manager.`method` on resolved with `fill` appending the arguments.
  template <typename Fill>
  std::optional<CallError> call_resolved(const char* method, uint64_t timeout, Fill fill) {
    MessagePtr m;
    int r = sd_bus_message_new_method_call(bus, &m.m, kResolvedName, kResolvedPath,
                                           kResolvedManager, method);
    if (r >= 0) r = fill(m.m);
    BusError error;
    if (r >= 0) r = sd_bus_call(bus, m.m, timeout, error.get(), nullptr);
    if (r < 0) return CallError{fmt::format("{}: {}", method, error.text(r))};
    return std::nullopt;
  }

  std::optional<CallError> register_link(const ResolvedLink& link, uint64_t timeout) {
    const bool plain_port = std::all_of(link.servers.begin(), link.servers.end(),
                                        [](const ResolvedServer& s) { return s.port == 53; });
    // SetLinkDNS takes (family, address); SetLinkDNSEx (systemd 246) adds a
    // port and a TLS server name, needed only for a DNS port other than 53.
    auto e = call_resolved(plain_port ? "SetLinkDNS" : "SetLinkDNSEx", timeout, [&](auto* m) {
      int r = sd_bus_message_append(m, "i", link.ifindex);
      if (r >= 0) r = sd_bus_message_open_container(m, 'a', plain_port ? "(iay)" : "(iayqs)");
      for (const ResolvedServer& s : link.servers) {
        if (r >= 0) r = sd_bus_message_open_container(m, 'r', plain_port ? "iay" : "iayqs");
        if (r >= 0) r = sd_bus_message_append(m, "i", s.family);
        if (r >= 0) r = sd_bus_message_append_array(m, 'y', s.address.data(), s.address.size());
        if (r >= 0 && !plain_port) r = sd_bus_message_append(m, "qs", s.port, "");
        if (r >= 0) r = sd_bus_message_close_container(m);
      }
      if (r >= 0) r = sd_bus_message_close_container(m);
      return r;
    });
    if (e) return e;
    e = call_resolved("SetLinkDomains", timeout, [&](auto* m) {
      int r = sd_bus_message_append(m, "i", link.ifindex);
      if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sb)");
      for (const std::string& d : link.domains) {
        if (r >= 0) r = sd_bus_message_append(m, "(sb)", d.c_str(), 1);  // routing-only
      }
      if (r >= 0) r = sd_bus_message_close_container(m);
      return r;
    });
    if (e) return e;
    return call_resolved("SetLinkDefaultRoute", timeout,
                         [&](auto* m) { return sd_bus_message_append(m, "ib", link.ifindex, 0); });
  }

  std::optional<CallError> revert_link(int ifindex, uint64_t timeout) {
    return call_resolved("RevertLink", timeout,
                         [&](auto* m) { return sd_bus_message_append(m, "i", ifindex); });
  }

  std::string name_of(int ifindex) const {
    for (const LinkDns& l : wanted) {
      if (l.ifindex == ifindex) return l.name;
    }
    return fmt::format("ifindex {}", ifindex);
  }

  // True when everything wanted is registered.
  bool apply_resolved() {
    std::vector<ResolvedLink> links;
    for (const LinkDns& l : wanted) {
      if (l.dns) links.push_back(resolved_link_of(l));
    }
    const ResolvedPlan plan = plan_resolved(registered, links);
    const uint64_t timeout = usec(options.call_timeout);
    for (int ifindex : plan.revert) {
      // A deleted bridge's link is gone from resolved too: nothing to undo.
      if (auto e = revert_link(ifindex, timeout)) {
        spdlog::debug("host D-Bus: resolved: ifindex {}: {}", ifindex, e->text);
      } else {
        spdlog::info("host D-Bus: resolved: ifindex {} reverted", ifindex);
      }
      registered.erase(ifindex);
      last_error.erase(ifindex);
    }
    bool complete = true;
    for (const ResolvedLink& link : plan.set) {
      const std::string name = name_of(link.ifindex);
      if (auto e = register_link(link, timeout)) {
        complete = false;
        registered.erase(link.ifindex);
        std::string& last = last_error[link.ifindex];
        if (last != e->text) {
          spdlog::warn("host D-Bus: resolved refused the DNS of {} (ifindex {}): {}; retrying",
                       name, link.ifindex, e->text);
          last = e->text;
        }
        continue;
      }
      registered[link.ifindex] = link;
      last_error.erase(link.ifindex);
      spdlog::info("host D-Bus: resolved: {} (ifindex {}) answers {} at {}", name, link.ifindex,
                   domains_text(link), servers_text(link));
    }
    return complete;
  }

  // ---- firewalld ---------------------------------------------------------------

  // zone.`method`(args...) -> s
  template <typename... Args>
  std::variant<std::string, CallError> call_zone(const char* method, const char* types,
                                                 uint64_t timeout, Args... args) {
    MessagePtr m;
    MessagePtr reply;
    BusError error;
    int r = sd_bus_message_new_method_call(bus, &m.m, kFirewalldName, kFirewalldPath,
                                           kFirewalldZone, method);
    if (r >= 0) r = sd_bus_message_append(m.m, types, args...);
    if (r >= 0) r = sd_bus_call(bus, m.m, timeout, error.get(), &reply.m);
    const char* out = nullptr;
    if (r >= 0) r = sd_bus_message_read(reply.m, "s", &out);
    if (r < 0) return CallError{fmt::format("{}: {}", method, error.text(r))};
    return std::string(out != nullptr ? out : "");
  }

  bool apply_firewalld() {
    std::vector<std::string> names;
    for (const LinkDns& l : wanted) names.push_back(l.name);
    const InterfacePlan plan = plan_interfaces(known, names);
    const uint64_t timeout = usec(options.call_timeout);
    bool complete = true;
    for (const std::string& name : plan.remove) {
      auto r = call_zone("removeInterface", "ss", timeout, kTrustedZone, name.c_str());
      if (auto* e = std::get_if<CallError>(&r)) {
        spdlog::warn("host D-Bus: firewalld: {} not removed from zone {}: {}", name, kTrustedZone,
                     e->text);
      } else {
        spdlog::info("host D-Bus: firewalld: {} removed from zone {}", name, kTrustedZone);
      }
      known.erase(name);
      findings.erase(name);
    }
    for (const std::string& name : plan.forget) {
      known.erase(name);
      findings.erase(name);
    }
    for (const std::string& name : plan.check) {
      auto zone = call_zone("getZoneOfInterface", "s", timeout, name.c_str());
      if (auto* e = std::get_if<CallError>(&zone)) {
        complete = false;
        findings[name] = {fmt::format("firewalld: cannot read the zone of {}: {}", name, e->text),
                          "none yet; retried"};
        continue;
      }
      const std::string& current = std::get<std::string>(zone);
      if (!current.empty()) {
        known[name] = false;
        findings[name] = {
            fmt::format("firewalld: interface {} is in zone {}", name, current),
            current == kTrustedZone
                ? std::string("left as it is (berth did not bind it, and will not unbind it)")
                : fmt::format("left as it is: zone {}'s rules decide what {} may forward "
                              "(firewall-cmd --zone=trusted --change-interface={} lets it)",
                              current, name, name)};
        spdlog::info("host D-Bus: firewalld: {} is in zone {} already: left there", name, current);
        continue;
      }
      auto added = call_zone("addInterface", "ss", timeout, kTrustedZone, name.c_str());
      if (auto* e = std::get_if<CallError>(&added)) {
        complete = false;
        findings[name] = {
            fmt::format("firewalld: {} could not join zone {}: {}", name, kTrustedZone, e->text),
            "none yet; retried"};
        spdlog::warn("host D-Bus: firewalld: {} not added to zone {}: {}", name, kTrustedZone,
                     e->text);
        continue;
      }
      known[name] = true;
      findings[name] = {
          fmt::format("firewalld: interface {} in zone {} (runtime only)", name, kTrustedZone),
          "added by berth so that firewalld lets it forward; removed when berthd stops"};
      spdlog::info("host D-Bus: firewalld: {} added to zone {} (runtime only)", name, kTrustedZone);
    }
    return complete;
  }

  void publish_findings() {
    std::vector<FirewalldFinding> list;
    for (const auto& [name, f] : findings) list.push_back(f);
    std::lock_guard lock(owner.mutex_);
    owner.findings_ = std::move(list);
  }

  // ---- the loop ----------------------------------------------------------------

  void apply() {
    bool complete = true;
    if (options.resolved && resolved_present) complete = apply_resolved() && complete;
    if (options.firewalld && firewalld_present) complete = apply_firewalld() && complete;
    publish_findings();
    dirty = false;
    if (complete) {
      retry_at.reset();
      retry_delay = kFirstRetry;
    } else {
      retry_at = Clock::now() + retry_delay;
      retry_delay = std::min<Clock::duration>(retry_delay * 2, kLastRetry);
    }
  }

  // Undoes everything within the stop budget.
  void undo() {
    if (bus == nullptr) return;
    const Clock::time_point deadline = Clock::now() + options.stop_budget;
    auto left = [&]() -> std::optional<uint64_t> {
      const auto rest =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (rest.count() <= 0) return std::nullopt;
      return usec(std::min(rest, options.call_timeout));
    };
    if (resolved_present) {
      for (const auto& [ifindex, link] : registered) {
        auto timeout = left();
        if (!timeout) {
          spdlog::warn("host D-Bus: out of time: ifindex {} stays registered in resolved", ifindex);
          continue;
        }
        if (auto e = revert_link(ifindex, *timeout)) {
          spdlog::warn("host D-Bus: resolved: {} not reverted: {}", name_of(ifindex), e->text);
        } else {
          spdlog::info("host D-Bus: resolved: {} (ifindex {}) reverted", name_of(ifindex), ifindex);
        }
      }
    }
    registered.clear();
    if (firewalld_present) {
      for (const auto& [name, ours] : known) {
        if (!ours) continue;
        auto timeout = left();
        if (!timeout) {
          spdlog::warn("host D-Bus: out of time: {} stays in firewalld zone {}", name,
                       kTrustedZone);
          continue;
        }
        auto r = call_zone("removeInterface", "ss", *timeout, kTrustedZone, name.c_str());
        if (auto* e = std::get_if<CallError>(&r)) {
          spdlog::warn("host D-Bus: firewalld: {} not removed from zone {}: {}", name, kTrustedZone,
                       e->text);
        } else {
          spdlog::info("host D-Bus: firewalld: {} removed from zone {}", name, kTrustedZone);
        }
      }
    }
    known.clear();
  }

  // Runs queued callbacks; false when the connection is gone.
  bool process() {
    for (;;) {
      const int r = sd_bus_process(bus, nullptr);
      if (r < 0) {
        spdlog::warn("host D-Bus: lost the system bus: {}", std::strerror(-r));
        return false;
      }
      if (r == 0) return sd_bus_is_open(bus) > 0;
    }
  }

  // Waits for the bus, a wake-up or the next deadline.
  void wait(int wake_fd) {
    std::optional<Clock::time_point> until = retry_at;
    auto sooner = [&](Clock::time_point t) {
      if (!until || t < *until) until = t;
    };
    if (bus == nullptr && (options.resolved || options.firewalld)) sooner(next_connect);
    pollfd fds[2] = {{.fd = wake_fd, .events = POLLIN, .revents = 0},
                     {.fd = -1, .events = 0, .revents = 0}};
    if (bus != nullptr) {
      fds[1].fd = sd_bus_get_fd(bus);
      fds[1].events = static_cast<short>(std::max(sd_bus_get_events(bus), 0));
      uint64_t at = 0;
      if (sd_bus_get_timeout(bus, &at) >= 0 && at != UINT64_MAX) {
        sooner(Clock::time_point(std::chrono::microseconds(at)));
      }
    }
    int timeout_ms = -1;
    if (until) {
      const auto rest = std::chrono::ceil<std::chrono::milliseconds>(*until - Clock::now());
      timeout_ms = static_cast<int>(std::clamp<int64_t>(rest.count(), 0, 60'000));
    }
    ::poll(fds, fds[1].fd >= 0 ? 2 : 1, timeout_ms);
    if (fds[0].revents & POLLIN) {
      uint64_t n = 0;
      (void)::read(wake_fd, &n, sizeof n);
    }
    if (retry_at && Clock::now() >= *retry_at) {
      retry_at.reset();
      dirty = true;
    }
  }
};

HostDbus::HostDbus(HostDbusOptions options)
    : options_(options), bus_sees_our_links_(bus_sees_our_links()) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  thread_ = std::thread([this] { run(); });
}

HostDbus::~HostDbus() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void HostDbus::set_links(std::vector<LinkDns> links) {
  {
    std::lock_guard lock(mutex_);
    wanted_ = std::move(links);
    changed_ = true;
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
}

void HostDbus::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

std::vector<FirewalldFinding> HostDbus::firewalld_findings() const {
  std::lock_guard lock(mutex_);
  return findings_;
}

void HostDbus::run() {
  Worker w{.owner = *this, .options = options_};
  const bool enabled = (options_.resolved || options_.firewalld) && bus_sees_our_links_;
  if (!enabled && (options_.resolved || options_.firewalld)) {
    spdlog::info(
        "host D-Bus: berthd runs in another network namespace than the host's init: bridges are "
        "not registered with systemd-resolved or firewalld on the system bus");
  }
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      if (changed_) {
        w.wanted = wanted_;
        changed_ = false;
        w.dirty = true;
      }
    }
    if (enabled && w.bus == nullptr) w.connect();
    if (w.bus != nullptr && !w.process()) {
      w.disconnect();
      w.next_connect = Clock::now() + kFirstRetry;
    }
    if (w.bus != nullptr && w.dirty) {
      w.apply();
      // Replies to the calls may have queued signals: run them before sleeping.
      if (!w.process()) {
        w.disconnect();
        w.next_connect = Clock::now() + kFirstRetry;
      }
    }
    if (w.bus != nullptr && w.dirty) continue;  // a signal asked for another pass
    w.wait(wake_fd_);
  }
  if (w.bus != nullptr && w.process()) w.undo();
}

}  // namespace berth::bridge
