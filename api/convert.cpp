#include "api/convert.hpp"

#include <stdexcept>

namespace berth::api {

LeaseInfo lease_info(const leases::Lease& l, int64_t now) {
  return LeaseInfo{.bridge = l.bridge,
                   .ip = l.ip,
                   .mac = l.mac,
                   .client_id = l.client_id,
                   .hostname = l.hostname,
                   .state = l.state_at(now),
                   .expires_at = l.expires_at,
                   .updated_at = l.updated_at};
}

ReservationInfo reservation_info(const leases::Reservation& r) {
  ReservationInfo i{.id = r.from_config ? 0 : r.id,
                    .bridge = r.bridge,
                    .match = r.match,
                    .mac = {},
                    .client_id = {},
                    .hostname = {},
                    .ip = r.ip,
                    .ipv6 = r.ipv6,
                    .duid = r.duid,
                    .name = r.name,
                    .source = r.from_config ? ReservationSource::config : ReservationSource::api,
                    .options = r.options};
  switch (r.match) {
    case MatchKind::mac:
      i.mac = r.mac;
      break;
    case MatchKind::client_id:
      i.client_id = r.client_id;
      break;
    case MatchKind::hostname:
      i.hostname = r.hostname_match;
      break;
  }
  return i;
}

leases::Reservation reservation_from(const ReservationCreate& c) {
  leases::Reservation r;
  r.bridge = c.bridge;
  r.match = c.match;
  switch (c.match) {
    case MatchKind::mac:
      r.mac = c.mac;
      break;
    case MatchKind::client_id:
      r.client_id = c.client_id;
      break;
    case MatchKind::hostname:
      r.hostname_match = c.hostname;
      break;
  }
  r.ip = c.ip;
  r.ipv6 = c.ipv6;
  r.duid = c.duid;
  r.name = c.name;
  r.options = c.options;
  return r;
}

ForwardProto forward_proto(config::ForwardConfig::Proto p) {
  return p == config::ForwardConfig::Proto::udp ? ForwardProto::udp : ForwardProto::tcp;
}

ForwardInfo forward_info(const leases::StoredForward& f) {
  const auto proto = forward_proto_from_string(f.proto);
  if (!proto) {
    throw std::invalid_argument("forward " + std::to_string(f.id) + " has protocol " +
                                quote_text(f.proto) + ", neither tcp nor udp");
  }
  return ForwardInfo{.id = f.id,
                     .bridge = f.bridge,
                     .proto = *proto,
                     .host_address = f.host_address,
                     .host_port = f.host_port,
                     .to = f.to,
                     .to_port = f.to_port,
                     .target = std::nullopt,
                     .source = ForwardSource::api};
}

ForwardInfo forward_info(const std::string& bridge, const config::ForwardConfig& f) {
  return ForwardInfo{.id = 0,
                     .bridge = bridge,
                     .proto = forward_proto(f.proto),
                     .host_address = f.host_address,
                     .host_port = f.host_port,
                     .to = f.to,
                     .to_port = f.to_port,
                     .target = std::nullopt,
                     .source = ForwardSource::config};
}

leases::StoredForward stored_forward(const ForwardCreate& c, int64_t created_at) {
  return leases::StoredForward{.id = 0,
                               .bridge = c.bridge,
                               .proto = std::string(to_string(c.proto)),
                               .host_address = c.host_address,
                               .host_port = c.host_port,
                               .to = c.to,
                               .to_port = c.to_port,
                               .created_at = created_at};
}

}  // namespace berth::api
