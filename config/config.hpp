// Typed, validated configuration of berthd (TOML, toml++).
// Each section is described by one declarative schema table (STYLE 8):
// key, type, default, whether a reload may change it, and a doc line. The
// parser, the error messages and docs/configuration.md all come from it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/values.hpp"
#include "protocol/address.hpp"
#include "protocol/dhcp4/option_values.hpp"
#include "protocol/enum_names.hpp"

namespace berth::config {

enum class Durability {
  fsync,    // SQLite synchronous=FULL: an acknowledged lease survives a host crash
  process,  // synchronous=NORMAL in WAL: survives a crash of berthd, not of the host
};

struct DaemonConfig {
  std::string database = "/var/lib/berth/berth.db";
  std::string log_level = "info";  // trace, debug, info, warn, error
  Durability durability = Durability::fsync;
  // Under load, lease transactions start at least this many microseconds
  // apart so changes queued meanwhile share one commit (leases/writer.hpp).
  uint32_t commit_interval_us = 5000;
  std::string control_socket = "/run/berth/berthd.sock";
  std::string control_group;  // group that may use the control socket; empty: root's
  // Started as root, berthd becomes this user (name or number) once its
  // sockets are open, keeping only CAP_NET_ADMIN, CAP_NET_RAW and
  // CAP_NET_BIND_SERVICE. Empty: it keeps the identity it was started with.
  std::string user;
  bool resolved = true;  // register each bridge's DNS with systemd-resolved
  // Run on every DHCPv4 lease change with dnsmasq's --dhcp-script arguments
  // and environment (leases/lease_script.hpp); empty: none.
  std::string lease_script;
  uint32_t lease_script_timeout = 10;  // seconds; then its process group is killed
  bool lease_script_renewals = true;   // also "old" on renewals (--script-on-renewal)
  // Kept in dnsmasq's --dhcp-leasefile format (leases/dnsmasq_lease_file.hpp)
  // for readers of dnsmasq's file; empty: none.
  std::string lease_file;
  // Events kept for GET /v1/events: younger than events_max_age seconds (0:
  // no age limit) and at most events_max_count of them (0: no count limit).
  int64_t events_max_age = 24 * 3600;
  int64_t events_max_count = 100000;

  bool operator==(const DaemonConfig&) const = default;
};

// A static reservation in the file (dnsmasq's dhcp-host): exactly one of
// mac, client_id, hostname identifies the client.
struct ReservationConfig {
  enum class Match { mac, client_id, hostname };
  Match match = Match::mac;
  MacAddress mac;
  std::vector<uint8_t> client_id;  // option 61 bytes, from "01:00:16:3e:..." hex
  std::string hostname;
  Ipv4Address ip;
  std::optional<Ipv6Address> ipv6;               // DHCPv6 address and AAAA of `name`
  std::vector<uint8_t> duid;                     // DHCPv6 client DUID; empty: by `mac`
  std::string name;                              // DNS label; may be empty
  std::vector<dhcp4::ConfiguredOption> options;  // [[bridge.reservation.option]]

  bool operator==(const ReservationConfig&) const = default;
};

// A port forward of a bridge ([[bridge.forward]]): connections to host_port
// on host_address (every address of the host when unset) go to `to`, a
// client of the bridge, at to_port.
struct ForwardConfig {
  enum class Proto { tcp, udp };
  Proto proto = Proto::tcp;
  std::optional<Ipv4Address> host_address;
  uint16_t host_port = 0;  // 1..65535
  // An IPv4 address inside the bridge subnet, or a client's name (one DNS
  // label) whose lease the forward follows.
  std::string to;
  uint16_t to_port = 0;  // 1..65535; host_port when not written

  // `to` as an address; nothing when it is a name.
  std::optional<Ipv4Address> to_address() const { return Ipv4Address::parse(to); }

  bool operator==(const ForwardConfig&) const = default;
};

// The names of the config file's `proto` key.
inline constexpr EnumNames<ForwardConfig::Proto, 2> kForwardProtoNames{{{
    {ForwardConfig::Proto::tcp, "tcp"},
    {ForwardConfig::Proto::udp, "udp"},
}}};
static_assert(kForwardProtoNames.complete());

constexpr std::string_view to_string(ForwardConfig::Proto proto) {
  return kForwardProtoNames.name(proto);
}

// Network boot of a bridge's clients ([bridge.boot]): PXE and iPXE
// (RFC 2131 siaddr/sname/file, RFC 2132 options 66 and 67, RFC 4578
// client architecture). Empty strings are unset.
struct BootConfig {
  std::optional<Ipv4Address> next_server;  // siaddr; unset: the bridge's address
  std::string server_name;                 // sname and option 66, at most 63 bytes
  std::string filename;                    // file and option 67 for BIOS clients
  std::string filename_efi;                // for EFI IA32, x64 and BC clients (option 93 6, 7, 9)
  std::string filename_arm64;              // for EFI arm64 clients (option 93 11)
  std::string ipxe_url;                    // the file for clients whose user class is "iPXE"
  bool tftp = false;                       // serve [tftp] root on the bridge address, port 69

  // Whether any key is set: only then do replies carry boot fields.
  bool enabled() const {
    return next_server || !server_name.empty() || !filename.empty() || !filename_efi.empty() ||
           !filename_arm64.empty() || !ipxe_url.empty() || tftp;
  }
  bool operator==(const BootConfig&) const = default;
};

// The read-only TFTP server ([tftp]) of bridges with boot.tftp = true.
struct TftpConfig {
  std::string root = "/srv/tftp";  // the only directory served
  uint32_t max_transfers = 64;     // concurrent transfers, all bridges together
  uint32_t timeout = 2;            // seconds before a block is sent again (unless negotiated)
  uint32_t retries = 5;            // resends of one block before the transfer is abandoned
  uint16_t max_block_size = 1468;  // largest blksize granted (RFC 2348); 1468 fits a 1500 MTU

  bool operator==(const TftpConfig&) const = default;
};

// How a bridge's IPv6 clients get addresses (dnsmasq's ra-only, ra-stateless
// and a DHCPv6 dhcp-range; LXD's ipv6.dhcp and ipv6.dhcp.stateful).
enum class Ipv6Mode : uint8_t {
  slaac,      // router advertisements only: SLAAC addresses, DNS from RDNSS and DNSSL
  stateless,  // SLAAC, and DHCPv6 answers INFORMATION-REQUEST with DNS options (O flag)
  stateful,   // DHCPv6 gives addresses (IA_NA) from ipv6_pool (M flag); no SLAAC
};
inline constexpr EnumNames<Ipv6Mode, 3> kIpv6ModeNames{{{
    {Ipv6Mode::slaac, "slaac"},
    {Ipv6Mode::stateless, "stateless"},
    {Ipv6Mode::stateful, "stateful"},
}}};
static_assert(kIpv6ModeNames.complete());
constexpr std::string_view to_string(Ipv6Mode m) { return kIpv6ModeNames.name(m); }

// RFC 4861 §6.2.1: MaxRtrAdvInterval is 4 to 1800 seconds.
inline constexpr uint32_t kMinRaInterval = 4;
inline constexpr uint32_t kMaxRaInterval = 1800;

// A dynamic pool after a bridge's first (`pool` written as a list).
struct PoolConfig {
  Ipv4Address start;
  Ipv4Address end;         // inclusive
  std::string class_name;  // only clients of this [[bridge.class]]; empty: any

  bool operator==(const PoolConfig&) const = default;
};

struct BridgeConfig {
  std::string name;  // interface name, at most 15 bytes
  // The bridge's own address and subnet, e.g. 10.0.3.1/24. With
  // address_auto it stays unset (0.0.0.0/0, pool 0.0.0.0-0.0.0.0) until
  // resolve_auto_address() fills it.
  Ipv4Prefix address;
  bool address_auto = false;  // address = "auto": berthd picks a free 10.x.y.1/24
  Ipv4Address pool_start;
  Ipv4Address pool_end;        // inclusive
  uint32_t lease_time = 3600;  // seconds
  std::string domain = "berth";
  std::optional<uint16_t> mtu;        // option 26 and the bridge's MTU when set
  bool create = true;                 // create the bridge when it does not exist
  bool authoritative = true;          // NAK requests for addresses that are not ours
  bool ignore_client_id = false;      // identify clients by MAC only (cloned VMs)
  bool rapid_commit = false;          // answer DISCOVER + option 80 with an ACK (RFC 4039)
  uint32_t decline_quarantine = 600;  // seconds a declined address is not offered
  std::vector<ReservationConfig> reservations;
  std::optional<MacAddress> mac;           // the bridge's MAC; unicast, not all zero
  bool nat = false;                        // masquerade the subnet towards the outside
  std::optional<Ipv4Address> nat_address;  // SNAT to this address instead (needs nat)
  std::string uplink;                      // host interface enslaved to the bridge; empty: none
  bool uplink_force = false;  // enslave the uplink even when it carries the default route
  std::vector<std::string> allow_bridges;  // other bridges whose traffic may reach this one
  std::vector<ForwardConfig> forwards;
  // IPv6: the bridge's own address in a /64, e.g. fd42:1:2:3::1/64. Unset:
  // no IPv6 on this bridge. With ipv6_auto it stays unset until
  // resolve_auto_ipv6() fills it.
  std::optional<Ipv6Prefix> ipv6;
  bool ipv6_auto = false;  // ipv6 = "auto": a random ULA /64 (RFC 4193) kept in the database
  Ipv6Mode ipv6_mode = Ipv6Mode::stateless;
  Ipv6Address ipv6_pool_start;  // stateful only; inclusive
  Ipv6Address ipv6_pool_end;
  bool ipv6_nat = false;       // masquerade IPv6 from the prefix (NAT66); default on with auto
  uint32_t ra_interval = 600;  // MaxRtrAdvInterval, seconds
  BootConfig boot;             // [bridge.boot]
  // DHCPv4 options: routes, search, ntp_servers, [[bridge.option]],
  // [[bridge.class]] (config/schema_options.cpp).
  dhcp4::BridgeOptions dhcp_options;
  // `pool` as a list: the class its first range is restricted to (empty:
  // none), and the ranges after the first.
  std::string pool_class;
  std::vector<PoolConfig> more_pools;

  bool has_ipv6() const { return ipv6.has_value() || ipv6_auto; }

  bool operator==(const BridgeConfig&) const = default;
};

// Static DNS records (dnsmasq's host-record, cname, srv-host, txt-record).
// Names are taken as written (fully qualified, without the final dot).
struct HostRecord {
  std::string name;
  Ipv4Address ip;
  bool operator==(const HostRecord&) const = default;
};
struct CnameRecord {
  std::string name;
  std::string target;
  bool operator==(const CnameRecord&) const = default;
};
struct SrvRecord {
  std::string name;  // e.g. "_http._tcp.web.berth"
  std::string target;
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;
  bool operator==(const SrvRecord&) const = default;
};
struct TxtRecord {
  std::string name;
  std::vector<std::string> text;
  bool operator==(const TxtRecord&) const = default;
};
// Queries for `domain` and its subdomains go to these upstreams
// (dnsmasq's server=/domain/ip).
struct DomainUpstreams {
  std::string domain;
  std::vector<Upstream> upstreams;
  bool operator==(const DomainUpstreams&) const = default;
};

struct DnsConfig {
  bool enabled = true;
  uint16_t port = 53;
  std::vector<Upstream> upstreams;  // empty: the nameservers of resolv_conf
  std::string resolv_conf = "/etc/resolv.conf";
  uint32_t cache_size = 10000;  // answers kept; 0 disables the cache
  uint32_t local_ttl = 0;       // TTL of answers from leases and reservations (dnsmasq: 0)
  uint32_t workers = 0;         // DNS threads; 0: one per two CPUs, 1 to 4
  uint32_t upstream_timeout_ms = 1500;
  std::vector<DomainUpstreams> servers;
  std::vector<HostRecord> hosts;
  std::vector<CnameRecord> cnames;
  std::vector<SrvRecord> srvs;
  std::vector<TxtRecord> txts;

  bool operator==(const DnsConfig&) const = default;
};

// The nftables table `inet berth` (NAT, port forwards, isolation between
// bridges), which berthd owns, and its accept rules in other tables' forward
// chains that drop (Docker's), each commented "berth".
struct FirewallConfig {
  bool enabled = true;
  bool keep_rules = false;  // leave the table in place when berthd stops
  bool foreign = true;      // accept rules in other tables' dropping forward chains

  bool operator==(const FirewallConfig&) const = default;
};

struct Config {
  DaemonConfig daemon;
  std::vector<BridgeConfig> bridges;
  DnsConfig dns;
  FirewallConfig firewall;
  TftpConfig tftp;
  std::string source;  // file the config came from, "<built-in defaults>" otherwise

  bool operator==(const Config&) const = default;
};

// Built-in defaults: bridge berth0 at 10.0.3.1/24, pool .2-.254, domain berth.
Config default_config();

// A config problem, located in the file. what() reads
// "FILE:LINE:COLUMN: KEY: MESSAGE" (line/column omitted when unknown).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, uint32_t line, uint32_t column, std::string key,
              std::string message);
  const std::string& file() const { return file_; }
  uint32_t line() const { return line_; }
  uint32_t column() const { return column_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  uint32_t line_;
  uint32_t column_;
  std::string key_;
  std::string message_;
};

// Gives a bridge configured with address = "auto" the subnet berthd chose
// (`chosen`, e.g. 10.42.7.1/24): sets `address` and the pool exactly as if
// that address had been written in the file. address_auto stays true, so
// the daemon still knows the address is its own choice. Throws
// std::invalid_argument when `chosen` is no valid bridge address (prefix
// 8..30, a host address of its subnet).
void resolve_auto_address(BridgeConfig& bridge, Ipv4Prefix chosen);
// Gives a bridge with ipv6 = "auto" its prefix (and the default pool), as if
// written in the file; ipv6_auto stays true. Throws std::invalid_argument
// for a prefix the file would refuse.
void resolve_auto_ipv6(BridgeConfig& bridge, const Ipv6Prefix& chosen);

// Throw ConfigError on any problem: TOML syntax, unknown key, wrong type,
// value out of range, inconsistent bridges (overlapping subnets, pool outside
// the subnet, conflicting port forwards, unknown bridges in allow_bridges,
// ...).
Config parse_config(std::string_view text, std::string_view source_name);
Config load_config_file(const std::string& path);

// The config as a TOML file that parse_config() reads back to an equal
// Config (but for `source`): every key written, the pool explicit (but for
// an address = "auto" bridge, written as "auto" without a pool even once
// resolved).
std::string to_toml(const Config& config);

// Markdown reference of every key, generated from the schema tables.
std::string config_reference_markdown();

// The same reference as the berth.toml(5) manual page (roff, man macros,
// plain ASCII), `version` in its footer. Built into the page at build time
// by tools/berth_man_page.
std::string config_reference_man(std::string_view version);

}  // namespace berth::config
