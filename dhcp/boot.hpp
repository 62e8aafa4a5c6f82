// Network boot answers (PXE, UEFI, iPXE): which boot server and file a
// client is given, from its request and the bridge's [bridge.boot] keys.
// Pure: a request and the config in, reply fields out.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "config/config.hpp"
#include "protocol/address.hpp"
#include "protocol/dhcp4/message.hpp"

namespace berth::dhcp {

namespace opt_boot {
inline constexpr uint8_t tftp_server_name = 66;  // RFC 2132 §9.4
inline constexpr uint8_t bootfile_name = 67;     // RFC 2132 §9.5
inline constexpr uint8_t user_class = 77;        // RFC 3004
inline constexpr uint8_t client_arch = 93;       // RFC 4578 §2.1
}  // namespace opt_boot

// RFC 4578 §2.1 processor architecture types (IANA registry) berth tells apart.
namespace arch {
inline constexpr uint16_t bios = 0;  // Intel x86PC
inline constexpr uint16_t efi_ia32 = 6;
inline constexpr uint16_t efi_bc = 7;  // EFI byte code; x86-64 firmware sends it too
inline constexpr uint16_t efi_x64 = 9;
inline constexpr uint16_t efi_arm64 = 11;
}  // namespace arch

// What a request says about the booting client.
struct BootClient {
  // Option 93's first type, else the "Arch:NNNNN" of a vendor class
  // "PXEClient:Arch:NNNNN:..." (option 60); nothing when neither says.
  std::optional<uint16_t> arch;
  bool ipxe = false;  // user class (option 77) "iPXE", raw or as an RFC 3004 instance
};

BootClient boot_client_of(const dhcp4::Message& request);

// The file `client` boots: ipxe_url for iPXE (when set), filename_efi for
// EFI IA32/BC/x64, filename_arm64 for arm64, else filename. Empty: none.
std::string_view boot_file(const config::BootConfig& boot, const BootClient& client);

// Fills the boot fields of an OFFER or ACK when `boot` has any key set:
// siaddr (next_server, else `bridge_address`), the sname and file fields
// (RFC 2131 §2; berth never overloads them with options), and options 66
// and 67 when the client asks for them in option 55 (PXE ROMs do), or 67
// when the file does not fit in the 128-byte field. Nothing otherwise.
void add_boot_fields(const config::BootConfig& boot, Ipv4Address bridge_address,
                     const dhcp4::Message& request, dhcp4::Message& reply);

}  // namespace berth::dhcp
