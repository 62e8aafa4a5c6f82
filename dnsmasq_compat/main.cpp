// berth-dnsmasq: berth under the dnsmasq command line (issue 16). lxc-net,
// LXD/Incus and libvirt start "dnsmasq" with their own arguments, read its
// pid file and lease file, and send it SIGHUP and SIGTERM. This process
// takes those arguments, runs berth's engine for the interfaces named, and
// keeps that contract: one process per manager network, as dnsmasq.
//
// The wiring only: the options are read and translated by the pure code
// beside it (options.hpp, translate.hpp).
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "dnsmasq_compat/options.hpp"
#include "dnsmasq_compat/translate.hpp"
#include "server/daemon.hpp"

namespace {

namespace dc = berth::dnsmasq_compat;
namespace fs = std::filesystem;

// dnsmasq's exit statuses: 1 a problem with the configuration, 2 with the
// network, 3 with the filesystem, 5 anything else.
constexpr int kExitConfig = 1;
constexpr int kExitNetwork = 2;
constexpr int kExitFiles = 3;
constexpr int kExitOther = 5;

// Managers ask `dnsmasq --version` and parse "Dnsmasq version X.Y": libvirt
// and LXD refuse versions they think too old. berth-dnsmasq reads the
// options of this version.
constexpr const char* kDnsmasqVersion = "2.90";

dc::FileReader real_files() {
  return dc::FileReader{
      .read = [](const std::string& path) -> std::optional<std::string> {
        std::error_code ec;
        if (fs::is_directory(path, ec)) return std::nullopt;  // /dev/null is fine
        std::ifstream in(path, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
      },
      .list = [](const std::string& path) -> std::optional<std::vector<std::string>> {
        std::error_code ec;
        if (!fs::is_directory(path, ec)) return std::nullopt;
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(path, ec)) {
          names.push_back(e.path().filename().string());
        }
        if (ec) return std::nullopt;
        std::sort(names.begin(), names.end());
        return names;
      },
  };
}

uint8_t prefix_length(const uint8_t* mask, size_t bytes) {
  uint8_t n = 0;
  for (size_t i = 0; i < bytes; ++i) n += static_cast<uint8_t>(__builtin_popcount(mask[i]));
  return n;
}

dc::HostInterfaces host_interfaces() {
  dc::HostInterfaces out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_netmask == nullptr) continue;
    auto& entry = out[i->ifa_name];
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      const auto* m = reinterpret_cast<const sockaddr_in*>(i->ifa_netmask);
      berth::Ipv4Prefix p;
      p.address = berth::Ipv4Address(ntohl(a->sin_addr.s_addr));
      p.length = prefix_length(reinterpret_cast<const uint8_t*>(&m->sin_addr), 4);
      entry.ipv4.push_back(p);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      const auto* m = reinterpret_cast<const sockaddr_in6*>(i->ifa_netmask);
      berth::Ipv6Prefix p;
      p.address = berth::Ipv6Address::from_bytes(
          berth::ByteView(reinterpret_cast<const uint8_t*>(&a->sin6_addr), 16));
      if (p.address.is_link_local()) continue;
      p.length = prefix_length(reinterpret_cast<const uint8_t*>(&m->sin6_addr), 16);
      entry.ipv6.push_back(p);
    }
  }
  freeifaddrs(list);
  return out;
}

// Tests and packagers may move the state: BERTH_DNSMASQ_STATE_DIR,
// BERTH_DNSMASQ_RUN_DIR, BERTH_DNSMASQ_HOSTS (instead of /etc/hosts).
dc::Paths paths_from_environment() {
  dc::Paths p;
  if (const char* v = getenv("BERTH_DNSMASQ_STATE_DIR"); v != nullptr && *v) p.state_dir = v;
  if (const char* v = getenv("BERTH_DNSMASQ_RUN_DIR"); v != nullptr && *v) p.run_dir = v;
  if (const char* v = getenv("BERTH_DNSMASQ_HOSTS"); v != nullptr && *v) p.etc_hosts = v;
  return p;
}

std::string default_conf() {
  const char* v = getenv("BERTH_DNSMASQ_DEFAULT_CONF");
  return v != nullptr ? v : std::string(dc::kDefaultConfFile);
}

// Reads and translates everything again: at start and on every SIGHUP.
dc::Translation load(const std::vector<std::string>& args) {
  const dc::FileReader files = real_files();
  const std::vector<dc::Setting> settings = dc::parse_command_line(args, files, default_conf());
  return dc::translate(settings, host_interfaces(), files, paths_from_environment());
}

void print_help() {
  std::cout << "Usage: berth-dnsmasq [dnsmasq options]\n\n"
               "berth's DHCP and DNS server under dnsmasq's command line, for lxc-net,\n"
               "LXD/Incus and libvirt. The options dnsmasq "
            << kDnsmasqVersion
            << " has are read; those berth does not carry\n"
               "out are logged by name, and those it cannot carry out safely are refused.\n"
               "See docs/dnsmasq-frontend.md.\n\n"
               "Valid options are:\n";
  std::cout << "-i, --interface=<interface>   -a, --listen-address=<ipaddr>\n"
               "-F, --dhcp-range=<ipaddr>,... -G, --dhcp-host=<hostspec>\n"
               "    --dhcp-hostsfile=<path>       --dhcp-hostsdir=<path>\n"
               "-H, --addn-hosts=<path>       -l, --dhcp-leasefile=<path>\n"
               "-6, --dhcp-script=<path>      -x, --pid-file=<path>\n"
               "-s, --domain=<domain>         -S, --server=/<domain>/<ipaddr>\n"
               "-O, --dhcp-option=<optspec>   -C, --conf-file=<path>\n"
               "-u, --user=<username>         -p, --port=<integer>\n"
               "-k, --keep-in-foreground      -d, --no-daemon\n"
               "-z, --bind-interfaces             --bind-dynamic\n"
               "    --test                    -v, --version\n";
}

void setup_logging(const dc::Translation& t) {
  if (t.log_stderr || !t.daemonize) {
    // In the foreground dnsmasq logs to syslog too, but a manager that keeps
    // it there (LXD) reads its stderr: log there.
    spdlog::set_default_logger(spdlog::stderr_color_mt("berth-dnsmasq"));
  } else {
    spdlog::set_default_logger(
        spdlog::syslog_logger_mt("berth-dnsmasq", "berth-dnsmasq", LOG_PID, LOG_DAEMON));
  }
  spdlog::set_pattern(t.log_stderr || !t.daemonize ? "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v" : "%v");
  spdlog::set_level(spdlog::level::from_str(t.config.daemon.log_level));
  spdlog::flush_on(spdlog::level::warn);
  spdlog::flush_every(std::chrono::seconds(1));
}

// Each notice once in the life of the process: a SIGHUP that reads the same
// options again says nothing new.
void log_notices(const dc::Translation& t, std::set<std::string>& said) {
  for (const dc::Notice& n : t.notices) {
    if (!said.insert(n.option + "\n" + n.message).second) continue;
    spdlog::warn("{}{}{}: {}", n.origin, n.origin.empty() ? "" : ": ", n.option, n.message);
  }
}

bool write_pid_file(const std::string& path) {
  if (path.empty()) return true;
  const std::string text = std::to_string(getpid()) + "\n";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// The parent of a daemonizing start: waits until the child serves (one
// byte 0 on the pipe) or says why it could not (a message), and exits
// with dnsmasq's status for it. As dnsmasq, the parent returns only once
// the pid file names a process that serves.
int wait_for_child(int fd, pid_t child) {
  std::string got;
  char buf[512];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      got.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(fd);
  if (!got.empty() && got[0] == '\0') return 0;
  int status = 0;
  waitpid(child, &status, 0);
  if (!got.empty()) std::cerr << "dnsmasq: " << got << '\n';
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) return WEXITSTATUS(status);
  return kExitOther;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& a : args) {
    if (a == "-v" || a == "--version") {
      std::cout << "Dnsmasq version " << kDnsmasqVersion << "  (berth-dnsmasq " << BERTH_VERSION
                << ", berth's dnsmasq-compatible front end)\n"
                << "Compile time options: IPv6 GNU-getopt no-DBus no-UBus no-i18n no-IDN DHCP "
                   "DHCPv6 no-Lua TFTP no-conntrack no-ipset no-nftset no-auth no-cryptohash "
                   "no-DNSSEC loop-detect inotify dumpfile\n";
      return 0;
    }
    if (a == "-w" || a == "--help") {
      print_help();
      return 0;
    }
  }

  dc::Translation t;
  try {
    t = load(args);
  } catch (const std::exception& e) {
    std::cerr << "dnsmasq: " << e.what() << '\n';
    return kExitConfig;
  }
  // BERTH_DNSMASQ_LOG=stderr: log to stderr even as a daemon (tests; a
  // manager that captures stderr), without changing the manager's arguments.
  if (const char* v = getenv("BERTH_DNSMASQ_LOG"); v != nullptr && std::string(v) == "stderr") {
    t.log_stderr = true;
  }
  if (t.test_only) {
    for (const dc::Notice& n : t.notices)
      std::cerr << "dnsmasq: " << n.option << ": " << n.message << '\n';
    std::cerr << "dnsmasq: syntax check OK.\n";
    return 0;
  }

  int ready_fd = -1;
  if (t.daemonize) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      std::cerr << "dnsmasq: pipe: " << strerror(errno) << '\n';
      return kExitOther;
    }
    const pid_t child = fork();
    if (child < 0) {
      std::cerr << "dnsmasq: fork: " << strerror(errno) << '\n';
      return kExitOther;
    }
    if (child > 0) {
      close(fds[1]);
      return wait_for_child(fds[0], child);
    }
    close(fds[0]);
    ready_fd = fds[1];
    setsid();
    if (chdir("/") != 0) return kExitOther;
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      if (!t.log_stderr) dup2(null, STDERR_FILENO);
      if (null > STDERR_FILENO) close(null);
    }
  }
  auto fail = [&](int status, const std::string& message) {
    spdlog::critical("{}", message);
    if (ready_fd >= 0) {
      [[maybe_unused]] ssize_t n = write(ready_fd, message.data(), message.size());
      close(ready_fd);
    }
    return status;
  };

  setup_logging(t);
  spdlog::info("berth-dnsmasq {} (dnsmasq {} options) starting for {}", BERTH_VERSION,
               kDnsmasqVersion, t.config.bridges.front().name);
  auto said = std::make_shared<std::set<std::string>>();
  log_notices(t, *said);
  if (t.host_entries_skipped > 0)
    spdlog::debug("{} dhcp-host entries skipped", t.host_entries_skipped);
  if (!write_pid_file(t.pid_file)) {
    return fail(kExitFiles, "cannot write the pid file " + t.pid_file + ": " + strerror(errno));
  }
  std::error_code ec;
  fs::create_directories(fs::path(t.config.daemon.control_socket).parent_path(), ec);
  int status = 0;
  try {
    berth::server::Daemon daemon(t.config);
    daemon.set_config_loader([args, said] {
      try {
        dc::Translation next = load(args);
        log_notices(next, *said);
        return std::move(next.config);
      } catch (const std::exception& e) {
        // Refused whole: the daemon keeps what it serves.
        throw berth::config::ConfigError("berth-dnsmasq", 0, 0, "options", e.what());
      }
    });
    daemon.set_ready_callback([&ready_fd] {
      if (ready_fd < 0) return;
      const char ok = '\0';
      [[maybe_unused]] ssize_t n = write(ready_fd, &ok, 1);
      close(ready_fd);
      ready_fd = -1;
    });
    status = daemon.run();
  } catch (const std::exception& e) {
    status = fail(kExitNetwork, e.what());
  }
  if (!t.pid_file.empty()) unlink(t.pid_file.c_str());
  return status;
}
