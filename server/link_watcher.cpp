#include "server/link_watcher.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>

namespace berth::server {
namespace asio = boost::asio;

namespace {
// Events come in bursts (a bridge and its ports go together): wait for the
// burst to end before looking.
constexpr auto kSettle = std::chrono::milliseconds(100);
constexpr auto kRetry = std::chrono::milliseconds(1000);
}  // namespace

LinkWatcher::LinkWatcher(asio::io_context& io, Concerns concerns, Reconcile reconcile)
    : io_(io), concerns_(std::move(concerns)), reconcile_(std::move(reconcile)), timer_(io) {}

LinkWatcher::~LinkWatcher() = default;

void LinkWatcher::start() {
  try {
    monitor_ = std::make_unique<bridge::LinkMonitor>();
  } catch (const std::exception& e) {
    spdlog::error("link monitor: {}; a bridge deleted under berthd will not be re-bound", e.what());
    return;
  }
  // The stream_descriptor owns (and closes) its fd; the monitor keeps its own.
  const int fd = ::fcntl(monitor_->fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    spdlog::error("link monitor: cannot duplicate its socket");
    monitor_.reset();
    return;
  }
  sd_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  wait();
}

void LinkWatcher::wait() {
  sd_->async_wait(asio::posix::stream_descriptor::wait_read,
                  [this](const boost::system::error_code& ec) {
                    if (ec) return;
                    std::vector<bridge::LinkEvent> events;
                    try {
                      events = monitor_->read_events();
                    } catch (const std::exception& e) {
                      spdlog::warn("link monitor: {}", e.what());
                    }
                    if (!events.empty() && concerns_(events)) schedule(kSettle);
                    wait();
                  });
}

void LinkWatcher::schedule(std::chrono::milliseconds delay) {
  if (pending_) return;
  pending_ = true;
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    pending_ = false;
    if (ec) return;
    if (reconcile_()) schedule(kRetry);
  });
}

}  // namespace berth::server
