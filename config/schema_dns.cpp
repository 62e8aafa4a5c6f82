// [dns] and its static records and per-domain upstreams ([[dns.server]],
// [[dns.host]], [[dns.cname]], [[dns.srv]], [[dns.txt]]).
#include "config/schema.hpp"

#include <array>

namespace berth::config::schema {
namespace {

// ---- [dns] ------------------------------------------------------------------

void apply_dns_enabled(const Value& v, DnsDraft& d) { d.value.enabled = v.boolean(); }

void apply_dns_port(const Value& v, DnsDraft& d) {
  const int64_t port = v.integer();
  if (port < 1 || port > 65535)
    v.fail("port " + std::to_string(port) + " is out of range 1..65535");
  d.value.port = static_cast<uint16_t>(port);
}

std::vector<Upstream> upstream_list(const Value& v) {
  std::vector<Upstream> out;
  for (const std::string& text : v.strings()) {
    auto u = parse_upstream(text);
    if (!u) {
      v.fail("upstream " + quoted(text) +
             " is not an IP address with an optional port, like \"198.18.1.1\", "
             "\"198.18.1.1:5353\" or \"[fd00::1]:53\"");
    }
    out.push_back(*u);
  }
  return out;
}

void apply_dns_upstreams(const Value& v, DnsDraft& d) { d.value.upstreams = upstream_list(v); }

void apply_dns_resolv_conf(const Value& v, DnsDraft& d) {
  const std::string& path = v.string();
  if (path.empty() || path.front() != '/') v.fail("resolv_conf must be an absolute path");
  d.value.resolv_conf = path;
}

uint32_t bounded(const Value& v, std::string_view key, int64_t lo, int64_t hi) {
  const int64_t n = v.integer();
  if (n < lo || n > hi) {
    v.fail(std::string(key) + " " + std::to_string(n) + " is out of range " + std::to_string(lo) +
           ".." + std::to_string(hi));
  }
  return static_cast<uint32_t>(n);
}

void apply_dns_cache_size(const Value& v, DnsDraft& d) {
  d.value.cache_size = bounded(v, "cache_size", 0, 10'000'000);
}
void apply_dns_local_ttl(const Value& v, DnsDraft& d) {
  d.value.local_ttl = bounded(v, "local_ttl", 0, 86400);
}
void apply_dns_workers(const Value& v, DnsDraft& d) {
  d.value.workers = bounded(v, "workers", 0, 64);
}
void apply_dns_timeout(const Value& v, DnsDraft& d) {
  d.value.upstream_timeout_ms = bounded(v, "upstream_timeout_ms", 50, 30000);
}

void apply_dns_servers(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_server_section())) d.value.servers.push_back(r.value);
}
void apply_dns_hosts(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_host_section())) d.value.hosts.push_back(r.value);
}
void apply_dns_cnames(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_cname_section())) d.value.cnames.push_back(r.value);
}
void apply_dns_srvs(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_srv_section())) d.value.srvs.push_back(r.value);
}
void apply_dns_txts(const Value& v, DnsDraft& d) {
  for (auto& r : read_table_array(v, dns_txt_section())) d.value.txts.push_back(r.value);
}

constexpr std::array<KeyRow<DnsDraft>, 13> kDnsRows = {{
    {"enabled", "boolean", "`true`", false, false,
     "Serve DNS on each bridge address. When false berthd is a DHCP server only.",
     apply_dns_enabled},
    {"port", "integer", "`53`", false, false,
     "UDP and TCP port DNS listens on, at each bridge address (never 0.0.0.0).", apply_dns_port},
    {"upstreams", "array of strings", "`[]`", false, true,
     "Resolvers for names that are not local, like [\"198.18.1.1\", \"198.18.1.2:5353\"]. "
     "Empty: the nameservers of `resolv_conf`, re-read when that file changes.",
     apply_dns_upstreams},
    {"resolv_conf", "string", "`\"/etc/resolv.conf\"`", false, true,
     "File whose nameserver lines are the upstreams when `upstreams` is empty. Loopback "
     "nameservers (such as systemd-resolved's 127.0.0.53) are used as they are.",
     apply_dns_resolv_conf},
    {"cache_size", "integer", "`10000`", false, false,
     "Answers kept in the cache (least recently used are evicted); 0 turns the cache off.",
     apply_dns_cache_size},
    {"local_ttl", "integer", "`0`", false, true,
     "TTL of answers for lease and reservation names, in seconds (as dnsmasq's local-ttl).",
     apply_dns_local_ttl},
    {"workers", "integer", "`0`", false, false,
     "Threads answering DNS; 0 means one per two CPUs, at least 1 and at most 4.",
     apply_dns_workers},
    {"upstream_timeout_ms", "integer", "`1500`", false, true,
     "Time to wait for an upstream before trying the next one, 50 to 30000 ms.", apply_dns_timeout},
    {"server", "array of tables [[dns.server]]", "none", false, true,
     "Upstreams for one domain and its subdomains; see [[dns.server]].", apply_dns_servers},
    {"host", "array of tables [[dns.host]]", "none", false, true,
     "Static A records (and their PTR); see [[dns.host]].", apply_dns_hosts},
    {"cname", "array of tables [[dns.cname]]", "none", false, true,
     "Static CNAME records; see [[dns.cname]].", apply_dns_cnames},
    {"srv", "array of tables [[dns.srv]]", "none", false, true,
     "Static SRV records; see [[dns.srv]].", apply_dns_srvs},
    {"txt", "array of tables [[dns.txt]]", "none", false, true,
     "Static TXT records; see [[dns.txt]].", apply_dns_txts},
}};

const Section<DnsDraft> kDnsSection = {
    "dns",    "[dns]",
    false,    "DNS at the bridge addresses. The whole table is optional; every key has a default.",
    kDnsRows, nullptr};

// ---- [[dns.server]], [[dns.host]], [[dns.cname]], [[dns.srv]], [[dns.txt]] ---

std::string record_name(const Value& v, bool allow_underscore) {
  std::string text = v.string();
  if (auto problem = dns_name_problem(text, "name", allow_underscore)) v.fail(std::move(*problem));
  if (text.size() > 1 && text.back() == '.') text.pop_back();
  return text;
}

void apply_server_domain(const Value& v, DomainUpstreamsDraft& d) {
  d.value.domain = record_name(v, true);
}
void apply_server_upstreams(const Value& v, DomainUpstreamsDraft& d) {
  d.value.upstreams = upstream_list(v);
  if (d.value.upstreams.empty()) v.fail("upstreams is empty; name at least one resolver");
}

constexpr std::array<KeyRow<DomainUpstreamsDraft>, 2> kServerRows = {{
    {"domain", "string", "required", true, true,
     "Domain whose names (and subdomains) go to these upstreams, like \"corp.example\".",
     apply_server_domain},
    {"upstreams", "array of strings", "required", true, true,
     "Resolvers for that domain, in the form of [dns] upstreams.", apply_server_upstreams},
}};

void apply_host_name(const Value& v, HostDraft& d) { d.value.name = record_name(v, true); }
void apply_host_ip(const Value& v, HostDraft& d) {
  const std::string& text = v.string();
  auto ip = Ipv4Address::parse(text);
  if (!ip) v.fail("ip " + quoted(text) + " is not an IPv4 address");
  d.value.ip = *ip;
}

constexpr std::array<KeyRow<HostDraft>, 2> kHostRows = {{
    {"name", "string", "required", true, true, "Fully qualified name, like \"db.lab.example\".",
     apply_host_name},
    {"ip", "string", "required", true, true,
     "Its IPv4 address; the address also answers PTR with this name.", apply_host_ip},
}};

void apply_cname_name(const Value& v, CnameDraft& d) { d.value.name = record_name(v, true); }
void apply_cname_target(const Value& v, CnameDraft& d) { d.value.target = record_name(v, true); }

constexpr std::array<KeyRow<CnameDraft>, 2> kCnameRows = {{
    {"name", "string", "required", true, true, "The alias.", apply_cname_name},
    {"target", "string", "required", true, true,
     "The name it points to; when that name is local its address is added to the answer.",
     apply_cname_target},
}};

void apply_srv_name(const Value& v, SrvDraft& d) { d.value.name = record_name(v, true); }
void apply_srv_target(const Value& v, SrvDraft& d) { d.value.target = record_name(v, false); }
void apply_srv_port(const Value& v, SrvDraft& d) {
  d.value.port = static_cast<uint16_t>(bounded(v, "port", 0, 65535));
}
void apply_srv_priority(const Value& v, SrvDraft& d) {
  d.value.priority = static_cast<uint16_t>(bounded(v, "priority", 0, 65535));
}
void apply_srv_weight(const Value& v, SrvDraft& d) {
  d.value.weight = static_cast<uint16_t>(bounded(v, "weight", 0, 65535));
}

constexpr std::array<KeyRow<SrvDraft>, 5> kSrvRows = {{
    {"name", "string", "required", true, true, "Owner, like \"_http._tcp.web.berth\".",
     apply_srv_name},
    {"target", "string", "required", true, true, "Host offering the service.", apply_srv_target},
    {"port", "integer", "required", true, true, "Port of the service, 0 to 65535.", apply_srv_port},
    {"priority", "integer", "`0`", false, true, "Lower is tried first.", apply_srv_priority},
    {"weight", "integer", "`0`", false, true, "Share among equal priorities.", apply_srv_weight},
}};

void apply_txt_name(const Value& v, TxtDraft& d) { d.value.name = record_name(v, true); }
void apply_txt_text(const Value& v, TxtDraft& d) {
  if (v.node().is_string()) {
    d.value.text = {v.string()};
  } else {
    d.value.text = v.strings();
  }
  size_t total = 0;
  for (const auto& t : d.value.text) total += t.size() + t.size() / 255 + 1;
  if (total > 16000) v.fail("text is longer than 16000 bytes");
}

constexpr std::array<KeyRow<TxtDraft>, 2> kTxtRows = {{
    {"name", "string", "required", true, true, "Owner name.", apply_txt_name},
    {"text", "string or array of strings", "required", true, true,
     "The strings of the record; each longer than 255 bytes is split into pieces.", apply_txt_text},
}};

const Section<DomainUpstreamsDraft> kServerSection = {
    "server",    "[[dns.server]]",
    true,        "Per-domain upstreams, as dnsmasq's `server=/domain/ip`; the longest match wins.",
    kServerRows, nullptr};
const Section<HostDraft> kHostSection = {
    "host",    "[[dns.host]]", true, "Static address records, as dnsmasq's host-record.",
    kHostRows, nullptr};
const Section<CnameDraft> kCnameSection = {
    "cname", "[[dns.cname]]", true, "Static aliases, as dnsmasq's cname.", kCnameRows, nullptr};
const Section<SrvDraft> kSrvSection = {"srv",    "[[dns.srv]]",
                                       true,     "Static service records, as dnsmasq's srv-host.",
                                       kSrvRows, nullptr};
const Section<TxtDraft> kTxtSection = {
    "txt", "[[dns.txt]]", true, "Static text records, as dnsmasq's txt-record.", kTxtRows, nullptr};

}  // namespace

const Section<DnsDraft>& dns_section() { return kDnsSection; }
const Section<DomainUpstreamsDraft>& dns_server_section() { return kServerSection; }
const Section<HostDraft>& dns_host_section() { return kHostSection; }
const Section<CnameDraft>& dns_cname_section() { return kCnameSection; }
const Section<SrvDraft>& dns_srv_section() { return kSrvSection; }
const Section<TxtDraft>& dns_txt_section() { return kTxtSection; }

}  // namespace berth::config::schema
