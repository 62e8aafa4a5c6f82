#include "server/lease_committer.hpp"

#include <boost/asio/post.hpp>

namespace berth::server {

void WriterCommitter::submit(std::vector<leases::LeaseChange> changes, Done done) {
  writer_.submit(std::move(changes), [this, done = std::move(done)](bool ok) mutable {
    bool first;
    {
      std::lock_guard lock(mu_);
      first = finished_.empty();
      finished_.push_back(Finished{std::move(done), ok});
    }
    if (first) boost::asio::post(io_, [this] { run_finished(); });
  });
}

void WriterCommitter::run_finished() {
  {
    std::lock_guard lock(mu_);
    running_.swap(finished_);
  }
  for (Finished& f : running_) f.done(f.ok);
  running_.clear();
}

}  // namespace berth::server
