// Watches the kernel's link and address notifications and, shortly after
// one that concerns a served bridge (deleted, created again, its address
// removed), asks the daemon to bring its bridges back. Without polling.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "bridge/link_monitor.hpp"

namespace berth::server {

class LinkWatcher {
 public:
  // Whether the events touch a served bridge (an event with ifindex 0 means
  // notifications were lost: treat it as touching everything).
  using Concerns = std::function<bool(const std::vector<bridge::LinkEvent>&)>;
  // Brings the bridges back; true when something failed and should be tried
  // again a second later.
  using Reconcile = std::function<bool()>;

  LinkWatcher(boost::asio::io_context& io, Concerns concerns, Reconcile reconcile);
  ~LinkWatcher();

  // Opens the rtnetlink socket and starts watching. A failure is logged: a
  // bridge deleted under berthd is then not re-bound.
  void start();

 private:
  void wait();
  void schedule(std::chrono::milliseconds delay);

  boost::asio::io_context& io_;
  Concerns concerns_;
  Reconcile reconcile_;
  std::unique_ptr<bridge::LinkMonitor> monitor_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> sd_;
  boost::asio::steady_timer timer_;
  bool pending_ = false;
};

}  // namespace berth::server
