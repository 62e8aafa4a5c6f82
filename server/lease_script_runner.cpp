#include "server/lease_script_runner.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace berth::server {

namespace {

// One line of script output is logged at most this long; the rest of a
// longer line follows as further lines.
constexpr size_t kMaxLine = 4096;

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

LeaseScriptRunner::LeaseScriptRunner(Options options) : options_(std::move(options)) {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    // The call's own DNSMASQ_* variables must not mix with inherited ones.
    if (std::strncmp(*e, "DNSMASQ_", 8) != 0) base_env_.emplace_back(*e);
  }
}

LeaseScriptRunner::~LeaseScriptRunner() {
  size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped = queue_.size();
    queue_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (dropped > 0) spdlog::warn("lease_script: {} queued call(s) not run at shutdown", dropped);
}

void LeaseScriptRunner::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

bool LeaseScriptRunner::enqueue(leases::ScriptCall call) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    if (queue_.size() >= options_.queue_limit) {
      ++stats_.dropped;
      if (!overflowing_) {
        overflowing_ = true;
        spdlog::warn(
            "lease_script: {} calls are waiting for {}: further lease changes are not "
            "reported to it until the queue empties (berth_lease_script_dropped_total counts "
            "them)",
            queue_.size(), options_.path);
      }
      return false;
    }
    queue_.push_back(std::move(call));
  }
  wake_.notify_one();
  return true;
}

void LeaseScriptRunner::wait_idle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

LeaseScriptRunner::Stats LeaseScriptRunner::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.queued = queue_.size();
  return s;
}

void LeaseScriptRunner::run() {
  for (;;) {
    leases::ScriptCall call;
    {
      std::unique_lock lock(mu_);
      busy_ = false;
      if (queue_.empty()) {
        overflowing_ = false;
        idle_.notify_all();
      }
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      call = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    run_one(call);
  }
}

void LeaseScriptRunner::log_output(std::string& pending, bool flush) {
  size_t start = 0;
  for (;;) {
    const size_t nl = pending.find('\n', start);
    if (nl == std::string::npos) {
      if (pending.size() - start < kMaxLine && !flush) break;
      if (start < pending.size()) {
        spdlog::info("lease_script: {}", pending.substr(start, kMaxLine));
        start = std::min(pending.size(), start + kMaxLine);
        continue;
      }
      break;
    }
    spdlog::info("lease_script: {}", pending.substr(start, std::min(nl - start, kMaxLine)));
    start = nl + 1;
  }
  pending.erase(0, start);
}

void LeaseScriptRunner::run_one(const leases::ScriptCall& call) {
  std::string line;
  for (const std::string& a : call.args) line += " " + a;
  spdlog::debug("lease_script: running {}{}", options_.path, line);

  std::vector<std::string> argv_store;
  argv_store.reserve(call.args.size() + 1);
  argv_store.push_back(options_.path);
  argv_store.insert(argv_store.end(), call.args.begin(), call.args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_store) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store = base_env_;
  env_store.insert(env_store.end(), call.env.begin(), call.env.end());
  std::vector<char*> envp;
  for (std::string& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);

  auto fail = [&](const std::string& why) {
    spdlog::warn("lease_script {}{}: {}", options_.path, line, why);
    std::lock_guard lock(mu_);
    ++stats_.failed;
  };

  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
    return fail(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  Fd out(fds[0]);
  Fd out_w(fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, out_w.get(), 2);
  // Nothing of berthd's (sockets, the database) reaches the script.
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  // A group of its own: a timeout kills what the script started too.
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setflags(
      &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int err =
      ::posix_spawn(&pid, options_.path.c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  out_w.reset();
  if (err != 0) return fail(std::string("cannot be started: ") + std::strerror(err));

  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  Fd exited(pidfd_open(pid));  // readable once the script exits
  std::string pending;
  std::array<char, 4096> buf{};
  bool out_open = true;
  int status = 0;
  bool reaped = false;
  bool timed_out = false;
  while (!reaped) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    std::array<pollfd, 2> pfds{};
    nfds_t n = 0;
    if (out_open) pfds[n++] = pollfd{.fd = out.get(), .events = POLLIN, .revents = 0};
    if (exited.get() >= 0) pfds[n++] = pollfd{.fd = exited.get(), .events = POLLIN, .revents = 0};
    // Without a pidfd (kernels before 5.3), look at the child every 20 ms.
    int wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 60000));
    if (exited.get() < 0) wait_ms = std::min(wait_ms, 20);
    if (::poll(pfds.data(), n, wait_ms) < 0 && errno != EINTR) {
      spdlog::warn("lease_script: poll: {}", std::strerror(errno));
    }
    if (out_open) {
      for (;;) {
        const ssize_t got = ::read(out.get(), buf.data(), buf.size());
        if (got > 0) {
          pending.append(buf.data(), static_cast<size_t>(got));
          log_output(pending, false);
          continue;
        }
        if (got == 0) out_open = false;  // every writer closed it
        break;                           // EAGAIN: nothing more for now
      }
    }
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno == ECHILD)) reaped = true;
  }
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  // What the script wrote before it ended (children it left behind may hold
  // the pipe open: their later output is not read).
  for (;;) {
    const ssize_t got = ::read(out.get(), buf.data(), buf.size());
    if (got <= 0) break;
    pending.append(buf.data(), static_cast<size_t>(got));
  }
  log_output(pending, true);

  std::lock_guard lock(mu_);
  if (timed_out) {
    ++stats_.timeout;
    spdlog::warn("lease_script {}{}: still running after {} ms: killed its process group",
                 options_.path, line, options_.timeout.count());
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    ++stats_.ok;
  } else {
    ++stats_.failed;
    spdlog::warn("lease_script {}{}: {}", options_.path, line, describe(status));
  }
}

}  // namespace berth::server
