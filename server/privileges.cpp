#include "server/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace berth::server {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

std::optional<unsigned long> as_number(const std::string& s) {
  unsigned long n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

}  // namespace

Identity lookup_user(const std::string& user) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  const std::optional<unsigned long> number = as_number(user);
  const int rc =
      number ? ::getpwuid_r(static_cast<uid_t>(*number), &pw, buf.data(), buf.size(), &found)
             : ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0) throw std::runtime_error("cannot look up user '" + user + "': " + errno_text(rc));
  if (found) return Identity{pw.pw_name, pw.pw_uid, pw.pw_gid};
  if (number) {
    // A number with no passwd entry (a container's mapped id): its own group.
    return Identity{user, static_cast<uid_t>(*number), static_cast<gid_t>(*number)};
  }
  throw std::runtime_error("[daemon] user: there is no user '" + user + "' on this host");
}

bool holds_only(const std::filesystem::path& dir, const std::string& stem) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.path().filename().string().starts_with(stem)) return false;
  }
  return !ec;
}

void give_to(const Identity& who, const std::vector<std::filesystem::path>& files,
             const std::vector<std::filesystem::path>& dirs) {
  for (const auto& path : dirs) {
    if (::chown(path.c_str(), who.uid, who.gid) != 0) {
      throw std::runtime_error("cannot give " + path.string() + " to user " + who.name + ": " +
                               errno_text(errno));
    }
  }
  for (const auto& path : files) {
    // -1: the control socket keeps the group [daemon] control_group gave it.
    if (::chown(path.c_str(), who.uid, static_cast<gid_t>(-1)) != 0 && errno != ENOENT) {
      throw std::runtime_error("cannot give " + path.string() + " to user " + who.name + ": " +
                               errno_text(errno));
    }
  }
}

void become(const Identity& who) {
  if (::geteuid() == who.uid) return;
  if (::geteuid() != 0) {
    throw std::runtime_error("[daemon] user = \"" + who.name +
                             "\": berthd must be started as root to become another user");
  }
  auto fail = [&](const std::string& step) {
    throw std::runtime_error("cannot become user " + who.name + " (" + step +
                             "): " + errno_text(errno));
  };
  // glibc's setgroups/setgid/setuid change every thread; KEEPCAPS (a
  // per-thread flag) keeps this thread's permitted set across the setuid.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) fail("PR_SET_KEEPCAPS");
  if (::initgroups(who.name.c_str(), who.gid) != 0 && ::setgroups(0, nullptr) != 0) {
    fail("setgroups");
  }
  if (::setgid(who.gid) != 0) fail("setgid");
  if (::setuid(who.uid) != 0) fail("setuid");
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) fail("PR_SET_KEEPCAPS");

  const cap_value_t kept[] = {CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE};
  std::unique_ptr<_cap_struct, int (*)(void*)> caps(cap_init(), cap_free);
  if (!caps) fail("cap_init");
  if (cap_set_flag(caps.get(), CAP_PERMITTED, 3, kept, CAP_SET) != 0 ||
      cap_set_flag(caps.get(), CAP_EFFECTIVE, 3, kept, CAP_SET) != 0) {
    fail("cap_set_flag");
  }
  if (cap_set_proc(caps.get()) != 0) fail("cap_set_proc");
  // Nothing berthd may exec later can regain what was dropped.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("PR_SET_NO_NEW_PRIVS");
  spdlog::info(
      "running as user {} (uid {}, gid {}) with CAP_NET_ADMIN, CAP_NET_RAW, "
      "CAP_NET_BIND_SERVICE",
      who.name, who.uid, who.gid);
}

}  // namespace berth::server
