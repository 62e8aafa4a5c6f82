// [bridge.boot] (network boot of a bridge's clients) and [tftp] (the
// read-only TFTP server those bridges may turn on).
#include "config/schema.hpp"

#include <array>

namespace berth::config::schema {
namespace {

// ---- [bridge.boot] ----------------------------------------------------------

// RFC 2131 §2: sname is 64 bytes and file 128, each NUL terminated.
constexpr size_t kMaxServerName = 63;
constexpr size_t kMaxFileName = 127;
// RFC 2132 §2: an option holds at most 255 bytes (option 67 for a URL).
constexpr size_t kMaxUrl = 255;

// Printable ASCII only: PXE ROMs and TFTP servers know nothing else.
std::string text_value(const Value& v, std::string_view key, size_t max) {
  const std::string& text = v.string();
  if (text.empty()) v.fail(std::string(key) + " is empty; leave it out instead");
  if (text.size() > max) {
    v.fail(std::string(key) + " " + quoted(text) + " is longer than " + std::to_string(max) +
           " bytes");
  }
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte > 0x7e) {
      v.fail(std::string(key) + " " + quoted(text) +
             " holds a space, control or non-ASCII byte; boot clients expect printable ASCII");
    }
  }
  return text;
}

void apply_next_server(const Value& v, BootDraft& d) {
  d.value.next_server = host_address(v, "next_server");
}
void apply_server_name(const Value& v, BootDraft& d) {
  d.value.server_name = text_value(v, "server_name", kMaxServerName);
}
void apply_filename(const Value& v, BootDraft& d) {
  d.value.filename = text_value(v, "filename", kMaxFileName);
}
void apply_filename_efi(const Value& v, BootDraft& d) {
  d.value.filename_efi = text_value(v, "filename_efi", kMaxFileName);
}
void apply_filename_arm64(const Value& v, BootDraft& d) {
  d.value.filename_arm64 = text_value(v, "filename_arm64", kMaxFileName);
}
void apply_ipxe_url(const Value& v, BootDraft& d) {
  const std::string url = text_value(v, "ipxe_url", kMaxUrl);
  if (!url.starts_with("http://") && !url.starts_with("https://") && !url.starts_with("tftp://")) {
    v.fail("ipxe_url " + quoted(url) + " is not an http://, https:// or tftp:// URL");
  }
  d.value.ipxe_url = url;
}
void apply_boot_tftp(const Value& v, BootDraft& d) { d.value.tftp = v.boolean(); }

constexpr std::array<KeyRow<BootDraft>, 7> kBootRows = {{
    {"next_server", "string", "the bridge's address", false, true,
     "IPv4 address of the boot server, sent as siaddr (RFC 2131 `next-server`). Unset: the "
     "bridge's own address, where `tftp = true` serves files.",
     apply_next_server},
    {"server_name", "string", "unset", false, true,
     "Boot server host name, sent in the `sname` field and as option 66 when the client asks "
     "for it; printable ASCII, at most 63 bytes.",
     apply_server_name},
    {"filename", "string", "unset", false, true,
     "Boot file for BIOS clients (and any client whose architecture, option 93, has no file "
     "of its own), sent in the `file` field and as option 67 when asked for; printable ASCII, "
     "at most 127 bytes, like \"pxelinux.0\" or \"undionly.kpxe\".",
     apply_filename},
    {"filename_efi", "string", "unset", false, true,
     "Boot file for UEFI clients: option 93 (RFC 4578) 6 (EFI IA32), 7 (EFI BC) or 9 "
     "(EFI x64), like \"ipxe.efi\" or \"grubx64.efi\". Unset: they get `filename`.",
     apply_filename_efi},
    {"filename_arm64", "string", "unset", false, true,
     "Boot file for 64-bit ARM UEFI clients (option 93 = 11), like \"grubaa64.efi\". Unset: "
     "they get `filename`.",
     apply_filename_arm64},
    {"ipxe_url", "string", "unset", false, true,
     "Given as the boot file to clients whose user class (option 77) is \"iPXE\", so a "
     "client that chain-loaded iPXE over TFTP goes on over HTTP, like "
     "\"http://10.0.3.1/boot.ipxe\"; an http://, https:// or tftp:// URL of at most 255 "
     "bytes.",
     apply_ipxe_url},
    {"tftp", "boolean", "`false`", false, true,
     "Serve the [tftp] root read-only over TFTP on the bridge's address, UDP port 69.",
     apply_boot_tftp},
}};

const Section<BootDraft> kBootSection = {
    "bridge.boot",
    "[bridge.boot]",
    false,
    "Network boot of a bridge's clients (PXE, UEFI HTTP boot through iPXE). When any key is "
    "set, replies carry siaddr (`next_server`), `sname` and the boot file chosen by the "
    "client's architecture (option 93) and user class (option 77); without the table they "
    "carry no boot fields. Write it below the bridge's keys, as `[bridge.boot]`.",
    kBootRows,
    nullptr};

// ---- [tftp] -----------------------------------------------------------------

uint32_t number_in(const Value& v, std::string_view key, int64_t low, int64_t high) {
  const int64_t n = v.integer();
  if (n < low || n > high) {
    v.fail(std::string(key) + " " + std::to_string(n) + " is out of range " + std::to_string(low) +
           ".." + std::to_string(high));
  }
  return static_cast<uint32_t>(n);
}

void apply_tftp_root(const Value& v, TftpDraft& d) {
  const std::string& path = v.string();
  if (path.empty() || path.front() != '/') v.fail("root must be an absolute path");
  if (path.find('\0') != std::string::npos) v.fail("root contains a NUL byte");
  d.value.root = path;
}
void apply_tftp_max_transfers(const Value& v, TftpDraft& d) {
  d.value.max_transfers = number_in(v, "max_transfers", 1, 4096);
}
void apply_tftp_timeout(const Value& v, TftpDraft& d) {
  // RFC 2349: 1 to 255 seconds.
  d.value.timeout = number_in(v, "timeout", 1, 255);
}
void apply_tftp_retries(const Value& v, TftpDraft& d) {
  d.value.retries = number_in(v, "retries", 0, 20);
}
void apply_tftp_max_block_size(const Value& v, TftpDraft& d) {
  // RFC 2348: 8 to 65464 bytes; below 512 only shrinks what RFC 1350 gives.
  d.value.max_block_size = static_cast<uint16_t>(number_in(v, "max_block_size", 512, 65464));
}

constexpr std::array<KeyRow<TftpDraft>, 5> kTftpRows = {{
    {"root", "string", "`\"/srv/tftp\"`", false, false,
     "The directory served, read-only. Requested names are relative to it; absolute names, "
     "`..` and symbolic links leading out of it are refused.",
     apply_tftp_root},
    {"max_transfers", "integer", "`64`", false, false,
     "Transfers at once, all bridges together (1 to 4096); more requests get an error.",
     apply_tftp_max_transfers},
    {"timeout", "integer", "`2`", false, false,
     "Seconds without an acknowledgement before a block is sent again (1 to 255); a client "
     "may ask for another (RFC 2349 `timeout`).",
     apply_tftp_timeout},
    {"retries", "integer", "`5`", false, false,
     "Times one block is sent again before the transfer is abandoned (0 to 20).",
     apply_tftp_retries},
    {"max_block_size", "integer", "`1468`", false, false,
     "Largest block size granted to a client asking for `blksize` (RFC 2348), 512 to 65464; "
     "1468 fills an Ethernet frame of MTU 1500.",
     apply_tftp_max_block_size},
}};

const Section<TftpDraft> kTftpSection = {
    "tftp",
    "[tftp]",
    false,
    "The read-only TFTP server (RFC 1350 reads, RFC 2347 options `blksize`, `tsize`, "
    "`timeout`) of bridges with `tftp = true` in [bridge.boot]. Writes are refused. The "
    "whole table is optional.",
    kTftpRows,
    nullptr};

}  // namespace

void apply_boot(const Value& v, BridgeDraft& d) {
  if (!v.node().is_table()) {
    v.fail("expected a table [bridge.boot], got " + std::string(type_name(v.node().type())));
  }
  BootDraft draft;
  draft.table = v.site();
  read_section(*v.node().as_table(), kBootSection, draft);
  d.value.boot = draft.value;
}

const Section<BootDraft>& boot_section() { return kBootSection; }
const Section<TftpDraft>& tftp_section() { return kTftpSection; }

}  // namespace berth::config::schema
