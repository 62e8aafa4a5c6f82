#include "cli/output.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace berth::cli {

namespace {

// Past the year 9999 no clock will reach: dnsmasq's and libvirt's
// "infinite" leases (leases::kInfiniteExpiry) among them.
constexpr int64_t kNever = 253402300799;

std::string or_dash(const std::string& s) { return s.empty() ? "-" : printable(s); }

// The MATCH column names a kind as berthctl's options do (--client-id); the
// API's name, "client_id", is for scripts (--json).
std::string match_column(api::MatchKind k) {
  return k == api::MatchKind::client_id ? "client-id" : std::string(api::to_string(k));
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(ch);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string printable_lines(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 1);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 0x20 && c < 0x7f && c != '\\') || c == '\n' || c == '\t') {
      out.push_back(ch);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  return out;
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  emit(header);
  for (const auto& row : rows) emit(row);
  return out;
}

std::string format_time(int64_t utc_seconds) {
  if (utc_seconds >= kNever) return "never";
  const auto t = static_cast<std::time_t>(utc_seconds);
  std::tm tm{};
  if (::localtime_r(&t, &tm) == nullptr) return std::to_string(utc_seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string format_duration(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const int64_t d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60,
                s = seconds % 60;
  if (d > 0) return std::to_string(d) + "d " + std::to_string(h) + "h";
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
  if (m > 0) return std::to_string(m) + "m " + std::to_string(s) + "s";
  return std::to_string(s) + "s";
}

std::string render_status(const api::Status& s) {
  const std::string leases = std::to_string(s.leases.bound) + " bound, " +
                             std::to_string(s.leases.released) + " released, " +
                             std::to_string(s.leases.expired) + " expired, " +
                             std::to_string(s.leases.declined) + " declined";
  std::vector<std::vector<std::string>> rows = {
      {"up", format_duration(s.uptime_s)},
      {"config", printable(s.config)},
      {"database", printable(s.database)},
      {"bridges", std::to_string(s.bridges)},
      {"leases", leases},
      {"reservations", std::to_string(s.reservations)},
  };
  std::string table = format_table({"berthd", printable(s.version)}, rows);
  return table;
}

std::string render_bridges(const api::BridgeList& l) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : l.bridges) {
    rows.push_back({printable(b.name), b.address.to_string(),
                    b.pool_start.to_string() + "-" + b.pool_end.to_string(),
                    std::to_string(b.leases_bound) + "/" + std::to_string(b.pool_size),
                    or_dash(b.domain)});
  }
  return format_table({"BRIDGE", "ADDRESS", "POOL", "BOUND", "DOMAIN"}, rows);
}

std::string render_leases(const api::LeaseList& l) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& lease : l.leases) {
    rows.push_back({printable(lease.bridge), lease.ip.to_string(), lease.mac.to_string(),
                    or_dash(lease.hostname), std::string(api::to_string(lease.state)),
                    format_time(lease.expires_at)});
  }
  return format_table({"BRIDGE", "IP", "MAC", "HOSTNAME", "STATE", "EXPIRES"}, rows);
}

std::string render_reservations(const api::ReservationList& l) {
  // The IPv6 columns only when a reservation has an IPv6 address.
  const bool v6 = std::any_of(l.reservations.begin(), l.reservations.end(),
                              [](const auto& r) { return r.ipv6.has_value(); });
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : l.reservations) {
    std::vector<std::string> row{r.id == 0 ? "-" : std::to_string(r.id), printable(r.bridge),
                                 match_column(r.match),
                                 r.match == api::MatchKind::mac         ? r.mac.to_string()
                                 : r.match == api::MatchKind::client_id ? to_hex_colon(r.client_id)
                                                                        : printable(r.hostname),
                                 r.ip.to_string()};
    if (v6) {
      row.push_back(r.ipv6 ? r.ipv6->to_string() : "-");
      row.push_back(r.duid.empty() ? "-" : to_hex_colon(r.duid));
    }
    row.push_back(or_dash(r.name));
    row.push_back(std::string(api::to_string(r.source)));
    rows.push_back(std::move(row));
  }
  if (v6) {
    return format_table({"ID", "BRIDGE", "MATCH", "CLIENT", "IP", "IPV6", "DUID", "NAME", "SOURCE"},
                        rows);
  }
  return format_table({"ID", "BRIDGE", "MATCH", "CLIENT", "IP", "NAME", "SOURCE"}, rows);
}

std::string render_reload(const api::ReloadResult& r) {
  auto names = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& n : v) out += (out.empty() ? "" : ", ") + printable(n);
    return out;
  };
  std::string out = "reloaded " + printable(r.config) + ": " + std::to_string(r.bridges) +
                    (r.bridges == 1 ? " bridge" : " bridges") + "\n";
  if (!r.bridges_added.empty()) out += "  added: " + names(r.bridges_added) + "\n";
  if (!r.bridges_removed.empty()) out += "  removed: " + names(r.bridges_removed) + "\n";
  if (!r.bridges_changed.empty()) out += "  changed: " + names(r.bridges_changed) + "\n";
  return out;
}

std::string client_of(const api::ReservationInfo& r) {
  switch (r.match) {
    case api::MatchKind::mac:
      return r.mac.to_string();
    case api::MatchKind::client_id:
      return "client-id " + to_hex_colon(r.client_id);
    case api::MatchKind::hostname:
      return "hostname " + printable(r.hostname);
  }
  return {};
}

std::string client_of(const api::ReservationCreate& r) {
  return client_of(api::ReservationInfo{.id = 0,
                                        .bridge = r.bridge,
                                        .match = r.match,
                                        .mac = r.mac,
                                        .client_id = r.client_id,
                                        .hostname = r.hostname,
                                        .ip = r.ip,
                                        .ipv6 = r.ipv6,
                                        .duid = r.duid,
                                        .name = r.name,
                                        .source = api::ReservationSource::api});
}

std::string describe(const api::ReservationInfo& r) {
  std::string out = "reservation " + std::to_string(r.id) + " on " + printable(r.bridge) + ": " +
                    client_of(r) + " -> " + r.ip.to_string();
  if (r.ipv6) out += " " + r.ipv6->to_string();
  if (!r.name.empty()) out += " (" + printable(r.name) + ")";
  for (size_t i = 0; i < r.options.size(); ++i) {
    out += (i == 0 ? " options " : ", ") + printable(dhcp4::format_configured_option(r.options[i]));
  }
  return out;
}

std::string describe(const api::LeaseInfo& l) {
  std::string out =
      "lease " + l.ip.to_string() + " on " + printable(l.bridge) + " of " + l.mac.to_string();
  if (!l.hostname.empty()) out += " (" + printable(l.hostname) + ")";
  return out;
}

std::string forward_rule(const api::ForwardInfo& f) {
  return std::string(api::to_string(f.proto)) + " " +
         (f.host_address ? f.host_address->to_string() : std::string("*")) + ":" +
         std::to_string(f.host_port) + " -> " + printable(f.to) + ":" + std::to_string(f.to_port);
}

std::string describe(const api::ForwardInfo& f) {
  std::string out =
      "forward " + std::to_string(f.id) + " on " + printable(f.bridge) + ": " + forward_rule(f);
  // A name's address, when it has one; an address target says it all.
  if (f.target && f.target->to_string() != f.to) out += " (now " + f.target->to_string() + ")";
  if (f.target6) out += " (IPv6 " + f.target6->to_string() + ")";
  return out;
}

std::string render_forwards(const api::ForwardList& l) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : l.forwards) {
    rows.push_back({f.id == 0 ? "-" : std::to_string(f.id), printable(f.bridge),
                    std::string(api::to_string(f.proto)),
                    (f.host_address ? f.host_address->to_string() : std::string("*")) + ":" +
                        std::to_string(f.host_port),
                    printable(f.to) + ":" + std::to_string(f.to_port),
                    (f.target ? f.target->to_string() : std::string("-")) +
                        (f.target6 ? " " + f.target6->to_string() : std::string()),
                    std::string(api::to_string(f.source))});
  }
  return format_table({"ID", "BRIDGE", "PROTO", "HOST", "TO", "TARGET", "SOURCE"}, rows);
}

std::string render_firewall(const api::FirewallInfo& f) {
  std::string out;
  if (!f.enabled) {
    out += "berthd does not manage the firewall ([firewall] enabled = false)\n";
    if (f.kernel) out += "\nin the kernel:\n" + printable_lines(*f.kernel);
    return out;
  }
  out += "wanted by berthd:\n" + printable_lines(f.wanted) + "\nin the kernel:\n";
  out += f.kernel ? printable_lines(*f.kernel) : std::string("(no table inet berth)\n");
  out += "\n";
  out += !f.kernel ? "missing\n" : f.in_sync ? "in sync\n" : "differs\n";
  if (!f.foreign.empty()) {
    out += "\nother tables dropping forwarded traffic:\n";
    for (const api::ForeignFinding& g : f.foreign) {
      out += printable_lines(g.table + " chain " + g.chain + ": " + g.finding + "; " + g.action);
    }
  }
  return out;
}

}  // namespace berth::cli
