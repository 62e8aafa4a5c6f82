// The control API's view of what berthd keeps: leases, reservations and
// forwards of the store (leases/) and of the config file (config/), as the
// answers show them, and the records a request asks to store. One copy, for
// the daemon and its tests; a client has no use for it.
#pragma once

#include <cstdint>
#include <string>

#include "api/types.hpp"
#include "config/config.hpp"
#include "leases/lease.hpp"
#include "leases/reservation.hpp"
#include "leases/store.hpp"

namespace berth::api {

// A lease as GET /v1/leases shows it at `now`: a bound lease past its
// expiry is "expired" even before the sweep writes it.
LeaseInfo lease_info(const leases::Lease& l, int64_t now);

// A reservation as GET /v1/reservations shows it: only the key its match
// uses is copied; the config file's have id 0 and source "config".
ReservationInfo reservation_info(const leases::Reservation& r);

// The reservation a POST /v1/reservations asks for, not stored yet (id 0).
// `force` is not part of it: it says how to treat a clash, the caller's
// business.
leases::Reservation reservation_from(const ReservationCreate& c);

ForwardProto forward_proto(config::ForwardConfig::Proto p);

// A forward of the database (source "api"), or of the config file's bridge
// `bridge` (id 0, source "config"). `target` is left unset: where a name
// points now is for the caller to say. The store hands out only "tcp" and
// "udp"; any other proto throws std::invalid_argument naming the forward.
ForwardInfo forward_info(const leases::StoredForward& f);
ForwardInfo forward_info(const std::string& bridge, const config::ForwardConfig& f);

// The row a POST /v1/forwards asks to store (id 0 until stored).
leases::StoredForward stored_forward(const ForwardCreate& c, int64_t created_at);

}  // namespace berth::api
