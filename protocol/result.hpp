// Expected-style results for the codecs: a value, or the kind of failure.
// Codecs never throw and never log; the caller decides what a failure means.
#pragma once

#include <cassert>
#include <string_view>
#include <utility>
#include <variant>

#include "protocol/enum_names.hpp"

namespace berth {

// The kind of failure, so callers can count drops by reason (STYLE 6).
enum class Errc {
  truncated,    // input ends before a length it announced
  malformed,    // a field has a value the format forbids
  unsupported,  // well formed, but something berth does not handle (e.g. fragments)
  no_space,     // the output buffer is too small for what must be written
};

inline constexpr EnumNames<Errc, 4> kErrcNames{{{
    {Errc::truncated, "truncated"},
    {Errc::malformed, "malformed"},
    {Errc::unsupported, "unsupported"},
    {Errc::no_space, "no_space"},
}}};
static_assert(kErrcNames.complete());

constexpr std::string_view to_string(Errc e) { return kErrcNames.name(e); }

struct Error {
  Errc code;
  std::string_view what;  // a static sentence naming the field, e.g. "option length past end"
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error e) : v_(e) {}                 // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

inline Error make_error(Errc code, std::string_view what) { return Error{code, what}; }

}  // namespace berth
