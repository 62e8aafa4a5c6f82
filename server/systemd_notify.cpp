#include "server/systemd_notify.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstring>

namespace berth::server {

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io) : timer_(io) {
  uint64_t usec = 0;
  // 0: do not unset the variables, a reload keeps them.
  if (sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

void SystemdNotifier::send(const std::string& state) {
  const int rc = sd_notify(0, state.c_str());
  if (rc < 0) spdlog::warn("sd_notify({}): {}", state.substr(0, state.find('\n')), strerror(-rc));
}

void SystemdNotifier::ready(const std::string& status) {
  send("READY=1\nSTATUS=" + status);
  if (watchdog_.count() > 0 && !pinging_) {
    pinging_ = true;
    spdlog::info("systemd watchdog: a ping every {} ms", watchdog_.count() / 2000);
    arm_watchdog();
  }
}

void SystemdNotifier::reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void SystemdNotifier::stopping() {
  timer_.cancel();
  send("STOPPING=1");
}

// Pinged from the io thread, the one that serves every packet: the pings stop
// when it does.
void SystemdNotifier::arm_watchdog() {
  timer_.expires_after(watchdog_ / 2);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    send("WATCHDOG=1");
    arm_watchdog();
  });
}

}  // namespace berth::server
