#include "dhcp/boot.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace berth::dhcp {

namespace {

constexpr std::string_view kIpxe = "iPXE";

// RFC 3004 §4: a list of instances, each a length byte and that many bytes.
// iPXE sends its class bare ("iPXE"), without the length byte.
bool is_ipxe(const Bytes& user_class) {
  const std::string_view raw(reinterpret_cast<const char*>(user_class.data()), user_class.size());
  if (raw == kIpxe) return true;
  size_t at = 0;
  while (at < user_class.size()) {
    const size_t len = user_class[at];
    if (len == 0 || at + 1 + len > user_class.size()) return false;
    if (raw.substr(at + 1, len) == kIpxe) return true;
    at += 1 + len;
  }
  return false;
}

// PXE 2.1 §2.2.1: "PXEClient:Arch:xxxxx:UNDI:yyyzzz", xxxxx in decimal.
std::optional<uint16_t> arch_of_vendor_class(std::string_view vc) {
  constexpr std::string_view kPrefix = "PXEClient:Arch:";
  if (!vc.starts_with(kPrefix)) return std::nullopt;
  vc.remove_prefix(kPrefix.size());
  const std::string_view digits = vc.substr(0, vc.find(':'));
  uint16_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  return value;
}

template <size_t N>
void set_field(std::array<uint8_t, N>& field, std::string_view text) {
  field.fill(0);
  std::copy_n(text.begin(), std::min(text.size(), N - 1), field.begin());
}

bool asked_for(const dhcp4::Message& request, uint8_t code) {
  const Bytes* prl = request.options.get(dhcp4::opt::parameter_request_list);
  return prl != nullptr && std::find(prl->begin(), prl->end(), code) != prl->end();
}

}  // namespace

BootClient boot_client_of(const dhcp4::Message& request) {
  BootClient c;
  // RFC 4578 §2.1: a list of 16-bit types; the first is the preferred one.
  if (const Bytes* a = request.options.get(opt_boot::client_arch); a && a->size() >= 2) {
    c.arch = static_cast<uint16_t>(((*a)[0] << 8) | (*a)[1]);
  } else if (auto vc = request.options.get_text(dhcp4::opt::vendor_class)) {
    c.arch = arch_of_vendor_class(*vc);
  }
  if (const Bytes* uc = request.options.get(opt_boot::user_class)) c.ipxe = is_ipxe(*uc);
  return c;
}

std::string_view boot_file(const config::BootConfig& boot, const BootClient& client) {
  if (client.ipxe && !boot.ipxe_url.empty()) return boot.ipxe_url;
  if (client.arch) {
    switch (*client.arch) {
      case arch::efi_ia32:
      case arch::efi_bc:
      case arch::efi_x64:
        if (!boot.filename_efi.empty()) return boot.filename_efi;
        break;
      case arch::efi_arm64:
        if (!boot.filename_arm64.empty()) return boot.filename_arm64;
        break;
      default:
        break;
    }
  }
  return boot.filename;
}

void add_boot_fields(const config::BootConfig& boot, Ipv4Address bridge_address,
                     const dhcp4::Message& request, dhcp4::Message& reply) {
  if (!boot.enabled()) return;
  reply.siaddr = boot.next_server.value_or(bridge_address);
  if (!boot.server_name.empty()) {
    set_field(reply.sname, boot.server_name);
    if (asked_for(request, opt_boot::tftp_server_name)) {
      reply.options.set_text(opt_boot::tftp_server_name, boot.server_name);
    }
  }
  const std::string_view file = boot_file(boot, boot_client_of(request));
  if (file.empty()) return;
  const bool fits = file.size() < reply.file.size();  // and its terminating NUL
  if (fits) set_field(reply.file, file);
  if (!fits || asked_for(request, opt_boot::bootfile_name)) {
    reply.options.set_text(opt_boot::bootfile_name, file);
  }
}

}  // namespace berth::dhcp
