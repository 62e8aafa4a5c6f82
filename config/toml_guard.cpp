#include "config/toml_guard.hpp"

namespace berth::config {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool non_ascii(char c) { return static_cast<unsigned char>(c) >= 0x80; }
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

TomlTextProblem problem_at(std::string_view text, size_t offset, std::string message) {
  uint32_t line = 1;
  uint32_t column = 1;
  const size_t start =
      text.substr(0, kByteOrderMark.size()) == kByteOrderMark ? kByteOrderMark.size() : 0;
  for (size_t i = start; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if (!continuation(text[i])) {
      ++column;
    }
  }
  return {line, column, std::move(message)};
}

// Length of a closing delimiter `q q q` at `i`, plus the up to two extra
// quotes TOML lets a multi-line string end with (""""" is '""' then """).
size_t closing_length(std::string_view text, size_t i, char q) {
  const char triple[] = {q, q, q};
  if (text.substr(i, 3) != std::string_view(triple, 3)) return 0;
  size_t n = 3;
  while (n < 5 && i + n < text.size() && text[i + n] == q) ++n;
  return n;
}

}  // namespace

std::optional<TomlTextProblem> find_unsafe_non_ascii(std::string_view text) {
  enum class State { normal, comment, basic, literal, multi_basic, multi_literal };
  State state = State::normal;
  const size_t begin =
      text.substr(0, kByteOrderMark.size()) == kByteOrderMark ? kByteOrderMark.size() : 0;

  // What is known of the current line outside strings, to tell where toml++
  // starts a string. A quote opens one for certain after a blank, a line
  // break or a ',': toml++ stops every unquoted token there. It also opens
  // one in a key ("a"."b" = 1) and right after a key's '=' (a="x"), as long
  // as this scan and toml++ agree on where keys are: no open array or inline
  // table (depth 0) and no quote seen that opened no string (in_step).
  int depth = 0;                // open '[' and '{' of values
  bool key_so_far = true;       // the line so far is blanks, key characters, quoted keys
  bool brackets_so_far = true;  // the line so far is blanks and '[' (a table header)
  size_t key_equals = std::string_view::npos;  // offset of the key's '=' on this line
  bool in_step = true;

  size_t i = begin;
  while (i < text.size()) {
    const char c = text[i];
    switch (state) {
      case State::normal: {
        if (non_ascii(c)) {
          return problem_at(text, i, "non-ASCII character outside a string or comment");
        }
        const char prev = i > begin ? text[i - 1] : '\n';
        if (c == '\n') {
          key_so_far = true;
          brackets_so_far = true;
          key_equals = std::string_view::npos;
        } else if (c == '#') {
          state = State::comment;
        } else if (c == '"' || c == '\'') {
          const bool opens = prev == ' ' || prev == '\t' || prev == '\r' || prev == '\n' ||
                             prev == ',' || (in_step && depth == 0 && key_so_far) ||
                             (in_step && i > begin && key_equals == i - 1);
          brackets_so_far = false;
          if (!opens) {
            in_step = false;
          } else {
            const char triple[] = {c, c, c};
            if (text.substr(i, 3) == std::string_view(triple, 3)) {
              state = c == '"' ? State::multi_basic : State::multi_literal;
              i += 3;
              continue;
            }
            state = c == '"' ? State::basic : State::literal;
          }
        } else if (c == '[' && depth == 0 && brackets_so_far) {
          // A table header: the key that follows is still a key.
        } else if (c == '[' || c == '{') {
          ++depth;
          key_so_far = brackets_so_far = false;
        } else if (c == ']' || c == '}') {
          if (depth > 0) --depth;
          key_so_far = brackets_so_far = false;
        } else if (c == '=') {
          if (depth == 0 && key_so_far) key_equals = i;
          key_so_far = brackets_so_far = false;
        } else if (c == ' ' || c == '\t' || c == '\r') {
          // Blanks change nothing.
        } else {
          const bool key_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
          if (!key_char) key_so_far = false;
          brackets_so_far = false;
        }
        ++i;
        break;
      }
      case State::comment:
        if (c == '\n') {
          state = State::normal;
          continue;  // the line break resets the line state
        }
        ++i;
        break;
      case State::basic:
        if (c == '\\') {
          i += 2;  // the escaped character cannot end the string
          continue;
        }
        if (c == '\n') {
          state = State::normal;  // unterminated; toml++ refuses it
          continue;
        }
        if (c == '"') state = State::normal;
        ++i;
        break;
      case State::literal:
        if (c == '\n') {
          state = State::normal;
          continue;
        }
        if (c == '\'') state = State::normal;
        ++i;
        break;
      case State::multi_basic: {
        if (c == '\\') {
          // toml++ asks whether what follows is whitespace, and after a
          // line-ending backslash whether each next character is.
          size_t j = i + 1;
          while (j < text.size() &&
                 (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n')) {
            ++j;
          }
          if (j < text.size() && non_ascii(text[j])) {
            return problem_at(text, j,
                              "non-ASCII character after a backslash in a multi-line string");
          }
          i = j == i + 1 ? i + 2 : j;
          continue;
        }
        if (const size_t n = closing_length(text, i, '"')) {
          state = State::normal;
          i += n;
          continue;
        }
        ++i;
        break;
      }
      case State::multi_literal:
        if (const size_t n = closing_length(text, i, '\'')) {
          state = State::normal;
          i += n;
          continue;
        }
        ++i;
        break;
    }
  }
  return std::nullopt;
}

}  // namespace berth::config
