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

#include "protocol/address.hpp"

namespace berth::config {

enum class Durability {
  fsync,    // SQLite synchronous=FULL: an acknowledged lease survives a host crash
  process,  // synchronous=NORMAL in WAL: survives a crash of berthd, not of the host
};

struct DaemonConfig {
  std::string database = "/var/lib/berth/berth.db";
  std::string log_level = "info";  // trace, debug, info, warn, error
  Durability durability = Durability::fsync;

  bool operator==(const DaemonConfig&) const = default;
};

struct BridgeConfig {
  std::string name;    // interface name, at most 15 bytes
  Ipv4Prefix address;  // the bridge's own address and subnet, e.g. 10.0.3.1/24
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

  bool operator==(const BridgeConfig&) const = default;
};

struct Config {
  DaemonConfig daemon;
  std::vector<BridgeConfig> bridges;
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

// Throw ConfigError on any problem: TOML syntax, unknown key, wrong type,
// value out of range, inconsistent bridges (overlapping subnets, pool outside
// the subnet, ...).
Config parse_config(std::string_view text, std::string_view source_name);
Config load_config_file(const std::string& path);

// The config as a TOML file that parse_config() reads back to an equal
// Config (but for `source`): every key written, the pool explicit.
std::string to_toml(const Config& config);

// Markdown reference of every key, generated from the schema tables.
std::string config_reference_markdown();

}  // namespace berth::config
