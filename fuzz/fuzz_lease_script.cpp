// libFuzzer target: DHCPv4 messages to lease_script calls
// (leases/lease_script.hpp). Whatever the client sent, every environment
// entry is NAME=value with a DNSMASQ_ name and a value without control
// bytes (none could pass through execve), and every argument is non-empty.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "leases/lease_script.hpp"
#include "protocol/dhcp4/message.hpp"

namespace {

void check(const berth::leases::ScriptCall& call) {
  if (call.args.size() < 3 || call.args[0] != berth::leases::to_string(call.action)) std::abort();
  for (const std::string& a : call.args) {
    if (a.empty() || a.find('\0') != std::string::npos) std::abort();
  }
  for (const std::string& e : call.env) {
    const size_t eq = e.find('=');
    if (e.rfind("DNSMASQ_", 0) != 0 || eq == std::string::npos) std::abort();
    for (char c : e.substr(eq + 1)) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto msg = berth::dhcp4::parse_message(berth::ByteView(data, size));
  if (!msg) return 0;
  berth::leases::ScriptRequest request = berth::leases::script_request_of(*msg);
  berth::leases::Lease lease{.bridge = "br0",
                             .ip = berth::Ipv4Address(0xc6120010),
                             .mac = msg->mac(),
                             .client_id = {},
                             .hostname = "web",
                             .state = berth::leases::LeaseState::bound,
                             .expires_at = 4600,
                             .updated_at = 0};
  if (const berth::Bytes* id = msg->options.get(berth::dhcp4::opt::client_identifier)) {
    lease.client_id = *id;
  }
  const berth::leases::ScriptContext ctx{
      .interface = "br0", .domain = "lab", .now = 1000, .renewals = true};
  for (const auto& call : berth::leases::script_calls(std::nullopt, lease, &request, ctx)) {
    check(call);
  }
  berth::leases::Lease renewed = lease;
  renewed.expires_at = 5000;
  renewed.hostname.clear();
  for (const auto& call : berth::leases::script_calls(lease, renewed, &request, ctx)) check(call);
  return 0;
}
