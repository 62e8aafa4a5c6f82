// `berthctl import`: what the importers of leases/importers.hpp read from
// dnsmasq, LXD and libvirt files, as reservations to add through the API.
//
// A lease file (dnsmasq's, libvirt's .status) becomes one MAC reservation
// per lease, its host name as the reservation's name: that is what keeps
// every container on its address across the move, and the reservation can
// be removed later to give the address back to the pool.
#pragma once

#include <string>
#include <vector>

#include "api/types.hpp"
#include "leases/importers.hpp"

namespace berth::cli {

std::vector<api::ReservationCreate> reservations_from_leases(
    const std::vector<leases::Lease>& leases, bool force);
std::vector<api::ReservationCreate> reservations_from_hosts(
    const std::vector<leases::Reservation>& reservations, bool force);

// "FILE:LINE: MESSAGE" ("FILE: MESSAGE" without a line).
std::string format_problem(const leases::ImportProblem& p);

}  // namespace berth::cli
