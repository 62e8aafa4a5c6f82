// berthctl events: what changed (leases, reservations, forwards), from
// GET /v1/events, once or followed.
#include <memory>
#include <ostream>
#include <string>

#include "api/events.hpp"
#include "cli/app.hpp"
#include "cli/commands.hpp"

namespace berth::cli {

namespace {

struct EventsArgs {
  int64_t since = -1;  // -1: not given
  bool follow = false;
};

// Prints one line of the answer; false for a line that is not an event.
bool print_line(Context& ctx, std::string_view line, int64_t& last) {
  if (line.empty() || line == "\r") return true;  // a keep-alive
  auto event = api::event_from_line(line);
  if (!event) {
    ctx.fail("cannot read berthd's event: " + std::string(line.substr(0, 200)));
    return false;
  }
  last = event->cursor;
  if (ctx.json) {
    ctx.out << line << '\n';
  } else {
    ctx.out << api::event_text(*event) << '\n';
  }
  ctx.out.flush();  // a pipe (jq, a script) sees each event as it comes
  return true;
}

int run_events(Context& ctx, const EventsArgs& args) {
  api::GetEvents req;
  if (args.since >= 0) req.since = args.since;
  req.follow = args.follow;
  int64_t last = args.since;
  try {
    if (args.follow) {
      bool bad = false;
      api::HttpReply reply =
          ctx.client().stream_lines(api::to_http(req), [&](std::string_view line) {
            bad = !print_line(ctx, line, last);
            return !bad;
          });
      if (reply.status != 200) {
        ctx.fail(refusal_text(reply));
        return kExitRefused;
      }
      if (bad) return kExitRefused;
      ctx.fail("berthd ended the event stream" +
               (last >= 0 ? "; resume with --since " + std::to_string(last) : std::string()));
      return kExitRefused;
    }
    // Answers hold at most kEventsPerAnswer events: ask again after the last.
    for (;;) {
      api::HttpReply reply = ctx.client().send(api::to_http(req));
      if (reply.status != 200) {
        ctx.fail(refusal_text(reply));
        return kExitRefused;
      }
      size_t count = 0;
      std::string_view rest = reply.body;
      while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        if (!line.empty()) {
          if (!print_line(ctx, line, last)) return kExitRefused;
          ++count;
        }
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
      if (count < api::kEventsPerAnswer || last < 0) return kExitOk;
      req.since = last;
    }
  } catch (const api::ConnectError& e) {
    ctx.fail(e.what());
    return kExitRefused;
  }
}

}  // namespace

void add_events_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<EventsArgs>();
  auto* cmd = app.add_subcommand(
      "events",
      "Print lease, reservation and forward events, one line each (JSON lines with --json)");
  cmd->add_option("--since", args->since,
                  "Only events after this cursor (every event carries one); without it, every "
                  "event kept, or with --follow only those to come")
      ->type_name("CURSOR")
      ->check(CLI::Range(int64_t{0}, INT64_MAX));
  cmd->add_flag("-f,--follow", args->follow,
                "Keep printing events as they happen, until interrupted");
  cmd->footer(
      "An event line of kind \"gap\" says events after --since were already pruned ([daemon] "
      "events_max_age, events_max_count).");
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_events(ctx, *args); }; });
}

}  // namespace berth::cli
