// ReceivedBatch and SendBatch over Unix datagram sockets in the abstract
// namespace (no network, nothing left on disk): order, addresses,
// truncation, a refused message in the middle of a batch, and an empty queue.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "server/received_batch.hpp"
#include "server/send_batch.hpp"

namespace berth::server {
namespace {

sockaddr_un abstract_address(const std::string& name) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  // sun_path[0] = 0: the abstract namespace; the rest of sun_path is the name.
  std::memcpy(a.sun_path + 1, name.data(), std::min(name.size(), sizeof a.sun_path - 1));
  return a;
}

class Socket {
 public:
  // Bound to `name` (made unique per process) when given.
  explicit Socket(const std::string& name = "") {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0) << std::strerror(errno);
    if (!name.empty()) {
      address_ = abstract_address(name + "-" + std::to_string(::getpid()));
      EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&address_), sizeof address_), 0)
          << std::strerror(errno);
    }
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }
  const sockaddr_un& address() const { return address_; }

 private:
  int fd_ = -1;
  sockaddr_un address_{};
};

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string text(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

TEST(SendBatch, QueuesUpToItsCapacityAndSendsInOrder) {
  Socket receiver("berth-batch-rx"), sender("berth-batch-tx");
  SendBatch<sockaddr_un, 4> out(64);
  const std::vector<std::string> sent = {"one", "two", "three", "four"};
  for (const std::string& s : sent) EXPECT_TRUE(out.add(receiver.address(), bytes(s)));
  EXPECT_TRUE(out.full());
  EXPECT_FALSE(out.add(receiver.address(), bytes("five"))) << "full";
  int refusals = 0;
  EXPECT_EQ(out.flush(sender.fd(), [&](int, const sockaddr_un&) { ++refusals; }), 4u);
  EXPECT_EQ(refusals, 0);
  EXPECT_TRUE(out.empty());

  ReceivedBatch<sockaddr_un, 0, 8> in(64);
  ASSERT_EQ(in.receive(receiver.fd()), 4);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(text(in.payload(i)), sent[i]);
    EXPECT_FALSE(in.truncated(i));
    EXPECT_EQ(
        std::memcmp(in.from(i).sun_path, sender.address().sun_path, sizeof(sockaddr_un::sun_path)),
        0)
        << "source address of message " << i;
  }
  EXPECT_EQ(in.receive(receiver.fd()), -1) << "nothing left";
  EXPECT_EQ(errno, EAGAIN);
}

TEST(SendBatch, APayloadLargerThanASlotIsNotQueued) {
  Socket receiver("berth-batch-big");
  SendBatch<sockaddr_un, 2> out(8);
  EXPECT_FALSE(out.add(receiver.address(), bytes("nine bytes")));
  EXPECT_TRUE(out.add(receiver.address(), bytes("8 bytes!")));
  EXPECT_EQ(out.size(), 1u);
}

TEST(SendBatch, ARefusedMessageIsSkippedAndTheRestStillGo) {
  Socket receiver("berth-batch-ok"), sender;
  const sockaddr_un nobody = abstract_address("berth-batch-nobody-" + std::to_string(::getpid()));
  SendBatch<sockaddr_un, 4> out(64);
  out.add(receiver.address(), bytes("first"));
  out.add(nobody, bytes("lost"));
  out.add(receiver.address(), bytes("third"));
  std::vector<int> errors;
  std::vector<std::string> to;
  EXPECT_EQ(out.flush(sender.fd(),
                      [&](int err, const sockaddr_un& a) {
                        errors.push_back(err);
                        to.emplace_back(a.sun_path + 1);
                      }),
            2u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0], 0);
  EXPECT_EQ(to[0], std::string(nobody.sun_path + 1));

  ReceivedBatch<sockaddr_un, 0, 8> in(64);
  ASSERT_EQ(in.receive(receiver.fd()), 2);
  EXPECT_EQ(text(in.payload(0)), "first");
  EXPECT_EQ(text(in.payload(1)), "third");
}

TEST(ReceivedBatch, ReadsAtMostItsCapacityAndMarksTruncatedMessages) {
  Socket receiver("berth-batch-cap"), sender;
  SendBatch<sockaddr_un, 8> out(64);
  out.add(receiver.address(), bytes("a message longer than sixteen bytes"));
  for (int i = 0; i < 4; ++i) out.add(receiver.address(), bytes("short " + std::to_string(i)));
  ASSERT_EQ(out.flush(sender.fd(), [](int, const sockaddr_un&) {}), 5u);

  ReceivedBatch<sockaddr_un, 0, 3> in(16);
  ASSERT_EQ(in.receive(receiver.fd()), 3) << "a full batch: there may be more";
  EXPECT_TRUE(in.truncated(0));
  EXPECT_EQ(in.payload(0).size(), 16u) << "what fitted";
  EXPECT_FALSE(in.truncated(1));
  EXPECT_EQ(text(in.payload(1)), "short 0");
  ASSERT_EQ(in.receive(receiver.fd()), 2) << "a short batch: the queue was emptied";
  EXPECT_EQ(text(in.payload(1)), "short 3");
}

}  // namespace
}  // namespace berth::server
