#include "server/event_feed.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "api/events.hpp"

namespace berth::server {

class EventFeed::Follower : public StreamSource, public std::enable_shared_from_this<Follower> {
 public:
  Follower(EventFeed& feed, int64_t after, bool sse, std::optional<leases::Event> first)
      : feed_(feed), cursor_(after), sse_(sse), first_(std::move(first)) {}

  void start(std::weak_ptr<StreamSink> sink) override {
    sink_ = std::move(sink);
    if (first_) {
      if (!send(*first_)) return;
      first_.reset();
    }
    pump();
  }
  void resume() override {
    if (waiting_) pump();
  }
  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    feed_.forget(this);
  }

  // Writes what is committed after the cursor, a batch at a time.
  void pump() {
    if (stopped_ || yielded_) return;
    auto sink = sink_.lock();
    if (!sink) return stop();
    waiting_ = false;
    if (sink->unsent() >= kHighWater) {
      waiting_ = true;  // resume() comes when the client has read it
      return;
    }
    std::vector<leases::Event> batch;
    try {
      batch = feed_.reader_.events_after(cursor_, kBatch);
    } catch (const leases::StoreError& e) {
      spdlog::error("events: cannot read events after {}: {}", cursor_, e.what());
      return;
    }
    for (const leases::Event& e : batch) {
      if (!send(e)) return;
    }
    if (batch.size() == kBatch) {
      // More to read: let DHCP and other requests run first.
      yielded_ = true;
      boost::asio::post(feed_.io_, [self = shared_from_this()] {
        self->yielded_ = false;
        self->pump();
      });
    }
  }

 private:
  bool send(const leases::Event& e) {
    auto sink = sink_.lock();
    if (!sink || !sink->write(sse_ ? api::event_sse(e) : api::event_line(e))) {
      stop();
      return false;
    }
    if (e.kind != leases::EventKind::gap || e.cursor > cursor_) cursor_ = e.cursor;
    return true;
  }

  EventFeed& feed_;
  int64_t cursor_;
  const bool sse_;
  std::optional<leases::Event> first_;
  std::weak_ptr<StreamSink> sink_;
  bool stopped_ = false;
  bool waiting_ = false;
  bool yielded_ = false;
};

EventFeed::EventFeed(boost::asio::io_context& io, leases::LeaseStore& reader)
    : io_(io), reader_(reader) {}

EventFeed::~EventFeed() { *alive_ = false; }

std::shared_ptr<StreamSource> EventFeed::follow(int64_t after, bool sse,
                                                std::optional<leases::Event> first) {
  auto f = std::make_shared<Follower>(*this, after, sse, std::move(first));
  followers_.push_back(f);
  return f;
}

void EventFeed::forget(Follower* f) {
  followers_.remove_if([f](const std::shared_ptr<Follower>& x) { return x.get() == f; });
}

void EventFeed::notify() {
  if (posted_ || followers_.empty()) return;
  posted_ = true;
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    posted_ = false;
    wake_all();
  });
}

void EventFeed::wake_all() {
  // pump() may end a follower (its client gone), which erases it: walk a copy.
  std::vector<std::shared_ptr<Follower>> now(followers_.begin(), followers_.end());
  for (const auto& f : now) f->pump();
}

}  // namespace berth::server
