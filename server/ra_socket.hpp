// The router advertisement server's socket for one bridge: a raw ICMPv6
// socket (RFC 3542) bound to the bridge, letting only Router Solicitations
// in, with hop limit 255 on what it sends (RFC 4861 §6.1: receivers drop
// anything less) and the hop limit of each RS read from ancillary data.
//
// RAs go to ff02::1 from the bridge's link-local address, which the kernel
// chooses: the bridge needs one (it gets it once it has carrier, i.e. a
// port that is up, and DAD has passed); hosts drop RAs from other sources.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

#include "server/ra_io.hpp"

namespace berth::server {

class IcmpRaSocket : public RaSocket {
 public:
  // Throws std::system_error naming the interface.
  IcmpRaSocket(boost::asio::io_context& io, int ifindex, const std::string& ifname);
  ~IcmpRaSocket() override;
  IcmpRaSocket(const IcmpRaSocket&) = delete;
  IcmpRaSocket& operator=(const IcmpRaSocket&) = delete;

  void start(Handler handler) override;
  void stop() override;
  bool send_all_nodes(ByteView message) override;

  uint64_t receive_errors() const { return receive_errors_; }

 private:
  void arm();
  void drain();

  boost::asio::posix::stream_descriptor sd_;
  int ifindex_;
  std::string ifname_;
  Handler handler_;
  std::vector<uint8_t> buffer_;
  uint64_t receive_errors_ = 0;
  // False once stopped or destroyed; a completion Asio had already queued
  // checks it (through its own copy) before it touches the socket.
  std::shared_ptr<bool> open_ = std::make_shared<bool>(true);
};

class SteadyRaTimer : public RaTimer {
 public:
  explicit SteadyRaTimer(boost::asio::io_context& io) : timer_(io) {}
  ~SteadyRaTimer() override;
  dhcp::RaTime now() const override;
  void wait_until(dhcp::RaTime at, std::function<void()> fire) override;
  void cancel() override;

 private:
  boost::asio::steady_timer timer_;
  // Bumped by every wait, cancel and the destructor: a completion already
  // queued for an earlier wait sees a newer number and does not fire.
  std::shared_ptr<uint64_t> generation_ = std::make_shared<uint64_t>(0);
};

}  // namespace berth::server
