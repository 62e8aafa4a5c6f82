// Network boot fields: the file by architecture and user class, siaddr,
// sname, options 66/67, and nothing without [bridge.boot].
#include "dhcp/boot.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dhcp/dhcp4_service.hpp"
#include "tests/unit/dhcp4_client.hpp"

namespace berth::dhcp {
namespace {

using dhcp4::Message;
namespace opt = dhcp4::opt;

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

config::BootConfig lab() {
  config::BootConfig b;
  b.filename = "undionly.kpxe";
  b.filename_efi = "ipxe.efi";
  b.filename_arm64 = "grubaa64.efi";
  b.ipxe_url = "http://198.18.0.1/boot.ipxe";
  b.server_name = "bootsrv";
  return b;
}

Message request_with_arch(uint16_t arch) {
  Message m;
  const uint8_t v[] = {static_cast<uint8_t>(arch >> 8), static_cast<uint8_t>(arch & 0xff)};
  m.options.set(opt_boot::client_arch, ByteView(v));
  return m;
}

std::string field(const auto& f) { return std::string(reinterpret_cast<const char*>(f.data())); }

TEST(Boot, FileByArchitecture) {
  const config::BootConfig b = lab();
  EXPECT_EQ(boot_file(b, boot_client_of(Message{})), "undionly.kpxe");
  EXPECT_EQ(boot_file(b, boot_client_of(request_with_arch(arch::bios))), "undionly.kpxe");
  for (uint16_t a : {arch::efi_ia32, arch::efi_bc, arch::efi_x64}) {
    EXPECT_EQ(boot_file(b, boot_client_of(request_with_arch(a))), "ipxe.efi") << a;
  }
  EXPECT_EQ(boot_file(b, boot_client_of(request_with_arch(arch::efi_arm64))), "grubaa64.efi");
  // An architecture without its own file gets the BIOS one.
  config::BootConfig bios_only;
  bios_only.filename = "pxelinux.0";
  EXPECT_EQ(boot_file(bios_only, boot_client_of(request_with_arch(arch::efi_x64))), "pxelinux.0");
  EXPECT_EQ(boot_file(b, boot_client_of(request_with_arch(2))), "undionly.kpxe");
}

TEST(Boot, ArchitectureFromVendorClassWithoutOption93) {
  Message m;
  m.options.set_text(opt::vendor_class, "PXEClient:Arch:00007:UNDI:003016");
  const BootClient c = boot_client_of(m);
  ASSERT_TRUE(c.arch.has_value());
  EXPECT_EQ(*c.arch, 7);
  m.options.set_text(opt::vendor_class, "PXEClient:Arch:x7:UNDI:003016");
  EXPECT_FALSE(boot_client_of(m).arch.has_value());
  m.options.set_text(opt::vendor_class, "udhcp 1.36");
  EXPECT_FALSE(boot_client_of(m).arch.has_value());
}

TEST(Boot, IpxeUserClassGetsTheUrl) {
  const config::BootConfig b = lab();
  Message raw = request_with_arch(arch::efi_x64);
  raw.options.set_text(opt_boot::user_class, "iPXE");
  EXPECT_EQ(boot_file(b, boot_client_of(raw)), "http://198.18.0.1/boot.ipxe");
  Message rfc3004;  // RFC 3004 form: length-prefixed instances
  const uint8_t uc[] = {3, 'a', 'b', 'c', 4, 'i', 'P', 'X', 'E'};
  rfc3004.options.set(opt_boot::user_class, ByteView(uc));
  EXPECT_TRUE(boot_client_of(rfc3004).ipxe);
  Message other;
  other.options.set_text(opt_boot::user_class, "iPXEX");
  EXPECT_FALSE(boot_client_of(other).ipxe);
  // Without ipxe_url an iPXE client gets the file of its architecture.
  config::BootConfig no_url = lab();
  no_url.ipxe_url.clear();
  EXPECT_EQ(boot_file(no_url, boot_client_of(raw)), "ipxe.efi");
}

TEST(Boot, FieldsAndOptionsInTheReply) {
  Message rq = request_with_arch(arch::efi_bc);
  Message reply;
  add_boot_fields(lab(), ip("198.18.0.1"), rq, reply);
  EXPECT_EQ(reply.siaddr, ip("198.18.0.1"));  // next_server defaults to the bridge
  EXPECT_EQ(field(reply.file), "ipxe.efi");
  EXPECT_EQ(field(reply.sname), "bootsrv");
  // Not asked for: no options 66/67.
  EXPECT_FALSE(reply.options.has(opt_boot::bootfile_name));
  EXPECT_FALSE(reply.options.has(opt_boot::tftp_server_name));

  const uint8_t prl[] = {opt::subnet_mask, opt_boot::tftp_server_name, opt_boot::bootfile_name};
  rq.options.set(opt::parameter_request_list, ByteView(prl));
  config::BootConfig b = lab();
  b.next_server = ip("198.18.0.7");
  Message asked;
  add_boot_fields(b, ip("198.18.0.1"), rq, asked);
  EXPECT_EQ(asked.siaddr, ip("198.18.0.7"));
  EXPECT_EQ(asked.options.get_text(opt_boot::bootfile_name), "ipxe.efi");
  EXPECT_EQ(asked.options.get_text(opt_boot::tftp_server_name), "bootsrv");
}

TEST(Boot, LongUrlGoesInOption67Only) {
  config::BootConfig b;
  b.ipxe_url = "http://198.18.0.1/" + std::string(150, 'x');
  Message rq;
  rq.options.set_text(opt_boot::user_class, "iPXE");
  Message reply;
  add_boot_fields(b, ip("198.18.0.1"), rq, reply);
  EXPECT_EQ(reply.file[0], 0);
  EXPECT_EQ(reply.options.get_text(opt_boot::bootfile_name), b.ipxe_url);
}

TEST(Boot, NothingWithoutBootConfig) {
  Message rq = request_with_arch(arch::efi_x64);
  Message reply;
  add_boot_fields(config::BootConfig{}, ip("198.18.0.1"), rq, reply);
  EXPECT_TRUE(reply.siaddr.is_unspecified());
  EXPECT_EQ(reply.file[0], 0);
  EXPECT_EQ(reply.sname[0], 0);
  EXPECT_TRUE(reply.options.empty());
}

// Through the engine: OFFER and ACK carry the fields, NAK does not.
TEST(Boot, ServiceRepliesCarryBootFields) {
  BridgeSettings s{.name = "br0",
                   .address = *Ipv4Prefix::parse("198.18.0.1/24"),
                   .pool_first = ip("198.18.0.10"),
                   .pool_last = ip("198.18.0.200"),
                   .domain = "lab"};
  s.boot = lab();
  Dhcp4Service svc;
  const size_t br = svc.add_bridge(s, {});
  test::Dhcp4Client c = test::dhcp4_client(1);
  Message discover = c.discover();
  const uint8_t arch[] = {0, 7};
  discover.options.set(opt_boot::client_arch, ByteView(arch));
  Decision offer = svc.handle(br, discover, 1'800'000'000);
  ASSERT_TRUE(offer.reply);
  EXPECT_EQ(offer.reply->message.siaddr, ip("198.18.0.1"));
  EXPECT_EQ(field(offer.reply->message.file), "ipxe.efi");
  Message nak_me = c.select(ip("198.18.0.250"), ip("198.18.0.1"));
  Decision nak = svc.handle(br, nak_me, 1'800'000'000);
  ASSERT_TRUE(nak.reply);
  EXPECT_EQ(nak.reply->message.type(), dhcp4::MessageType::nak);
  EXPECT_TRUE(nak.reply->message.siaddr.is_unspecified());
  EXPECT_EQ(nak.reply->message.file[0], 0);

  Dhcp4Service plain;
  s.boot = {};
  const size_t pbr = plain.add_bridge(s, {});
  Decision o2 = plain.handle(pbr, discover, 1'800'000'000);
  ASSERT_TRUE(o2.reply);
  EXPECT_TRUE(o2.reply->message.siaddr.is_unspecified());
  EXPECT_EQ(o2.reply->message.file[0], 0);
}

}  // namespace
}  // namespace berth::dhcp
