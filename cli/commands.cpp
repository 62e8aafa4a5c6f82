#include "cli/commands.hpp"

#include <chrono>

#include "api/response.hpp"
#include "api/types.hpp"
#include "cli/app.hpp"
#include "cli/output.hpp"

namespace berth::cli {

using nlohmann::json;

api::ControlClient& Context::client() {
  if (!connection) {
    connection = std::make_unique<api::ControlClient>(socket, std::chrono::seconds(timeout_s));
  }
  return *connection;
}

void Context::fail(const std::string& sentence) const { err << "berthctl: " << sentence << '\n'; }

std::string pretty(const std::string& body) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return body;
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string refusal_text(const api::HttpReply& reply) {
  const json j = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    return printable(j["error"].get<std::string>());
  }
  std::string body = reply.body.substr(0, 200);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return "berthd answered " + std::to_string(reply.status) + " " +
         std::string(api::reason_phrase(reply.status)) +
         (body.empty() ? "" : ": " + printable(body));
}

int call(Context& ctx, const api::Request& req,
         const std::function<std::string(const json&)>& human) {
  api::HttpReply reply;
  try {
    reply = ctx.client().send(api::to_http(req));
  } catch (const api::ConnectError& e) {
    ctx.fail(e.what());
    return kExitRefused;
  }
  if (reply.status < 200 || reply.status >= 300) {
    if (ctx.json) {
      ctx.err << pretty(reply.body);
    } else {
      ctx.fail(refusal_text(reply));
    }
    return kExitRefused;
  }
  if (ctx.json) {
    ctx.out << pretty(reply.body);
    return kExitOk;
  }
  try {
    ctx.out << human(json::parse(reply.body));
  } catch (const std::exception& e) {
    ctx.fail(std::string("cannot read berthd's answer: ") + e.what());
    return kExitRefused;
  }
  return kExitOk;
}

std::string render_change(const char* verb, const json& j) {
  const auto change = j.get<api::ReservationChange>();
  std::string out = std::string(verb) + " " + describe(change.reservation) + "\n";
  for (const auto& lease : change.forgotten_leases) out += "forgot " + describe(lease) + "\n";
  return out;
}

CLI::Validator check(
    std::function<std::optional<std::string>(std::string_view, std::string_view)> problem,
    std::string what) {
  return CLI::Validator(
      [problem, what](std::string& s) -> std::string { return problem(what, s).value_or(""); }, "");
}

std::optional<std::string> label_problem(std::string_view what, std::string_view s) {
  return api::dns_label_problem(what, s);
}

CLI::Validator bridge_check() { return check(api::interface_name_problem, "the bridge name"); }

std::optional<std::string> option_problem(std::string_view what, std::string_view s) {
  auto o = dhcp4::parse_configured_option(s);
  if (o) return std::nullopt;
  return std::string(what) + " " + api::quote_text(s) + ": " + std::string(o.error().what) +
         " (written CODE:TYPE:VALUE, e.g. 43:hex:01:04:c6:12:00:01 or force:66:string:boot)";
}

std::vector<dhcp4::ConfiguredOption> parse_options(const std::vector<std::string>& lines) {
  std::vector<dhcp4::ConfiguredOption> out;
  for (const std::string& line : lines) out.push_back(*dhcp4::parse_configured_option(line));
  return out;
}

}  // namespace berth::cli
