// How the DHCP servers make lease changes durable before they answer: an
// interface, so tests decide when (and whether) a commit succeeds.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <mutex>
#include <vector>

#include "leases/lease.hpp"
#include "leases/writer.hpp"

namespace berth::server {

class LeaseCommitter {
 public:
  // Runs on the io_context thread once the changes are durable (ok) or
  // their transaction failed (!ok); never inside submit().
  using Done = std::function<void(bool ok)>;

  virtual ~LeaseCommitter() = default;
  // The changes are committed together, all or nothing.
  virtual void submit(std::vector<leases::LeaseChange> changes, Done done) = 0;
};

// The real one: the group-commit writer thread (leases/writer.hpp). Its
// reports are handed back to the io_context in batches: one post drains all
// that finished meanwhile, so a group commit of many leases costs one
// wake-up of the DHCP thread, not one each.
class WriterCommitter : public LeaseCommitter {
 public:
  WriterCommitter(boost::asio::io_context& io, leases::LeaseWriter& writer)
      : io_(io), writer_(writer) {}
  void submit(std::vector<leases::LeaseChange> changes, Done done) override;

 private:
  struct Finished {
    Done done;
    bool ok;
  };
  void run_finished();

  boost::asio::io_context& io_;
  leases::LeaseWriter& writer_;
  std::mutex mu_;
  std::vector<Finished> finished_;  // filled by the writer thread
  std::vector<Finished> running_;   // drained on the io thread
};

}  // namespace berth::server
