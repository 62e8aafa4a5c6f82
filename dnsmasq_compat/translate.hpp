// dnsmasq settings (options.hpp) onto a berth configuration: what
// berth-dnsmasq runs when lxc-net, LXD/Incus or libvirt start "dnsmasq"
// (issue 16). Pure: the host's interfaces and every file come in as
// arguments, so tests and the fuzzer run it without a network or a disk.
//
// What it keeps of dnsmasq's contract: the interfaces named (the manager
// made them: berth creates nothing and writes no firewall rule), the DHCP
// ranges as pools, dhcp-host entries (inline, hosts files and directories)
// as reservations, addn-hosts and /etc/hosts as A records, upstream
// servers, the lease file, the dhcp-script, the pid file, the user.
// Every option berth does not carry out is a Notice, by name; an option
// whose absence would make berth serve what dnsmasq would not (proxy or
// static-only ranges, relays, ignored hosts, tagged options) is an error.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "dnsmasq_compat/options.hpp"
#include "protocol/address.hpp"

namespace berth::dnsmasq_compat {

// The addresses an interface of the host has, with their prefix lengths.
struct InterfaceAddresses {
  std::vector<Ipv4Prefix> ipv4;  // e.g. 10.0.3.1/24
  std::vector<Ipv6Prefix> ipv6;  // global and unique local, e.g. fd42::1/64
};
using HostInterfaces = std::map<std::string, InterfaceAddresses, std::less<>>;

// Where each instance keeps its state: <state_dir>/<interface>/berth.db and
// <run_dir>/<interface>/berthd.sock, the interface being the first served.
struct Paths {
  std::string state_dir = "/var/lib/berth/dnsmasq";
  std::string run_dir = "/run/berth/dnsmasq";
  std::string etc_hosts = "/etc/hosts";  // read unless --no-hosts
};

// An option given but not carried out (or carried out differently), said
// once per option name.
struct Notice {
  std::string option;
  std::string origin;
  std::string message;
};

struct Translation {
  config::Config config;
  std::string pid_file;     // empty: none
  bool daemonize = true;    // false with --keep-in-foreground or --no-daemon
  bool log_stderr = false;  // --no-daemon, --log-facility=- : log to stderr, not syslog
  bool test_only = false;   // --test: check the options and exit
  std::string lease_file;   // --dhcp-leasefile, empty with --leasefile-ro
  std::vector<Notice> notices;
  size_t host_entries_skipped = 0;  // dhcp-host lines that are not reservations
};

// An option that cannot be carried out safely, or a value that is wrong:
// what() reads "ORIGIN: OPTION: MESSAGE".
class TranslateError : public std::runtime_error {
 public:
  TranslateError(const std::string& origin, const std::string& option, const std::string& message)
      : std::runtime_error(origin + ": " + option + ": " + message), option_(option) {}
  const std::string& option() const { return option_; }

 private:
  std::string option_;
};

// The configuration berth runs for these settings. The result has been
// through config::parse_config, so the daemon takes it as it would a
// file; a problem found there is a TranslateError too.
Translation translate(const std::vector<Setting>& settings, const HostInterfaces& host,
                      const FileReader& files, const Paths& paths = {});

}  // namespace berth::dnsmasq_compat
