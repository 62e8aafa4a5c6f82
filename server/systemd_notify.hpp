// berthd's side of systemd's service protocol (sd_notify(3)): READY=1 once
// the bridges are served, RELOADING=1 around a SIGHUP, STOPPING=1 on the way
// out, and WATCHDOG=1 from the io thread at half the unit's WatchdogSec, so a
// wedged event loop gets berthd restarted. Without NOTIFY_SOCKET (not started
// by systemd) every call is a no-op.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <string>

namespace berth::server {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(boost::asio::io_context& io);

  // READY=1 with a STATUS= line; starts the watchdog pings when the unit
  // asked for them (WATCHDOG_USEC).
  void ready(const std::string& status);
  // RELOADING=1 (with MONOTONIC_USEC, as systemd 253's notify-reload wants);
  // follow with ready() when the reload is over.
  void reloading();
  void stopping();

  // The watchdog interval systemd asked for; zero when none.
  std::chrono::microseconds watchdog_interval() const { return watchdog_; }

 private:
  void send(const std::string& state);
  void arm_watchdog();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds watchdog_{0};
  bool pinging_ = false;
};

}  // namespace berth::server
